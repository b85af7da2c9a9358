import { Construct } from "constructs";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EncryptionKey } from "./encryption-key";
import type { Network } from "./network";
import { encryptedLogGroups } from "./private/encrypted-log-group";
import { MAX_ROLE_NAME_LENGTH, serviceTrustPolicy } from "./private/iam";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { partitionOf, type AwsEnvironment, type IKubernetesCluster, type Tier } from "./types";

/** The PostgreSQL port; the only port the database security group admits. */
export const POSTGRES_PORT = 5432;

/** Daily backup window (UTC). Ends an hour before the maintenance window starts. */
export const DATABASE_BACKUP_WINDOW = "02:00-03:00";

/** Weekly maintenance window (UTC), after the backup window, never overlapping it. */
export const DATABASE_MAINTENANCE_WINDOW = "sun:04:00-sun:05:00";

/** Master user names RDS or PostgreSQL reserve, or that every attacker tries first. */
export const RESERVED_MASTER_USERNAMES = ["postgres", "admin", "root", "rdsadmin"] as const;

/** Queries slower than this are written to the postgresql log (CloudWatch Logs). */
const SLOW_QUERY_MILLISECONDS = 500;

/** The logs the instance exports to CloudWatch Logs, each into `/aws/rds/instance/<id>/<log>`. */
export const DATABASE_LOG_EXPORTS = ["postgresql", "upgrade"] as const;
/** A log type the instance exports. */
export type DatabaseLogExport = (typeof DATABASE_LOG_EXPORTS)[number];

/** Props of {@link Database}. */
export interface DatabaseProps {
  /** Account and region of the database (the KMS key policy and IAM ARNs name them). */
  readonly environment: AwsEnvironment;
  /** The network: the instance goes into its DB subnet group, its security group into its VPC. */
  readonly network: Network;
  /** The cluster whose nodes may connect: its node security group is the only ingress source. */
  readonly cluster: IKubernetesCluster;
  /**
   * PostgreSQL version, `<major>` or `<major>.<minor>` with major 13-17, e.g. `"16"` or `"16.4"`;
   * a literal (the parameter group family is derived from it). Minor upgrades are automatic, so
   * prefer the major alone: a pinned minor drifts once RDS upgrades it.
   */
  readonly engineVersion: string;
  /** Instance class `db.<family>.<size>`, e.g. `db.r6g.large`; no burstable `db.t*` in production. */
  readonly instanceClass: string;
  /** Initial gp3 storage in GiB, 20-65536. */
  readonly allocatedStorageGb: number;
  /**
   * Storage autoscaling ceiling in GiB, at least 10% above `allocatedStorageGb` (an RDS rule).
   * @default 5 x allocatedStorageGb, at most 65536
   */
  readonly maxAllocatedStorageGb?: number;
  /** Days automated backups are kept, 1-35, at least 7 in production. @default 14 in production, 3 in development */
  readonly backupRetentionDays?: number;
  /**
   * RDS instance identifier: 1-63 lowercase letters, digits and hyphens, letter first, no `--`,
   * not ending with `-`. Also names the security group, key alias, parameter group and snapshots.
   * @default the construct id
   */
  readonly identifier?: string;
  /** Name of the database created with the instance. @default "app" */
  readonly databaseName?: string;
  /** Master user name (its password is generated and kept in Secrets Manager by RDS). @default "platform_admin" */
  readonly masterUsername?: string;
  /**
   * Tier: production adds Multi-AZ, deletion protection, a final snapshot, retained automated
   * backups, Performance Insights, enhanced monitoring and `prevent_destroy`.
   * @default "production"
   */
  readonly tier?: Tier;
}

/** The fields of {@link DatabaseProps} that are validated (the `database` section of an environment file, plus its tier). */
export type DatabaseValidationInput = Pick<
  DatabaseProps,
  | "engineVersion"
  | "instanceClass"
  | "allocatedStorageGb"
  | "maxAllocatedStorageGb"
  | "backupRetentionDays"
  | "identifier"
  | "databaseName"
  | "masterUsername"
  | "tier"
>;

/** The storage autoscaling ceiling used when none is given. */
export function defaultMaxAllocatedStorageGb(allocatedStorageGb: number): number {
  return Math.min(allocatedStorageGb * 5, 65536);
}

/** The backup retention used when none is given. */
export function defaultBackupRetentionDays(tier: Tier): number {
  return tier === "production" ? 14 : 3;
}

/** The PostgreSQL major version of a valid `engineVersion` (`"16.4"` -> `16`). */
function majorOf(engineVersion: string): number {
  return Number(engineVersion.split(".")[0]);
}

/**
 * Refuses a major downgrade at plan time: RDS cannot downgrade an engine, and only the plan knows
 * the running version. Checked against the planned `engine_version_actual`, which keeps the
 * version RDS reports until the apply (unknown on creation, so a new instance is checked after).
 */
function majorDowngradeRefusal(identifier: string, major: number) {
  const running = 'tonumber(split(".", self.engine_version_actual)[0])';
  return {
    condition: `\${${running} <= ${major}}`,
    errorMessage: `Database ${identifier}: engineVersion ${major} is below the running PostgreSQL \${self.engine_version_actual}; RDS cannot downgrade a major version (restore a snapshot taken before the upgrade into a new instance instead).`,
  };
}

/**
 * Every problem with database props, with field paths named as the props. Shared with the
 * environment-file validation so both say the same thing.
 */
export function validateDatabaseProps(props: DatabaseValidationInput): Problem[] {
  const p = new ProblemList();
  const tier = props.tier ?? "production";
  const production = tier === "production";

  const version = props.engineVersion;
  if (isToken(version)) {
    p.check(
      false,
      "engineVersion",
      version,
      "a literal version (the parameter group family is derived from it)",
    );
  } else {
    p.check(
      /^1[3-7](\.\d{1,2})?$/.test(version),
      "engineVersion",
      version,
      "a PostgreSQL version from 13 to 17, such as 16.4 or 16",
    );
  }

  const instanceClass = props.instanceClass;
  if (!isToken(instanceClass)) {
    const match = /^db\.([a-z][a-z0-9]*)\.([a-z0-9][a-z0-9-]*)$/.exec(instanceClass);
    p.check(
      match !== null,
      "instanceClass",
      instanceClass,
      "an instance class of the form db.<family>.<size>, such as db.r6g.large",
    );
    if (match) {
      p.check(
        !(production && match[1].startsWith("t")),
        "instanceClass",
        instanceClass,
        "a non-burstable class (not db.t*) in the production tier (CPU credits run out under sustained load)",
      );
    }
  }

  const allocated = props.allocatedStorageGb;
  const allocatedOk = !isToken(allocated) && Number.isInteger(allocated);
  p.checkValue(
    allocated,
    (v) => Number.isInteger(v) && v >= 20 && v <= 65536,
    "allocatedStorageGb",
    "an integer from 20 to 65536 (the gp3 limits for PostgreSQL)",
  );

  const max = props.maxAllocatedStorageGb;
  if (max !== undefined && !isToken(max)) {
    p.check(
      Number.isInteger(max) && max <= 65536,
      "maxAllocatedStorageGb",
      max,
      "an integer of at most 65536 (the gp3 limit for PostgreSQL)",
    );
    if (allocatedOk) {
      const least = Math.ceil((allocated * 11) / 10);
      p.check(
        max >= least,
        "maxAllocatedStorageGb",
        max,
        `at least ${least}, 10% above allocatedStorageGb ${allocated} (RDS rejects a smaller storage autoscaling ceiling)`,
      );
    }
  }

  const retention = props.backupRetentionDays;
  if (retention !== undefined && !isToken(retention)) {
    const inRange = Number.isInteger(retention) && retention >= 1 && retention <= 35;
    p.check(inRange, "backupRetentionDays", retention, "an integer from 1 to 35 (the RDS limits)");
    if (inRange) {
      p.check(
        !(production && retention < 7),
        "backupRetentionDays",
        retention,
        "at least 7 in the production tier",
      );
    }
  }

  const identifier = props.identifier;
  if (identifier !== undefined) {
    p.checkValue(
      identifier,
      (v) => /^[a-z](?!.*--)[a-z0-9-]{0,62}$/.test(v) && !v.endsWith("-"),
      "identifier",
      "an RDS identifier: 1-63 lowercase letters, digits and hyphens, letter first, no '--', not ending with '-'",
    );
  }

  const databaseName = props.databaseName;
  if (databaseName !== undefined) {
    p.checkValue(
      databaseName,
      (v) => /^[a-z][a-z0-9_]{0,62}$/.test(v),
      "databaseName",
      "a database name: 1-63 lowercase letters, digits and _, letter first",
    );
  }

  const username = props.masterUsername;
  if (username !== undefined && !isToken(username)) {
    p.check(
      /^[a-z][a-z0-9_]{0,15}$/.test(username),
      "masterUsername",
      username,
      "a user name: 1-16 lowercase letters, digits and _, letter first",
    );
    p.check(
      !(RESERVED_MASTER_USERNAMES as readonly string[]).includes(username),
      "masterUsername",
      username,
      `a non-default master user name (not ${RESERVED_MASTER_USERNAMES.join(", ")})`,
    );
  }
  return [...p.problems];
}

/**
 * An RDS PostgreSQL instance in the network's database subnets, reachable only on 5432 from the
 * cluster's nodes: private, KMS-encrypted (storage, managed master secret, Performance Insights),
 * TLS enforced, IAM authentication on, slow queries and upgrades logged to CloudWatch, gp3 with
 * storage autoscaling, fixed backup and maintenance windows. The master password is generated and
 * rotated by RDS in Secrets Manager; it never appears in the configuration or the state.
 *
 * A major upgrade (`engineVersion` "16" to "17") happens in the one apply of its reviewed plan:
 * changes apply immediately in every tier, and a parameter group of the new family replaces the
 * old one create-before-destroy. The plan refuses a major downgrade.
 *
 * Production tier: Multi-AZ, deletion protection, at least 7 days of backups kept after deletion,
 * a final snapshot, Performance Insights, enhanced monitoring and `prevent_destroy` on the
 * instance and its key. Development tier: single AZ, no final snapshot, none of those.
 */
export class Database extends Construct {
  /** The DB instance. */
  readonly instance: DbInstance;
  /** Connection endpoint, `address:port`. */
  readonly endpoint: string;
  /** DNS name of the instance. */
  readonly address: string;
  /** The port PostgreSQL listens on. */
  readonly port: number;
  /** ARN of the Secrets Manager secret that holds the master user name and password. */
  readonly masterUserSecretArn: string;
  /** The security group of the instance (ingress: 5432 from the cluster nodes only). */
  readonly securityGroup: SecurityGroup;
  /** Id of the security group of the instance. */
  readonly securityGroupId: string;
  /** The RDS instance identifier (the `DBInstanceIdentifier` of CloudWatch metrics). */
  readonly identifier: string;
  /** Initial allocated storage in GiB. */
  readonly allocatedStorageGb: number;
  /** Storage autoscaling ceiling in GiB. */
  readonly maxAllocatedStorageGb: number;
  /** The instance class. */
  readonly instanceClass: string;
  /** The customer managed key of the storage, the master secret and Performance Insights. */
  readonly encryptionKey: EncryptionKey;
  /** The parameter group (TLS enforced, slow query logging). */
  readonly parameterGroup: DbParameterGroup;
  /** The enhanced monitoring role (production tier only). */
  readonly monitoringRole?: IamRole;
  /**
   * The groups of the exported logs, `/aws/rds/instance/<identifier>/<log>`: created before the
   * instance (else RDS creates them, unencrypted and never expiring), with their own KMS key.
   */
  readonly logGroups: Readonly<Record<DatabaseLogExport, CloudwatchLogGroup>>;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const tier = props.tier ?? "production";
    const production = tier === "production";
    const identifier = props.identifier ?? id;
    const maxAllocated =
      props.maxAllocatedStorageGb ?? defaultMaxAllocatedStorageGb(props.allocatedStorageGb);
    // Validate the effective values, so a bad construct id or default is reported too.
    throwIfProblems(
      this,
      validateDatabaseProps({ ...props, identifier, maxAllocatedStorageGb: maxAllocated }),
    );
    const { account, region } = props.environment;
    const family = `postgres${majorOf(props.engineVersion)}`;

    this.identifier = identifier;
    this.allocatedStorageGb = props.allocatedStorageGb;
    this.maxAllocatedStorageGb = maxAllocated;
    this.instanceClass = props.instanceClass;
    this.port = POSTGRES_PORT;

    this.encryptionKey = new EncryptionKey(this, "key", {
      environment: props.environment,
      description: `Storage, master secret and Performance Insights of database ${identifier}`,
      alias: `${identifier}-database`,
      preventDestroy: production,
    });

    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${identifier}-database`,
      description: `PostgreSQL ${identifier}: ${POSTGRES_PORT} from the cluster nodes only`,
      vpcId: props.network.vpcId,
      tags: { Name: `${identifier}-database` },
    });
    this.securityGroupId = this.securityGroup.id;
    // No egress rule: the database initiates no connections (Terraform removes AWS's default one).
    new VpcSecurityGroupIngressRule(this, "postgres-from-cluster-nodes", {
      securityGroupId: this.securityGroup.id,
      description: "PostgreSQL from the cluster nodes",
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: props.cluster.nodeSecurityGroupId,
    });

    // A name prefix plus create-before-destroy lets a major upgrade swap the family in one apply.
    this.parameterGroup = new DbParameterGroup(this, "parameter-group", {
      namePrefix: `${identifier}-${family}-`,
      family,
      description: `PostgreSQL ${identifier}: TLS only, slow query log`,
      parameter: [
        // Applied at creation either way; on a running instance only after a reboot (static on
        // recent engines: "immediate" would be refused there).
        { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
        {
          name: "log_min_duration_statement",
          value: String(SLOW_QUERY_MILLISECONDS),
          applyMethod: "immediate",
        },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    // The groups RDS exports to, ours before the instance exists: RDS would otherwise create them
    // on first export, unencrypted and kept forever. 365 days in production, 30 in development.
    this.logGroups = encryptedLogGroups(this, "log", {
      environment: props.environment,
      names: Object.fromEntries(
        DATABASE_LOG_EXPORTS.map((log) => [log, `/aws/rds/instance/${identifier}/${log}`]),
      ),
      retentionDays: production ? 365 : 30,
      description: `Exported logs (${DATABASE_LOG_EXPORTS.join(", ")}) of database ${identifier}`,
      keyAlias: `${identifier}-database-logs`,
      preventDestroy: production,
    }).groups as Record<DatabaseLogExport, CloudwatchLogGroup>;

    let monitoringPolicy: IamRolePolicyAttachment | undefined;
    if (production) {
      const suffix = "-rds-monitoring";
      const base = isToken(identifier)
        ? identifier
        : identifier.slice(0, MAX_ROLE_NAME_LENGTH - suffix.length);
      this.monitoringRole = new IamRole(this, "monitoring-role", {
        name: `${base}${suffix}`,
        description: `Enhanced monitoring of database ${identifier}`,
        assumeRolePolicy: serviceTrustPolicy("monitoring.rds.amazonaws.com", account),
      });
      monitoringPolicy = new IamRolePolicyAttachment(this, "monitoring-role-policy", {
        role: this.monitoringRole.name,
        // AWS managed policy: writes OS metrics to the RDSOSMetrics log group only.
        policyArn: `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
      });
    }

    this.instance = new DbInstance(this, "instance", {
      identifier,
      engine: "postgres",
      engineVersion: props.engineVersion,
      // Minor versions move automatically; a major upgrade happens only when engineVersion says so.
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: true,
      // Every tier: a change is made when its reviewed plan is applied, never queued for the
      // maintenance window. Queued, a major upgrade keeps the old parameter group attached and
      // the apply fails deleting it (InvalidDBParameterGroupState); any queued change leaves the
      // state disagreeing with AWS and fires unwatched in the window (README "Upgrading").
      applyImmediately: true,
      instanceClass: props.instanceClass,
      parameterGroupName: this.parameterGroup.name,
      dbName: props.databaseName ?? "app",
      port: POSTGRES_PORT,

      username: props.masterUsername ?? "platform_admin",
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: this.encryptionKey.keyArn,
      iamDatabaseAuthenticationEnabled: true,

      dbSubnetGroupName: props.network.databaseSubnetGroupName,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      multiAz: production,

      storageType: "gp3",
      allocatedStorage: props.allocatedStorageGb,
      maxAllocatedStorage: maxAllocated,
      storageEncrypted: true,
      kmsKeyId: this.encryptionKey.keyArn,

      backupRetentionPeriod: props.backupRetentionDays ?? defaultBackupRetentionDays(tier),
      backupWindow: DATABASE_BACKUP_WINDOW,
      maintenanceWindow: DATABASE_MAINTENANCE_WINDOW,
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: !production,
      deletionProtection: production,
      skipFinalSnapshot: !production,
      finalSnapshotIdentifier: production ? `${identifier}-final` : undefined,

      enabledCloudwatchLogsExports: [...DATABASE_LOG_EXPORTS],
      performanceInsightsEnabled: production,
      performanceInsightsKmsKeyId: production ? this.encryptionKey.keyArn : undefined,
      performanceInsightsRetentionPeriod: production ? 7 : undefined,
      monitoringInterval: production ? 60 : 0,
      monitoringRoleArn: this.monitoringRole?.arn,

      tags: { Name: identifier },
      lifecycle: {
        preventDestroy: production ? true : undefined,
        postcondition: [majorDowngradeRefusal(identifier, majorOf(props.engineVersion))],
      },
      // RDS checks the role's permissions when monitoring is turned on; the log groups must exist
      // before the first export.
      dependsOn: [
        ...(monitoringPolicy ? [monitoringPolicy] : []),
        ...Object.values(this.logGroups),
      ],
    });

    this.endpoint = this.instance.endpoint;
    this.address = this.instance.address;
    this.masterUserSecretArn = this.instance.masterUserSecret.get(0).secretArn;
  }
}
