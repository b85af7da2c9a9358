/**
 * A PostgreSQL major upgrade planned by the real Terraform and hashicorp/aws 5.100.0, offline:
 * a state of the database as applied with engineVersion "16", then `plan -refresh=false` with
 * "17". What the plan must show for the upgrade to succeed in this one apply: the postgres17
 * parameter group created before the postgres16 one is destroyed, and the instance updated in
 * place (never replaced) with allow_major_version_upgrade and apply_immediately, so RDS upgrades
 * it and detaches the old group before Terraform deletes it.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, LocalBackend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Database } from "../../constructs/database";
import type { Network } from "../../constructs/network";
import type { Tier } from "../../constructs/types";
import { terraform, terraformEnv, type PlanJson } from "../../scripts/lib/terraform";
import { applyOffline } from "../support/offline-state";

const STACK = "database-upgrade";

/** The database alone, its network and cluster as plain ids (so the state holds only the database). */
function synthesize(engineVersion: string, tier: Tier): string {
  const outdir = mkdtempSync(join(tmpdir(), "platform-db-upgrade-"));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, STACK);
  new LocalBackend(stack, { path: "terraform.tfstate" });
  new AwsProvider(stack, "aws", {
    region: "eu-west-1",
    accessKey: "offline-placeholder",
    secretKey: "offline-placeholder",
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: "true",
    skipRegionValidation: true,
  });
  const network = {
    vpcId: "vpc-0123456789abcdef0",
    databaseSubnetGroupName: "prod-database",
  } as unknown as Network;
  new Database(stack, "database", {
    environment: { account: "123456789012", region: "eu-west-1" },
    network,
    cluster: {
      clusterName: "prod",
      endpoint: "https://example.eks.amazonaws.com",
      certificateAuthorityData: "Q0E=",
      nodeSecurityGroupId: "sg-0123456789abcdef0",
      clusterSecurityGroupId: "sg-0fedcba9876543210",
      oidcProviderArn:
        "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X",
      oidcIssuer: "oidc.eks.eu-west-1.amazonaws.com/id/X",
    },
    identifier: "prod-postgres",
    engineVersion,
    instanceClass: "db.r6g.large",
    allocatedStorageGb: 100,
    tier,
  });
  app.synth();
  return join(outdir, "stacks", STACK);
}

type Change = NonNullable<PlanJson["resource_changes"]>[number];

/**
 * Plans `to` over a state applied from `from` (RDS reporting `runningVersion`), in one Terraform
 * folder. Throws with Terraform's output when the plan fails.
 */
function planUpgrade(from: string, to: string, runningVersion: string, tier: Tier): Change[] {
  const dir = synthesize(from, tier);
  const env = terraformEnv();
  terraform(["init", "-input=false", "-no-color"], dir, env);
  applyOffline(dir, { aws_db_instance: { engine_version_actual: runningVersion } });
  copyFileSync(join(synthesize(to, tier), "cdk.tf.json"), join(dir, "cdk.tf.json"));
  terraform(
    ["plan", "-input=false", "-no-color", "-lock=false", "-refresh=false", "-out=upgrade.tfplan"],
    dir,
    env,
  );
  const plan = JSON.parse(
    terraform(["show", "-json", "upgrade.tfplan"], dir, env).stdout,
  ) as PlanJson;
  return (plan.resource_changes ?? []).filter((c) => c.change.actions.join() !== "no-op");
}

describe.each(["production"] as const)("PostgreSQL 16 -> 17 in one apply (%s tier)", (tier) => {
  let changes: Change[] = [];
  beforeAll(() => {
    changes = planUpgrade("16", "17", "16.8", tier);
  }, 300_000);

  test("only the parameter group and the instance change", () => {
    expect(changes.map((c) => c.type).sort()).toEqual([
      "aws_db_instance",
      "aws_db_parameter_group",
    ]);
  });

  test("the postgres17 parameter group is created before the postgres16 one is destroyed", () => {
    const [group] = changes.filter((c) => c.type === "aws_db_parameter_group");
    expect(group.change.actions).toEqual(["create", "delete"]);
    expect(group.change.after).toMatchObject({
      family: "postgres17",
      name_prefix: "prod-postgres-postgres17-",
    });
  });

  test("the instance is upgraded in place, immediately, with the new group", () => {
    const [instance] = changes.filter((c) => c.type === "aws_db_instance");
    expect(instance.change.actions).toEqual(["update"]);
    expect(instance.change.after).toMatchObject({
      engine_version: "17",
      allow_major_version_upgrade: true,
      apply_immediately: true,
    });
    expect(instance.change.after_unknown).toMatchObject({ parameter_group_name: true });
  });
});

test("the plan refuses a major downgrade, before anything is changed", () => {
  let message = "";
  try {
    planUpgrade("17", "16", "17.5", "development");
  } catch (error) {
    message = (error as Error).message.replace(/\s+/g, " ");
  }
  expect(message).toContain("Error: Resource postcondition failed");
  expect(message).toContain(
    "Database prod-postgres: engineVersion 16 is below the running PostgreSQL 17.5; RDS cannot downgrade a major version (restore a snapshot taken before the upgrade into a new instance instead).",
  );
}, 300_000);
