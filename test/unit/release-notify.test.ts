/**
 * Release notifications. Webhooks over real HTTP to loopback servers this file starts and
 * stops: the Slack payload, PagerDuty trigger and resolve with the dedup key, retries with
 * backoff on 5xx and 429, no retry on 400, giving up after N attempts, and report lines that
 * never carry the webhook path or the routing key. SNS Publish through aws-sdk-client-mock.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PublishCommand, SNSClient, SNSServiceException } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { formatNotice, trafficText } from "../../release/notify/format";
import { createNotifier, notifierFromConfig, redactor } from "../../release/notify/notifier";
import {
  PagerDutyChannel,
  pagerDutyDedupKey,
  pagerDutyEvent,
} from "../../release/notify/pagerduty";
import { SlackChannel } from "../../release/notify/slack";
import { SnsChannel, snsSubject } from "../../release/notify/sns";
import type { ReleaseNotice } from "../../release/types";

/** A request the loopback server received. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: any;
}

/** What the server answers, in turn (the last one repeats); `hang` never answers. */
type Answer = { status: number; body?: string; headers?: Record<string, string> } | "hang";

interface Loopback {
  readonly url: string;
  readonly received: Received[];
  answers: Answer[];
  close(): Promise<void>;
}

const servers: Server[] = [];

async function loopback(...answers: Answer[]): Promise<Loopback> {
  const state: Loopback = {
    url: "",
    received: [],
    answers: answers.length ? answers : [{ status: 200, body: "ok" }],
    close: async () => {},
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      state.received.push({
        method: req.method ?? "",
        path: req.url ?? "",
        contentType: req.headers["content-type"],
        body: text ? JSON.parse(text) : undefined,
      });
      const answer = state.answers.length > 1 ? state.answers.shift()! : state.answers[0];
      if (answer === "hang") return;
      res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
      res.end(answer.body ?? "");
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const WEBHOOK_PATH = "/services/T0SECRET/B0SECRET/XyZsecretTokenAbc123";
const ROUTING_KEY = "R0UTINGKEYsecret0123456789abcdef";
const LINK = "https://github.com/example/platform/actions/runs/42";

function notice(kind: ReleaseNotice["kind"], extra: Partial<ReleaseNotice> = {}): ReleaseNotice {
  return {
    kind,
    severity: kind === "rolled-back" || kind === "rollback-failed" ? "critical" : "info",
    environment: "prod",
    app: "web",
    version: "6.8.0",
    state: {
      stable: "blue",
      canaryWeight: 5,
      blue: { version: "6.7.0", chart: "6.5.0" },
      green: { version: "6.8.0", chart: "6.5.0" },
    },
    summary: `${kind} summary`,
    releaseId: "r-20250131-1200",
    ...extra,
  };
}

const failingGate = {
  gate: "metric error rate",
  verdict: "fail" as const,
  detail: "canary 3.1% > 1% over 5m",
  route: "live" as const,
  durationMs: 120,
  samples: { canaryErrorRate: 0.031234, canaryRequests: 412 },
};

/** A fake sleep that records the backoff and resolves at once. */
function fakeSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

describe("format", () => {
  test("traffic names both colours with versions and weights from colourWeights", () => {
    expect(trafficText(notice("started").state!)).toBe("blue 6.7.0 95% (stable), green 6.8.0 5%");
    expect(trafficText({ ...notice("started").state!, stable: "green", canaryWeight: 0 })).toBe(
      "blue 6.7.0 0%, green 6.8.0 100% (stable)",
    );
  });

  test("a rolled-back notice with its gate, numbers, duration, release and link", () => {
    const f = formatNotice(
      notice("rolled-back", { gate: failingGate, durationMs: 252_000, summary: "canary failed" }),
      LINK,
    );
    expect(f.text).toBe(
      [
        "[prod/web] rolled back 6.8.0",
        "canary failed",
        "Traffic: blue 6.7.0 95% (stable), green 6.8.0 5%",
        "Gate: metric error rate: fail on live: canary 3.1% > 1% over 5m (canaryErrorRate=0.03123, canaryRequests=412)",
        "Duration: 4m 12s",
        "Release: r-20250131-1200",
        `Link: ${LINK}`,
      ].join("\n"),
    );
  });
});

test("a pipeline step's notice has no traffic: the text and the PagerDuty event leave it out", () => {
  const pipeline: ReleaseNotice = {
    kind: "failed",
    severity: "critical",
    environment: "prod",
    app: "pipeline",
    summary: "Production failed for prod at v1.4.0 (infrastructure: failure)",
    releaseId: "pipeline-42",
  };
  expect(formatNotice(pipeline).text).toBe(
    "[prod/pipeline] failed\nProduction failed for prod at v1.4.0 (infrastructure: failure)\nRelease: pipeline-42",
  );
  const event = pagerDutyEvent(pipeline, "key") as {
    payload: { custom_details: Record<string, unknown> };
  };
  expect(Object.keys(event.payload.custom_details)).not.toContain("traffic");
});

test("every kind has a headline with env, app and version", () => {
  const titles = (
    [
      "started",
      "gate",
      "promoted",
      "rolled-back",
      "rollback-failed",
      "invalidation-failed",
      "finished",
      "failed",
    ] as const
  ).map((kind) => formatNotice(notice(kind, { gate: failingGate })).title);
  expect(titles).toEqual([
    "[prod/web] release of 6.8.0 started",
    "[prod/web] gate metric error rate: fail",
    "[prod/web] promoted 6.8.0",
    "[prod/web] rolled back 6.8.0",
    "[prod/web] ROLLBACK FAILED 6.8.0",
    "[prod/web] CDN invalidation failed after promoting 6.8.0",
    "[prod/web] release of 6.8.0 finished",
    "[prod/web] release of 6.8.0 failed",
  ]);
});

test("send never throws: a channel that throws in accepts or deliver is reported", async () => {
  const lines: string[] = [];
  const { sleep } = fakeSleep();
  const broken = {
    name: "broken",
    secrets: [],
    accepts: (n: ReleaseNotice) => {
      if (n.kind === "gate") throw new Error("accepts exploded");
      return true;
    },
    deliver: async () => {
      throw new Error("deliver exploded");
    },
  };
  const notifier = createNotifier([broken], { report: (l) => lines.push(l), sleep });
  expect(() => notifier.send(notice("gate"))).not.toThrow();
  expect(() => notifier.send(notice("started"))).not.toThrow();
  expect(await notifier.flush(1_000)).toEqual({
    failed: ["broken: 3 attempts, last: deliver exploded"],
  });
  expect(lines[0]).toBe("notify broken: gate not queued: Error: accepts exploded");
});

describe("Slack webhook over HTTP", () => {
  test("POSTs { text, blocks } with env, app, versions, colours, weights, duration and link", async () => {
    const server = await loopback({ status: 200, body: "ok" });
    const notifier = createNotifier(
      [new SlackChannel("slack", `${server.url}${WEBHOOK_PATH}`, { link: LINK })],
      { report: () => {} },
    );
    notifier.send(notice("promoted", { durationMs: 65_000, summary: "green is stable" }));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });

    expect(server.received).toHaveLength(1);
    const [req] = server.received;
    expect(req.method).toBe("POST");
    expect(req.path).toBe(WEBHOOK_PATH);
    expect(req.contentType).toBe("application/json");
    expect(req.body.text).toBe(
      `[prod/web] promoted 6.8.0: green is stable (blue 6.7.0 95% (stable), green 6.8.0 5%; 1m 5s) ${LINK}`,
    );
    expect(req.body.blocks).toEqual([
      {
        type: "section",
        text: { type: "mrkdwn", text: "*[prod/web] promoted 6.8.0*\ngreen is stable" },
      },
      {
        type: "section",
        fields: [
          { type: "mrkdwn", text: "*Traffic*\nblue 6.7.0 95% (stable), green 6.8.0 5%" },
          { type: "mrkdwn", text: "*Duration*\n1m 5s" },
          { type: "mrkdwn", text: "*Release*\nr-20250131-1200" },
        ],
      },
      { type: "context", elements: [{ type: "mrkdwn", text: `<${LINK}|Pipeline and logs>` }] },
    ]);
  });

  test("retries a 500 with exponential backoff, then succeeds", async () => {
    const server = await loopback({ status: 500 }, { status: 503 }, { status: 200, body: "ok" });
    const lines: string[] = [];
    const { delays, sleep } = fakeSleep();
    const notifier = createNotifier([new SlackChannel("slack", `${server.url}${WEBHOOK_PATH}`)], {
      report: (l) => lines.push(l),
      maxAttempts: 3,
      baseDelayMs: 1_000,
      sleep,
    });
    notifier.send(notice("started"));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });
    expect(server.received).toHaveLength(3);
    expect(delays).toEqual([1_000, 2_000]);
    expect(lines).toEqual([
      "notify slack: attempt 1/3 for started prod/web failed (500); retrying in 1s",
      "notify slack: attempt 2/3 for started prod/web failed (503); retrying in 2s",
      "notify slack: started prod/web delivered on attempt 3",
    ]);
  });

  test("a 400 is not retried and is reported with the server's reason", async () => {
    const server = await loopback({ status: 400, body: "invalid_payload" });
    const lines: string[] = [];
    const { delays, sleep } = fakeSleep();
    const notifier = createNotifier([new SlackChannel("slack", `${server.url}${WEBHOOK_PATH}`)], {
      report: (l) => lines.push(l),
      sleep,
    });
    notifier.send(notice("started"));
    expect(await notifier.flush(5_000)).toEqual({
      failed: ["slack: 1 attempt, last: 400 invalid_payload"],
    });
    expect(server.received).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(lines).toEqual([
      "notify: gave up on started prod/web to slack: 1 attempt, last: 400 invalid_payload (not retryable)",
    ]);
  });

  test("gives up after maxAttempts and reports it; flush returns the failure once", async () => {
    const server = await loopback({ status: 500 });
    const lines: string[] = [];
    const { delays, sleep } = fakeSleep();
    const notifier = createNotifier([new SlackChannel("slack", `${server.url}${WEBHOOK_PATH}`)], {
      report: (l) => lines.push(l),
      maxAttempts: 3,
      baseDelayMs: 10,
      sleep,
    });
    notifier.send(notice("rolled-back"));
    expect(await notifier.flush(5_000)).toEqual({ failed: ["slack: 3 attempts, last: 500"] });
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });
    expect(server.received).toHaveLength(3);
    expect(delays).toEqual([10, 20]);
    expect(lines.at(-1)).toBe(
      "notify: gave up on rolled-back prod/web to slack: 3 attempts, last: 500",
    );
  });

  test("429 waits for Retry-After (capped by maxDelayMs)", async () => {
    const server = await loopback(
      { status: 429, headers: { "retry-after": "7" } },
      { status: 429, headers: { "retry-after": "3600" } },
      { status: 200 },
    );
    const { delays, sleep } = fakeSleep();
    const notifier = createNotifier([new SlackChannel("slack", `${server.url}/hook`)], {
      report: () => {},
      baseDelayMs: 100,
      maxDelayMs: 30_000,
      sleep,
    });
    notifier.send(notice("started"));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });
    expect(delays).toEqual([7_000, 30_000]);
  });

  test("send returns at once while a webhook hangs; flush stops at its deadline", async () => {
    const server = await loopback("hang");
    const lines: string[] = [];
    const notifier = createNotifier(
      [new SlackChannel("slack", `${server.url}${WEBHOOK_PATH}`, { requestTimeoutMs: 60_000 })],
      { report: (l) => lines.push(l) },
    );
    const before = Date.now();
    notifier.send(notice("started"));
    notifier.send(notice("gate", { gate: failingGate }));
    expect(Date.now() - before).toBeLessThan(50);
    const flushed = Date.now();
    expect(await notifier.flush(200)).toEqual({
      failed: ["slack: 2 notices still being delivered after 200ms (attempt 1)"],
    });
    expect(Date.now() - flushed).toBeLessThan(2_000);
    expect(lines).toEqual([
      "notify: slack: 2 notices still being delivered after 200ms (attempt 1)",
    ]);
  });

  test("a network error is retried and named by its code", async () => {
    const server = await loopback();
    const url = `${server.url}${WEBHOOK_PATH}`;
    await server.close();
    const lines: string[] = [];
    const { sleep } = fakeSleep();
    const notifier = createNotifier([new SlackChannel("slack", url)], {
      report: (l) => lines.push(l),
      maxAttempts: 2,
      sleep,
    });
    notifier.send(notice("started"));
    expect(await notifier.flush(5_000)).toEqual({
      failed: ["slack: 2 attempts, last: network error (ECONNREFUSED)"],
    });
    expect(lines[0]).toBe(
      "notify slack: attempt 1/2 for started prod/web failed (network error (ECONNREFUSED)); retrying in 1s",
    );
  });
});

describe("PagerDuty Events API v2 over HTTP", () => {
  test("a rollback triggers with the release's dedup key; finished resolves it; the rest is not paged", async () => {
    const server = await loopback({ status: 202, body: '{"status":"success"}' });
    const notifier = createNotifier(
      [
        new PagerDutyChannel(ROUTING_KEY, {
          link: LINK,
          eventsUrl: `${server.url}/v2/enqueue`,
        }),
      ],
      { report: () => {} },
    );
    notifier.send(notice("started"));
    notifier.send(notice("gate", { gate: failingGate }));
    notifier.send(
      notice("rolled-back", {
        gate: failingGate,
        durationMs: 300_000,
        summary: "error rate 3.1% > 1%: back to blue",
        state: { ...notice("started").state!, canaryWeight: 0 },
      }),
    );
    notifier.send(notice("promoted"));
    notifier.send(notice("finished"));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });

    expect(server.received.map((r) => [r.method, r.path, r.contentType])).toEqual([
      ["POST", "/v2/enqueue", "application/json"],
      ["POST", "/v2/enqueue", "application/json"],
    ]);
    const [trigger, resolve] = server.received.map((r) => r.body);
    expect(trigger).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: "release-prod-web-r-20250131-1200",
      payload: {
        summary: "[prod/web] rolled back 6.8.0: error rate 3.1% > 1%: back to blue",
        source: "platform-release:prod/web",
        severity: "error",
        component: "web",
        group: "prod",
        class: "rolled-back",
        custom_details: {
          environment: "prod",
          app: "web",
          version: "6.8.0",
          release: "r-20250131-1200",
          traffic: "blue 6.7.0 100% (stable), green 6.8.0 0%",
          stable: "blue",
          canaryWeight: 0,
          versions: { blue: "6.7.0", green: "6.8.0" },
          gate: failingGate,
          durationMs: 300_000,
          link: LINK,
        },
      },
      links: [{ href: LINK, text: "Pipeline and logs" }],
    });
    expect(resolve).toEqual({
      routing_key: ROUTING_KEY,
      event_action: "resolve",
      dedup_key: "release-prod-web-r-20250131-1200",
    });
  });

  test("a failed rollback is critical", async () => {
    const server = await loopback({ status: 202 });
    const notifier = createNotifier(
      [new PagerDutyChannel(ROUTING_KEY, { eventsUrl: `${server.url}/v2/enqueue` })],
      { report: () => {} },
    );
    notifier.send(notice("rollback-failed"));
    await notifier.flush(5_000);
    expect(server.received[0].body.payload.severity).toBe("critical");
    expect(server.received[0].body.event_action).toBe("trigger");
    expect(
      pagerDutyDedupKey(notice("rollback-failed", { releaseId: "x".repeat(300) })),
    ).toHaveLength(255);
  });

  test("report lines and failures never contain the routing key or the webhook path", async () => {
    // a server that echoes what it got (path and body) in its errors: a worst case for leaks
    const seen = new Set<string>();
    const server = createServer((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => (text += c.toString()));
      req.on("end", () => {
        const first = !seen.has(req.url ?? "");
        seen.add(req.url ?? "");
        res.writeHead(first ? 500 : 400);
        res.end(`bad request to ${req.url}: ${text}`);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const { sleep } = fakeSleep();
    const notifier = createNotifier(
      [
        new SlackChannel("slack", `${base}${WEBHOOK_PATH}`),
        new PagerDutyChannel(ROUTING_KEY, { eventsUrl: `${base}/v2/enqueue` }),
      ],
      { report: (l) => lines.push(l), maxAttempts: 2, sleep },
    );
    notifier.send(notice("rolled-back"));
    const { failed } = await notifier.flush(5_000);

    expect(failed).toHaveLength(2);
    expect(failed.find((f) => f.startsWith("pagerduty:"))).toMatch(
      /^pagerduty: 2 attempts, last: 400 bad request to \/v2\/enqueue: .*\[redacted\]/,
    );
    expect(failed.find((f) => f.startsWith("slack:"))).toMatch(
      /^slack: 2 attempts, last: 400 bad request to \[redacted\]: /,
    );
    expect(lines.filter((l) => l.includes("retrying"))).toHaveLength(2);
    const all = [...lines, ...failed].join("\n");
    expect(all).toContain("[redacted]");
    expect(all).not.toContain(ROUTING_KEY);
    expect(all).not.toContain(WEBHOOK_PATH);
    expect(all).not.toContain("XyZsecretTokenAbc123");
  });
});

describe("SNS", () => {
  const sns = mockClient(SNSClient);
  const TOPIC = "arn:aws:sns:eu-west-1:123456789012:prod-alarms";
  beforeEach(() => sns.reset());
  afterAll(() => sns.restore());

  test("publishes subject and details to the topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m1" });
    const notifier = createNotifier(
      [new SnsChannel(new SNSClient({ region: "eu-west-1" }), TOPIC, LINK)],
      { report: () => {} },
    );
    notifier.send(notice("rolled-back", { gate: failingGate, summary: "canary failed" }));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });
    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe("[prod/web] rolled back 6.8.0");
    expect(input.Message).toBe(
      formatNotice(notice("rolled-back", { gate: failingGate, summary: "canary failed" }), LINK)
        .text,
    );
    expect(input.MessageAttributes?.kind).toEqual({
      DataType: "String",
      StringValue: "rolled-back",
    });
  });

  test("the subject fits SNS: at most 100 printable ASCII characters, one line", () => {
    const subject = snsSubject(`[prod/web] rolled back ${"9".repeat(120)}\nnext line é`);
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^[\x20-\x7e]+\.\.\.$/);
    expect(snsSubject("déployé\tok")).toBe("d?ploy? ok");
  });

  test("throttling is retried, an authorization error is not", async () => {
    const err = (name: string, status: number) =>
      new SNSServiceException({
        name,
        $fault: status >= 500 ? "server" : "client",
        $metadata: { httpStatusCode: status },
        message: name,
      });
    sns.on(PublishCommand).rejectsOnce(err("Throttling", 400)).resolves({ MessageId: "m" });
    const { delays, sleep } = fakeSleep();
    const channel = new SnsChannel(new SNSClient({ region: "eu-west-1" }), TOPIC);
    const notifier = createNotifier([channel], { report: () => {}, sleep });
    notifier.send(notice("started"));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });
    expect(delays).toEqual([1_000]);

    sns.reset();
    sns.on(PublishCommand).rejects(err("AuthorizationError", 403));
    notifier.send(notice("started"));
    expect(await notifier.flush(5_000)).toEqual({
      failed: ["sns: 1 attempt, last: AuthorizationError (HTTP 403)"],
    });
  });
});

describe("notifierFromConfig", () => {
  const sns = mockClient(SNSClient);
  beforeEach(() => sns.reset());
  afterAll(() => sns.restore());

  test("sns true uses the alarm topic, slack and pagerduty secrets come from the environment", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    const slack = await loopback({ status: 200, body: "ok" });
    const pd = await loopback({ status: 202 });
    const regions: string[] = [];
    const notifier = notifierFromConfig(
      {
        sns: true,
        slack: [{ webhookUrl: { env: "SLACK_A" } }, { webhookUrl: { env: "SLACK_B" } }],
        pagerduty: { routingKey: { env: "PD_KEY" } },
        link: LINK,
      },
      {
        alarmTopicArn: "arn:aws:sns:eu-central-1:123456789012:staging-alarms",
        snsClient: (region) => {
          regions.push(region);
          return new SNSClient({ region });
        },
        secrets: {
          env: {
            SLACK_A: `${slack.url}/a${WEBHOOK_PATH}`,
            SLACK_B: `${slack.url}/b${WEBHOOK_PATH}`,
            PD_KEY: ROUTING_KEY,
          },
        },
        pagerDutyEventsUrl: `${pd.url}/v2/enqueue`,
        report: () => {},
      },
    );
    expect(notifier.channels).toEqual(["sns", "slack#1", "slack#2", "pagerduty"]);
    expect(regions).toEqual(["eu-central-1"]);
    notifier.send(notice("rolled-back"));
    expect(await notifier.flush(5_000)).toEqual({ failed: [] });
    expect(slack.received.map((r) => r.path).sort()).toEqual([
      `/a${WEBHOOK_PATH}`,
      `/b${WEBHOOK_PATH}`,
    ]);
    expect(slack.received[0].body.text).toContain(LINK);
    expect(pd.received[0].body.routing_key).toBe(ROUTING_KEY);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.TopicArn).toBe(
      "arn:aws:sns:eu-central-1:123456789012:staging-alarms",
    );
  });

  test("an explicit topic, sns false, and sns true without a known alarm topic", () => {
    const deps = { snsClient: (region: string) => new SNSClient({ region }), report: () => {} };
    expect(
      notifierFromConfig({ sns: { topicArn: "arn:aws:sns:us-east-1:1:t" }, slack: [] }, deps)
        .channels,
    ).toEqual(["sns"]);
    expect(notifierFromConfig({ sns: false, slack: [] }, deps).channels).toEqual([]);
    const lines: string[] = [];
    expect(
      notifierFromConfig({ sns: true, slack: [] }, { ...deps, report: (l) => lines.push(l) })
        .channels,
    ).toEqual([]);
    expect(lines).toEqual([
      "notify: sns skipped: the alarm topic ARN (infrastructure output alarm_topic_arn) is not known",
    ]);
    expect(notifierFromConfig(undefined, deps).channels).toEqual([]);
    expect(() => notifierFromConfig({ sns: { topicArn: "not-an-arn" }, slack: [] }, deps)).toThrow(
      'notifications.sns: "not-an-arn" is not an SNS topic ARN',
    );
  });

  test("a missing secret is a clear error naming the variable", () => {
    expect(() =>
      notifierFromConfig(
        { sns: false, slack: [], pagerduty: { routingKey: { env: "PD_KEY" } } },
        { snsClient: () => new SNSClient({}), secrets: { env: {} } },
      ),
    ).toThrow("notifications.pagerduty.routingKey: environment variable PD_KEY is not set");
  });
});

test("redactor replaces every secret, longest first", () => {
  const redact = redactor(["https://h/x/secret", "/x/secret", "key123"]);
  expect(redact("to https://h/x/secret and /x/secret with key123")).toBe(
    "to [redacted] and [redacted] with [redacted]",
  );
});
