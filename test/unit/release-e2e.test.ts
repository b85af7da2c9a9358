/**
 * A whole release on loopback: the pre-deployment RDS snapshot and the CloudFront invalidation
 * (the real implementations, on the SDK's mocked wire requests), the metric gate against a real
 * Prometheus server scraping the harness's podinfo-like colours (`/metrics`) under steady live
 * traffic through the fake ALB, and notifications to local Slack and PagerDuty webhooks and SNS:
 * a healthy canary runs backup → start → verify → 5% with a metric bake → promote → invalidation;
 * a canary whose error rate passes 1% is rolled back by the metric gate (its probes still pass)
 * and pages.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
} from "@aws-sdk/client-cloudfront";
import {
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { RdsDatabaseBackup } from "../../release/aws/backup";
import { CloudFrontInvalidation } from "../../release/aws/invalidation";
import { notifierFromConfig } from "../../release/notify/notifier";
import { prometheusAt } from "../../release/prometheus";
import { startPrometheus, type PrometheusServer } from "../support/prometheus";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(120_000);

/** The staging fixture with the metric gate on, judging small loopback traffic. */
const metricsOn = (text: string) =>
  text
    // only the health probes: the metric gate alone judges the canary's real traffic
    .replace(/ {6}smoke:\n( {8}- .*\n)+/, "      smoke: []\n")
    .replace(
      "      metrics: false",
      "      metrics: { maxErrorRate: 0.01, maxP95: 500ms, minRequests: 20, extendWhenInconclusive: 1 }",
    )
    .replace(
      "    rollout: { steps: [ 10 ], bake: 0s, bakeInterval: 20ms }",
      "    rollout: { steps: [ 5 ], bake: 6s, bakeInterval: 500ms }\n    cdn: { invalidatePaths: [/*] }",
    )
    .replace("      canaryWeight: 0", "      canaryWeight: 0\n      backup: true");

const rds = mockClient(RDSClient);
const cloudfront = mockClient(CloudFrontClient);
const sns = mockClient(SNSClient);
afterAll(() => [rds, cloudfront, sns].forEach((m) => m.restore()));

/** A local webhook receiver recording each JSON body. */
async function webhook(): Promise<{ url: string; bodies: Record<string, any>[]; server: Server }> {
  const bodies: Record<string, any>[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      bodies.push({ path: req.url, ...JSON.parse(text) });
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

/** Steady live traffic through the fake ALB: `perSecond` requests to `/`. */
function liveTraffic(albUrl: string, perSecond: number): () => void {
  const timer = setInterval(() => {
    const req = request(`${albUrl}/`, {
      headers: { Host: "web.staging.example.com" },
      agent: false,
    });
    req.on("response", (res) => res.resume());
    req.on("error", () => {});
    req.end();
  }, 1000 / perSecond);
  return () => clearInterval(timer);
}

let fixture: ReleaseFixture | undefined;
let prometheus: PrometheusServer | undefined;
let stopTraffic: (() => void) | undefined;
const servers: Server[] = [];
afterEach(async () => {
  stopTraffic?.();
  await prometheus?.stop();
  await fixture?.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  fixture = prometheus = stopTraffic = undefined;
});

async function setUp(behaviours: Parameters<typeof releaseFixture>[0] = {}) {
  const f = (fixture = await releaseFixture(behaviours, metricsOn));
  const address = (colour: "blue" | "green") => new URL(f.harness.colour("web", colour).url!).host;
  prometheus = await startPrometheus({
    targets: (["blue", "green"] as const).map((colour) => ({
      address: address(colour),
      labels: { service: `web-${colour}` },
    })),
  });
  stopTraffic = liveTraffic(f.harness.albUrl, 100);
  const prom = prometheusAt(prometheus.url);

  rds.reset();
  rds.on(CreateDBSnapshotCommand).callsFake((input) => ({
    DBSnapshot: { DBSnapshotIdentifier: input.DBSnapshotIdentifier, Status: "creating" },
  }));
  rds.on(DescribeDBSnapshotsCommand).callsFake((input) => ({
    DBSnapshots: input.DBSnapshotIdentifier
      ? [
          {
            DBSnapshotIdentifier: input.DBSnapshotIdentifier,
            DBInstanceIdentifier: "staging-postgres",
            Status: "available",
            PercentProgress: 100,
            SnapshotCreateTime: new Date(),
          },
        ]
      : [],
  }));
  cloudfront.reset();
  cloudfront.on(CreateInvalidationCommand).resolves({
    Invalidation: {
      Id: "I2EXAMPLE",
      Status: "InProgress",
      CreateTime: new Date(),
      InvalidationBatch: undefined,
    },
  });
  cloudfront.on(GetInvalidationCommand).resolves({
    Invalidation: {
      Id: "I2EXAMPLE",
      Status: "Completed",
      CreateTime: new Date(),
      InvalidationBatch: undefined,
    },
  });
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });

  const slack = await webhook();
  const pagerduty = await webhook();
  servers.push(slack.server, pagerduty.server);
  const reports: string[] = [];
  const notifier = notifierFromConfig(
    {
      sns: { topicArn: "arn:aws:sns:eu-west-1:222222222222:staging-alarms" },
      slack: [{ webhookUrl: { env: "SLACK_RELEASES" } }],
      pagerduty: { routingKey: { env: "PD_ROUTING_KEY" } },
      link: "https://github.com/example-org/platform/actions/runs/42",
    },
    {
      snsClient: (region) => new SNSClient({ region }),
      secrets: {
        env: {
          SLACK_RELEASES: `${slack.url}/services/T000/B000/secret-path`,
          PD_ROUTING_KEY: "R0UT1NGKEY0000000000000000000000",
        },
      },
      pagerDutyEventsUrl: `${pagerduty.url}/v2/enqueue`,
      report: (line) => reports.push(line),
      baseDelayMs: 10,
    },
  );
  const extra = {
    prometheus: async () => prom,
    backup: new RdsDatabaseBackup(
      new RDSClient({ region: "eu-west-1" }),
      "staging-postgres",
      "staging",
      { pollIntervalMs: 10 },
    ),
    cdn: new CloudFrontInvalidation(new CloudFrontClient({ region: "us-east-1" }), "E2EXAMPLE", {
      pollIntervalMs: 10,
    }),
    notifier,
  };
  return {
    f,
    slack,
    pagerduty,
    reports,
    release: (argv: string[]) => f.release(argv, { extra, metricsMinRangeSeconds: 3 }),
  };
}

describe("release with the metric gate against a real Prometheus", () => {
  it("backup → start → verify → 5% with a metric bake → promote → invalidation, telling each turn", async () => {
    const { f, release, slack, pagerduty, reports } = await setUp();
    const outcome = await release(["run", "staging", "web", "6.8.0"]);
    expect(outcome.code).toBe(0);
    // the snapshot came first, with its name and tags, before any deploy
    const snapshot = rds.commandCalls(CreateDBSnapshotCommand)[0].args[0].input;
    expect(snapshot.DBInstanceIdentifier).toBe("staging-postgres");
    expect(snapshot.DBSnapshotIdentifier).toMatch(/^release-staging-web-6-8-0-\d{8}-\d{6}$/);
    expect(snapshot.Tags).toEqual(
      expect.arrayContaining([
        { Key: "platform:release-snapshot", Value: "true" },
        { Key: "version", Value: "6.8.0" },
      ]),
    );
    expect(f.journal().map((e) => e.step)).toEqual([
      "run-started",
      "backed-up",
      "started",
      "verified",
      "shifted",
      "baked",
      "promoted",
      "baked",
      "invalidated",
      "run-finished",
    ]);
    expect(cloudfront.commandCalls(CreateInvalidationCommand)[0].args[0].input).toMatchObject({
      DistributionId: "E2EXAMPLE",
      InvalidationBatch: { Paths: { Quantity: 1, Items: ["/*"] } },
    });
    // told at every turn; paged never (a resolve for the release's dedup key at the end)
    expect(slack.bodies.length).toBeGreaterThanOrEqual(6);
    expect(slack.bodies.at(-1)!.text).toMatch(/staging\/web/);
    expect(pagerduty.bodies.map((b) => b.event_action)).toEqual(["resolve"]);
    expect(sns.commandCalls(PublishCommand).length).toBe(slack.bodies.length);
    expect(reports.join("\n")).not.toMatch(/secret-path|R0UT1NGKEY/);
    expect(outcome.stderr.some((l) => /metrics/.test(l) && /web-blue/.test(l))).toBe(true);
    const baked = f.journal().filter((e) => e.step === "baked");
    const metrics = baked[0].gates?.find((g) => g.gate === "metrics");
    expect(metrics).toMatchObject({ verdict: "pass" });
    expect(metrics?.samples?.canaryRequests).toBeGreaterThanOrEqual(20);
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });
  });

  it("rolls back a canary whose error rate passes 1% although its probes pass, and pages", async () => {
    const { f, release, pagerduty } = await setUp({ "6.8.3": { errorRate: 0.05 } });
    const outcome = await release(["run", "staging", "web", "6.8.3"]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.at(-1)).toMatch(
      /failed and rolled back: metrics failed on the live route during the 5% bake: canary error rate [\d.]+% above the 1% maximum/,
    );
    expect(pagerduty.bodies).toHaveLength(1);
    expect(pagerduty.bodies[0]).toMatchObject({
      routing_key: "R0UT1NGKEY0000000000000000000000",
      event_action: "trigger",
      dedup_key: expect.stringMatching(/^release-staging-web-/),
      payload: { severity: "error", summary: expect.stringMatching(/rolled back/) },
    });
    expect(cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(0);
    const failed = f.journal().find((e) => e.step === "baked" && e.outcome === "failed");
    const metrics = failed?.gates?.find((g) => g.gate === "metrics");
    expect(metrics?.verdict).toBe("fail");
    expect(metrics?.samples?.canaryErrorRate).toBeGreaterThan(0.01);
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
    expect(f.text()).toContain("canaryWeight: 0");
  });
});
