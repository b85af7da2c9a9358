import { join } from "node:path";
import { Construct } from "constructs";
import { AssetType, Lazy, TerraformAsset } from "cdktf";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { secretsReadPolicy } from "./private/addon-policies";
import { encryptedLogGroup } from "./private/encrypted-log-group";
import { MAX_ROLE_NAME_LENGTH, policyJson } from "./private/iam";
import { SNS_TOPIC_ARN } from "./private/patterns";
import {
  monitoringSecretsPrefix,
  secretReferenceProblems,
  type SecretReference,
} from "./private/secrets";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { zipFolder } from "./private/zip";
import { checkPattern } from "./private/addon-release";
import { partitionOf, type AwsEnvironment, type Tier } from "./types";

/** The handler, packaged as the function's code at synthesis. */
export const ALARM_FORWARDER_CODE_DIRECTORY = join(__dirname, "functions", "alarm-forwarder");

/** Where the forwarder sends one severity of CloudWatch alarms: PagerDuty or Slack. */
export type AlarmForwarderTarget =
  | {
      /** PagerDuty Events API v2. */
      readonly type: "pagerduty";
      /** The Secrets Manager secret holding the routing key, and for a JSON secret its key. */
      readonly secret: SecretReference;
    }
  | {
      /** A Slack incoming webhook. */
      readonly type: "slack";
      /** The Secrets Manager secret holding the webhook URL, and for a JSON secret its key. */
      readonly secret: SecretReference;
      /** The channel posted to. */
      readonly channel: string;
    };

/** One alarm topic the forwarder subscribes to. */
export interface AlarmForwarderTopic {
  /** ARN of the topic. */
  readonly topicArn: string;
  /** The topic's region: the stable key of its subscription and permission. */
  readonly region: string;
  /** AWS provider of the topic's region (the subscription lives there). @default the stack's default provider */
  readonly provider?: AwsProvider;
}

/** Props of {@link AlarmForwarder}. */
export interface AlarmForwarderProps {
  /** Account and region of the function. */
  readonly environment: AwsEnvironment;
  /** The environment's name: the function reads only the secrets named `<name>/monitoring/*`, and names its resources `<name>-alarm-forwarder`. */
  readonly name: string;
  /** The alarm topics (their CloudWatch alarms and RDS event messages are forwarded). */
  readonly topics: readonly AlarmForwarderTopic[];
  /** Where critical alarms go. @default nowhere but the topics' e-mail */
  readonly critical?: AlarmForwarderTarget;
  /** Where warning alarms go. @default nowhere but the topics' e-mail */
  readonly warning?: AlarmForwarderTarget;
  /**
   * Severity of each alarm, by alarm name (e.g. `Alarms.severities`), read at synthesis (alarms
   * added after this construct are included). @default every alarm is critical
   */
  readonly severities?: Readonly<Record<string, "critical" | "warning">>;
  /** KMS key of the environment's secrets (the function decrypts through Secrets Manager only). */
  readonly secretsKeyArn: string;
  /** Tier: production keeps its log key from destroy and its logs longer. @default "production" */
  readonly tier?: Tier;
}

/** Every problem with forwarder props, with field paths named as the props. */
export function validateAlarmForwarderProps(props: AlarmForwarderProps): Problem[] {
  const p = new ProblemList();
  p.check(props.topics.length > 0, "topics", props.topics, "at least one alarm topic");
  const regions = props.topics.map((t) => t.region);
  props.topics.forEach((t, i) => {
    checkPattern(p, `topics.${i}.topicArn`, t.topicArn, SNS_TOPIC_ARN, "an SNS topic ARN");
    p.check(
      regions.indexOf(t.region) === i,
      `topics.${i}.region`,
      t.region,
      "one topic per region (the region keys its subscription)",
    );
  });
  p.check(
    props.critical !== undefined || props.warning !== undefined,
    "critical",
    props.critical,
    "a PagerDuty or Slack target for critical or warning alarms (else nothing is forwarded)",
  );
  const prefix = monitoringSecretsPrefix(props.name);
  for (const severity of ["critical", "warning"] as const) {
    const target = props[severity];
    if (target === undefined) continue;
    p.check(
      target.type === "pagerduty" || target.type === "slack",
      `${severity}.type`,
      (target as { type?: unknown }).type,
      '"pagerduty" or "slack"',
    );
    secretReferenceProblems(
      p,
      `${severity}.secret`,
      target.secret,
      { prefixes: [prefix] },
      `the forwarder's role reads only ${prefix}*`,
    );
  }
  return [...p.problems];
}

/**
 * CloudWatch alarms on the same incident path as Alertmanager: a Lambda function subscribed to
 * the alarm topics forwards each alarm (ALARM triggers, OK resolves, deduplicated by alarm ARN) and
 * each RDS storage event to PagerDuty Events API v2 or Slack by the alarm's severity. The routing
 * key and the Slack URL stay in Secrets Manager: the function reads them at run time with a role
 * that may read only `<env>/monitoring/*`, so neither the configuration nor the Terraform state
 * holds them (an HTTPS subscription would put PagerDuty's integration URL, which holds the key, in
 * the state). Its logs go to an encrypted log group.
 */
export class AlarmForwarder extends Construct {
  /** The function. */
  readonly function: LambdaFunction;
  /** Its execution role. */
  readonly role: IamRole;
  /** Its encrypted log group. */
  readonly logGroup: CloudwatchLogGroup;
  /** One subscription per topic. */
  readonly subscriptions: readonly SnsTopicSubscription[];

  constructor(scope: Construct, id: string, props: AlarmForwarderProps) {
    super(scope, id);
    throwIfProblems(this, validateAlarmForwarderProps(props));
    const { account, region } = props.environment;
    const partition = partitionOf(region);
    const production = (props.tier ?? "production") === "production";
    const functionName = `${props.name}-alarm-forwarder`.slice(0, MAX_ROLE_NAME_LENGTH);

    const logs = encryptedLogGroup(this, "logs", {
      environment: props.environment,
      name: `/aws/lambda/${functionName}`,
      retentionDays: production ? 365 : 30,
      description: `Logs of the alarm forwarder ${functionName}`,
      keyAlias: `${functionName}-logs`,
      preventDestroy: production,
    });
    this.logGroup = logs.group;

    this.role = new IamRole(this, "role", {
      name: functionName,
      description: `Alarm forwarder of ${props.name}: reads ${monitoringSecretsPrefix(props.name)}* and writes its logs`,
      assumeRolePolicy: policyJson([
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]),
    });
    new IamRolePolicy(this, "role-policy", {
      role: this.role.name,
      name: "forward-alarms",
      policy: policyJson([
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${logs.arn}:*`,
        },
        ...secretsReadPolicy({
          account,
          region,
          partition,
          prefixes: [monitoringSecretsPrefix(props.name)],
          kmsKeyArns: [props.secretsKeyArn],
        }),
      ]),
    });

    const target = (t: AlarmForwarderTarget | undefined) =>
      t && {
        type: t.type,
        secretId: t.secret.name,
        ...(t.secret.key !== undefined ? { key: t.secret.key } : {}),
        ...(t.type === "slack" ? { channel: t.channel } : {}),
      };
    // zipped in process (deterministic, no second Node process per synthesis: constructs/private/zip.ts)
    const archive = zipFolder(ALARM_FORWARDER_CODE_DIRECTORY, "alarm-forwarder");
    const code = new TerraformAsset(this, "code", { path: archive.path, type: AssetType.FILE });
    this.function = new LambdaFunction(this, "function", {
      functionName,
      description:
        "Forwards CloudWatch alarms to PagerDuty and Slack (keys read from Secrets Manager)",
      role: this.role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: code.path,
      // what Lambda reports as the package's CodeSha256: changes exactly when the code does
      sourceCodeHash: archive.sha256Base64,
      timeout: 30,
      memorySize: 128,
      loggingConfig: { logFormat: "Text", logGroup: logs.group.name },
      environment: {
        variables: {
          // names only: the values are read at run time
          TARGETS: JSON.stringify({
            critical: target(props.critical),
            warning: target(props.warning),
          }),
          SEVERITIES: Lazy.stringValue({ produce: () => JSON.stringify(props.severities ?? {}) }),
        },
      },
      dependsOn: [logs.group],
    });

    this.subscriptions = props.topics.map((t) => {
      const key = `topic-${t.region}`;
      new LambdaPermission(this, `${key}-permission`, {
        statementId: `AllowAlarmTopic-${t.region}`,
        action: "lambda:InvokeFunction",
        functionName: this.function.functionName,
        principal: "sns.amazonaws.com",
        sourceArn: t.topicArn,
      });
      const subscription = new SnsTopicSubscription(this, `${key}-subscription`, {
        topicArn: t.topicArn,
        protocol: "lambda",
        endpoint: this.function.arn,
      });
      if (t.provider) subscription.provider = t.provider;
      return subscription;
    });
  }
}
