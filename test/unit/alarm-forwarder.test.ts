/**
 * CloudWatch alarms on the same incident path as Alertmanager: the forwarder's handler against
 * loopback servers playing PagerDuty Events API v2 and Slack, and the construct in the prod
 * infrastructure stack (least privilege, names only, one subscription per alarm topic).
 */
import { Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AlarmForwarder, validateAlarmForwarderProps } from "../../constructs/alarm-forwarder";
import { environmentStacks, rejectionLines, resources, testStack } from "../helpers";
import { startRecordingServer, type RecordingServer } from "../support/alertmanager";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require("../../constructs/functions/alarm-forwarder/index.cjs") as {
  forward(
    event: unknown,
    deps: unknown,
  ): Promise<{ name: string; severity: string; type: string }[]>;
  postJson(url: string, body: unknown): Promise<void>;
};

const ROUTING_KEY = "routing-key-from-secrets-manager";
/** The prod example's targets: what the construct writes into TARGETS, and what the handler reads. */
const PROD_TARGETS = {
  critical: { type: "pagerduty", secretId: "prod/monitoring/pagerduty", key: "routingKey" },
  warning: {
    type: "slack",
    secretId: "prod/monitoring/slack",
    key: "webhookUrl",
    channel: "#alerts-prod",
  },
};
const ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:prod-database-free-storage-low";

const alarmMessage = (name: string, state: string, arn = ALARM_ARN) =>
  JSON.stringify({
    AlarmName: name,
    AlarmDescription: `${name} description`,
    AWSAccountId: "123456789012",
    NewStateValue: state,
    NewStateReason:
      "Threshold Crossed: 1 datapoint [4.2E9 (01/12/26 22:00:00)] was less than the threshold (5.0E9).",
    Region: "EU (Ireland)",
    AlarmArn: arn,
    OldStateValue: state === "OK" ? "ALARM" : "OK",
  });
const event = (...messages: string[]) => ({
  Records: messages.map((Message) => ({ EventSource: "aws:sns", Sns: { Message } })),
});

describe("the forwarder's handler", () => {
  let pagerduty: RecordingServer;
  let slack: RecordingServer;
  let failing: RecordingServer;
  const reads: string[] = [];
  let deps: Record<string, unknown>;

  beforeAll(async () => {
    pagerduty = await startRecordingServer(() => ({
      status: 202,
      type: "application/json",
      body: '{"status":"success"}',
    }));
    slack = await startRecordingServer(() => ({ status: 200, type: "text/plain", body: "ok" }));
    failing = await startRecordingServer(() => ({
      status: 429,
      type: "text/plain",
      body: "slow down",
    }));
    const secrets: Record<string, string> = {
      "prod/monitoring/pagerduty": JSON.stringify({ routingKey: ROUTING_KEY }),
      "prod/monitoring/slack": JSON.stringify({ webhookUrl: `${slack.url}/services/T0/B0/x` }),
    };
    deps = {
      env: {
        TARGETS: JSON.stringify(PROD_TARGETS),
        SEVERITIES: JSON.stringify({
          "prod-database-free-storage-low": "critical",
          "prod-database-cpu-high": "warning",
        }),
      },
      getSecret: async (id: string) => {
        reads.push(id);
        return secrets[id];
      },
      post: handler.postJson,
      pagerdutyUrl: `${pagerduty.url}/v2/enqueue`,
    };
  });
  afterAll(() => Promise.all([pagerduty, slack, failing].map((s) => s.close())));
  beforeEach(() => {
    pagerduty.requests.length = 0;
    slack.requests.length = 0;
  });

  test("a critical alarm triggers a PagerDuty incident with the routing key read from Secrets Manager, OK resolves it", async () => {
    await handler.forward(event(alarmMessage("prod-database-free-storage-low", "ALARM")), deps);
    await handler.forward(event(alarmMessage("prod-database-free-storage-low", "OK")), deps);
    const events = pagerduty.requests.map((r) => JSON.parse(r.body));
    expect(pagerduty.requests.map((r) => r.path)).toEqual(["/v2/enqueue", "/v2/enqueue"]);
    expect(events.map((e) => [e.routing_key, e.event_action, e.dedup_key])).toEqual([
      [ROUTING_KEY, "trigger", ALARM_ARN],
      [ROUTING_KEY, "resolve", ALARM_ARN],
    ]);
    expect(events[0].payload).toMatchObject({ severity: "critical", source: "EU (Ireland)" });
    expect(events[0].payload.summary).toMatch(/^prod-database-free-storage-low: Threshold Crossed/);
    expect(slack.requests).toHaveLength(0);
    expect(reads).toContain("prod/monitoring/pagerduty");
  });

  test("a warning alarm posts to the Slack channel; INSUFFICIENT_DATA goes nowhere", async () => {
    const sent = await handler.forward(
      event(
        alarmMessage("prod-database-cpu-high", "ALARM"),
        alarmMessage("prod-database-cpu-high", "INSUFFICIENT_DATA"),
      ),
      deps,
    );
    expect(sent).toEqual([{ name: "prod-database-cpu-high", severity: "warning", type: "slack" }]);
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0].path).toBe("/services/T0/B0/x");
    const message = JSON.parse(slack.requests[0].body);
    expect(message.channel).toBe("#alerts-prod");
    expect(message.text).toMatch(
      /^\[FIRING\] prod-database-cpu-high: Threshold Crossed.*\(warning, CloudWatch\)$/,
    );
    expect(pagerduty.requests).toHaveLength(0);
  });

  test("an alarm not in SEVERITIES pages; RDS storage events go by the severity they carry", async () => {
    const sent = await handler.forward(
      event(
        alarmMessage(
          "prod-new-alarm",
          "ALARM",
          "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:prod-new-alarm",
        ),
        JSON.stringify(
          "WARNING prod RDS-EVENT-0225: storage at 80% of the maximum (raise maxAllocatedStorageGb)",
        ),
        "CRITICAL prod RDS-EVENT-0224: scale storage task will reach the maximum (raise maxAllocatedStorageGb)",
      ),
      deps,
    );
    expect(sent.map((s) => [s.severity, s.type])).toEqual([
      ["critical", "pagerduty"],
      ["warning", "slack"],
      ["critical", "pagerduty"],
    ]);
    expect(JSON.parse(pagerduty.requests[1].body).payload.summary).toMatch(
      /^CRITICAL prod RDS-EVENT-0224/,
    );
  });

  test("a refused delivery fails the invocation (SNS retries it)", async () => {
    await expect(
      handler.forward(event(alarmMessage("prod-database-free-storage-low", "ALARM")), {
        ...deps,
        pagerdutyUrl: `${failing.url}/v2/enqueue`,
      }),
    ).rejects.toThrow(/answered 429/);
  });
});

describe("the forwarder in the prod infrastructure stack", () => {
  const { infrastructure } = environmentStacks("prod");
  const fn = Object.values(resources(infrastructure, "aws_lambda_function"))[0] as Record<
    string,
    any
  >;

  test("one function, Node.js 22, its code packaged at synthesis; only names in its environment", () => {
    expect(Object.keys(resources(infrastructure, "aws_lambda_function"))).toHaveLength(1);
    expect(fn).toMatchObject({
      runtime: "nodejs22.x",
      handler: "index.handler",
      function_name: "prod-alarm-forwarder",
    });
    expect(fn.filename).toMatch(/^assets\/.*\/alarm-forwarder-[0-9a-f]{16}\.zip$/);
    expect(JSON.parse(fn.environment.variables.TARGETS)).toEqual(PROD_TARGETS);
    expect(JSON.parse(fn.environment.variables.SEVERITIES)).toEqual({
      "prod-database-cpu-high": "warning",
      "prod-database-free-storage-low": "critical",
      "prod-database-freeable-memory-low": "warning",
      "prod-database-connections-high": "warning",
      "prod-site-5xx-error-rate-high": "critical",
    });
  });

  test("its role reads only prod/monitoring/* (decrypting through Secrets Manager) and writes only its own logs", () => {
    const policy = Object.values(resources(infrastructure, "aws_iam_role_policy")).find((p) =>
      String(p.role).includes("alarm-forwarder"),
    )!;
    const statements = JSON.parse(String(policy.policy)).Statement;
    expect(statements.map((s: any) => [s.Action, s.Resource])).toEqual([
      [
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/prod-alarm-forwarder:*",
      ],
      [
        ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/monitoring/*",
      ],
      [["kms:Decrypt"], expect.stringMatching(/^\$\{aws_kms_key\./)],
    ]);
    expect(statements[2].Condition).toEqual({
      StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
    });
  });

  test("subscribed to both alarm topics (CloudFront's from us-east-1), each allowed to invoke it", () => {
    const subscriptions = Object.values(
      resources(infrastructure, "aws_sns_topic_subscription"),
    ).filter((s) => s.protocol === "lambda");
    expect(subscriptions.map((s) => [String(s.topic_arn).split(".")[1], s.provider])).toEqual([
      [expect.stringMatching(/^alarms_topic/), undefined],
      [expect.stringMatching(/^alarms_us-east-1_topic/), "aws.us_east_1"],
    ]);
    const permissions = Object.values(resources(infrastructure, "aws_lambda_permission"));
    expect(permissions.map((p) => [p.principal, p.source_arn])).toEqual(
      subscriptions.map((s) => ["sns.amazonaws.com", s.topic_arn]),
    );
  });

  test("no forwarder where no receiver is PagerDuty or Slack (staging: SNS)", () => {
    expect(resources(environmentStacks("staging").infrastructure, "aws_lambda_function")).toEqual(
      {},
    );
  });
});

describe("AlarmForwarder validation", () => {
  const props = {
    environment: { account: "123456789012", region: "eu-west-1" },
    name: "prod",
    topics: [{ topicArn: "arn:aws:sns:eu-west-1:123456789012:prod-alarms", region: "eu-west-1" }],
    secretsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
  };

  test("fails when nothing would be forwarded, a secret is outside <env>/monitoring/ or two topics share a region", () => {
    expect(
      rejectionLines(() => {
        const stack = testStack();
        new AwsProvider(stack, "aws", { region: "eu-west-1" });
        new AlarmForwarder(stack, "forwarder", {
          ...props,
          topics: [
            props.topics[0],
            { ...props.topics[0], topicArn: "arn:aws:sns:eu-west-1:123456789012:other" },
          ],
        });
      }),
    ).toEqual([
      'test/forwarder: topics.1.region: received "eu-west-1"; expected one topic per region (the region keys its subscription)',
      "test/forwarder: critical: received nothing; expected a PagerDuty or Slack target for critical or warning alarms (else nothing is forwarded)",
    ]);
    expect(
      validateAlarmForwarderProps({
        ...props,
        critical: { type: "pagerduty", secret: { name: "prod/web/pagerduty" } },
      }).map((p) => `${p.field}: ${p.expected}`),
    ).toEqual([
      `critical.secret.name: a name starting with "prod/monitoring/" (the forwarder's role reads only prod/monitoring/*)`,
    ]);
  });

  test("fails when there is no topic, a topic is not an SNS topic ARN or a target has an unknown type", () => {
    expect(
      validateAlarmForwarderProps({
        ...props,
        topics: [],
        warning: { type: "email" } as never,
      }).map((p) => `${p.field}: received ${JSON.stringify(p.received)}; expected ${p.expected}`),
    ).toEqual([
      "topics: received []; expected at least one alarm topic",
      'warning.type: received "email"; expected "pagerduty" or "slack"',
      "warning.secret: received undefined; expected { name, key? }: a Secrets Manager secret and, for a JSON secret, its key",
    ]);
    expect(
      validateAlarmForwarderProps({
        ...props,
        topics: [{ topicArn: "prod-alarms", region: "eu-west-1" }],
        critical: { type: "pagerduty", secret: { name: "prod/monitoring/pagerduty" } },
      }).map((p) => p.field),
    ).toEqual(["topics.0.topicArn"]);
  });

  test("valid props synthesize", () => {
    const stack = testStack();
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    new AlarmForwarder(stack, "forwarder", {
      ...props,
      warning: { type: "slack", channel: "#alerts", secret: { name: "prod/monitoring/slack" } },
    });
    expect(Testing.synth(stack)).toContain("prod-alarm-forwarder");
  });
});
