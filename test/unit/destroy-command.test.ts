import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENVIRONMENTS_DIR, REPO_ROOT, environmentFolder, rawEnvironment } from "../helpers";

/**
 * A fake deploy tool / AWS CLI: appends `<label> <argv...>` to $FAKE_LOG, fails (exit 1) when
 * its argv contains $FAKE_FAIL, and answers like the AWS CLI for a log group that is not there
 * (ResourceNotFoundException, exit 254) when its argv contains $FAKE_MISSING.
 */
const FAKE = `
const { appendFileSync } = require("node:fs");
const [label, ...argv] = process.argv.slice(2);
const line = argv.join(" ");
appendFileSync(process.env.FAKE_LOG, label + " " + line + "\\n");
if (process.env.FAKE_FAIL && line.includes(process.env.FAKE_FAIL)) {
  process.stderr.write("fake failure\\n");
  process.exit(1);
}
if (process.env.FAKE_MISSING && process.env.FAKE_MISSING.split(",").some((m) => line.includes(m))) {
  process.stderr.write("An error occurred (ResourceNotFoundException) when calling the DeleteLogGroup operation: The specified log group does not exist.\\n");
  process.exit(254);
}
`;

/** Runs `npm run destroy` (scripts/destroy.ts) with the fake tools; returns its output and the recorded calls. */
function runDestroy(args: string[], env: Record<string, string> = {}, envDir = ENVIRONMENTS_DIR) {
  const cwd = mkdtempSync(join(tmpdir(), "platform-destroy-"));
  const fake = join(cwd, "fake-tool.cjs");
  writeFileSync(fake, FAKE);
  const log = join(cwd, "calls.log");
  const result = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"),
      join(REPO_ROOT, "scripts/destroy.ts"),
      ...args,
    ],
    {
      cwd,
      encoding: "utf8",
      env: {
        ...process.env,
        PLATFORM_ENV_DIR: envDir,
        PLATFORM_OFFLINE: "",
        PLATFORM_DEPLOY_COMMAND: `${process.execPath} ${fake} deploy`,
        PLATFORM_AWS_COMMAND: `${process.execPath} ${fake} aws`,
        FAKE_LOG: log,
        ...env,
      },
    },
  );
  const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
  return { ...result, calls, cwd };
}

const LOG_GROUP_DELETES = [
  "aws logs delete-log-group --log-group-name /aws/codebuild/dev-runners --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/eks/dev/cluster --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/opensearch/dev-logs/application --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/opensearch/dev-logs/audit --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/opensearch/dev-logs/index-slow --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/opensearch/dev-logs/search-slow --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/rds/instance/dev-postgres/postgresql --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/rds/instance/dev-postgres/upgrade --region eu-west-1",
  "aws logs delete-log-group --log-group-name /aws/vpc-flow-logs/dev --region eu-west-1",
];

describe("npm run destroy", () => {
  test("destroys workloads, then infrastructure, then deletes the log groups AWS re-created", () => {
    const { status, stdout, stderr, calls, cwd } = runDestroy(["dev"], {
      FAKE_MISSING: "/aws/vpc-flow-logs/dev,/aws/rds/",
    });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(calls).toEqual([
      "deploy destroy dev-workloads --auto-approve --skip-synth",
      "deploy destroy dev-infrastructure --auto-approve --skip-synth --ignore-missing-stack-dependencies",
      ...LOG_GROUP_DELETES,
    ]);
    // --skip-synth: the deploy tool destroys exactly what this command synthesized
    expect(existsSync(join(cwd, "cdktf.out/stacks/dev-infrastructure/cdk.tf.json"))).toBe(true);
    expect(stdout).toContain("[1/3] Destroying dev-workloads");
    expect(stdout).toContain("[2/3] Destroying dev-infrastructure");
    expect(stdout).toContain(
      "/aws/eks/dev/cluster: deleted (it had been re-created after terraform destroy)",
    );
    expect(stdout).toContain("/aws/vpc-flow-logs/dev: already gone");
    expect(stdout).toMatch(/dev destroyed/);
  }, 60_000);

  test("fails when the environment is in the production tier, before anything runs", () => {
    const { status, stdout, stderr, calls, cwd } = runDestroy(["prod"]);
    expect(status).toBe(1);
    expect(calls).toEqual([]);
    expect(stdout).toBe("");
    expect(existsSync(join(cwd, "cdktf.out"))).toBe(false);
    expect(stderr.trim()).toBe(
      `${join(ENVIRONMENTS_DIR, "prod.yaml")}: tier: received "production"; expected "development": npm run destroy tears down development-tier environments only (production keeps prevent_destroy, deletion protection and final snapshots; retire it through a reviewed change)`,
    );
  }, 60_000);

  test("fails when the workloads destroy fails, and leaves the infrastructure alone", () => {
    const { status, stderr, calls } = runDestroy(["dev"], { FAKE_FAIL: "dev-workloads" });
    expect(status).toBe(1);
    expect(calls).toEqual(["deploy destroy dev-workloads --auto-approve --skip-synth"]);
    expect(stderr).toContain(
      "dev-workloads: destroy failed (exit 1); not run: dev-infrastructure, the log group cleanup. Fix it and run again.",
    );
  }, 60_000);

  test("fails when a re-created log group cannot be deleted, naming the command to run", () => {
    const { status, stderr, calls } = runDestroy(["dev"], { FAKE_FAIL: "/aws/eks/dev/cluster" });
    expect(status).toBe(1);
    expect(calls.slice(2)).toEqual(LOG_GROUP_DELETES);
    expect(stderr).toContain(
      "dev is destroyed, but 1 log group(s) remain and would make the next apply fail with ResourceAlreadyExistsException; delete them with:",
    );
    expect(stderr).toMatch(
      / {2}\S+ \S+fake-tool\.cjs aws logs delete-log-group --log-group-name \/aws\/eks\/dev\/cluster --region eu-west-1/,
    );
  }, 60_000);

  test("fails without exactly one environment name, or with an unknown one", () => {
    const none = runDestroy([]);
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe(
      "Usage: npm run destroy -- <env>   (a development-tier environment, e.g. dev)",
    );
    const unknown = runDestroy(["qa"]);
    expect(unknown.status).toBe(1);
    expect(unknown.calls).toEqual([]);
    expect(unknown.stderr.trim()).toBe('No environment "qa": environments are dev, prod, staging');
  }, 60_000);

  test("fails on an invalid environment file with the configuration message, before anything runs", () => {
    const dev = rawEnvironment("dev") as Record<string, any>;
    dev.account = "42";
    const { status, stderr, calls } = runDestroy(["dev"], {}, environmentFolder({ dev }));
    expect(status).toBe(1);
    expect(calls).toEqual([]);
    expect(stderr).toMatch(
      /^Invalid environment configuration: 1 problem in 1 file\n {2}.*dev\.yaml: account: received "42"/,
    );
  }, 60_000);
});
