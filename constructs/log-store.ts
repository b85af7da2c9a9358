import { Construct } from "constructs";
import { JAEGER_INDEX_PREFIX } from "./private/log-names";
import { OpensearchDomain } from "@cdktf/provider-aws/lib/opensearch-domain";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EncryptionKey } from "./encryption-key";
import { encryptedLogGroups } from "./private/encrypted-log-group";
import { policyJson, type PolicyStatement } from "./private/iam";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import {
  dnsSuffixOf,
  partitionOf,
  type AwsEnvironment,
  type IKubernetesCluster,
  type Tier,
} from "./types";

/** The HTTPS port: the only port the domain's security group admits. */
export const LOG_STORE_PORT = 443;

/**
 * The engine version used when none is given: pinned, so an upgrade is a reviewed change of this
 * constant or of `logs.engineVersion` (OpenSearch Service upgrades in place, never downgrades).
 */
export const DEFAULT_OPENSEARCH_ENGINE_VERSION = "OpenSearch_2.19";

/** TLS 1.2 or later with forward secrecy only: the strictest policy OpenSearch Service offers. */
export const LOG_STORE_TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10";

/** The domain's own logs, each published to the log group `/aws/opensearch/<domain>/<key>`. */
export const LOG_STORE_LOG_TYPES = {
  application: "ES_APPLICATION_LOGS",
  "index-slow": "INDEX_SLOW_LOGS",
  "search-slow": "SEARCH_SLOW_LOGS",
  audit: "AUDIT_LOGS",
} as const;

/** Sizing of the domain by tier: what `instanceType`, `instanceCount`, ... default to. */
export const LOG_STORE_SIZING: Readonly<
  Record<
    Tier,
    {
      readonly instanceType: string;
      readonly instanceCount: number;
      readonly volumeSizeGb: number;
      readonly dedicatedMasterType?: string;
      readonly retentionDays: number;
    }
  >
> = {
  // one small data node: no replica, no dedicated master (a lost node loses the recent logs)
  development: {
    instanceType: "t3.small.search",
    instanceCount: 1,
    volumeSizeGb: 20,
    retentionDays: 7,
  },
  // a data node per AZ with zone awareness, three dedicated masters (quorum survives one AZ)
  production: {
    instanceType: "r6g.large.search",
    instanceCount: 3,
    volumeSizeGb: 100,
    dedicatedMasterType: "m6g.large.search",
    retentionDays: 30,
  },
};

/**
 * The domain's alarms, as AWS recommends them for OpenSearch Service ("Recommended CloudWatch
 * alarms"): metric, statistic, threshold, period (s), periods that must breach.
 */
export const LOG_STORE_ALARMS = {
  "cluster-red": {
    metric: "ClusterStatus.red",
    statistic: "Maximum",
    threshold: 1,
    period: 60,
    periods: 1,
  },
  "writes-blocked": {
    metric: "ClusterIndexWritesBlocked",
    statistic: "Maximum",
    threshold: 1,
    period: 300,
    periods: 1,
  },
  "jvm-memory-pressure": {
    metric: "JVMMemoryPressure",
    statistic: "Maximum",
    threshold: 95,
    period: 60,
    periods: 3,
  },
  "snapshot-failed": {
    metric: "AutomatedSnapshotFailure",
    statistic: "Maximum",
    threshold: 1,
    period: 60,
    periods: 1,
  },
} as const;

/** The free storage alarm fires below this share of a data node's volume. */
export const LOG_STORE_FREE_STORAGE_PERCENT = 25;

/** Access to the domain granted to one IAM role: these HTTP methods on these paths of the domain. */
export interface LogStoreGrant {
  /** ARN of the role (may be a token). */
  readonly roleArn: string;
  /** What the grant is for, in the policy statement's Sid (letters and digits). */
  readonly sid: string;
  /** The statements of the role's own IAM policy ({@link logStoreStatements}): the domain policy repeats them for this role. */
  readonly statements: readonly PolicyStatement[];
}

/** Props of {@link LogStore}. */
export interface LogStoreProps {
  /** Account and region of the domain (ARNs and key policies name them). */
  readonly environment: AwsEnvironment;
  /** The network: the domain goes into its private subnets, its security group into its VPC. */
  readonly network: { readonly vpcId: string; readonly privateSubnetIds: readonly string[] };
  /** The cluster whose nodes may connect: its node security group is the only ingress source. */
  readonly cluster: Pick<IKubernetesCluster, "nodeSecurityGroupId">;
  /** Domain name: 3-28 lowercase letters, digits and hyphens, letter first. Names the log groups and the key alias too. */
  readonly domainName: string;
  /** Tier: production adds zone awareness over three AZs, dedicated masters and `prevent_destroy`. @default "production" */
  readonly tier?: Tier;
  /** Engine version `OpenSearch_<major>.<minor>` (major 2 or later). @default DEFAULT_OPENSEARCH_ENGINE_VERSION */
  readonly engineVersion?: string;
  /** Data node instance type `<family>.<size>.search`; no burstable `t*` in production. @default by tier (LOG_STORE_SIZING) */
  readonly instanceType?: string;
  /** Number of data nodes; in production a multiple of the AZs used (zone awareness). @default 1 in development; in production one per AZ used (3) */
  readonly instanceCount?: number;
  /** gp3 volume per data node in GiB, 10-1024. @default by tier (LOG_STORE_SIZING) */
  readonly volumeSizeGb?: number;
  /** Dedicated master instance type (production only: three of them). @default by tier (LOG_STORE_SIZING) */
  readonly dedicatedMasterType?: string;
  /** Retention of the domain's own logs (error, slow, audit) in CloudWatch Logs, days. @default 365 in production, 30 in development */
  readonly logRetentionDays?: number;
  /**
   * The IAM role that administers the domain: fine-grained access control's master user (no
   * internal users, so no password anywhere). The bootstrap Job runs as it; the domain policy
   * grants it what its own IAM policy does, no more.
   */
  readonly master: LogStoreGrant;
  /** Every other role that reads or writes, each with the statements of its own IAM policy. @default none */
  readonly grants?: readonly LogStoreGrant[];
  /** Key encrypting the domain at rest. @default a key of its own, alias `<domainName>/opensearch` */
  readonly encryptionKey?: EncryptionKey;
  /** SNS topic of the alarms (red cluster, writes blocked, storage, JVM memory, snapshots). @default no alarms */
  readonly alarmTopicArn?: string;
}

/** The fields of {@link LogStoreProps} that are validated (the `logs` section of an environment file, plus its tier and AZs). */
export interface LogStoreValidationInput
  extends Pick<
    LogStoreProps,
    | "domainName"
    | "tier"
    | "engineVersion"
    | "instanceType"
    | "instanceCount"
    | "volumeSizeGb"
    | "dedicatedMasterType"
    | "logRetentionDays"
  > {
  /** How many private subnets (AZs) the domain may use. */
  readonly availabilityZoneCount: number;
}

/** A domain name OpenSearch Service accepts. */
export const LOG_STORE_DOMAIN_NAME = /^[a-z][a-z0-9-]{2,27}$/;
const ENGINE_VERSION = /^OpenSearch_([2-9]|[1-9]\d)\.\d{1,2}$/;
const INSTANCE_TYPE = /^([a-z][a-z0-9]*)\.([a-z0-9]+)\.search$/;
const CLOUDWATCH_RETENTION = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

/** How many AZs a domain spreads over: three in production when the network has them, else one. */
export function logStoreZoneCount(tier: Tier, availabilityZoneCount: number): number {
  return tier === "production" ? Math.min(3, availabilityZoneCount) : 1;
}

/**
 * Every problem with log store props, with field paths named as the props. Shared with the
 * environment-file validation (`logs.*`) so both say the same thing.
 */
export function validateLogStoreProps(props: LogStoreValidationInput): Problem[] {
  const p = new ProblemList();
  const tier = props.tier ?? "production";
  const production = tier === "production";
  p.checkValue(
    props.domainName,
    (v) => LOG_STORE_DOMAIN_NAME.test(v) && !v.endsWith("-"),
    "domainName",
    "an OpenSearch domain name: 3-28 lowercase letters, digits and hyphens, letter first, not ending with '-'",
  );
  if (props.engineVersion !== undefined) {
    if (isToken(props.engineVersion)) {
      p.check(false, "engineVersion", props.engineVersion, "a literal engine version");
    } else {
      p.check(
        ENGINE_VERSION.test(props.engineVersion),
        "engineVersion",
        props.engineVersion,
        `an OpenSearch engine version OpenSearch_<major>.<minor> from 2 on, such as ${DEFAULT_OPENSEARCH_ENGINE_VERSION} (no Elasticsearch_* engines)`,
      );
    }
  }
  const instanceType = props.instanceType;
  if (instanceType !== undefined && !isToken(instanceType)) {
    const match = INSTANCE_TYPE.exec(instanceType);
    p.check(
      match !== null,
      "instanceType",
      instanceType,
      "an OpenSearch instance type <family>.<size>.search, such as r6g.large.search",
    );
    if (match) {
      p.check(
        !(production && match[1].startsWith("t")),
        "instanceType",
        instanceType,
        "a non-burstable type (not t*.search) in the production tier (CPU credits run out under sustained indexing)",
      );
    }
  }
  const master = props.dedicatedMasterType;
  if (master !== undefined && !isToken(master)) {
    p.check(
      INSTANCE_TYPE.test(master),
      "dedicatedMasterType",
      master,
      "an OpenSearch instance type <family>.<size>.search, such as m6g.large.search",
    );
    p.check(
      production,
      "dedicatedMasterType",
      master,
      "nothing in the development tier (dedicated masters are a production default)",
    );
  }
  const zones = logStoreZoneCount(tier, props.availabilityZoneCount);
  p.check(
    !production || props.availabilityZoneCount >= 2,
    "availabilityZones",
    props.availabilityZoneCount,
    "at least 2 availability zones in the production tier (zone awareness)",
  );
  const count = props.instanceCount;
  if (count !== undefined && !isToken(count)) {
    const ok = Number.isInteger(count) && count >= 1 && count <= 80;
    p.check(ok, "instanceCount", count, "an integer from 1 to 80");
    if (ok && production) {
      p.check(
        count % zones === 0,
        "instanceCount",
        count,
        `a multiple of ${zones}, the availability zones the production domain spreads over (zone awareness)`,
      );
    }
  }
  p.checkValue(
    props.volumeSizeGb,
    (v) => v === undefined || (Number.isInteger(v) && v >= 10 && v <= 1024),
    "volumeSizeGb",
    "an integer number of GiB from 10 to 1024 per data node",
  );
  p.checkValue(
    props.logRetentionDays,
    (v) => v === undefined || CLOUDWATCH_RETENTION.includes(v),
    "logRetentionDays",
    `a CloudWatch Logs retention period: one of ${CLOUDWATCH_RETENTION.join(", ")}`,
  );
  return [...p.problems];
}

/** The ARN of a domain, computed without an API call (roles and the domain policy name it). */
export function logStoreDomainArn(environment: AwsEnvironment, domainName: string): string {
  const { account, region } = environment;
  return `arn:${partitionOf(region)}:es:${region}:${account}:domain/${domainName}`;
}

/** What a role may do on the domain: HTTP methods on paths (relative to the domain, `*` allowed). */
export interface LogStoreAccess {
  /** HTTP methods, e.g. `["POST", "PUT"]`. */
  readonly methods: readonly ("GET" | "HEAD" | "POST" | "PUT" | "DELETE")[];
  /** Paths of the REST API, e.g. `["_bulk", "logs-dev-*"]` (`*` matches `/` too). */
  readonly paths: readonly string[];
}

/** The IAM statements granting `access` on one domain (ARN from {@link logStoreDomainArn}). */
export function logStoreStatements(
  domainArn: string,
  access: LogStoreAccess,
  sid?: string,
): PolicyStatement[] {
  const method = (m: string) => `es:ESHttp${m[0]}${m.slice(1).toLowerCase()}`;
  return [
    {
      ...(sid ? { Sid: sid } : {}),
      Effect: "Allow",
      Action: access.methods.map(method),
      Resource: access.paths.map((path) => (path === "" ? domainArn : `${domainArn}/${path}`)),
    },
  ];
}

/**
 * An Amazon OpenSearch Service domain for the environment's logs (and traces), secure by default:
 *
 * - VPC-only in the private subnets, behind a security group of its own admitting 443 from the
 *   cluster's node security group only (no egress: the domain initiates nothing);
 * - encrypted at rest with a customer managed key, node-to-node encryption, HTTPS only with TLS
 *   1.2+ and forward secrecy;
 * - access by IAM only: the domain policy names each role and repeats exactly what its IAM policy
 *   allows (no `*` principal); fine-grained access control is on with an IAM role as master user
 *   and no internal user database, so there is no password in Terraform state or anywhere else;
 * - its error, slow and audit logs in CloudWatch Logs groups encrypted with a key of their own,
 *   with the resource policy that lets OpenSearch Service write exactly those groups;
 * - sized by tier ({@link LOG_STORE_SIZING}); production spreads data nodes over three AZs with zone
 *   awareness, adds three dedicated masters and `prevent_destroy`. OpenSearch Service takes hourly
 *   automated snapshots of every OpenSearch domain (kept 14 days, no setting needed).
 */
export class LogStore extends Construct {
  /** The domain. */
  readonly domain: OpensearchDomain;
  /** Domain name. */
  readonly domainName: string;
  /** Domain ARN (computed, so policies can name it before the domain exists). */
  readonly domainArn: string;
  /** The domain's HTTPS endpoint host (VPC endpoint, no scheme), e.g. `vpc-dev-logs-abc.eu-west-1.es.amazonaws.com`. */
  readonly endpoint: string;
  /** OpenSearch Dashboards' host on the same endpoint (path `/_dashboards`). */
  readonly dashboardsEndpoint: string;
  /** The domain's security group. */
  readonly securityGroup: SecurityGroup;
  /** The key encrypting the domain at rest. */
  readonly encryptionKey: EncryptionKey;
  /** The domain's log groups, by key of {@link LOG_STORE_LOG_TYPES}. */
  readonly logGroups: Record<keyof typeof LOG_STORE_LOG_TYPES, CloudwatchLogGroup>;
  /** The engine version. */
  readonly engineVersion: string;
  /** The instance type of the data nodes. */
  readonly instanceType: string;
  /** Number of data nodes. */
  readonly instanceCount: number;

  constructor(scope: Construct, id: string, props: LogStoreProps) {
    super(scope, id);
    const tier = props.tier ?? "production";
    const production = tier === "production";
    const zones = logStoreZoneCount(tier, props.network.privateSubnetIds.length);
    throwIfProblems(
      this,
      validateLogStoreProps({
        ...props,
        tier,
        availabilityZoneCount: props.network.privateSubnetIds.length,
      }),
    );
    const sizing = LOG_STORE_SIZING[tier];
    const { account, region } = props.environment;
    const name = props.domainName;
    this.domainName = name;
    this.domainArn = logStoreDomainArn(props.environment, name);
    this.engineVersion = props.engineVersion ?? DEFAULT_OPENSEARCH_ENGINE_VERSION;
    this.instanceType = props.instanceType ?? sizing.instanceType;
    // production: one data node per AZ used (three, or two in a two-AZ network)
    this.instanceCount = props.instanceCount ?? (production ? zones : sizing.instanceCount);
    const dedicatedMasterType = props.dedicatedMasterType ?? sizing.dedicatedMasterType;

    this.encryptionKey =
      props.encryptionKey ??
      new EncryptionKey(this, "key", {
        environment: props.environment,
        description: `OpenSearch domain ${name} (logs and traces at rest)`,
        alias: `${name}/opensearch`,
        preventDestroy: production,
      });

    // The domain's own logs; OpenSearch Service writes them under this resource policy.
    const groups = encryptedLogGroups(this, "logs", {
      environment: props.environment,
      names: Object.fromEntries(
        Object.keys(LOG_STORE_LOG_TYPES).map((key) => [key, `/aws/opensearch/${name}/${key}`]),
      ),
      retentionDays: props.logRetentionDays ?? (production ? 365 : 30),
      description: `Logs of OpenSearch domain ${name} (error, slow, audit)`,
      keyAlias: `${name}/opensearch-logs`,
      preventDestroy: production,
    });
    this.logGroups = groups.groups as LogStore["logGroups"];
    const logPolicy = new CloudwatchLogResourcePolicy(this, "log-resource-policy", {
      policyName: `${name}-opensearch-logs`,
      policyDocument: policyJson([
        {
          Sid: "OpenSearchServiceWritesItsLogs",
          Effect: "Allow",
          Principal: { Service: `es.${dnsSuffixOf(region)}` },
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: Object.values(this.logGroups).map((g) => `${g.arn}:*`),
          Condition: {
            StringEquals: { "aws:SourceAccount": account },
            ArnLike: { "aws:SourceArn": this.domainArn },
          },
        },
      ]),
    });

    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: `${name}-opensearch`,
      description: `OpenSearch domain ${name}: ${LOG_STORE_PORT} from the cluster nodes only`,
      vpcId: props.network.vpcId,
      tags: { Name: `${name}-opensearch` },
    });
    // No egress rule: the domain initiates no connections (Terraform removes AWS's default one).
    new VpcSecurityGroupIngressRule(this, "https-from-cluster-nodes", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS from the cluster nodes",
      ipProtocol: "tcp",
      fromPort: LOG_STORE_PORT,
      toPort: LOG_STORE_PORT,
      referencedSecurityGroupId: props.cluster.nodeSecurityGroupId,
    });

    const grants = [props.master, ...(props.grants ?? [])];
    const principalStatements: PolicyStatement[] = [
      ...grants.flatMap((grant) =>
        grant.statements.map((statement, index) => ({
          ...statement,
          Sid: `${grant.sid}${grant.statements.length > 1 ? index : ""}`,
          Principal: { AWS: grant.roleArn },
        })),
      ),
    ];

    this.domain = new OpensearchDomain(this, "domain", {
      domainName: name,
      engineVersion: this.engineVersion,
      clusterConfig: {
        instanceType: this.instanceType,
        instanceCount: this.instanceCount,
        zoneAwarenessEnabled: zones > 1,
        zoneAwarenessConfig: zones > 1 ? { availabilityZoneCount: zones } : undefined,
        dedicatedMasterEnabled: dedicatedMasterType !== undefined,
        dedicatedMasterType,
        dedicatedMasterCount: dedicatedMasterType !== undefined ? 3 : undefined,
      },
      ebsOptions: {
        ebsEnabled: true,
        volumeType: "gp3",
        volumeSize: props.volumeSizeGb ?? sizing.volumeSizeGb,
      },
      vpcOptions: {
        subnetIds: props.network.privateSubnetIds.slice(0, zones),
        securityGroupIds: [this.securityGroup.id],
      },
      encryptAtRest: { enabled: true, kmsKeyId: this.encryptionKey.keyArn },
      nodeToNodeEncryption: { enabled: true },
      domainEndpointOptions: { enforceHttps: true, tlsSecurityPolicy: LOG_STORE_TLS_POLICY },
      advancedSecurityOptions: {
        enabled: true,
        anonymousAuthEnabled: false,
        internalUserDatabaseEnabled: false,
        masterUserOptions: { masterUserArn: props.master.roleArn },
      },
      accessPolicies: policyJson(principalStatements),
      logPublishingOptions: Object.entries(LOG_STORE_LOG_TYPES).map(([key, logType]) => ({
        logType,
        enabled: true,
        cloudwatchLogGroupArn: this.logGroups[key as keyof typeof LOG_STORE_LOG_TYPES].arn,
      })),
      softwareUpdateOptions: { autoSoftwareUpdateEnabled: true },
      offPeakWindowOptions: {
        enabled: true,
        offPeakWindow: { windowStartTime: { hours: 2, minutes: 0 } },
      },
      dependsOn: [logPolicy],
      lifecycle: production ? { preventDestroy: true } : undefined,
    });
    this.endpoint = this.domain.endpoint;
    this.dashboardsEndpoint = this.domain.dashboardEndpoint;

    if (props.alarmTopicArn !== undefined) {
      const topic = props.alarmTopicArn;
      const alarm = (
        key: string,
        config: {
          metric: string;
          statistic: string;
          threshold: number;
          period: number;
          periods: number;
          comparison: string;
          description: string;
        },
      ) =>
        new CloudwatchMetricAlarm(this, `alarm-${key}`, {
          alarmName: `${name}-${key}`,
          alarmDescription: config.description,
          namespace: "AWS/ES",
          metricName: config.metric,
          dimensions: { DomainName: name, ClientId: account },
          statistic: config.statistic,
          period: config.period,
          evaluationPeriods: config.periods,
          datapointsToAlarm: config.periods,
          threshold: config.threshold,
          comparisonOperator: config.comparison,
          // a gap (the domain being created or updated) keeps the state
          treatMissingData: "missing",
          actionsEnabled: true,
          alarmActions: [topic],
          okActions: [topic],
        });
      const descriptions: Record<keyof typeof LOG_STORE_ALARMS, string> = {
        "cluster-red": `OpenSearch domain ${name}: a primary shard is unassigned (cluster red); its index accepts no writes.`,
        "writes-blocked": `OpenSearch domain ${name}: the cluster blocks index writes (storage or memory pressure); Fluent Bit buffers, then drops.`,
        "jvm-memory-pressure": `OpenSearch domain ${name}: JVM memory pressure at 95% for 3 minutes; out-of-memory errors follow.`,
        "snapshot-failed": `OpenSearch domain ${name}: an automated snapshot failed.`,
      };
      for (const [key, a] of Object.entries(LOG_STORE_ALARMS)) {
        alarm(key, {
          ...a,
          comparison: "GreaterThanOrEqualToThreshold",
          description: descriptions[key as keyof typeof LOG_STORE_ALARMS],
        });
      }
      const volumeMib = (props.volumeSizeGb ?? sizing.volumeSizeGb) * 1024;
      alarm("free-storage-low", {
        metric: "FreeStorageSpace",
        statistic: "Minimum",
        threshold: Math.round((volumeMib * LOG_STORE_FREE_STORAGE_PERCENT) / 100),
        period: 60,
        periods: 1,
        comparison: "LessThanOrEqualToThreshold",
        description: `OpenSearch domain ${name}: a data node has ${LOG_STORE_FREE_STORAGE_PERCENT}% or less of its volume free (lower logs.retentionDays or raise logs.volumeSizeGb).`,
      });
    }
  }
}

/** The prefix of the environment's log indexes: `logs-<env>`, one index a day `logs-<env>-YYYY.MM.DD`. */
export function logIndexPrefix(environmentName: string): string {
  return `logs-${environmentName}`;
}

export { JAEGER_INDEX_PREFIX };

/** Fluent Bit: bulk-indexes into the environment's log indexes, nothing else. */
export function logWriterAccess(environmentName: string): LogStoreAccess {
  return { methods: ["POST", "PUT"], paths: ["_bulk", `${logIndexPrefix(environmentName)}-*`] };
}

/** Jaeger: writes and reads its own indexes and templates (and reads the cluster's version at `/`). */
export const JAEGER_ACCESS: LogStoreAccess = {
  methods: ["GET", "HEAD", "POST", "PUT"],
  paths: [
    "",
    "_bulk",
    "_msearch",
    `${JAEGER_INDEX_PREFIX}-*`,
    `_index_template/${JAEGER_INDEX_PREFIX}-*`,
    `_template/${JAEGER_INDEX_PREFIX}-*`,
  ],
};

/**
 * The bootstrap Job (fine-grained access control's master user): ISM policies, index templates,
 * the security plugin's roles and mappings, and Dashboards' saved objects. Never documents.
 */
export const LOG_STORE_BOOTSTRAP_ACCESS: LogStoreAccess = {
  methods: ["GET", "HEAD", "POST", "PUT"],
  paths: [
    "_plugins/_ism/*",
    "_index_template/*",
    "_plugins/_security/api/*",
    "_dashboards/api/saved_objects/*",
  ],
};

/** People (through OpenSearch Dashboards or the REST API): search the logs and traces. */
export function logReaderAccess(environmentName: string): LogStoreAccess {
  return {
    methods: ["GET", "HEAD", "POST", "PUT"],
    paths: [
      "_dashboards",
      "_dashboards/*",
      "_msearch",
      `${logIndexPrefix(environmentName)}-*/_search`,
      `${JAEGER_INDEX_PREFIX}-*/_search`,
    ],
  };
}
