import { Construct } from "constructs";
import { TerraformOutput, Token } from "cdktf";
import {
  Alarms,
  validateAlarmsProps,
  type AlarmsProps,
  type IDatabaseMetrics,
} from "../../constructs/alarms";
import {
  instanceMemoryGib,
  postgresDefaultMaxConnections,
} from "../../constructs/private/alarms-instance-memory";
import {
  allowedActions,
  only,
  policy,
  rejectionLines,
  resources,
  synth,
  TEST_AWS,
  testStack,
  usEast1Provider,
  type StackJson,
} from "../helpers";

const DATABASE: IDatabaseMetrics = {
  identifier: "prod-db",
  allocatedStorageGb: 100,
  instanceClass: "db.r6g.large",
};
const GIB = 1024 ** 3;

function setup(props: Partial<AlarmsProps> = {}, usEast1Region = "us-east-1") {
  const stack = testStack();
  const usEast1 = usEast1Provider(stack, usEast1Region);
  const alarms = new Alarms(stack, "alarms", {
    environment: TEST_AWS,
    usEast1Provider: usEast1,
    email: "oncall@example.com",
    name: "prod",
    ...props,
  });
  return { stack, alarms };
}

/** Resources of a type whose Terraform name contains `part`. */
function named(json: StackJson, type: string, part: string): Record<string, unknown>[] {
  return Object.entries(resources(json, type))
    .filter(([n]) => n.includes(part))
    .map(([, r]) => r);
}

/** The `${type.<name>.<attr>}` reference of the one resource of a type whose name contains `part`. */
function ref(json: StackJson, type: string, part: string, attr: string): string {
  const names = Object.keys(resources(json, type)).filter((n) => n.includes(part));
  if (names.length !== 1) throw new Error(`expected one ${type} *${part}*, found ${names.length}`);
  return `\${${type}.${names[0]}.${attr}}`;
}

function alarm(json: StackJson, alarmName: string): Record<string, unknown> {
  const found = Object.values(resources(json, "aws_cloudwatch_metric_alarm")).filter(
    (a) => a.alarm_name === alarmName,
  );
  if (found.length !== 1) throw new Error(`expected one alarm ${alarmName}, found ${found.length}`);
  return found[0];
}

/** A stand-in for the Database construct: a construct with the three attributes. */
class FakeDatabase extends Construct implements IDatabaseMetrics {
  readonly identifier = "prod-db";
  readonly allocatedStorageGb = 100;
  readonly instanceClass = "db.r6g.large";
}

describe("Alarms topic", () => {
  const { stack, alarms } = setup();
  const json = synth(stack);
  const topic = only(json, "aws_sns_topic");

  test("one topic, named by the prefix, in the environment's region", () => {
    expect(topic.name).toBe("prod-alarms");
    expect(topic.provider).toBeUndefined();
    expect(alarms.usEast1Topic).toBeUndefined();
  });

  test("the topic is encrypted with the customer key, which rotates", () => {
    expect(topic.kms_master_key_id).toBe(ref(json, "aws_kms_key", "alarms_key", "arn"));
    expect(only(json, "aws_kms_key").enable_key_rotation).toBe(true);
  });

  test("CloudWatch may use the key (Decrypt, GenerateDataKey*) for this topic only", () => {
    const statements = policy(only(json, "aws_kms_key").policy).Statement;
    expect(statements.map((s) => s.Action).flat()).not.toContain("kms:*");
    const cloudwatch = statements.filter((s) =>
      JSON.stringify(s.Principal).includes("cloudwatch.amazonaws.com"),
    );
    expect(cloudwatch).toEqual([
      {
        Sid: "CloudWatchAlarmsPublishToTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:EncryptionContext:aws:sns:topicArn":
              "arn:aws:sns:eu-west-1:123456789012:prod-alarms",
          },
        },
      },
    ]);
  });

  test("the topic policy lets only CloudWatch alarms and this alarm set's EventBridge rules of this account publish", () => {
    const topicPolicy = only(json, "aws_sns_topic_policy");
    expect(topicPolicy.arn).toBe(ref(json, "aws_sns_topic", "alarms_topic", "arn"));
    expect(allowedActions(topicPolicy.policy)).toEqual(["sns:Publish", "sns:Publish"]);
    const allows = policy(topicPolicy.policy).Statement.filter((s) => s.Effect === "Allow");
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*" },
        },
      }),
      expect.objectContaining({
        Principal: { Service: "events.amazonaws.com" },
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:events:eu-west-1:123456789012:rule/prod-*" },
        },
      }),
    ]);
  });

  test("EventBridge may use the regional topic's key for this topic only", () => {
    const statements = policy(only(json, "aws_kms_key").policy).Statement;
    expect(
      statements.filter((s) => JSON.stringify(s.Principal).includes("events.amazonaws.com")),
    ).toEqual([
      {
        Sid: "EventBridgeRulesPublishToTopic",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "kms:EncryptionContext:aws:sns:topicArn":
              "arn:aws:sns:eu-west-1:123456789012:prod-alarms",
          },
        },
      },
    ]);
  });

  test("the topic refuses publishing without TLS", () => {
    expect(policy(only(json, "aws_sns_topic_policy").policy).Statement).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
  });

  test("the e-mail address is subscribed", () => {
    expect(only(json, "aws_sns_topic_subscription")).toEqual({
      topic_arn: ref(json, "aws_sns_topic", "alarms_topic", "arn"),
      protocol: "email",
      endpoint: "oncall@example.com",
    });
  });

  test("production protects the key from destroy; development does not", () => {
    expect(only(json, "aws_kms_key").lifecycle).toEqual({ prevent_destroy: true });
    const dev = setup({ tier: "development" });
    expect(only(synth(dev.stack), "aws_kms_key").lifecycle).toBeUndefined();
  });

  test("typed outputs: topic ARN and key", () => {
    new TerraformOutput(stack, "topic_arn", { value: alarms.topicArn });
    new TerraformOutput(stack, "key_arn", { value: alarms.encryptionKey.keyArn });
    const out = synth(stack).output!;
    expect(out.topic_arn.value).toBe(ref(json, "aws_sns_topic", "alarms_topic", "arn"));
    expect(out.key_arn.value).toBe(ref(json, "aws_kms_key", "alarms_key", "arn"));
  });
});

describe("Alarms.watchDatabase", () => {
  const { stack, alarms } = setup();
  const returned = alarms.watchDatabase(DATABASE, { id: "database" });
  const json = synth(stack);
  const topicArn = ref(json, "aws_sns_topic", "alarms_topic", "arn");
  const common = {
    namespace: "AWS/RDS",
    dimensions: { DBInstanceIdentifier: "prod-db" },
    period: 300,
    treat_missing_data: "missing",
  };

  test("four alarms, named <name>-<id>-..., in the environment's region", () => {
    const all = Object.values(resources(json, "aws_cloudwatch_metric_alarm"));
    expect(all.map((a) => a.alarm_name).sort()).toEqual([
      "prod-database-connections-high",
      "prod-database-cpu-high",
      "prod-database-free-storage-low",
      "prod-database-freeable-memory-low",
    ]);
    for (const a of all) expect(a.provider).toBeUndefined();
    expect(Object.keys(returned).sort()).toEqual([
      "connections",
      "cpu",
      "freeStorage",
      "freeableMemory",
    ]);
  });

  test("every alarm notifies the topic on ALARM and on recovery (OK)", () => {
    for (const a of Object.values(resources(json, "aws_cloudwatch_metric_alarm"))) {
      expect(a.alarm_actions).toEqual([topicArn]);
      expect(a.ok_actions).toEqual([topicArn]);
      expect(a.actions_enabled).toBe(true);
    }
  });

  test("CPUUtilization above 80% for 3 of 3 five-minute periods", () => {
    expect(alarm(json, "prod-database-cpu-high")).toMatchObject({
      ...common,
      metric_name: "CPUUtilization",
      statistic: "Average",
      comparison_operator: "GreaterThanThreshold",
      threshold: 80,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
    });
  });

  test("FreeStorageSpace below 10% of the allocated storage, in bytes", () => {
    expect(alarm(json, "prod-database-free-storage-low")).toMatchObject({
      ...common,
      metric_name: "FreeStorageSpace",
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 10737418240, // 10% of 100 GiB
      unit: "Bytes",
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
    });
  });

  test("FreeableMemory below 10% of the instance class memory, in bytes", () => {
    expect(alarm(json, "prod-database-freeable-memory-low")).toMatchObject({
      ...common,
      metric_name: "FreeableMemory",
      statistic: "Average",
      comparison_operator: "LessThanThreshold",
      threshold: 1717986918, // 10% of 16 GiB (db.r6g.large)
      unit: "Bytes",
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
    });
  });

  test("DatabaseConnections above 80% of PostgreSQL's default max_connections", () => {
    // db.r6g.large: LEAST(16 GiB / 9531392, 5000) = 1802; 80% = 1441
    expect(alarm(json, "prod-database-connections-high")).toMatchObject({
      ...common,
      metric_name: "DatabaseConnections",
      statistic: "Maximum",
      comparison_operator: "GreaterThanThreshold",
      threshold: 1441,
      evaluation_periods: 3,
      datapoints_to_alarm: 3,
    });
  });

  describe("with storage autoscaling (maxAllocatedStorageGb above the allocation)", () => {
    const s = setup();
    const returned = s.alarms.watchDatabase(
      { ...DATABASE, maxAllocatedStorageGb: 500 },
      { id: "database" },
    );
    const j = synth(s.stack);
    const rules = Object.values(resources(j, "aws_cloudwatch_event_rule"));
    const rule = (name: string) => rules.find((r) => r.name === name)!;

    test("free storage pages only when autoscaling has not kept up: below 5% of the initial allocation", () => {
      // RDS grows the volume at 10% free of the current allocation, never below the initial one
      expect(alarm(j, "prod-database-free-storage-low").threshold).toBe(Math.round(5 * GIB));
      expect(alarm(j, "prod-database-free-storage-low").alarm_description).toContain(
        "storage autoscaling (up to 500 GiB, at 10% free) has not kept up",
      );
    });

    test("RDS storage events go to the topic: at the ceiling (critical) and at 80% of it (warning)", () => {
      expect(rules.map((r) => r.name).sort()).toEqual([
        "prod-database-storage-at-limit",
        "prod-database-storage-near-limit",
      ]);
      expect(JSON.parse(String(rule("prod-database-storage-at-limit").event_pattern))).toEqual({
        source: ["aws.rds"],
        "detail-type": ["RDS DB Instance Event"],
        detail: {
          SourceIdentifier: ["prod-db"],
          EventID: ["RDS-EVENT-0007", "RDS-EVENT-0223", "RDS-EVENT-0224"],
        },
      });
      expect(
        JSON.parse(String(rule("prod-database-storage-near-limit").event_pattern)).detail.EventID,
      ).toEqual(["RDS-EVENT-0225"]);
      expect(Object.keys(returned.storageEvents!)).toEqual(["atLimit", "nearLimit"]);
    });

    test("each rule targets the regional alarm topic with a one-line message", () => {
      const targets = Object.values(resources(j, "aws_cloudwatch_event_target")) as any[];
      expect(targets).toHaveLength(2);
      for (const target of targets) {
        expect(target.arn).toBe(ref(j, "aws_sns_topic", "alarms_topic", "arn"));
        expect(target.input_transformer.input_paths).toEqual({
          db: "$.detail.SourceIdentifier",
          event: "$.detail.EventID",
          message: "$.detail.Message",
        });
      }
      expect(targets.map((t) => JSON.parse(t.input_transformer.input_template))).toEqual([
        "CRITICAL <db> <event>: <message> (raise maxAllocatedStorageGb above 500 GiB or free space now)",
        "WARNING <db> <event>: <message> (raise maxAllocatedStorageGb above 500 GiB before autoscaling stops)",
      ]);
    });
  });

  test("without storage autoscaling: no event rules, free storage below 10% of the allocation", () => {
    expect(resources(json, "aws_cloudwatch_event_rule")).toEqual({});
    expect(returned.storageEvents).toBeUndefined();
  });

  test("fails when the autoscaling ceiling is below the allocation", () => {
    const s = setup();
    expect(
      rejectionLines(() =>
        s.alarms.watchDatabase({ ...DATABASE, maxAllocatedStorageGb: 50 }, { id: "db" }),
      ),
    ).toEqual([
      "test/alarms/database-db: maxAllocatedStorageGb: received 50; expected a number of GiB known at synthesis, at least allocatedStorageGb (100)",
    ]);
  });

  test("thresholds follow the database: storage and a burstable class", () => {
    const s = setup();
    s.alarms.watchDatabase(
      { identifier: "dev-db", allocatedStorageGb: 20, instanceClass: "db.t4g.medium" },
      { id: "db" },
    );
    const j = synth(s.stack);
    expect(alarm(j, "prod-db-free-storage-low").threshold).toBe(2147483648); // 10% of 20 GiB
    expect(alarm(j, "prod-db-freeable-memory-low").threshold).toBe(429496730); // 10% of 4 GiB
    expect(alarm(j, "prod-db-connections-high").threshold).toBe(360); // 80% of 450
    expect(alarm(j, "prod-db-cpu-high").dimensions).toEqual({ DBInstanceIdentifier: "dev-db" });
  });

  test("an unknown instance class works with an explicit memoryGib", () => {
    const s = setup();
    s.alarms.watchDatabase(
      { identifier: "x", allocatedStorageGb: 100, instanceClass: "db.x2g.large" },
      { id: "db", memoryGib: 32 },
    );
    const j = synth(s.stack);
    expect(alarm(j, "prod-db-freeable-memory-low").threshold).toBe(Math.round(3.2 * GIB));
    expect(alarm(j, "prod-db-connections-high").threshold).toBe(
      Math.floor(Math.floor((32 * GIB) / 9531392) * 0.8),
    );
  });

  test("the id defaults to the database construct's id", () => {
    const s = setup();
    const database = new FakeDatabase(s.stack, "main-db");
    s.alarms.watchDatabase(database);
    const j = synth(s.stack);
    expect(alarm(j, "prod-main-db-cpu-high").dimensions).toEqual({
      DBInstanceIdentifier: "prod-db",
    });
  });

  test("the id defaults to the identifier for a plain object", () => {
    const s = setup();
    s.alarms.watchDatabase(DATABASE);
    expect(alarm(synth(s.stack), "prod-prod-db-cpu-high")).toBeDefined();
  });

  test("a token identifier is used as the dimension when an id is given", () => {
    const s = setup();
    const identifier = Token.asString({ Ref: "db" });
    s.alarms.watchDatabase({ ...DATABASE, identifier }, { id: "db" });
    expect(() => synth(s.stack)).not.toThrow();
  });
});

describe("Alarms.watchDistribution", () => {
  const { stack, alarms } = setup();
  const returned = alarms.watchDistribution({ distributionId: "E2EXAMPLE" }, { id: "web" });
  alarms.watchDistribution({ distributionId: "E3EXAMPLE" }, { id: "docs" });
  const json = synth(stack);
  const errorRate = alarm(json, "prod-web-5xx-error-rate-high");

  test("5xxErrorRate above 1% in 2 of 3 five-minute periods, Region=Global", () => {
    expect(errorRate).toMatchObject({
      namespace: "AWS/CloudFront",
      metric_name: "5xxErrorRate",
      dimensions: { DistributionId: "E2EXAMPLE", Region: "Global" },
      statistic: "Average",
      period: 300,
      comparison_operator: "GreaterThanThreshold",
      threshold: 1,
      evaluation_periods: 3,
      datapoints_to_alarm: 2,
      treat_missing_data: "notBreaching",
    });
    expect(returned.errorRate.node.id).toBe("5xx-error-rate-high");
  });

  test("the alarm lives in us-east-1, where CloudFront metrics are", () => {
    expect(errorRate.provider).toBe("aws.us_east_1");
  });

  test("it notifies a topic in us-east-1 on ALARM and OK", () => {
    const usTopic = ref(json, "aws_sns_topic", "us-east-1_topic", "arn");
    expect(errorRate.alarm_actions).toEqual([usTopic]);
    expect(errorRate.ok_actions).toEqual([usTopic]);
    expect(alarms.usEast1Topic).toBeDefined();
  });

  test("one us-east-1 topic, key, policy and subscription, all on the us-east-1 provider", () => {
    for (const type of [
      "aws_sns_topic",
      "aws_kms_key",
      "aws_kms_alias",
      "aws_sns_topic_policy",
      "aws_sns_topic_subscription",
    ]) {
      const all = Object.values(resources(json, type));
      expect(all.map((r) => r.provider).sort()).toEqual(["aws.us_east_1", undefined]);
    }
    const [usTopic] = named(json, "aws_sns_topic", "us-east-1_topic");
    expect(usTopic.kms_master_key_id).toBe(ref(json, "aws_kms_key", "us-east-1_key", "arn"));
    const [usSubscription] = named(json, "aws_sns_topic_subscription", "us-east-1");
    expect(usSubscription).toMatchObject({ protocol: "email", endpoint: "oncall@example.com" });
  });

  test("the us-east-1 key and topic policy name us-east-1", () => {
    const [key] = named(json, "aws_kms_key", "us-east-1_key");
    const statement = policy(key.policy).Statement.find(
      (s) => s.Sid === "CloudWatchAlarmsPublishToTopic",
    )!;
    expect(statement.Condition).toEqual({
      StringEquals: {
        "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-east-1:123456789012:prod-alarms",
      },
    });
    const [topicPolicy] = named(json, "aws_sns_topic_policy", "us-east-1");
    expect(JSON.stringify(policy(topicPolicy.policy))).toContain(
      "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*",
    );
  });

  test("both distributions share the us-east-1 topic", () => {
    const docs = alarm(json, "prod-docs-5xx-error-rate-high");
    expect(docs.alarm_actions).toEqual(errorRate.alarm_actions);
    expect(docs.dimensions).toEqual({ DistributionId: "E3EXAMPLE", Region: "Global" });
  });

  test("the id defaults to the site construct's id", () => {
    const s = setup();
    class Site extends Construct {
      readonly distributionId = "E4EXAMPLE";
    }
    s.alarms.watchDistribution(new Site(s.stack, "www"));
    expect(alarm(synth(s.stack), "prod-www-5xx-error-rate-high")).toBeDefined();
  });

  test("in us-east-1 the environment's topic is reused (no second topic)", () => {
    const s = setup({ environment: { account: "123456789012", region: "us-east-1" } });
    s.alarms.watchDistribution({ distributionId: "E2EXAMPLE" }, { id: "web" });
    const j = synth(s.stack);
    expect(Object.keys(resources(j, "aws_sns_topic"))).toHaveLength(1);
    expect(alarm(j, "prod-web-5xx-error-rate-high").alarm_actions).toEqual([
      ref(j, "aws_sns_topic", "alarms_topic", "arn"),
    ]);
  });
});

describe("Alarms e-mail confirmation", () => {
  const { stack, alarms } = setup();
  alarms.watchDistribution({ distributionId: "E2EXAMPLE" }, { id: "web" });
  new TerraformOutput(stack, "pending", { value: alarms.emailPendingConfirmation });
  const json = synth(stack) as StackJson & { check?: Record<string, unknown> };
  const subscription = (part: string) =>
    Object.keys(resources(json, "aws_sns_topic_subscription")).find((n) => n.includes(part))!;
  const primary = subscription("alarms_email-subscription");
  const usEast1 = subscription("us-east-1_email-subscription");

  test("the two topics have distinct display names (the From of their e-mails)", () => {
    expect(
      Object.values(resources(json, "aws_sns_topic"))
        .map((t) => t.display_name)
        .sort(),
    ).toEqual(["prod CloudFront alarms us-east-1", "prod alarms eu-west-1"]);
  });

  test("display names stay within SNS's 100 characters for a long name", () => {
    const long = setup({ name: "n".repeat(150) });
    long.alarms.watchDistribution({ distributionId: "E2EXAMPLE" }, { id: "web" });
    const names = Object.values(resources(synth(long.stack), "aws_sns_topic")).map((t) =>
      String(t.display_name),
    );
    for (const name of names) expect(name.length).toBeLessThanOrEqual(100);
    expect(names.sort()).toEqual([
      `${"n".repeat(72)} CloudFront alarms us-east-1`,
      `${"n".repeat(83)} alarms eu-west-1`,
    ]);
  });

  test("emailPendingConfirmation maps each topic's region to its subscription's pending_confirmation", () => {
    expect(json.output!.pending.value).toEqual({
      "eu-west-1": `\${aws_sns_topic_subscription.${primary}.pending_confirmation}`,
      "us-east-1": `\${aws_sns_topic_subscription.${usEast1}.pending_confirmation}`,
    });
  });

  test("a Terraform check per topic warns while its subscription is unconfirmed", () => {
    expect(json.check).toEqual({
      "alarm_email_confirmed_prod_eu-west-1": {
        assert: [
          {
            condition: `\${!aws_sns_topic_subscription.${primary}.pending_confirmation}`,
            error_message:
              'The alarm e-mail subscription of oncall@example.com to topic prod-alarms (eu-west-1) is pending confirmation: no alarm reaches it until the link in the e-mail from "prod alarms eu-west-1" is clicked, and SNS deletes unconfirmed subscriptions after 48 hours (the next apply subscribes again).',
          },
        ],
      },
      "alarm_email_confirmed_prod_us-east-1": {
        assert: [
          {
            condition: `\${!aws_sns_topic_subscription.${usEast1}.pending_confirmation}`,
            error_message:
              'The alarm e-mail subscription of oncall@example.com to topic prod-alarms (us-east-1) is pending confirmation: no alarm reaches it until the link in the e-mail from "prod CloudFront alarms us-east-1" is clicked, and SNS deletes unconfirmed subscriptions after 48 hours (the next apply subscribes again).',
          },
        ],
      },
    });
  });
});

describe("instance class memory table", () => {
  test("memory of common classes", () => {
    expect(
      ["db.t4g.micro", "db.t3.medium", "db.m6i.2xlarge", "db.r6g.large", "db.r5.4xlarge"].map(
        instanceMemoryGib,
      ),
    ).toEqual([1, 4, 32, 16, 128]);
  });

  test("unknown classes are undefined", () => {
    expect(
      ["db.x2g.large", "db.r6g.huge", "r6g.large", "db.t4g.4xlarge"].map(instanceMemoryGib),
    ).toEqual([undefined, undefined, undefined, undefined]);
  });

  test("max_connections = LEAST(memory / 9531392, 5000)", () => {
    expect(postgresDefaultMaxConnections(1)).toBe(112);
    expect(postgresDefaultMaxConnections(16)).toBe(1802);
    expect(postgresDefaultMaxConnections(512)).toBe(5000);
  });
});

describe("Alarms validation", () => {
  test("fails on a bad e-mail address", () => {
    expect(() => setup({ email: "oncall@example" })).toThrow(
      'test/alarms: email: received "oncall@example"; expected an e-mail address such as oncall@example.com',
    );
  });

  test("fails on a name unusable in topic and alarm names", () => {
    expect(() => setup({ name: "prod alarms" })).toThrow(
      "test/alarms: name: received \"prod alarms\"; expected 1-200 letters, digits, '-' and '_' (used in SNS topic, KMS alias and alarm names)",
    );
  });

  test("reports every problem at once", () => {
    expect(() => setup({ name: "a b", email: "nope" })).toThrow(
      /test\/alarms: email: .*\ntest\/alarms: name: /,
    );
  });

  test("fails when the us-east-1 provider is in another region", () => {
    expect(() => setup({}, "eu-west-1")).toThrow(
      'test/alarms: usEast1Provider: received "eu-west-1"; expected an AwsProvider configured for region us-east-1',
    );
  });

  test("fails when the instance class is unknown and memoryGib is not given", () => {
    const { alarms } = setup();
    expect(() =>
      alarms.watchDatabase({ ...DATABASE, instanceClass: "db.x2g.large" }, { id: "db" }),
    ).toThrow(
      'test/alarms/database-db: instanceClass: received "db.x2g.large"; expected an instance class of a family in the built-in memory table (t3, t4g, m5, m5d, m6g, m6gd, m6i, m6id, m7g, m7i, m8g, r5, r5b, r5d, r6g, r6gd, r6i, r6id, r7g, r7i, r8g), or the memoryGib option',
    );
  });

  test("fails on a non-positive memoryGib or allocatedStorageGb", () => {
    const { alarms } = setup();
    expect(() =>
      alarms.watchDatabase({ ...DATABASE, allocatedStorageGb: 0 }, { id: "db", memoryGib: -1 }),
    ).toThrow(
      [
        "test/alarms/database-db: allocatedStorageGb: received 0; expected a positive number of GiB known at synthesis (the free storage threshold is a share of it)",
        "test/alarms/database-db: memoryGib: received -1; expected a positive number of GiB",
      ].join("\n"),
    );
  });

  test("fails when the key would come from a token identifier", () => {
    const { alarms } = setup();
    expect(() =>
      alarms.watchDatabase({ ...DATABASE, identifier: Token.asString({ Ref: "db" }) }),
    ).toThrow(
      /^test\/alarms: id: received .*; expected an id option: the database's identifier is only known after apply$/,
    );
  });

  test("fails on an id unusable in alarm names", () => {
    const { alarms } = setup();
    expect(() => alarms.watchDistribution({ distributionId: "E2" }, { id: "my site" })).toThrow(
      "test/alarms: id: received \"my site\"; expected 1-64 letters, digits, '-' and '_'",
    );
  });

  test("unresolved tokens are not validated", () => {
    expect(() => setup({ email: Token.asString({ Ref: "email" }) })).not.toThrow();
  });

  test("validateAlarmsProps is pure and names fields as the props (for the environment file)", () => {
    expect(validateAlarmsProps({ name: "prod", email: "oncall@example.com" })).toEqual([]);
    expect(validateAlarmsProps({ name: "prod", email: "on call@example.com" })).toEqual([
      {
        field: "email",
        received: "on call@example.com",
        expected: "an e-mail address such as oncall@example.com",
      },
    ]);
  });
});
