/**
 * The plan guard and report over real plans of the real Terraform and hashicorp/aws 5.100.0,
 * offline: a state of a database, a bucket and a key built by hand (`applyOffline`), then
 * `plan -refresh=false -out` of changed configurations in one Terraform folder (init once):
 * a harmless tag change, a renamed bucket (destroy + create), a force-new attribute of the
 * database (replace), deletion protection turned off, and a removed `prevent_destroy`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  guardPlans,
  parseAllowances,
  preventDestroyAddresses,
  type FiledAllowance,
  type GuardStack,
} from "../../scripts/lib/plan-guard";
import { buildReport, renderMarkdown, summarizePlan } from "../../scripts/lib/plan-report";
import { terraform, terraformEnv, type PlanJson } from "../../scripts/lib/terraform";
import { applyOffline } from "../support/offline-state";

type Config = {
  terraform: unknown;
  provider: unknown;
  resource: Record<string, Record<string, Record<string, unknown>>>;
};

/** The configuration as applied: one database, one bucket, one key (protected). */
function baseConfig(): Config {
  return {
    terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } } },
    provider: {
      aws: [
        {
          region: "eu-west-1",
          access_key: "offline-placeholder",
          secret_key: "offline-placeholder",
          skip_credentials_validation: true,
          skip_requesting_account_id: true,
          skip_metadata_api_check: "true",
          skip_region_validation: true,
        },
      ],
    },
    resource: {
      aws_db_instance: {
        database: {
          identifier: "prod-postgres",
          engine: "postgres",
          engine_version: "17",
          instance_class: "db.t4g.micro",
          allocated_storage: 20,
          username: "app",
          manage_master_user_password: true,
          storage_encrypted: true,
          deletion_protection: true,
          skip_final_snapshot: false,
          final_snapshot_identifier: "prod-postgres-final",
        },
      },
      aws_s3_bucket: { data: { bucket: "prod-data-123456789012", tags: { owner: "platform" } } },
      aws_kms_key: {
        data: {
          description: "prod data",
          enable_key_rotation: true,
          deletion_window_in_days: 30,
          lifecycle: { prevent_destroy: true },
        },
      },
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "platform-plan-guard-"));
const env = terraformEnv();
const configs: Record<string, Config> = {};
const plans: Record<string, PlanJson> = {};

function plan(name: string, change: (config: Config) => void): void {
  const config = baseConfig();
  change(config);
  configs[name] = config;
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(config));
  terraform(
    ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", `-out=${name}.tfplan`],
    dir,
    env,
  );
  plans[name] = JSON.parse(terraform(["show", "-json", `${name}.tfplan`], dir, env).stdout);
}

beforeAll(() => {
  writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(baseConfig()));
  terraform(["init", "-input=false", "-no-color"], dir, env);
  applyOffline(dir);
  plan("tags", (c) => {
    c.resource.aws_s3_bucket.data.tags = { owner: "platform", team: "data" };
  });
  plan("rename", (c) => {
    c.resource.aws_s3_bucket = { archive: c.resource.aws_s3_bucket.data };
  });
  plan("forceNew", (c) => {
    c.resource.aws_db_instance.database.username = "owner";
  });
  plan("unprotect", (c) => {
    c.resource.aws_db_instance.database.deletion_protection = false;
  });
  plan("unlock", (c) => {
    delete c.resource.aws_kms_key.data.lifecycle;
  });
}, 300_000);

const TODAY = "2026-12-01";

function stack(name: string, tier: "production" | "development"): GuardStack {
  return {
    stack: tier === "production" ? "prod-infrastructure" : "dev-infrastructure",
    environment: tier === "production" ? "prod" : "dev",
    tier,
    plan: plans[name],
    preventDestroy: {
      before: preventDestroyAddresses(baseConfig()),
      after: preventDestroyAddresses(configs[name]),
    },
  };
}

function allow(text: string): FiledAllowance[] {
  return parseAllowances(text, "environments/prod.allow.yaml", "prod");
}

test("the real plans have the expected actions", () => {
  const actions = (name: string) =>
    Object.fromEntries(
      (plans[name].resource_changes ?? [])
        .filter((c) => c.change.actions.join() !== "no-op")
        .map((c) => [c.address, c.change.actions.join(",")]),
    );
  expect(actions("tags")).toEqual({ "aws_s3_bucket.data": "update" });
  expect(actions("rename")).toEqual({
    "aws_s3_bucket.data": "delete",
    "aws_s3_bucket.archive": "create",
  });
  expect(actions("forceNew")).toEqual({ "aws_db_instance.database": "delete,create" });
  expect(actions("unprotect")).toEqual({ "aws_db_instance.database": "update" });
  expect(actions("unlock")).toEqual({});
});

test("the report counts and explains a real replacement", () => {
  const summary = summarizePlan("prod-infrastructure", "production", plans.forceNew);
  expect(summary.counts).toEqual({ create: 0, update: 0, replace: 1, destroy: 0 });
  expect(summary.changes[0]).toMatchObject({
    address: "aws_db_instance.database",
    kind: "replace",
    replacePaths: ["username"],
    actionReason: "replace_because_cannot_update",
  });
  const rename = summarizePlan("prod-infrastructure", "production", plans.rename);
  expect(rename.changes.find((c) => c.kind === "destroy")).toMatchObject({
    address: "aws_s3_bucket.data",
    actionReason: "delete_because_no_resource_config",
  });
});

describe("production", () => {
  test("a harmless tag update passes", () => {
    const result = guardPlans([stack("tags", "production")], [], TODAY);
    expect(result).toMatchObject({ verdict: "pass", exitCode: 0, findings: [] });
    const report = buildReport({
      stacks: [summarizePlan("prod-infrastructure", "production", plans.tags)],
      guard: result,
    });
    expect(report.headline).toBe("✅ Safe to apply: 1 to update, nothing replaced or destroyed");
  });

  test("renaming a bucket (destroy + create) is blocked", () => {
    const result = guardPlans([stack("rename", "production")], [], TODAY);
    expect(result.verdict).toBe("fail");
    expect(result.exitCode).toBe(4);
    expect(result.findings).toEqual([
      expect.objectContaining({
        address: "aws_s3_bucket.data",
        kind: "destroy",
        outcome: "blocked",
      }),
    ]);
  });

  test("a force-new attribute of the database (replace) is blocked, and the report says so", () => {
    const result = guardPlans([stack("forceNew", "production")], [], TODAY);
    expect(result.findings).toEqual([
      expect.objectContaining({
        address: "aws_db_instance.database",
        kind: "replace",
        outcome: "blocked",
        summary: "replaces aws_db_instance.database (username)",
      }),
    ]);
    const report = buildReport({
      stacks: [summarizePlan("prod-infrastructure", "production", plans.forceNew)],
      guard: result,
    });
    expect(report.safe).toBe(false);
    expect(report.headline).toBe(
      "⛔ Not safe: prod-infrastructure replaces aws_db_instance.database (username)",
    );
    expect(renderMarkdown(report)).toContain(
      "| `username` | an attribute cannot be updated in place |",
    );
  });

  test("turning off deletion protection is blocked", () => {
    const result = guardPlans([stack("unprotect", "production")], [], TODAY);
    expect(result.findings).toEqual([
      expect.objectContaining({
        address: "aws_db_instance.database",
        kind: "protection-removed",
        outcome: "blocked",
        detail: expect.stringContaining("deletion_protection true → false"),
      }),
    ]);
  });

  test("removing prevent_destroy (a no-op plan) is blocked", () => {
    const result = guardPlans([stack("unlock", "production")], [], TODAY);
    expect(result.findings).toEqual([
      expect.objectContaining({
        address: "aws_kms_key.data",
        kind: "protection-removed",
        outcome: "blocked",
        summary: "removes prevent_destroy from aws_kms_key.data",
      }),
    ]);
  });

  test("a valid allowance allows the replacement; an unused one is reported", () => {
    const allowances = allow(`
allow:
  - address: aws_db_instance.database
    reason: rename the instance to the new naming scheme (restored from snapshot)
    who: alice
    expires: 2026-12-01
  - address: aws_s3_bucket.logs
    reason: old bucket
    who: bob
    expires: 2027-01-31
`);
    const result = guardPlans([stack("forceNew", "production")], allowances, TODAY);
    expect(result.verdict).toBe("warn");
    expect(result.exitCode).toBe(0);
    expect(result.findings).toEqual([
      expect.objectContaining({
        address: "aws_db_instance.database",
        outcome: "allowed",
        allowance: expect.objectContaining({ who: "alice" }),
      }),
    ]);
    expect(result.unusedAllowances.map((a) => a.allowance.address)).toEqual(["aws_s3_bucket.logs"]);
    expect(result.expiredAllowances).toEqual([]);
  });

  test("an expired allowance allows nothing and is reported", () => {
    const allowances = allow(`
allow:
  - { address: aws_s3_bucket.data, reason: move to archive, who: carol, expires: 2026-11-30 }
`);
    const result = guardPlans([stack("rename", "production")], allowances, TODAY);
    expect(result.verdict).toBe("fail");
    expect(result.findings[0].outcome).toBe("blocked");
    expect(result.expiredAllowances.map((a) => a.allowance.address)).toEqual([
      "aws_s3_bucket.data",
    ]);
    expect(result.unusedAllowances).toEqual([]);
  });
});

describe("development", () => {
  test.each(["rename", "forceNew", "unprotect", "unlock"])("%s only warns", (name) => {
    const result = guardPlans([stack(name, "development")], [], TODAY);
    expect(result.verdict).toBe("warn");
    expect(result.exitCode).toBe(0);
    expect(result.findings.length).toBeGreaterThan(0);
    for (const f of result.findings) expect(f.outcome).toBe("warning");
  });
});
