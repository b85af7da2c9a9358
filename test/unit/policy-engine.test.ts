/**
 * The policy pack as a whole: every rule is complete and tested, suppressions need a known rule and
 * a reason and are inherited, tiers select the production rules, the shipped environments pass,
 * and the synthesis gate writes nothing when an error remains.
 */
import "@microsoft/jest-sarif";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { checkStack } from "../../policy/check";
import { formatPolicyReport, policyJson, policySarif } from "../../policy/report";
import { RULES } from "../../policy/rules";
import { setPolicyTier, suppressPolicy } from "../../policy/suppressions";
import { synthesizeWithPolicy } from "../../policy/synth";
import { buildApp } from "../../stacks/app";
import { ENVIRONMENTS_DIR, REPO_ROOT } from "../helpers";
import { checkBuilt, rule } from "../support/policy";

const unrotatedKey = (scope: Construct, id: string) =>
  new KmsKey(scope, id, { enableKeyRotation: false, deletionWindowInDays: 30 });

describe("the rule pack", () => {
  test("has at least 40 rules with unique kebab-case ids, one file each named for its id", () => {
    const ids = RULES.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(40);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    const files = readdirSync(join(REPO_ROOT, "policy/rules"))
      .filter((f) => f !== "index.ts")
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    expect(files).toEqual([...ids].sort());
  });

  test.each(RULES.map((r) => [r.id, r]))("%s is fully described", (_id, r) => {
    expect(["error", "warning"]).toContain(r.severity);
    expect(r.description).toMatch(/^[A-Z].*\.$/);
    expect(r.description).not.toContain("\n");
    for (const text of [r.reason, r.reference, r.fix])
      expect(text.trim().length).toBeGreaterThan(10);
    expect(r.reference).not.toMatch(/\?|n\/a|TODO/);
    for (const tier of r.tiers ?? []) expect(["development", "production"]).toContain(tier);
  });

  test("every rule has its own pass/fail tests in test/unit/policy-rules-*.test.ts", () => {
    const dir = join(REPO_ROOT, "test/unit");
    const tested = readdirSync(dir)
      .filter((f) => /^policy-rules-.*\.test\.ts$/.test(f))
      .map((f) => readFileSync(join(dir, f), "utf8"))
      .join("\n");
    const untested = RULES.map((r) => r.id).filter((id) => !tested.includes(`describe("${id}"`));
    expect(untested).toEqual([]);
  });
});

describe("suppressions", () => {
  test("fails when a suppression names an unknown rule or has no reason, naming the construct and every problem", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const key = unrotatedKey(stack, "key");
    expect(() =>
      suppressPolicy(
        key,
        { rule: "kms-rotation", reason: "" },
        { rule: "kms-key-rotation", reason: "short" },
      ),
    ).toThrow(
      [
        's/key: policySuppressions[0].rule: received "kms-rotation"; expected the id of a rule of the policy pack (README, Policy)',
        's/key: policySuppressions[0].reason: received ""; expected a written reason of at least 10 characters',
        's/key: policySuppressions[1].reason: received "short"; expected a written reason of at least 10 characters',
      ].join("\n"),
    );
  });

  test("a suppression on a construct covers the resources below it; the nearest one's reason is reported", () => {
    const result = checkBuilt(
      (stack) => {
        const team = new Construct(stack, "team");
        const inner = new Construct(team, "inner");
        unrotatedKey(inner, "key");
        unrotatedKey(stack, "other");
        suppressPolicy(team, {
          rule: "kms-key-rotation",
          reason: "the team's keys are imported material",
        });
        suppressPolicy(inner, {
          rule: "kms-key-rotation",
          reason: "inner keys wrap an HSM key, rotated there",
        });
      },
      { rules: [rule("kms-key-rotation")] },
    );
    expect(result.findings.map((f) => f.path)).toEqual(["policy-test/other"]);
    expect(result.suppressed.map((f) => [f.path, f.suppressedBy])).toEqual([
      [
        "policy-test/team/inner/key",
        { path: "policy-test/team/inner", reason: "inner keys wrap an HSM key, rotated there" },
      ],
    ]);
    // the outer suppression matched nothing the inner one did not already cover
    expect(result.unusedSuppressions.map((s) => s.path)).toEqual(["policy-test/team"]);
  });

  test("a suppression on the app covers every stack, and is never reported unused by a stack", () => {
    const app = Testing.app();
    suppressPolicy(app, { rule: "kms-key-rotation", reason: "accepted for this test application" });
    const stack = new TerraformStack(app, "one");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    unrotatedKey(stack, "key");
    const empty = new TerraformStack(app, "two");
    new AwsProvider(empty, "aws", { region: "eu-west-1" });
    const rules = [rule("kms-key-rotation")];
    expect(checkStack(stack, JSON.parse(Testing.synth(stack)), { rules }).suppressed).toHaveLength(
      1,
    );
    expect(
      checkStack(empty, JSON.parse(Testing.synth(empty)), { rules }).unusedSuppressions,
    ).toEqual([]);
  });

  test("an unused suppression is reported only where its rule applies to the stack's tier", () => {
    const build = (stack: TerraformStack) => {
      const db = new Construct(stack, "db");
      suppressPolicy(db, { rule: "rds-multi-az", reason: "a single-AZ reporting replica" });
    };
    const rules = [rule("rds-multi-az")];
    expect(checkBuilt(build, { rules, tier: "production" }).unusedSuppressions).toEqual([
      {
        path: "policy-test/db",
        rule: "rds-multi-az",
        reason: "a single-AZ reporting replica",
        stack: "policy-test",
      },
    ]);
    expect(checkBuilt(build, { rules, tier: "development" }).unusedSuppressions).toEqual([]);
  });
});

describe("tiers", () => {
  const singleAz = (stack: TerraformStack) =>
    new DbInstance(stack, "db", {
      instanceClass: "db.t4g.micro",
      engine: "postgres",
      multiAz: false,
    });

  test("a stack is checked as production unless its tier says otherwise", () => {
    expect(checkBuilt(singleAz, { rules: [rule("rds-multi-az")] }).findings).toHaveLength(1);
  });

  test("setPolicyTier(development) leaves out the production-only rules", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "dev-like");
    setPolicyTier(stack, "development");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    singleAz(stack);
    expect(
      checkStack(stack, JSON.parse(Testing.synth(stack)), { rules: [rule("rds-multi-az")] })
        .findings,
    ).toEqual([]);
  });
});

describe.each(["dev", "staging", "prod"])("the shipped %s environment", (name) => {
  const outdir = mkdtempSync(join(tmpdir(), `policy-${name}-`));
  const envDir = mkdtempSync(join(tmpdir(), `policy-env-${name}-`));
  writeFileSync(join(envDir, `${name}.yaml`), readFileSync(join(ENVIRONMENTS_DIR, `${name}.yaml`)));
  cpSync(join(ENVIRONMENTS_DIR, "dashboards"), join(envDir, "dashboards"), { recursive: true });
  const { app } = buildApp({
    environmentDirectory: envDir,
    outdir,
    offline: true,
    today: "2026-12-01",
  });
  const result = synthesizeWithPolicy(app);

  test("passes the pack with no errors and no warnings", () => {
    expect(result.findings.map((f) => `${f.rule} ${f.path}: ${f.problem}`)).toEqual([]);
    expect(result.written).toBe(true);
    expect(result.unusedSuppressions).toEqual([]);
  });

  test("its only exceptions are the suppressions our constructs document", () => {
    const exceptions = new Set(
      result.suppressed.map(
        (f) => `${f.rule} at ${f.suppressedBy.path.replace(`${name}-`, "<env>-")}`,
      ),
    );
    const dns = name !== "dev";
    const secrets = name !== "dev";
    const production = name === "prod";
    expect(exceptions).toEqual(
      new Set([
        "iam-no-wildcard-resource at <env>-infrastructure/cluster/irsa-kube-system-aws-load-balancer-controller-policy",
        "iam-no-wildcard-resource at <env>-infrastructure/pipeline-runners/role-policy",
        "k8s-namespace-pod-security at <env>-workloads/monitoring/namespace",
        "k8s-namespace-default-deny at <env>-workloads/monitoring/namespace",
        "k8s-namespace-pod-security at <env>-workloads/log-collector/namespace",
        ...(dns ? ["k8s-namespace-default-deny at <env>-workloads/external-dns/namespace"] : []),
        // staging and prod sync web's secrets: the operator's namespace and web's secrets release
        ...(secrets
          ? [
              "k8s-namespace-default-deny at <env>-workloads/external-secrets/namespace",
              "k8s-resource-requests at <env>-workloads/app-web-secrets/release",
              // web's database: the bootstrap's master secret release (renders no pods either)
              "k8s-resource-requests at <env>-workloads/database-bootstrap/master-secret/release",
            ]
          : []),
        ...(secrets && production
          ? [
              "k8s-hpa-in-production at <env>-workloads/external-secrets/release",
              "k8s-hpa-in-production at <env>-workloads/app-web-secrets/release",
              "k8s-pdb-in-production at <env>-workloads/app-web-secrets/release",
              "k8s-hpa-in-production at <env>-workloads/database-bootstrap/master-secret/release",
              "k8s-pdb-in-production at <env>-workloads/database-bootstrap/master-secret/release",
            ]
          : []),
        ...(production
          ? [
              "k8s-hpa-in-production at <env>-workloads/aws-load-balancer-controller/release",
              "k8s-hpa-in-production at <env>-workloads/cluster-autoscaler/release",
              "k8s-hpa-in-production at <env>-workloads/metrics-server/release",
              "k8s-hpa-in-production at <env>-workloads/log-collector/release",
              "k8s-hpa-in-production at <env>-workloads/jaeger/release",
              "k8s-pdb-in-production at <env>-workloads/log-collector/release",
              "k8s-hpa-in-production at <env>-workloads/monitoring/release",
              "k8s-hpa-in-production at <env>-workloads/external-dns/release",
              "k8s-pdb-in-production at <env>-workloads/external-dns/release",
            ]
          : []),
        // prod's alert receivers read keys: the release of their Secret (renders no pods either)
        ...(production
          ? [
              "k8s-resource-requests at <env>-workloads/monitoring/receiver-secrets/release",
              "k8s-hpa-in-production at <env>-workloads/monitoring/receiver-secrets/release",
              "k8s-pdb-in-production at <env>-workloads/monitoring/receiver-secrets/release",
            ]
          : []),
        ...(production
          ? []
          : ["cloudfront-custom-certificate at <env>-infrastructure/site/distribution"]),
      ]),
    );
  });
});

/** Two stacks with one error each. */
function failingApp(outdir: string): App {
  const app = new App({ outdir });
  setPolicyTier(app, "development");
  const one = new TerraformStack(app, "one");
  new AwsProvider(one, "aws", { region: "eu-west-1" });
  unrotatedKey(one, "key");
  const two = new TerraformStack(app, "two");
  new AwsProvider(two, "aws", { region: "eu-west-1" });
  new IamRolePolicy(two, "policy", {
    role: "r",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    }),
  });
  return app;
}

describe("synthesizeWithPolicy", () => {
  test("reports every stack's errors at once and writes nothing when any error remains", () => {
    const outdir = mkdtempSync(join(tmpdir(), "policy-gate-"));
    const result = synthesizeWithPolicy(failingApp(outdir));
    expect(result.written).toBe(false);
    expect(
      result.findings.filter((f) => f.severity === "error").map((f) => `${f.stack} ${f.rule}`),
    ).toEqual([
      "one kms-key-rotation",
      "two iam-no-wildcard-action",
      "two iam-no-wildcard-resource",
    ]);
    expect(readdirSync(outdir).filter((f) => f !== "stacks")).toEqual([]);
    expect(existsSync(join(outdir, "stacks", "one"))).toBe(false);
  });

  test("leaves an earlier good synthesis untouched when a later one fails", () => {
    const outdir = mkdtempSync(join(tmpdir(), "policy-gate-"));
    const good = new App({ outdir });
    const one = new TerraformStack(good, "one");
    new AwsProvider(one, "aws", { region: "eu-west-1" });
    new KmsKey(one, "key", { enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(synthesizeWithPolicy(good, { tier: "development" }).written).toBe(true);
    const stackFile = join(outdir, "stacks/one/cdk.tf.json");
    const before = readFileSync(stackFile, "utf8");
    const manifest = readFileSync(join(outdir, "manifest.json"), "utf8");
    expect(synthesizeWithPolicy(failingApp(outdir)).written).toBe(false);
    expect(readFileSync(stackFile, "utf8")).toBe(before);
    expect(readFileSync(join(outdir, "manifest.json"), "utf8")).toBe(manifest);
  });

  test("writes the stacks and the manifest when no error remains, keeping other files in the stack folders", () => {
    const outdir = mkdtempSync(join(tmpdir(), "policy-gate-"));
    mkdirSync(join(outdir, "stacks/one/.terraform"), { recursive: true });
    writeFileSync(join(outdir, "stacks/one/.terraform/marker"), "providers installed");
    writeFileSync(join(outdir, "stacks/one/cdk.tf.json"), "stale");
    const app = new App({ outdir });
    const one = new TerraformStack(app, "one");
    new AwsProvider(one, "aws", { region: "eu-west-1" });
    new KmsKey(one, "key", { enableKeyRotation: true, deletionWindowInDays: 30 });
    const result = synthesizeWithPolicy(app, { tier: "development" });
    expect(result.written).toBe(true);
    expect(
      JSON.parse(readFileSync(join(outdir, "stacks/one/cdk.tf.json"), "utf8")).resource.aws_kms_key,
    ).toBeDefined();
    expect(readFileSync(join(outdir, "stacks/one/.terraform/marker"), "utf8")).toBe(
      "providers installed",
    );
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
    expect(Object.keys(manifest.stacks)).toEqual(["one"]);
    expect(manifest.stacks.one.synthesizedStackPath).toBe("stacks/one/cdk.tf.json");
    expect(readdirSync(outdir).filter((f) => f.startsWith(".synth-"))).toEqual([]);
  });
});

describe("reports", () => {
  const outdir = mkdtempSync(join(tmpdir(), "policy-report-"));
  const app = failingApp(outdir);
  suppressPolicy(app.node.findChild("two"), {
    rule: "iam-no-wildcard-resource",
    reason: "a test of the suppressed output",
  });
  const result = synthesizeWithPolicy(app);

  test("the console report lists each finding with path, address, problem, fix and reference, then counts", () => {
    const text = formatPolicyReport(result);
    expect(text).toContain(
      [
        "ERROR kms-key-rotation: Every symmetric KMS key rotates its key material automatically.",
        "  at one/key (aws_kms_key.key)",
        "  found: enable_key_rotation is false",
        "  fix: Set enable_key_rotation = true (the EncryptionKey construct does).",
        "  reference: CIS AWS 3.6; AWS FSBP KMS.4; checkov CKV_AWS_7",
      ].join("\n"),
    );
    expect(text.split("\n").pop()).toBe(
      `Policy: 2 errors, 0 warnings, 1 suppressed (${RULES.length} rules): fix the errors above or suppress them with a reason (README, Policy)`,
    );
  });

  test("the JSON report holds the findings, the suppressed ones with their reasons, and a summary", () => {
    const json = JSON.parse(policyJson(result));
    expect(json.summary).toEqual({ errors: 2, warnings: 0, suppressed: 1, rules: RULES.length });
    expect(json.findings[0]).toEqual({
      rule: "kms-key-rotation",
      severity: "error",
      description: rule("kms-key-rotation").description,
      reference: rule("kms-key-rotation").reference,
      stack: "one",
      path: "one/key",
      address: "aws_kms_key.key",
      problem: "enable_key_rotation is false",
      fix: rule("kms-key-rotation").fix,
    });
    expect(json.suppressed[0].suppressedBy).toEqual({
      path: "two",
      reason: "a test of the suppressed output",
    });
  });

  test("the SARIF report is a valid SARIF 2.1.0 log (the official schema) with the pack as rules", () => {
    const sarif = JSON.parse(policySarif(result, { version: "0.1.0" }));
    expect(sarif).toBeValidSarifLog();
    const run = sarif.runs[0];
    expect(run.tool.driver.rules).toHaveLength(RULES.length);
    expect(
      run.results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`),
    ).toEqual([
      "kms-key-rotation error",
      "iam-no-wildcard-action error",
      "iam-no-wildcard-resource error",
    ]);
    expect(run.results[2].suppressions).toEqual([
      { kind: "inSource", justification: "a test of the suppressed output (at two)" },
    ]);
    expect(run.results[0].locations[0].logicalLocations).toEqual([
      { fullyQualifiedName: "one/key", kind: "module" },
      { fullyQualifiedName: "aws_kms_key.key", kind: "resource" },
    ]);
  });
});

describe("the synth command", () => {
  const tsx = join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs");
  const run = (args: string[], cwd: string) =>
    spawnSync(process.execPath, [tsx, ...args], {
      cwd,
      encoding: "utf8",
      env: {
        ...process.env,
        PLATFORM_ENV_DIR: ENVIRONMENTS_DIR,
        PLATFORM_OFFLINE: "1",
        CHECKPOINT_DISABLE: "1",
      },
    });

  test("npm run synth -- --policy-report writes the JSON and SARIF reports for the shipped environments", () => {
    const cwd = mkdtempSync(join(tmpdir(), "policy-cli-"));
    const result = run(
      [join(REPO_ROOT, "scripts/synth.ts"), "--policy-report", "policy.json"],
      cwd,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Policy: ${RULES.length} rules, 0 errors, 0 warnings, `);
    const json = JSON.parse(readFileSync(join(cwd, "policy.json"), "utf8"));
    expect(json.summary.errors).toBe(0);
    expect(JSON.parse(readFileSync(join(cwd, "policy.sarif"), "utf8"))).toBeValidSarifLog();
  });

  test("exits 1 with one report of every stack's errors and writes no stack", () => {
    const cwd = mkdtempSync(join(tmpdir(), "policy-cli-"));
    const result = run([join(REPO_ROOT, "test/support/policy-failing-app.ts")], cwd);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("ERROR s3-bucket-kms-encryption");
    expect(result.stderr).toContain("at team-storage/uploads (aws_s3_bucket.uploads)");
    expect(result.stderr).toContain("ERROR iam-no-wildcard-action");
    expect(result.stderr).toContain("at team-access/admin (aws_iam_role_policy.admin)");
    expect(result.stderr).toMatch(/Policy: \d+ errors, /);
    expect(existsSync(join(cwd, "cdktf.out/stacks/team-storage"))).toBe(false);
    expect(existsSync(join(cwd, "cdktf.out/manifest.json"))).toBe(false);
  });

  test("refuses an unknown argument or a missing report name", () => {
    const cwd = mkdtempSync(join(tmpdir(), "policy-cli-"));
    expect(run([join(REPO_ROOT, "scripts/synth.ts"), "--policy-report"], cwd).stderr).toBe(
      "--policy-report: expected a file name after --policy-report (e.g. policy.json)\n",
    );
    expect(run([join(REPO_ROOT, "scripts/synth.ts"), "--bogus"], cwd).stderr).toBe(
      "--bogus: unknown argument; expected --policy-report <file.json>\n",
    );
  });
});
