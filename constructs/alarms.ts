import { Construct, type IConstruct } from "constructs";
import {
  Lazy,
  Op,
  TerraformResource,
  TerraformStack,
  type IResolvable,
  type TerraformProvider,
} from "cdktf";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { EncryptionKey } from "./encryption-key";
import { policyJson } from "./private/iam";
import {
  gibToBytes,
  instanceMemoryGib,
  KNOWN_INSTANCE_FAMILIES,
  postgresDefaultMaxConnections,
} from "./private/alarms-instance-memory";
import { checkUsEast1Provider, CLOUDFRONT_REGION } from "./private/us-east-1";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { partitionOf, type AwsEnvironment, type Tier } from "./types";

/**
 * What the alarms need from a database (implemented by the `Database` construct). Pass the
 * database object, not its ids as loose strings.
 */
export interface IDatabaseMetrics {
  /** The RDS instance identifier (the `DBInstanceIdentifier` metric dimension). */
  readonly identifier: string;
  /** Allocated storage in GiB (the free-storage threshold is a share of it). */
  readonly allocatedStorageGb: number;
  /**
   * Storage autoscaling ceiling in GiB (above `allocatedStorageGb`: autoscaling on).
   * @default none: storage autoscaling is off
   */
  readonly maxAllocatedStorageGb?: number;
  /** The instance class, e.g. `db.r6g.large` (memory-based thresholds are derived from it). */
  readonly instanceClass: string;
}

/** What the alarms need from a CloudFront distribution (implemented by `StaticSite`). */
export interface IDistributionMetrics {
  /** The CloudFront distribution id (the `DistributionId` metric dimension). */
  readonly distributionId: string;
}

/** Props of {@link Alarms}. */
export interface AlarmsProps {
  /** Account and region of the alarm topic and the database alarms. */
  readonly environment: AwsEnvironment;
  /** E-mail address subscribed to the alarm topics (each subscription must be confirmed once). */
  readonly email: string;
  /** AWS provider for us-east-1, where CloudFront metrics, their alarms and their topic live. */
  readonly usEast1Provider: AwsProvider;
  /** Prefix of topic, key alias and alarm names. @default the construct id */
  readonly name?: string;
  /** Tier: production protects the topic keys from destroy (a deleted key silences every alarm). @default "production" */
  readonly tier?: Tier;
}

/** Options of {@link Alarms.watchDatabase}. */
export interface DatabaseAlarmOptions {
  /** Key of this database's alarms: construct id and part of the alarm names. @default the database construct's id, else its identifier */
  readonly id?: string;
  /** Memory of the instance class in GiB, for the FreeableMemory and DatabaseConnections thresholds. @default looked up from instanceClass in a built-in table of common classes (required for other classes) */
  readonly memoryGib?: number;
}

/** Options of {@link Alarms.watchDistribution}. */
export interface DistributionAlarmOptions {
  /** Key of this distribution's alarms: construct id and part of the alarm names. @default the site construct's id, else the distribution id */
  readonly id?: string;
}

/** The alarms of one database. */
export interface DatabaseAlarms {
  /** CPUUtilization above 80% for 3 of 3 five-minute periods. */
  readonly cpu: CloudwatchMetricAlarm;
  /**
   * FreeStorageSpace low for 2 of 2 five-minute periods: below 10% of the allocated storage
   * without storage autoscaling; with it, below 5% of the initial allocation (autoscaling grows
   * the volume at 10% free, so this means it has not kept up).
   */
  readonly freeStorage: CloudwatchMetricAlarm;
  /**
   * With storage autoscaling, RDS events to the topic: `atLimit` (critical: a scaling step would
   * reach the ceiling, autoscaling cannot scale, or storage is exhausted) and `nearLimit`
   * (warning: the allocation reached 80% of the ceiling).
   */
  readonly storageEvents?: {
    readonly atLimit: CloudwatchEventRule;
    readonly nearLimit: CloudwatchEventRule;
  };
  /** FreeableMemory below 10% of the instance memory for 3 of 3 five-minute periods. */
  readonly freeableMemory: CloudwatchMetricAlarm;
  /** DatabaseConnections above 80% of PostgreSQL's default max_connections for 3 of 3 five-minute periods. */
  readonly connections: CloudwatchMetricAlarm;
}

/** The alarms of one CloudFront distribution. */
export interface DistributionAlarms {
  /** 5xxErrorRate above 1% in 2 of 3 five-minute periods. */
  readonly errorRate: CloudwatchMetricAlarm;
}

/** Database thresholds from the runbook. */
export const DATABASE_THRESHOLDS = {
  /** Alarm above this CPUUtilization, in percent. */
  cpuPercent: 80,
  /** Alarm below this share of allocated storage free, in percent (no storage autoscaling). */
  freeStoragePercent: 10,
  /**
   * With storage autoscaling: alarm below this share of the initial allocation free, in percent.
   * RDS grows the volume when free space is at most 10% of the current allocation (which is never
   * below the initial one), so free space under 5% of it means autoscaling has not kept up.
   */
  autoscaledFreeStoragePercent: 5,
  /** Alarm below this share of instance memory freeable, in percent. */
  freeableMemoryPercent: 10,
  /** Alarm above this share of the default max_connections, in percent. */
  connectionsPercent: 80,
} as const;

/**
 * RDS events about storage autoscaling running out (RDS User Guide, "Amazon RDS event categories
 * and event messages", DB instance events). An RDS event subscription filters by category only,
 * which would bring RDS-EVENT-0089 (90% of the current allocation, i.e. every autoscaling step)
 * and miss the "failure" and "notification" ones below, so EventBridge rules pick them by id.
 */
export const RDS_STORAGE_EVENTS = {
  /** Autoscaling can no longer help: page. */
  atLimit: [
    "RDS-EVENT-0007", // low storage: allocated storage has been exhausted
    "RDS-EVENT-0223", // failure: storage autoscaling is unable to scale the storage
    "RDS-EVENT-0224", // failure: a pending scale storage task will reach or exceed the maximum
  ],
  /** Earlier warning: the allocation reached 80% of the maximum storage threshold. */
  nearLimit: ["RDS-EVENT-0225"],
} as const;

/**
 * Severity of each runbook alarm, by its construct id: what pages (critical) and what is a
 * warning, for the forwarder to PagerDuty and Slack (`AlarmForwarder`).
 */
export const ALARM_SEVERITIES: Readonly<Record<string, "critical" | "warning">> = {
  "cpu-high": "warning",
  "free-storage-low": "critical",
  "freeable-memory-low": "warning",
  "connections-high": "warning",
  "5xx-error-rate-high": "critical",
};

/** Distribution thresholds from the runbook. */
export const DISTRIBUTION_THRESHOLDS = {
  /** Alarm above this 5xxErrorRate, in percent. */
  errorRatePercent: 1,
} as const;

const NAME = /^[A-Za-z0-9_-]{1,200}$/;
const NAME_RULE =
  "1-200 letters, digits, '-' and '_' (used in SNS topic, KMS alias and alarm names)";
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const FIVE_MINUTES = 300;

/** The fields of {@link AlarmsProps} that are validated, plus the resolved name. */
export type AlarmsValidationInput = Pick<AlarmsProps, "email"> & {
  /** The alarms name (the `name` prop, or the construct id). */
  readonly name: string;
};

/**
 * Every problem with alarms props, with field paths named as the props. Shared with the
 * environment-file validation (`alerts` section) so both say the same thing.
 */
export function validateAlarmsProps(props: AlarmsValidationInput): Problem[] {
  const p = new ProblemList();
  p.checkValue(
    props.email,
    (v) => EMAIL.test(v),
    "email",
    "an e-mail address such as oncall@example.com",
  );
  p.checkValue(props.name, (v) => NAME.test(v), "name", NAME_RULE);
  return [...p.problems];
}

/** SNS's limit on a topic's display name (the sender name of its e-mails). */
const MAX_DISPLAY_NAME_LENGTH = 100;

/** One encrypted topic with the e-mail subscription, in one region. */
interface AlarmTopic {
  readonly topic: SnsTopic;
  readonly key: EncryptionKey;
  readonly subscription: SnsTopicSubscription;
  readonly region: string;
}

/**
 * Alarm notifications by e-mail: a KMS-encrypted SNS topic (customer key usable by CloudWatch for
 * this topic only, TLS-only publishing, publishing limited to CloudWatch alarms of this account)
 * with an e-mail subscription, and runbook alarms wired to it that notify on ALARM and on recovery
 * (OK). `watchDatabase` adds RDS alarms; `watchDistribution` adds CloudFront alarms, which live in
 * us-east-1 with a second topic there (created on first use: an alarm can only notify a topic in its
 * own region).
 */
export class Alarms extends Construct {
  /** The alarm topic in the environment's region. */
  readonly topic: SnsTopic;
  /** ARN of the alarm topic in the environment's region (wire other alarms here). */
  readonly topicArn: string;
  /** The customer key encrypting the topic. */
  readonly encryptionKey: EncryptionKey;
  /** Severity of every alarm created so far, by alarm name (see {@link ALARM_SEVERITIES}). */
  readonly severities: Record<string, "critical" | "warning"> = {};

  private readonly name: string;
  private readonly tier: Tier;
  private readonly environment: AwsEnvironment;
  private readonly email: string;
  private readonly usEast1Provider: AwsProvider;
  private readonly primary: AlarmTopic;
  private cloudFrontTopic?: AlarmTopic;
  private readonly topics: AlarmTopic[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.name = props.name ?? id;
    this.tier = props.tier ?? "production";
    this.environment = props.environment;
    this.email = props.email;
    this.usEast1Provider = props.usEast1Provider;
    const problems = new ProblemList();
    problems.addAll(validateAlarmsProps({ email: props.email, name: this.name }));
    checkUsEast1Provider(problems, props.usEast1Provider);
    throwIfProblems(this, problems.problems);

    this.primary = this.alarmTopic(this, props.environment.region);
    this.topic = this.primary.topic;
    this.topicArn = this.primary.topic.arn;
    this.encryptionKey = this.primary.key;
  }

  /** The topic in us-east-1 for CloudFront alarms, once a distribution is watched. */
  get usEast1Topic(): SnsTopic | undefined {
    return this.cloudFrontTopic?.topic;
  }

  /**
   * Whether each topic's e-mail subscription still waits for its confirmation link to be clicked,
   * by the topic's region (`pending_confirmation`; known after apply). Resolved at synthesis, so it
   * includes the us-east-1 topic created by a later `watchDistribution`. Output it: an unconfirmed
   * subscription receives nothing, and SNS deletes it after 48 hours.
   */
  get emailPendingConfirmation(): IResolvable {
    return Lazy.anyValue({
      produce: () =>
        Object.fromEntries(this.topics.map((t) => [t.region, t.subscription.pendingConfirmation])),
    });
  }

  /**
   * Runbook alarms for an RDS PostgreSQL instance: CPU above 80%, free storage low (below 10% of
   * the allocation; with storage autoscaling below 5% of the initial allocation, plus RDS storage
   * events: the ceiling reached or about to be, as a page, and 80% of it, as a warning), freeable
   * memory below 10% of the instance memory, connections above 80% of the default
   * max_connections. Missing data keeps the alarm state (a stopped instance neither pages nor
   * reports a false recovery).
   */
  watchDatabase(database: IDatabaseMetrics, options: DatabaseAlarmOptions = {}): DatabaseAlarms {
    const key = this.watchKey(
      options.id,
      database,
      database.identifier,
      "the database's identifier",
    );
    const group = new Construct(this, `database-${key}`);
    const p = new ProblemList();
    const storage = database.allocatedStorageGb;
    if (!isToken(storage)) {
      p.check(
        Number.isFinite(storage) && storage > 0,
        "allocatedStorageGb",
        storage,
        "a positive number of GiB known at synthesis (the free storage threshold is a share of it)",
      );
    } else {
      p.check(false, "allocatedStorageGb", storage, "a number known at synthesis, not a token");
    }
    const maxStorage = database.maxAllocatedStorageGb;
    if (maxStorage !== undefined) {
      p.check(
        !isToken(maxStorage) && Number.isFinite(maxStorage) && maxStorage >= storage,
        "maxAllocatedStorageGb",
        maxStorage,
        `a number of GiB known at synthesis, at least allocatedStorageGb (${storage})`,
      );
    }
    const autoscaling = maxStorage !== undefined && maxStorage > storage;
    let memoryGib = options.memoryGib;
    if (memoryGib !== undefined) {
      p.check(
        !isToken(memoryGib) && Number.isFinite(memoryGib) && memoryGib > 0,
        "memoryGib",
        memoryGib,
        "a positive number of GiB",
      );
    } else {
      memoryGib = isToken(database.instanceClass)
        ? undefined
        : instanceMemoryGib(database.instanceClass);
      p.check(
        memoryGib !== undefined,
        "instanceClass",
        database.instanceClass,
        `an instance class of a family in the built-in memory table (${KNOWN_INSTANCE_FAMILIES.join(", ")}), or the memoryGib option`,
      );
    }
    throwIfProblems(group, p.problems);
    const memory = memoryGib!;

    const topicArn = this.topicArn;
    const base = {
      namespace: "AWS/RDS",
      dimensions: { DBInstanceIdentifier: database.identifier },
      period: FIVE_MINUTES,
      // RDS publishes every minute while the instance runs; a gap (stopped instance, maintenance)
      // keeps the current state rather than paging or reporting a false recovery.
      treatMissingData: "missing",
    };
    const prefix = `${this.name}-${key}`;
    const t = DATABASE_THRESHOLDS;
    const freePercent = autoscaling ? t.autoscaledFreeStoragePercent : t.freeStoragePercent;
    const freeStorageBytes = Math.round(gibToBytes(storage) * (freePercent / 100));
    const freeMemoryBytes = Math.round(gibToBytes(memory) * (t.freeableMemoryPercent / 100));
    const maxConnections = postgresDefaultMaxConnections(memory);
    const connections = Math.floor(maxConnections * (t.connectionsPercent / 100));
    return {
      cpu: this.alarm(group, "cpu-high", topicArn, {
        ...base,
        alarmName: `${prefix}-cpu-high`,
        alarmDescription: `CPU of database ${key} above ${t.cpuPercent}% for 15 minutes.`,
        metricName: "CPUUtilization",
        statistic: "Average",
        comparisonOperator: "GreaterThanThreshold",
        threshold: t.cpuPercent,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
      }),
      freeStorage: this.alarm(group, "free-storage-low", topicArn, {
        ...base,
        alarmName: `${prefix}-free-storage-low`,
        alarmDescription: autoscaling
          ? `Free storage of database ${key} below ${freePercent}% of its initial ${storage} GiB for 10 minutes: storage autoscaling (up to ${maxStorage} GiB, at 10% free) has not kept up.`
          : `Free storage of database ${key} below ${freePercent}% of ${storage} GiB for 10 minutes.`,
        metricName: "FreeStorageSpace",
        statistic: "Minimum",
        comparisonOperator: "LessThanThreshold",
        threshold: freeStorageBytes,
        unit: "Bytes",
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
      }),
      freeableMemory: this.alarm(group, "freeable-memory-low", topicArn, {
        ...base,
        alarmName: `${prefix}-freeable-memory-low`,
        alarmDescription: `Freeable memory of database ${key} below ${t.freeableMemoryPercent}% of ${memory} GiB for 15 minutes.`,
        metricName: "FreeableMemory",
        statistic: "Average",
        comparisonOperator: "LessThanThreshold",
        threshold: freeMemoryBytes,
        unit: "Bytes",
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
      }),
      connections: this.alarm(group, "connections-high", topicArn, {
        ...base,
        alarmName: `${prefix}-connections-high`,
        alarmDescription: `Connections to database ${key} above ${t.connectionsPercent}% of the default max_connections (${maxConnections}) for 15 minutes.`,
        metricName: "DatabaseConnections",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: connections,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
      }),
      ...(autoscaling
        ? {
            storageEvents: {
              atLimit: this.rdsEventRule(group, "storage-at-limit", database.identifier, {
                ruleName: `${prefix}-storage-at-limit`,
                description: `Database ${key}: storage autoscaling can no longer help (ceiling ${maxStorage} GiB reached by the next step, scaling failed, or storage exhausted)`,
                eventIds: RDS_STORAGE_EVENTS.atLimit,
                severity: "CRITICAL",
                action: `raise maxAllocatedStorageGb above ${maxStorage} GiB or free space now`,
              }),
              nearLimit: this.rdsEventRule(group, "storage-near-limit", database.identifier, {
                ruleName: `${prefix}-storage-near-limit`,
                description: `Database ${key}: allocated storage reached 80% of the ${maxStorage} GiB autoscaling ceiling`,
                eventIds: RDS_STORAGE_EVENTS.nearLimit,
                severity: "WARNING",
                action: `raise maxAllocatedStorageGb above ${maxStorage} GiB before autoscaling stops`,
              }),
            },
          }
        : {}),
    };
  }

  /**
   * An EventBridge rule for the given RDS events of one DB instance, delivering a one-line message
   * (severity, instance, event id, RDS's message, what to do) to the alarm topic.
   */
  private rdsEventRule(
    scope: Construct,
    id: string,
    identifier: string,
    options: {
      readonly ruleName: string;
      readonly description: string;
      readonly eventIds: readonly string[];
      readonly severity: "CRITICAL" | "WARNING";
      readonly action: string;
    },
  ): CloudwatchEventRule {
    const rule = new CloudwatchEventRule(scope, id, {
      name: options.ruleName,
      description: options.description,
      eventPattern: JSON.stringify({
        source: ["aws.rds"],
        "detail-type": ["RDS DB Instance Event"],
        detail: { SourceIdentifier: [identifier], EventID: [...options.eventIds] },
      }),
    });
    new CloudwatchEventTarget(scope, `${id}-target`, {
      rule: rule.name,
      arn: this.topicArn,
      inputTransformer: {
        inputPaths: {
          db: "$.detail.SourceIdentifier",
          event: "$.detail.EventID",
          message: "$.detail.Message",
        },
        inputTemplate: JSON.stringify(
          `${options.severity} <db> <event>: <message> (${options.action})`,
        ),
      },
    });
    return rule;
  }

  /**
   * Runbook alarm for a CloudFront distribution: 5xxErrorRate above 1%. CloudFront metrics exist
   * only in us-east-1 (dimension Region=Global), so the alarm is created there and notifies the
   * us-east-1 topic (created on first use). No data means no requests: not breaching.
   */
  watchDistribution(
    site: IDistributionMetrics,
    options: DistributionAlarmOptions = {},
  ): DistributionAlarms {
    const key = this.watchKey(options.id, site, site.distributionId, "the distribution id");
    const group = new Construct(this, `distribution-${key}`);
    const topic = this.usEast1AlarmTopic();
    const percent = DISTRIBUTION_THRESHOLDS.errorRatePercent;
    const errorRate = this.alarm(group, "5xx-error-rate-high", topic.topic.arn, {
      alarmName: `${this.name}-${key}-5xx-error-rate-high`,
      alarmDescription: `More than ${percent}% of the requests to distribution ${key} answered 5xx in 2 of 3 five-minute periods.`,
      namespace: "AWS/CloudFront",
      metricName: "5xxErrorRate",
      dimensions: { DistributionId: site.distributionId, Region: "Global" },
      statistic: "Average",
      period: FIVE_MINUTES,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: "GreaterThanThreshold",
      threshold: percent,
      // CloudFront publishes nothing for a period without requests: an idle site is healthy.
      treatMissingData: "notBreaching",
    });
    useProvider(group, this.usEast1Provider);
    return { errorRate };
  }

  /** The us-east-1 topic, created on first use (or the primary one when the environment is us-east-1). */
  private usEast1AlarmTopic(): AlarmTopic {
    if (this.environment.region === CLOUDFRONT_REGION) return this.primary;
    if (!this.cloudFrontTopic) {
      const scope = new Construct(this, CLOUDFRONT_REGION);
      this.cloudFrontTopic = this.alarmTopic(scope, CLOUDFRONT_REGION);
      useProvider(scope, this.usEast1Provider);
    }
    return this.cloudFrontTopic;
  }

  /**
   * An encrypted topic with its key, policy and e-mail subscription, under `scope`, and a Terraform
   * check that warns on every plan and apply while the subscription is unconfirmed.
   */
  private alarmTopic(scope: Construct, region: string): AlarmTopic {
    const { account } = this.environment;
    const partition = partitionOf(region);
    // Who publishes to the topic: CloudWatch alarms of this account, and in the environment's
    // region (where RDS events reach EventBridge) the storage event rules of `watchDatabase`.
    const publishers = [
      {
        sid: "CloudWatchAlarms",
        topicSid: "CloudWatchAlarmsOfThisAccount",
        service: "cloudwatch.amazonaws.com",
        sourceArn: `arn:${partition}:cloudwatch:${region}:${account}:alarm:*`,
      },
      ...(region === this.environment.region
        ? [
            {
              sid: "EventBridgeRules",
              topicSid: "EventBridgeRulesOfThisAlarmSet",
              service: "events.amazonaws.com",
              sourceArn: `arn:${partition}:events:${region}:${account}:rule/${this.name}-*`,
            },
          ]
        : []),
    ];
    const topicName = `${this.name}-alarms`;
    const topicArn = `arn:${partition}:sns:${region}:${account}:${topicName}`;
    const key = new EncryptionKey(scope, "key", {
      environment: { account, region },
      description: `Alarm notifications of ${this.name} (SNS topic ${topicName})`,
      alias: `${this.name}-alarms`,
      preventDestroy: this.tier === "production",
      // In a key policy "*" means "this key"; SNS always passes the topic ARN as encryption
      // context, so each publisher may use it for this topic's messages only.
      statements: publishers.map(({ sid, service }) => ({
        Sid: `${sid}PublishToTopic`,
        Effect: "Allow" as const,
        Principal: { Service: service },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
      })),
    });
    // Distinct per topic: the display name is the sender of the confirmation and alarm e-mails.
    const suffix =
      region === this.environment.region ? ` alarms ${region}` : ` CloudFront alarms ${region}`;
    const displayName = `${this.name.slice(0, MAX_DISPLAY_NAME_LENGTH - suffix.length)}${suffix}`;
    const topic = new SnsTopic(scope, "topic", {
      name: topicName,
      displayName,
      kmsMasterKeyId: key.keyArn,
    });
    new SnsTopicPolicy(scope, "topic-policy", {
      arn: topic.arn,
      policy: policyJson([
        ...publishers.map(({ topicSid, service, sourceArn }) => ({
          Sid: topicSid,
          Effect: "Allow" as const,
          Principal: { Service: service },
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: {
            StringEquals: { "aws:SourceAccount": account },
            ArnLike: { "aws:SourceArn": sourceArn },
          },
        })),
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: topic.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]),
    });
    const subscription = new SnsTopicSubscription(scope, "email-subscription", {
      topicArn: topic.arn,
      protocol: "email",
      endpoint: this.email,
    });
    // cdktf 0.21 has no construct for check blocks. A failed check is a warning, never an error:
    // unknown during the first plan, it warns after each apply until the link is clicked.
    TerraformStack.of(this).addOverride(`check.alarm_email_confirmed_${this.name}_${region}`, {
      assert: [
        {
          condition: Op.not(subscription.pendingConfirmation),
          error_message: `The alarm e-mail subscription of ${this.email} to topic ${topicName} (${region}) is pending confirmation: no alarm reaches it until the link in the e-mail from "${displayName}" is clicked, and SNS deletes unconfirmed subscriptions after 48 hours (the next apply subscribes again).`,
        },
      ],
    });
    const alarmTopic = { topic, key, subscription, region };
    this.topics.push(alarmTopic);
    return alarmTopic;
  }

  /** A metric alarm that notifies the topic on ALARM and on recovery (OK). */
  private alarm(
    scope: Construct,
    id: string,
    topicArn: string,
    config: Omit<CloudwatchMetricAlarmConfig, "alarmActions" | "okActions" | "actionsEnabled">,
  ): CloudwatchMetricAlarm {
    if (typeof config.alarmName === "string")
      this.severities[config.alarmName] = ALARM_SEVERITIES[id] ?? "critical";
    return new CloudwatchMetricAlarm(scope, id, {
      ...config,
      actionsEnabled: true,
      alarmActions: [topicArn],
      okActions: [topicArn],
    });
  }

  /** The stable key of a watched resource (construct id and alarm-name part); throws when unusable. */
  private watchKey(
    explicit: string | undefined,
    target: object,
    fallback: string,
    fallbackName: string,
  ): string {
    const key =
      explicit ?? (Construct.isConstruct(target) ? (target as IConstruct).node.id : fallback);
    const p = new ProblemList();
    if (isToken(key)) {
      p.check(false, "id", key, `an id option: ${fallbackName} is only known after apply`);
    } else {
      p.check(/^[A-Za-z0-9_-]{1,64}$/.test(key), "id", key, "1-64 letters, digits, '-' and '_'");
    }
    throwIfProblems(this, p.problems);
    return key;
  }
}

/** Puts every resource under `scope` on `provider` (e.g. the key and topic in us-east-1). */
function useProvider(scope: IConstruct, provider: TerraformProvider): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof TerraformResource) c.provider = provider;
  }
}
