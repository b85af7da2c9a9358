import { TerraformOutput } from "cdktf";
import {
  Database,
  DATABASE_BACKUP_WINDOW,
  DATABASE_MAINTENANCE_WINDOW,
  validateDatabaseProps,
  type DatabaseProps,
} from "../../constructs/database";
import { Network } from "../../constructs/network";
import { EncryptionKey } from "../../constructs/encryption-key";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { IKubernetesCluster, Tier } from "../../constructs/types";
import { only, policy, resources, synth, TEST_AWS, testStack, type StackJson } from "../helpers";

const NODE_SG = "sg-0123456789abcdef0";

/** Stands in for a KubernetesCluster: the database needs only the node security group. */
const cluster: IKubernetesCluster = {
  clusterName: "prod",
  endpoint: "https://example.eks.amazonaws.com",
  certificateAuthorityData: "Q0E=",
  nodeSecurityGroupId: NODE_SG,
  clusterSecurityGroupId: "sg-0fedcba9876543210",
  oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X",
  oidcIssuer: "oidc.eks.eu-west-1.amazonaws.com/id/X",
};

type Extra = Partial<Omit<DatabaseProps, "environment" | "network" | "cluster">>;

function database(props: Extra = {}, id = "database") {
  const stack = testStack();
  const tier: Tier = props.tier ?? "production";
  const network = new Network(stack, "network", {
    environment: TEST_AWS,
    cidr: "10.30.0.0/16",
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    name: "prod",
    tier,
    natGateways: tier === "production" ? "perAz" : "single",
  });
  const construct = new Database(stack, id, {
    environment: TEST_AWS,
    network,
    cluster,
    engineVersion: "16.4",
    instanceClass: "db.r6g.large",
    allocatedStorageGb: 100,
    identifier: "prod-app",
    ...props,
  });
  new TerraformOutput(stack, "secret_arn", { value: construct.masterUserSecretArn });
  new TerraformOutput(stack, "endpoint", { value: construct.endpoint });
  new TerraformOutput(stack, "address", { value: construct.address });
  new TerraformOutput(stack, "security_group_id", { value: construct.securityGroupId });
  return { construct, json: synth(stack) };
}

/** The Terraform name of the single resource of a type whose name starts with the prefix. */
function nameOf(json: StackJson, type: string, prefix: string): string {
  const names = Object.keys(resources(json, type)).filter((n) => n.startsWith(prefix));
  if (names.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, got ${names}`);
  return names[0];
}

/** The log groups under /aws/rds/, by Terraform name. */
function rdsLogGroups(json: StackJson): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(resources(json, "aws_cloudwatch_log_group")).filter(([, g]) =>
      String(g.name).startsWith("/aws/rds/"),
    ),
  );
}

/** Every key of an object tree, with its value. */
function entries(value: unknown, out: [string, unknown][] = []): [string, unknown][] {
  if (Array.isArray(value)) value.forEach((v) => entries(v, out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push([k, v]);
      entries(v, out);
    }
  }
  return out;
}

/** Minutes of the week covered by a window: `hh:mm-hh:mm` (daily) or `ddd:hh:mm-ddd:hh:mm`. */
function minutes(window: string): Set<number> {
  const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const at = (text: string, day: number) => {
    const parts = text.split(":");
    const d = parts.length === 3 ? days.indexOf(parts.shift()!) : day;
    return d * 1440 + Number(parts[0]) * 60 + Number(parts[1]);
  };
  const out = new Set<number>();
  for (let day = 0; day < 7; day++) {
    const [from, to] = window.split("-").map((t) => at(t, day));
    for (let m = from; m < to; m++) out.add(m % (7 * 1440));
  }
  return out;
}

describe("Database secure defaults (production tier)", () => {
  const { json, construct } = database();
  const instance = only(json, "aws_db_instance");
  const keyName = nameOf(json, "aws_kms_key", "database_key");
  const sgName = nameOf(json, "aws_security_group", "database_security-group");

  test("the instance is in the network's DB subnet group", () => {
    const group = nameOf(json, "aws_db_subnet_group", "network_database-subnet-group");
    expect(instance.db_subnet_group_name).toBe(`\${aws_db_subnet_group.${group}.name}`);
  });

  test("the instance is not publicly accessible", () => {
    expect(instance.publicly_accessible).toBe(false);
  });

  test("a dedicated security group in the VPC admits only TCP 5432 from the cluster's node security group", () => {
    expect(instance.vpc_security_group_ids).toEqual([`\${aws_security_group.${sgName}.id}`]);
    const sg = resources(json, "aws_security_group")[sgName];
    expect(sg.vpc_id).toBe(`\${aws_vpc.${nameOf(json, "aws_vpc", "network_vpc")}.id}`);
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    const rules = Object.values(resources(json, "aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.security_group_id === `\${aws_security_group.${sgName}.id}`,
    );
    expect(rules).toEqual([
      {
        security_group_id: `\${aws_security_group.${sgName}.id}`,
        description: "PostgreSQL from the cluster nodes",
        ip_protocol: "tcp",
        from_port: 5432,
        to_port: 5432,
        referenced_security_group_id: NODE_SG,
      },
    ]);
  });

  test("the database security group has no egress rule", () => {
    expect(resources(json, "aws_vpc_security_group_egress_rule")).toEqual({});
  });

  test("storage is encrypted with the database's own rotating customer managed key", () => {
    expect(instance.storage_encrypted).toBe(true);
    expect(instance.kms_key_id).toBe(`\${aws_kms_key.${keyName}.arn}`);
    expect(resources(json, "aws_kms_key")[keyName].enable_key_rotation).toBe(true);
    expect(Object.values(resources(json, "aws_kms_alias")).map((a) => a.name)).toContain(
      "alias/prod-app-database",
    );
  });

  test("RDS manages the master password in Secrets Manager, encrypted with the key", () => {
    expect(instance.manage_master_user_password).toBe(true);
    expect(instance.master_user_secret_kms_key_id).toBe(`\${aws_kms_key.${keyName}.arn}`);
    expect(instance.username).toBe("platform_admin");
  });

  test("no password anywhere in the synthesized JSON", () => {
    const passwordKeys = entries(json).filter(([k]) => /password/i.test(k));
    expect(passwordKeys).toEqual([["manage_master_user_password", true]]);
  });

  test("the parameter group forces TLS and logs slow queries, with valid apply methods", () => {
    const group = only(json, "aws_db_parameter_group");
    expect(group.family).toBe("postgres16");
    expect(group.name_prefix).toBe("prod-app-postgres16-");
    expect(group.lifecycle).toEqual({ create_before_destroy: true });
    expect(group.parameter).toEqual([
      { name: "rds.force_ssl", value: "1", apply_method: "pending-reboot" },
      { name: "log_min_duration_statement", value: "500", apply_method: "immediate" },
    ]);
    expect(instance.parameter_group_name).toBe(
      `\${aws_db_parameter_group.${nameOf(json, "aws_db_parameter_group", "database_parameter-group")}.name}`,
    );
  });

  test("the parameter group family follows the engine's major version", () => {
    const family = (v: string) =>
      only(database({ engineVersion: v }).json, "aws_db_parameter_group").family;
    expect([family("17"), family("13.12")]).toEqual(["postgres17", "postgres13"]);
  });

  test("PostgreSQL and upgrade logs go to CloudWatch", () => {
    expect(instance.enabled_cloudwatch_logs_exports).toEqual(["postgresql", "upgrade"]);
  });

  test("the exported logs' groups are ours: created before the instance, encrypted, kept 365 days", () => {
    // RDS would create /aws/rds/instance/<id>/<log> itself, unencrypted and never expiring
    // (the test network has its flow log group)
    const groups = rdsLogGroups(json);
    const byName = Object.fromEntries(Object.entries(groups).map(([n, g]) => [g.name, n]));
    expect(Object.keys(byName).sort()).toEqual([
      "/aws/rds/instance/prod-app/postgresql",
      "/aws/rds/instance/prod-app/upgrade",
    ]);
    // one group per exported log type, named as RDS names them
    expect(
      (instance.enabled_cloudwatch_logs_exports as string[]).map(
        (log) => `/aws/rds/instance/prod-app/${log}`,
      ),
    ).toEqual(Object.keys(byName).sort());
    const logKey = nameOf(json, "aws_kms_key", "database_log-key");
    for (const g of Object.values(groups)) {
      expect(g).toMatchObject({
        retention_in_days: 365,
        kms_key_id: `\${aws_kms_key.${logKey}.arn}`,
      });
    }
    expect(instance.depends_on).toEqual(
      expect.arrayContaining(Object.values(byName).map((n) => `aws_cloudwatch_log_group.${n}`)),
    );
    // the key: rotating, kept in production, usable by CloudWatch Logs for these two groups only
    const key = resources(json, "aws_kms_key")[logKey];
    expect(key).toMatchObject({ enable_key_rotation: true, lifecycle: { prevent_destroy: true } });
    const logs = policy(key.policy).Statement.find((st) => st.Sid === "CloudWatchLogsUse")!;
    expect(logs.Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(logs.Condition).toEqual({
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": [
          "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/rds/instance/prod-app/postgresql",
          "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/rds/instance/prod-app/upgrade",
        ],
      },
    });
    expect(Object.keys(construct.logGroups).sort()).toEqual(["postgresql", "upgrade"]);
  });

  test("IAM database authentication is on", () => {
    expect(instance.iam_database_authentication_enabled).toBe(true);
  });

  test("tags are copied to snapshots", () => {
    expect(instance.copy_tags_to_snapshot).toBe(true);
  });

  test("minor versions are upgraded automatically", () => {
    expect(instance).toMatchObject({
      engine: "postgres",
      engine_version: "16.4",
      auto_minor_version_upgrade: true,
    });
  });

  test("gp3 storage with autoscaling up to 5x the allocated storage by default", () => {
    expect(instance).toMatchObject({
      storage_type: "gp3",
      allocated_storage: 100,
      max_allocated_storage: 500,
    });
    const custom = only(database({ maxAllocatedStorageGb: 250 }).json, "aws_db_instance");
    expect(custom.max_allocated_storage).toBe(250);
  });

  test("explicit backup and maintenance windows that do not overlap", () => {
    expect(instance.backup_window).toBe(DATABASE_BACKUP_WINDOW);
    expect(instance.maintenance_window).toBe(DATABASE_MAINTENANCE_WINDOW);
    const backup = minutes(String(instance.backup_window));
    const maintenance = minutes(String(instance.maintenance_window));
    expect(backup.size).toBe(7 * 60);
    expect(maintenance.size).toBe(60);
    expect([...backup].filter((m) => maintenance.has(m))).toEqual([]);
  });

  test("production: Multi-AZ, deletion protection, 14 days of retained backups, final snapshot", () => {
    expect(instance).toMatchObject({
      multi_az: true,
      deletion_protection: true,
      backup_retention_period: 14,
      delete_automated_backups: false,
      skip_final_snapshot: false,
      final_snapshot_identifier: "prod-app-final",
    });
  });

  test("production: Performance Insights encrypted with the key", () => {
    expect(instance).toMatchObject({
      performance_insights_enabled: true,
      performance_insights_kms_key_id: `\${aws_kms_key.${keyName}.arn}`,
      performance_insights_retention_period: 7,
    });
  });

  test("production: enhanced monitoring every 60 s through a role only RDS monitoring of our account can assume", () => {
    const roleName = nameOf(json, "aws_iam_role", "database_monitoring-role");
    expect(instance.monitoring_interval).toBe(60);
    expect(instance.monitoring_role_arn).toBe(`\${aws_iam_role.${roleName}.arn}`);
    const role = resources(json, "aws_iam_role")[roleName];
    expect(role.name).toBe("prod-app-rds-monitoring");
    expect(policy(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "monitoring.rds.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    expect(only(json, "aws_iam_role_policy_attachment")).toEqual({
      role: `\${aws_iam_role.${roleName}.name}`,
      policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    });
    expect(instance.depends_on).toEqual(
      expect.arrayContaining([
        `aws_iam_role_policy_attachment.${nameOf(json, "aws_iam_role_policy_attachment", "database_monitoring-role-policy")}`,
      ]),
    );
  });

  test("the monitoring role name stays within 64 characters for a long identifier", () => {
    const long = `a${"b".repeat(62)}`;
    const j = database({ identifier: long }).json;
    const role = resources(j, "aws_iam_role")[
      nameOf(j, "aws_iam_role", "database_monitoring-role")
    ];
    expect(String(role.name)).toHaveLength(64);
    expect(String(role.name)).toMatch(/^ab+-rds-monitoring$/);
  });

  test("production: prevent_destroy on the instance and its key", () => {
    expect(instance.lifecycle).toMatchObject({ prevent_destroy: true });
    expect(resources(json, "aws_kms_key")[keyName].lifecycle).toEqual({ prevent_destroy: true });
  });

  test("typed outputs", () => {
    expect({
      identifier: construct.identifier,
      allocatedStorageGb: construct.allocatedStorageGb,
      maxAllocatedStorageGb: construct.maxAllocatedStorageGb,
      instanceClass: construct.instanceClass,
      port: construct.port,
    }).toEqual({
      identifier: "prod-app",
      allocatedStorageGb: 100,
      maxAllocatedStorageGb: 500,
      instanceClass: "db.r6g.large",
      port: 5432,
    });
    expect(instance.port).toBe(5432);
    const instanceName = nameOf(json, "aws_db_instance", "database_instance");
    expect(json.output).toMatchObject({
      secret_arn: { value: `\${aws_db_instance.${instanceName}.master_user_secret[0].secret_arn}` },
      endpoint: { value: `\${aws_db_instance.${instanceName}.endpoint}` },
      address: { value: `\${aws_db_instance.${instanceName}.address}` },
      security_group_id: { value: `\${aws_security_group.${sgName}.id}` },
    });
    expect(construct.encryptionKey).toBeInstanceOf(EncryptionKey);
    expect(construct.instance).toBeInstanceOf(DbInstance);
    expect(construct.securityGroup).toBeInstanceOf(SecurityGroup);
  });

  test("defaults: identifier is the construct id, database app, user platform_admin", () => {
    const { json: j, construct: c } = database({ identifier: undefined }, "orders-db");
    const db = only(j, "aws_db_instance");
    expect([c.identifier, db.identifier, db.db_name, db.username]).toEqual([
      "orders-db",
      "orders-db",
      "app",
      "platform_admin",
    ]);
  });

  test("database name and master user name can be set", () => {
    const db = only(
      database({ databaseName: "orders", masterUsername: "orders_owner" }).json,
      "aws_db_instance",
    );
    expect([db.db_name, db.username]).toEqual(["orders", "orders_owner"]);
  });
});

describe("Database development tier", () => {
  const { json, construct } = database({ tier: "development", instanceClass: "db.t4g.medium" });
  const instance = only(json, "aws_db_instance");

  test("single AZ, no deletion protection, no final snapshot, 3 days of backups", () => {
    expect(instance).toMatchObject({
      multi_az: false,
      deletion_protection: false,
      skip_final_snapshot: true,
      delete_automated_backups: true,
      backup_retention_period: 3,
      instance_class: "db.t4g.medium",
    });
    expect(instance.final_snapshot_identifier).toBeUndefined();
  });

  test("no Performance Insights, no enhanced monitoring, no monitoring role", () => {
    expect(instance).toMatchObject({ performance_insights_enabled: false, monitoring_interval: 0 });
    expect(instance.monitoring_role_arn).toBeUndefined();
    expect(resources(json, "aws_iam_role_policy_attachment")).toEqual({});
    expect(construct.monitoringRole).toBeUndefined();
  });

  test("no prevent_destroy on the instance or its keys", () => {
    expect((instance.lifecycle as { prevent_destroy?: boolean }).prevent_destroy).toBeUndefined();
    const key = nameOf(json, "aws_kms_key", "database_key");
    expect(resources(json, "aws_kms_key")[key].lifecycle).toBeUndefined();
    const logKey = nameOf(json, "aws_kms_key", "database_log-key");
    expect(resources(json, "aws_kms_key")[logKey].lifecycle).toBeUndefined();
  });

  test("the log groups keep 30 days", () => {
    const groups = Object.values(rdsLogGroups(json));
    expect(groups.map((g) => g.retention_in_days)).toEqual([30, 30]);
  });

  test("the secure defaults of every tier stay on", () => {
    expect(instance).toMatchObject({
      publicly_accessible: false,
      storage_encrypted: true,
      manage_master_user_password: true,
      iam_database_authentication_enabled: true,
      copy_tags_to_snapshot: true,
      storage_type: "gp3",
    });
  });

  test("backupRetentionDays can be set", () => {
    const db = only(
      database({ tier: "development", backupRetentionDays: 1 }).json,
      "aws_db_instance",
    );
    expect(db.backup_retention_period).toBe(1);
  });
});

describe("Database validation", () => {
  /** The lines of the validation error thrown for these props. */
  function problems(props: Extra, id?: string): string[] {
    try {
      database(props, id);
    } catch (e) {
      return (e as Error).message.split("\n");
    }
    throw new Error("expected a validation error");
  }

  test("fails with every problem at once, prefixed by the construct path", () => {
    expect(
      problems({
        engineVersion: "12",
        instanceClass: "db.t4g.large",
        backupRetentionDays: 3,
        identifier: "Prod",
        masterUsername: "postgres",
      }),
    ).toEqual([
      'test/database: engineVersion: received "12"; expected a PostgreSQL version from 13 to 17, such as 16.4 or 16',
      'test/database: instanceClass: received "db.t4g.large"; expected a non-burstable class (not db.t*) in the production tier (CPU credits run out under sustained load)',
      "test/database: backupRetentionDays: received 3; expected at least 7 in the production tier",
      `test/database: identifier: received "Prod"; expected an RDS identifier: 1-63 lowercase letters, digits and hyphens, letter first, no '--', not ending with '-'`,
      'test/database: masterUsername: received "postgres"; expected a non-default master user name (not postgres, admin, root, rdsadmin)',
    ]);
  });

  test("fails when instanceClass is not db.<family>.<size>", () => {
    for (const bad of ["r6g.large", "db.r6g", "DB.R6G.LARGE", "db..large"]) {
      expect(problems({ instanceClass: bad })).toEqual([
        `test/database: instanceClass: received "${bad}"; expected an instance class of the form db.<family>.<size>, such as db.r6g.large`,
      ]);
    }
  });

  test("fails when a burstable class is used in the production tier", () => {
    expect(problems({ instanceClass: "db.t3.medium" })).toEqual([
      'test/database: instanceClass: received "db.t3.medium"; expected a non-burstable class (not db.t*) in the production tier (CPU credits run out under sustained load)',
    ]);
    expect(() => database({ tier: "development", instanceClass: "db.t3.medium" })).not.toThrow();
  });

  test("fails when maxAllocatedStorageGb is below allocatedStorageGb (or within 10% of it)", () => {
    const line = (v: number) =>
      `test/database: maxAllocatedStorageGb: received ${v}; expected at least 110, 10% above allocatedStorageGb 100 (RDS rejects a smaller storage autoscaling ceiling)`;
    expect(problems({ maxAllocatedStorageGb: 50 })).toEqual([line(50)]);
    expect(problems({ maxAllocatedStorageGb: 100 })).toEqual([line(100)]);
    expect(() => database({ maxAllocatedStorageGb: 110 })).not.toThrow();
  });

  test("fails when maxAllocatedStorageGb is above the gp3 limit", () => {
    expect(problems({ maxAllocatedStorageGb: 70000 })).toEqual([
      "test/database: maxAllocatedStorageGb: received 70000; expected an integer of at most 65536 (the gp3 limit for PostgreSQL)",
    ]);
  });

  test("fails when allocatedStorageGb is out of 20-65536", () => {
    for (const bad of [10, 20.5]) {
      expect(problems({ allocatedStorageGb: bad, maxAllocatedStorageGb: 1000 })).toEqual([
        `test/database: allocatedStorageGb: received ${bad}; expected an integer from 20 to 65536 (the gp3 limits for PostgreSQL)`,
      ]);
    }
  });

  test("fails when backupRetentionDays is out of 1-35", () => {
    for (const bad of [0, 36, 7.5]) {
      expect(problems({ backupRetentionDays: bad })).toEqual([
        `test/database: backupRetentionDays: received ${bad}; expected an integer from 1 to 35 (the RDS limits)`,
      ]);
    }
  });

  test("fails when backupRetentionDays is under 7 in the production tier", () => {
    expect(problems({ backupRetentionDays: 6 })).toEqual([
      "test/database: backupRetentionDays: received 6; expected at least 7 in the production tier",
    ]);
    expect(() => database({ backupRetentionDays: 7 })).not.toThrow();
  });

  test("fails when engineVersion is not <major> or <major>.<minor> with major 13-17", () => {
    for (const bad of ["12", "18", "16.4.1", "latest", "v16", "16."]) {
      expect(problems({ engineVersion: bad })).toEqual([
        `test/database: engineVersion: received "${bad}"; expected a PostgreSQL version from 13 to 17, such as 16.4 or 16`,
      ]);
    }
  });

  test("fails when the identifier breaks the RDS identifier rules", () => {
    const expected =
      "expected an RDS identifier: 1-63 lowercase letters, digits and hyphens, letter first, no '--', not ending with '-'";
    for (const bad of ["", "1db", "Prod-db", "prod_db", "prod--db", "prod-", "a".repeat(64)]) {
      expect(problems({ identifier: bad })).toEqual([
        `test/database: identifier: received ${JSON.stringify(bad)}; ${expected}`,
      ]);
    }
    expect(() => database({ identifier: `a${"-b".repeat(31)}` })).not.toThrow();
  });

  test("fails when the construct id used as identifier breaks the rules", () => {
    expect(problems({ identifier: undefined }, "Database")).toEqual([
      `test/Database: identifier: received "Database"; expected an RDS identifier: 1-63 lowercase letters, digits and hyphens, letter first, no '--', not ending with '-'`,
    ]);
  });

  test("fails when masterUsername is a default name", () => {
    for (const bad of ["postgres", "admin", "root", "rdsadmin"]) {
      expect(problems({ masterUsername: bad })).toEqual([
        `test/database: masterUsername: received "${bad}"; expected a non-default master user name (not postgres, admin, root, rdsadmin)`,
      ]);
    }
  });

  test("fails when masterUsername is not 1-16 lowercase letters, digits and _", () => {
    for (const bad of ["Admin_user", "1user", "user-name", "u".repeat(17), ""]) {
      expect(problems({ masterUsername: bad })).toEqual([
        `test/database: masterUsername: received ${JSON.stringify(bad)}; expected a user name: 1-16 lowercase letters, digits and _, letter first`,
      ]);
    }
  });

  test("fails when databaseName is not a valid name", () => {
    expect(problems({ databaseName: "my-app" })).toEqual([
      'test/database: databaseName: received "my-app"; expected a database name: 1-63 lowercase letters, digits and _, letter first',
    ]);
  });

  test("validateDatabaseProps is pure, names fields as props and skips tokens", () => {
    const ok = {
      engineVersion: "16",
      instanceClass: "db.m7g.large",
      allocatedStorageGb: 20,
    };
    expect(validateDatabaseProps(ok)).toEqual([]);
    expect(validateDatabaseProps({ ...ok, tier: "development", backupRetentionDays: 3 })).toEqual(
      [],
    );
    expect(validateDatabaseProps({ ...ok, backupRetentionDays: 3 })).toEqual([
      { field: "backupRetentionDays", received: 3, expected: "at least 7 in the production tier" },
    ]);
    const { construct } = database();
    expect(
      validateDatabaseProps({
        ...ok,
        instanceClass: construct.instance.instanceClass,
        identifier: construct.instance.identifier,
        allocatedStorageGb: construct.instance.allocatedStorage,
        maxAllocatedStorageGb: construct.instance.maxAllocatedStorage,
      }),
    ).toEqual([]);
  });

  test("fails when engineVersion is an unresolved token (the family cannot be derived)", () => {
    const { construct } = database();
    expect(
      validateDatabaseProps({
        engineVersion: construct.instance.engineVersion,
        instanceClass: "db.r6g.large",
        allocatedStorageGb: 100,
      }).map((p) => `${p.field}: ${p.expected}`),
    ).toEqual(["engineVersion: a literal version (the parameter group family is derived from it)"]);
  });
});

describe.each(["production", "development"] as const)("Database upgrades (%s tier)", (tier) => {
  const { json } = database({ tier, engineVersion: "17" });
  const instance = only(json, "aws_db_instance");

  test("changes apply when the plan is applied, never queued for the maintenance window", () => {
    expect(instance.apply_immediately).toBe(true);
  });

  test("a major upgrade is allowed, with a parameter group of the new family swapped create-before-destroy", () => {
    expect(instance.allow_major_version_upgrade).toBe(true);
    const group = only(json, "aws_db_parameter_group");
    expect(group).toMatchObject({
      family: "postgres17",
      name_prefix: "prod-app-postgres17-",
      lifecycle: { create_before_destroy: true },
    });
    expect(group.name).toBeUndefined();
  });

  test("the plan refuses a major downgrade below the running version", () => {
    expect(instance.lifecycle).toMatchObject({
      postcondition: [
        {
          condition: '${tonumber(split(".", self.engine_version_actual)[0]) <= 17}',
          error_message: expect.stringContaining(
            "Database prod-app: engineVersion 17 is below the running PostgreSQL ${self.engine_version_actual}; RDS cannot downgrade a major version",
          ),
        },
      ],
    });
  });
});
