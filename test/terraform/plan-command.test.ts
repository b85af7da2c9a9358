/**
 * `npm run plan` end to end, offline: the saved plan, the report files next to the plans, the
 * guard's verdict and the allowance file's handling (an invalid one stops before any plan).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadEnvironments } from "../../config/load";
import { buildApp } from "../../stacks/app";
import { REPO_ROOT, environmentFolder, rawEnvironment } from "../helpers";

function runPlan(envDir: string, args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "platform-plan-"));
  const result = spawnSync(
    process.execPath,
    [join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"), join(REPO_ROOT, "scripts/plan.ts"), ...args],
    {
      cwd,
      env: {
        ...process.env,
        PLATFORM_ENV_DIR: envDir,
        PLATFORM_OFFLINE: "1",
        PLATFORM_TODAY: "2026-12-01",
      },
      encoding: "utf8",
    },
  );
  return { ...result, cwd };
}

/**
 * A base branch's cdktf.out for the folder's environments in which the first resource of `type`
 * in `stack` had prevent_destroy (the current configuration does not).
 */
function baseWithPreventDestroy(envDir: string, stack: string, type: string) {
  const base = mkdtempSync(join(tmpdir(), "platform-base-"));
  buildApp({
    environmentDirectory: envDir,
    outdir: base,
    offline: true,
    today: "2026-12-01",
  }).app.synth();
  const file = join(base, "stacks", stack, "cdk.tf.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  const [name] = Object.keys(config.resource[type]);
  config.resource[type][name].lifecycle = { prevent_destroy: true };
  writeFileSync(file, JSON.stringify(config));
  return { base, name };
}

test("an <env>.allow.yaml file is not read as an environment", () => {
  const dir = environmentFolder({
    dev: rawEnvironment("dev"),
    "dev.allow": "allow: []\n",
  });
  expect(loadEnvironments(dir).map((e) => e.config.name)).toEqual(["dev"]);
});

test("an invalid allowance file stops the command before anything is planned (exit 1)", () => {
  const dir = environmentFolder({
    dev: rawEnvironment("dev"),
    "dev.allow": "allow:\n  - { address: aws_s3_bucket.site, who: alice, expires: 2027-13-01 }\n",
  });
  const { status, stdout, stderr } = runPlan(dir, ["dev"]);
  expect(status).toBe(1);
  // the file is named by its absolute path when it is outside the working directory
  expect(stderr).toContain(`Invalid allowance file ${join(dir, "dev.allow.yaml")}: 2 problems\n`);
  expect(stderr).toContain(
    "allow[0].reason: received nothing; expected a string (required field is missing)",
  );
  expect(stderr).toContain(
    'allow[0].expires: received "2027-13-01"; expected a real calendar date YYYY-MM-DD',
  );
  expect(stdout).not.toContain("terraform plan");
}, 120_000);

test("plans, writes the report next to the saved plan, prints its path and the verdict", () => {
  const dir = environmentFolder({
    dev: rawEnvironment("dev"),
    "dev.allow":
      "allow:\n  - { address: aws_s3_bucket.gone, reason: cleanup, who: alice, expires: 2027-01-31 }\n",
  });
  const { status, stdout, stderr, cwd } = runPlan(dir, ["dev"]);
  expect(stderr).not.toContain("Error");
  expect(status).toBe(0);
  expect(existsSync(join(cwd, "cdktf.out/stacks/dev-infrastructure/plan.tfplan"))).toBe(true);
  const markdown = readFileSync(join(cwd, "cdktf.out/plan-report.md"), "utf8");
  const json = JSON.parse(readFileSync(join(cwd, "cdktf.out/plan-report.json"), "utf8"));
  expect(markdown.split("\n")[0]).toMatch(
    /^\*\*✅ Safe to apply: \d+ to create, nothing replaced or destroyed\*\*$/,
  );
  expect(json.headline).toBe(markdown.split("\n")[0].replace(/\*\*/g, ""));
  expect(json.stacks.map((s: { stack: string }) => s.stack)).toEqual(["dev-infrastructure"]);
  expect(json.skipped).toEqual([
    expect.objectContaining({
      stack: "dev-workloads",
      reason: expect.stringContaining("skipped offline"),
    }),
  ]);
  expect(stdout).toContain(
    `\n${json.headline}\nreport: cdktf.out/plan-report.md (and plan-report.json)\n`,
  );
  expect(stdout).toContain(
    "plan guard: passed (nothing stateful destroyed, replaced or unprotected)",
  );
  expect(stdout).toMatch(/unused allowance: .*dev\.allow\.yaml: aws_s3_bucket\.gone/);
  expect(markdown).toContain("unused allowance for `aws_s3_bucket.gone`");
  // the policy pack's findings: none active, the suppressed ones collapsed with their reasons
  expect(markdown).toContain(
    "### Policy findings\n\n_None: every rule of the policy pack passes._",
  );
  expect(markdown).toMatch(/<summary>\d+ suppressed with a reason<\/summary>/);
  expect(json.policy).toContainEqual(
    expect.objectContaining({
      ruleId: "iam-no-wildcard-resource",
      resource: expect.stringContaining("dev-infrastructure/pipeline-runners/role-policy"),
      suppressed: expect.stringContaining("CodeBuild"),
    }),
  );
}, 300_000);

test("a production plan that removes a prevent_destroy exits 4 with the guard's verdict and an unsafe report", () => {
  const envDir = environmentFolder({ prod: rawEnvironment("prod") });
  const { base, name } = baseWithPreventDestroy(
    envDir,
    "prod-infrastructure",
    "aws_cloudwatch_log_group",
  );
  const { status, stdout, cwd } = runPlan(envDir, ["--base", base, "prod-infrastructure"]);
  expect(status).toBe(4);
  expect(stdout).toContain(
    `prod-infrastructure removes prevent_destroy from aws_cloudwatch_log_group.${name}`,
  );
  const json = JSON.parse(readFileSync(join(cwd, "cdktf.out/plan-report.json"), "utf8"));
  expect(json.safe).toBe(false);
  expect(json.guard).toMatchObject({ verdict: "fail", exitCode: 4 });
}, 300_000);

test("--base must name a synthesized cdktf.out folder", () => {
  const { status, stderr } = runPlan(environmentFolder({ dev: rawEnvironment("dev") }), [
    "--base",
    "/nonexistent",
    "dev",
  ]);
  expect(status).toBe(1);
  expect(stderr).toBe(
    '--base: received "/nonexistent"; expected the cdktf.out folder of the base branch (with a stacks/ folder)\n',
  );
});

test("with --base, a prevent_destroy the base had is found (a warning in development)", () => {
  const envDir = environmentFolder({ dev: rawEnvironment("dev") });
  const { base, name } = baseWithPreventDestroy(envDir, "dev-infrastructure", "aws_kms_key");
  const { status, stdout } = runPlan(envDir, ["--base", base, "dev"]);
  expect(status).toBe(0);
  expect(stdout).toContain(
    `  warning: dev-infrastructure removes prevent_destroy from aws_kms_key.${name}\n`,
  );
  expect(stdout).not.toContain("prevent_destroy removal not checked");
  expect(stdout).toMatch(
    /⚠️ Safe to apply with care: \d+ to create; 1 destructive change\(s\) in development/,
  );
}, 300_000);
