/** Policy rules on RDS instances and clusters: each passes a compliant database and names what is wrong with a bad one. */
import type { TerraformStack } from "cdktf";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { problems } from "../support/policy";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";
const INSTANCE_CLASS = "db.t4g.micro";

describe("rds-storage-encrypted", () => {
  test("passes an instance and a cluster encrypted with a customer managed key, and a replica", () => {
    expect(
      problems("rds-storage-encrypted", (stack) => {
        const primary = new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          storageEncrypted: true,
          kmsKeyId: KEY,
        });
        new DbInstance(stack, "replica", {
          instanceClass: INSTANCE_CLASS,
          replicateSourceDb: primary.identifier,
          storageEncrypted: true,
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          storageEncrypted: true,
          kmsKeyId: KEY,
        });
      }),
    ).toEqual([]);
  });

  test("fails unencrypted storage and storage under the AWS managed key", () => {
    expect(
      problems("rds-storage-encrypted", (stack) => {
        new DbInstance(stack, "plain", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        new DbInstance(stack, "aws-key", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          storageEncrypted: true,
        });
        new RdsCluster(stack, "cluster", { engine: "aurora-postgresql", storageEncrypted: false });
      }),
    ).toEqual([
      "aws-key: no kms_key_id: the AWS managed aws/rds key is used",
      "plain: storage_encrypted is null, not true",
      "plain: no kms_key_id: the AWS managed aws/rds key is used",
      "cluster: storage_encrypted is false, not true",
      "cluster: no kms_key_id: the AWS managed aws/rds key is used",
    ]);
  });
});

describe("rds-not-publicly-accessible", () => {
  test("passes a private instance and a cluster instance left at the default", () => {
    expect(
      problems("rds-not-publicly-accessible", (stack) => {
        new DbInstance(stack, "db", { instanceClass: INSTANCE_CLASS, publiclyAccessible: false });
        new RdsClusterInstance(stack, "member", {
          clusterIdentifier: "cluster",
          engine: "aurora-postgresql",
          instanceClass: "db.r6g.large",
        });
      }),
    ).toEqual([]);
  });

  test("fails a public instance and a public cluster instance", () => {
    expect(
      problems("rds-not-publicly-accessible", (stack) => {
        new DbInstance(stack, "db", { instanceClass: INSTANCE_CLASS, publiclyAccessible: true });
        new RdsClusterInstance(stack, "member", {
          clusterIdentifier: "cluster",
          engine: "aurora-postgresql",
          instanceClass: "db.r6g.large",
          publiclyAccessible: true,
        });
      }),
    ).toEqual(["db: publicly_accessible is true", "member: publicly_accessible is true"]);
  });
});

describe("rds-force-tls", () => {
  test("passes PostgreSQL whose parameter group forces TLS, by reference or by name, and MySQL", () => {
    expect(
      problems("rds-force-tls", (stack) => {
        const group = new DbParameterGroup(stack, "pg", {
          name: "app-postgres16",
          family: "postgres16",
          parameter: [{ name: "rds.force_ssl", value: "1" }],
        });
        new DbInstance(stack, "by-reference", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          parameterGroupName: group.name,
        });
        new DbInstance(stack, "by-name", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          parameterGroupName: "app-postgres16",
        });
        new DbInstance(stack, "mysql", { instanceClass: INSTANCE_CLASS, engine: "mysql" });
      }),
    ).toEqual([]);
  });

  test("fails PostgreSQL on the default parameter group, and on a group that does not force TLS", () => {
    expect(
      problems("rds-force-tls", (stack) => {
        new DbInstance(stack, "no-group", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        new DbInstance(stack, "default-group", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          parameterGroupName: "default.postgres16",
        });
        const group = new DbParameterGroup(stack, "pg", {
          family: "postgres16",
          parameter: [{ name: "rds.force_ssl", value: "0" }],
        });
        new DbInstance(stack, "plain-group", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          parameterGroupName: group.name,
        });
      }),
    ).toEqual([
      'default-group: parameter_group_name "default.postgres16" is not a parameter group of this stack, so rds.force_ssl is the engine default (0 before PostgreSQL 15)',
      "no-group: parameter_group_name null is not a parameter group of this stack, so rds.force_ssl is the engine default (0 before PostgreSQL 15)",
      "plain-group: aws_db_parameter_group.pg does not set rds.force_ssl = 1",
    ]);
  });
});

describe("rds-log-exports", () => {
  test("passes instances and a cluster that export their engine's logs", () => {
    expect(
      problems("rds-log-exports", (stack) => {
        new DbInstance(stack, "postgres", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
        });
        new DbInstance(stack, "mysql", {
          instanceClass: INSTANCE_CLASS,
          engine: "mysql",
          enabledCloudwatchLogsExports: ["error", "slowquery"],
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          enabledCloudwatchLogsExports: ["postgresql"],
        });
      }),
    ).toEqual([]);
  });

  test("fails an instance exporting nothing and ones exporting only part of the logs", () => {
    expect(
      problems("rds-log-exports", (stack) => {
        new DbInstance(stack, "postgres", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        new DbInstance(stack, "mysql", {
          instanceClass: INSTANCE_CLASS,
          engine: "mysql",
          enabledCloudwatchLogsExports: ["error"],
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-mysql",
          enabledCloudwatchLogsExports: ["audit"],
        });
      }),
    ).toEqual([
      'mysql: enabled_cloudwatch_logs_exports ["error"] lacks slowquery',
      "postgres: enabled_cloudwatch_logs_exports [] lacks postgresql",
      'cluster: enabled_cloudwatch_logs_exports ["audit"] lacks error, slowquery',
    ]);
  });
});

describe("rds-managed-master-password", () => {
  test("passes an instance and a cluster with RDS-managed passwords, and a replica", () => {
    expect(
      problems("rds-managed-master-password", (stack) => {
        const primary = new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          username: "app",
          manageMasterUserPassword: true,
        });
        new DbInstance(stack, "replica", {
          instanceClass: INSTANCE_CLASS,
          replicateSourceDb: primary.identifier,
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          masterUsername: "app",
          manageMasterUserPassword: true,
        });
      }),
    ).toEqual([]);
  });

  test("fails passwords set in the configuration, and a database without a managed password", () => {
    expect(
      problems("rds-managed-master-password", (stack) => {
        new DbInstance(stack, "password", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          username: "app",
          password: "hunter2hunter2",
        });
        new DbInstance(stack, "unmanaged", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          username: "app",
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          masterUsername: "app",
          masterPassword: "hunter2hunter2",
        });
      }),
    ).toEqual([
      "password: a master password is set in the configuration (it lands in the state)",
      "password: manage_master_user_password is not true",
      "unmanaged: manage_master_user_password is not true",
      "cluster: a master password is set in the configuration (it lands in the state)",
      "cluster: manage_master_user_password is not true",
    ]);
  });
});

describe("rds-backup-retention", () => {
  test("passes 7 days of backups in production, and a replica", () => {
    expect(
      problems("rds-backup-retention", (stack) => {
        const primary = new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          backupRetentionPeriod: 7,
        });
        new DbInstance(stack, "replica", {
          instanceClass: INSTANCE_CLASS,
          replicateSourceDb: primary.identifier,
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          backupRetentionPeriod: 7,
        });
      }),
    ).toEqual([]);
  });

  test("fails less than 7 days in production, counting the provider defaults when unset", () => {
    expect(
      problems("rds-backup-retention", (stack) => {
        new DbInstance(stack, "short", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          backupRetentionPeriod: 3,
        });
        new DbInstance(stack, "unset", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        new RdsCluster(stack, "cluster", { engine: "aurora-postgresql" });
      }),
    ).toEqual([
      "short: backup_retention_period is 3; the production tier needs at least 7",
      "unset: backup_retention_period is 0; the production tier needs at least 7",
      "cluster: backup_retention_period is 1; the production tier needs at least 7",
    ]);
  });

  test("passes 1 day of backups in development, and a cluster at its default of 1", () => {
    expect(
      problems(
        "rds-backup-retention",
        (stack) => {
          new DbInstance(stack, "db", {
            instanceClass: INSTANCE_CLASS,
            engine: "postgres",
            backupRetentionPeriod: 1,
          });
          new RdsCluster(stack, "cluster", { engine: "aurora-postgresql" });
        },
        "development",
      ),
    ).toEqual([]);
  });

  test("fails backups switched off in development, explicitly or by the instance default", () => {
    expect(
      problems(
        "rds-backup-retention",
        (stack) => {
          new DbInstance(stack, "off", {
            instanceClass: INSTANCE_CLASS,
            engine: "postgres",
            backupRetentionPeriod: 0,
          });
          new DbInstance(stack, "unset", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        },
        "development",
      ),
    ).toEqual([
      "off: backup_retention_period is 0; the development tier needs at least 1",
      "unset: backup_retention_period is 0; the development tier needs at least 1",
    ]);
  });
});

describe("rds-deletion-protection", () => {
  const unprotected = (stack: TerraformStack) => {
    new DbInstance(stack, "db", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
    new RdsCluster(stack, "cluster", { engine: "aurora-postgresql", deletionProtection: false });
  };

  test("passes an instance and a cluster with deletion protection", () => {
    expect(
      problems("rds-deletion-protection", (stack) => {
        new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          deletionProtection: true,
        });
        new RdsCluster(stack, "cluster", { engine: "aurora-postgresql", deletionProtection: true });
      }),
    ).toEqual([]);
  });

  test("fails databases without deletion protection in production", () => {
    expect(problems("rds-deletion-protection", unprotected)).toEqual([
      "db: deletion_protection is false",
      "cluster: deletion_protection is false",
    ]);
  });

  test("does not apply to development", () => {
    expect(problems("rds-deletion-protection", unprotected, "development")).toEqual([]);
  });
});

describe("rds-multi-az", () => {
  const singleAz = (stack: TerraformStack) => {
    new DbInstance(stack, "default", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
    new DbInstance(stack, "single", {
      instanceClass: INSTANCE_CLASS,
      engine: "postgres",
      multiAz: false,
    });
  };

  test("passes a Multi-AZ instance, and a replica", () => {
    expect(
      problems("rds-multi-az", (stack) => {
        const primary = new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          multiAz: true,
        });
        new DbInstance(stack, "replica", {
          instanceClass: INSTANCE_CLASS,
          replicateSourceDb: primary.identifier,
        });
      }),
    ).toEqual([]);
  });

  test("fails single-AZ instances in production", () => {
    expect(problems("rds-multi-az", singleAz)).toEqual([
      "default: multi_az is false",
      "single: multi_az is false",
    ]);
  });

  test("does not apply to development", () => {
    expect(problems("rds-multi-az", singleAz, "development")).toEqual([]);
  });
});

describe("rds-final-snapshot", () => {
  const noSnapshot = (stack: TerraformStack) => {
    new DbInstance(stack, "skipped", {
      instanceClass: INSTANCE_CLASS,
      engine: "postgres",
      skipFinalSnapshot: true,
    });
    new DbInstance(stack, "unnamed", {
      instanceClass: INSTANCE_CLASS,
      engine: "postgres",
      skipFinalSnapshot: false,
    });
    new RdsCluster(stack, "cluster", { engine: "aurora-postgresql" });
  };

  test("passes databases that take a named final snapshot, explicitly or by the provider default", () => {
    expect(
      problems("rds-final-snapshot", (stack) => {
        new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          skipFinalSnapshot: false,
          finalSnapshotIdentifier: "db-final",
        });
        new DbInstance(stack, "default", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          finalSnapshotIdentifier: "default-final",
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          finalSnapshotIdentifier: "cluster-final",
        });
      }),
    ).toEqual([]);
  });

  test("fails a skipped final snapshot and final snapshots without an identifier in production", () => {
    expect(problems("rds-final-snapshot", noSnapshot)).toEqual([
      "skipped: skip_final_snapshot is true",
      "unnamed: no final_snapshot_identifier",
      "cluster: no final_snapshot_identifier",
    ]);
  });

  test("does not apply to development", () => {
    expect(problems("rds-final-snapshot", noSnapshot, "development")).toEqual([]);
  });
});

describe("rds-auto-minor-version-upgrade", () => {
  test("passes an instance left at the default and a cluster instance that upgrades", () => {
    expect(
      problems("rds-auto-minor-version-upgrade", (stack) => {
        new DbInstance(stack, "db", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        new RdsClusterInstance(stack, "member", {
          clusterIdentifier: "cluster",
          engine: "aurora-postgresql",
          instanceClass: "db.r6g.large",
          autoMinorVersionUpgrade: true,
        });
      }),
    ).toEqual([]);
  });

  test("fails an instance and a cluster instance with minor upgrades off", () => {
    expect(
      problems("rds-auto-minor-version-upgrade", (stack) => {
        new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          autoMinorVersionUpgrade: false,
        });
        new RdsClusterInstance(stack, "member", {
          clusterIdentifier: "cluster",
          engine: "aurora-postgresql",
          instanceClass: "db.r6g.large",
          autoMinorVersionUpgrade: false,
        });
      }),
    ).toEqual([
      "db: auto_minor_version_upgrade is false",
      "member: auto_minor_version_upgrade is false",
    ]);
  });
});

describe("rds-iam-authentication", () => {
  test("passes an instance and a cluster with IAM authentication, and a replica", () => {
    expect(
      problems("rds-iam-authentication", (stack) => {
        const primary = new DbInstance(stack, "db", {
          instanceClass: INSTANCE_CLASS,
          engine: "postgres",
          iamDatabaseAuthenticationEnabled: true,
        });
        new DbInstance(stack, "replica", {
          instanceClass: INSTANCE_CLASS,
          replicateSourceDb: primary.identifier,
        });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          iamDatabaseAuthenticationEnabled: true,
        });
      }),
    ).toEqual([]);
  });

  test("fails an instance left at the default and a cluster with IAM authentication off", () => {
    expect(
      problems("rds-iam-authentication", (stack) => {
        new DbInstance(stack, "db", { instanceClass: INSTANCE_CLASS, engine: "postgres" });
        new RdsCluster(stack, "cluster", {
          engine: "aurora-postgresql",
          iamDatabaseAuthenticationEnabled: false,
        });
      }),
    ).toEqual([
      "db: iam_database_authentication_enabled is not true",
      "cluster: iam_database_authentication_enabled is not true",
    ]);
  });
});
