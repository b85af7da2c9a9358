/**
 * Alert routing against the real Alertmanager (Debian's prometheus-alertmanager 0.25, amtool):
 * `amtool check-config` and `amtool config routes test` on the configuration the Monitoring
 * construct puts in `alertmanager.config`, and a live Alertmanager on loopback receiving alerts
 * of each severity and delivering them to loopback servers playing PagerDuty Events API v2,
 * Slack, SNS and a heartbeat service.
 *
 * The test copy differs from the rendered configuration only where a test must:
 * - each file under /etc/alertmanager/secrets/alertmanager-receivers/ (mounted from the synced
 *   Secret in the cluster) becomes a temporary file holding a test key or a loopback URL;
 * - PagerDuty's `url` and SNS's `api_url` point at loopback servers, and SNS signs with static
 *   test credentials instead of the IRSA role;
 * - a webhook's `url_file` becomes `url` with the file's content: `url_file` needs Alertmanager
 *   0.26 (CHANGELOG 0.26.0, #3223); the chart runs v0.28.1 (kube-prometheus-stack 75.15.1
 *   values.yaml `alertmanager.alertmanagerSpec.image.tag`), Debian 12 ships 0.25. PagerDuty's
 *   `routing_key_file` (0.25.0, #3107), Slack's `api_url_file` (0.22.0, #2534) and e-mail's
 *   `auth_password_file` are read from files by 0.25 itself;
 * - the root route's group_wait is 1 s instead of 30 s, so the first notification of each group
 *   goes out within the test. group_interval and repeat_interval stay as rendered (5 min and
 *   more), so a second notification of a group within the test would be a real duplicate.
 */
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Monitoring, type AlertReceivers } from "../../constructs/monitoring";
import { ExternalSecretsOperator } from "../../constructs/external-secrets-operator";
import { ALERTMANAGER_SECRETS_PATH } from "../../constructs/private/alertmanager-config";
import { resources, synth, testStack } from "../helpers";
import {
  ALARM_TOPIC,
  ALERTMANAGER_ROLE,
  PROD_RECEIVERS,
  SMTP_RECEIVERS,
} from "../support/alert-receivers";
import {
  amtool,
  startAlertmanager,
  startRecordingServer,
  type AlertmanagerServer,
  type RecordingServer,
} from "../support/alertmanager";

jest.setTimeout(60_000);

/** The exact object the construct puts in the chart value `alertmanager.config`. */
function renderedConfig(receivers: AlertReceivers): Record<string, any> {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const operator = new ExternalSecretsOperator(stack, "eso", { kubernetesVersion: "1.35" });
  new Monitoring(stack, "monitoring", {
    region: "eu-west-1",
    receivers,
    receiverSecrets: { roleArn: ALERTMANAGER_ROLE, operator },
  });
  const release = Object.values(resources(synth(stack), "helm_release")).find(
    (r) => r.name === "kube-prometheus-stack",
  ) as { values: string[] };
  return JSON.parse(release.values[0]).alertmanager.config;
}

/** Where the fake services listen. */
interface Endpoints {
  readonly pagerduty: string;
  readonly slack: string;
  readonly sns: string;
  readonly heartbeat: string;
}

const ROUTING_KEY = "test-routing-key-0123456789abcdef";

/** What each mounted file holds in the test. */
function fileContent(name: string, endpoints: Endpoints): string {
  switch (name) {
    case "critical":
      return `${ROUTING_KEY}\n`;
    case "warning":
      return `${endpoints.slack}/services/T000/B000/test\n`;
    case "watchdog":
      return `${endpoints.heartbeat}/ping/heartbeat\n`;
    default:
      return `test-secret-${name}\n`;
  }
}

/**
 * The test copy of a rendered configuration (see the file comment); `files` lists the mounted
 * paths it replaced, so the test sees that every secret was one.
 */
function testCopy(
  rendered: Record<string, any>,
  dir: string,
  endpoints: Endpoints,
): { config: Record<string, any>; files: string[] } {
  const config = structuredClone(rendered);
  const files: string[] = [];
  const local = (path: string, content: string) => {
    expect(path.startsWith(`${ALERTMANAGER_SECRETS_PATH}/alertmanager-receivers/`)).toBe(true);
    files.push(path);
    const file = join(dir, path.split("/").pop()!);
    writeFileSync(file, content);
    return file;
  };
  for (const receiver of config.receivers) {
    const content = fileContent(receiver.name, endpoints);
    for (const c of receiver.pagerduty_configs ?? []) {
      c.routing_key_file = local(c.routing_key_file, content);
      c.url = `${endpoints.pagerduty}/v2/enqueue`;
    }
    for (const c of receiver.slack_configs ?? []) c.api_url_file = local(c.api_url_file, content);
    for (const c of receiver.webhook_configs ?? []) {
      local(c.url_file, content);
      c.url = content.trim();
      delete c.url_file;
    }
    for (const c of receiver.email_configs ?? [])
      c.auth_password_file = local(c.auth_password_file, content);
    for (const c of receiver.sns_configs ?? []) {
      c.api_url = endpoints.sns;
      c.sigv4 = { ...c.sigv4, access_key: "AKIDTEST", secret_key: "test-secret-key" };
    }
  }
  config.route.group_wait = "1s";
  return { config, files };
}

const NO_ENDPOINTS: Endpoints = {
  pagerduty: "http://127.0.0.1:9",
  slack: "http://127.0.0.1:9",
  sns: "http://127.0.0.1:9",
  heartbeat: "http://127.0.0.1:9",
};

const SNS_ONLY: AlertReceivers = {
  critical: { type: "sns", topicArn: ALARM_TOPIC, roleArn: ALERTMANAGER_ROLE },
  warning: { type: "sns", topicArn: ALARM_TOPIC, roleArn: ALERTMANAGER_ROLE },
};

describe("amtool on the generated configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "amtool-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, receivers: AlertReceivers) => {
    const sub = mkdtempSync(join(dir, `${name}-`));
    const { config, files } = testCopy(renderedConfig(receivers), sub, NO_ENDPOINTS);
    const file = join(sub, "alertmanager.yml");
    // JSON is YAML: what the chart renders with toYaml reads the same
    writeFileSync(file, JSON.stringify(config));
    return { file, files };
  };
  const prod = write("prod", PROD_RECEIVERS);
  const snsOnly = write("sns", SNS_ONLY);
  const smtp = write("smtp", SMTP_RECEIVERS);

  test("every key and URL of the prod receivers is a mounted file", () => {
    expect(prod.files.sort()).toEqual(
      ["critical", "warning", "watchdog"].map(
        (n) => `/etc/alertmanager/secrets/alertmanager-receivers/${n}`,
      ),
    );
    expect(smtp.files).toContain("/etc/alertmanager/secrets/alertmanager-receivers/info");
  });

  test.each([
    ["prod (PagerDuty, Slack, SNS e-mail, heartbeat)", prod.file, 5],
    ["SNS only (the staging and dev default)", snsOnly.file, 3],
    ["e-mail through SMTP", smtp.file, 5],
  ])("amtool check-config accepts %s", (_, file, receivers) => {
    const { status, output } = amtool("check-config", file);
    expect(output).toContain("SUCCESS");
    expect(output).toContain("4 inhibit rules");
    expect(output).toContain(`${receivers} receivers`);
    expect(status).toBe(0);
  });

  test("amtool check-config refuses a broken copy (the check can fail)", () => {
    const broken = join(dir, "broken.yml");
    const config = testCopy(
      renderedConfig(PROD_RECEIVERS),
      mkdtempSync(join(dir, "b-")),
      NO_ENDPOINTS,
    ).config;
    config.route.routes[2].receiver = "pager";
    writeFileSync(broken, JSON.stringify(config));
    const { status, output } = amtool("check-config", broken);
    expect(status).not.toBe(0);
    expect(output).toContain('undefined receiver "pager"');
  });

  const routes = (file: string, expected: string, ...labels: string[]) => {
    const { status, stdout } = amtool(
      "config",
      "routes",
      "test",
      `--config.file=${file}`,
      `--verify.receivers=${expected}`,
      ...labels,
    );
    return { status, output: stdout.trim() };
  };

  test.each([
    ["critical", "critical", ["alertname=HttpErrorRateHigh", "severity=critical", "namespace=web"]],
    ["warning", "warning", ["alertname=HttpLatencyP95High", "severity=warning", "namespace=web"]],
    ["info", "info", ["alertname=KubeletTooManyPods", "severity=info", "namespace=web"]],
    ["Watchdog", "watchdog", ["alertname=Watchdog", "severity=none"]],
    ["InfoInhibitor", "null", ["alertname=InfoInhibitor", "severity=none", "namespace=web"]],
    ["severity none", "null", ["alertname=SomethingQuiet", "severity=none"]],
    ["no severity (reaches a human)", "warning", ["alertname=Unlabelled", "namespace=web"]],
  ])("prod: %s alerts route to %s", (_, expected, labels) => {
    expect(routes(prod.file, expected, ...labels)).toEqual({ status: 0, output: expected });
  });

  test.each([
    ["info", "null", ["alertname=KubeletTooManyPods", "severity=info"]],
    ["Watchdog", "null", ["alertname=Watchdog", "severity=none"]],
    ["critical", "critical", ["alertname=HttpErrorRateHigh", "severity=critical"]],
  ])("without info and Watchdog receivers: %s alerts route to %s", (_, expected, labels) => {
    expect(routes(snsOnly.file, expected, ...labels)).toEqual({ status: 0, output: expected });
  });

  test("amtool's route test fails on a wrong expectation (the check can fail)", () => {
    expect(routes(prod.file, "warning", "severity=critical").status).not.toBe(0);
  });
});

/** An SNS Publish answer (Query API, XML). */
const SNS_PUBLISHED = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-0000-0000-000000000001</MessageId></PublishResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000002</RequestId></ResponseMetadata></PublishResponse>`;

describe("a live Alertmanager with the prod configuration", () => {
  let pagerduty: RecordingServer;
  let slack: RecordingServer;
  let sns: RecordingServer;
  let heartbeat: RecordingServer;
  let alertmanager: AlertmanagerServer;
  let dir: string;
  let posted: { labels: Record<string, string>; annotations: Record<string, string> }[];

  const alert = (labels: Record<string, string>) => ({
    labels,
    annotations: {
      summary: `${labels.alertname} summary`,
      description: `${labels.alertname} in ${labels.namespace ?? "the cluster"}`,
    },
  });

  beforeAll(async () => {
    pagerduty = await startRecordingServer(() => ({
      status: 202,
      type: "application/json",
      body: '{"status":"success","message":"Event processed","dedup_key":"k"}',
    }));
    slack = await startRecordingServer(() => ({ status: 200, type: "text/plain", body: "ok" }));
    sns = await startRecordingServer(() => ({
      status: 200,
      type: "text/xml",
      body: SNS_PUBLISHED,
    }));
    heartbeat = await startRecordingServer(() => ({ status: 200, type: "text/plain", body: "OK" }));
    dir = mkdtempSync(join(tmpdir(), "alertmanager-live-"));
    const { config } = testCopy(renderedConfig(PROD_RECEIVERS), dir, {
      pagerduty: pagerduty.url,
      slack: slack.url,
      sns: sns.url,
      heartbeat: heartbeat.url,
    });
    const file = join(dir, "alertmanager.yml");
    writeFileSync(file, JSON.stringify(config));
    alertmanager = await startAlertmanager(file);

    posted = [
      // the same alert at two severities: critical inhibits warning (chart rule 1)
      alert({
        alertname: "HttpErrorRateHigh",
        severity: "critical",
        namespace: "web",
        job: "web-blue",
      }),
      alert({
        alertname: "HttpErrorRateHigh",
        severity: "warning",
        namespace: "web",
        job: "web-blue",
      }),
      alert({
        alertname: "HttpLatencyP95High",
        severity: "warning",
        namespace: "web",
        job: "web-green",
      }),
      alert({ alertname: "KubeQuotaAlmostFull", severity: "info", namespace: "web" }),
      alert({ alertname: "Watchdog", severity: "none" }),
      // InfoInhibitor silences the info alerts of its namespace (chart rule 3) and goes nowhere
      alert({ alertname: "InfoInhibitor", severity: "none", namespace: "quiet" }),
      alert({ alertname: "CPUThrottlingHigh", severity: "info", namespace: "quiet" }),
    ];
    const res = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(posted),
    });
    expect(res.status).toBe(200);

    // Wait for the first notification of every group that should get one (group_wait 1 s), then
    // as long again as it took and at least 3 s more: any duplicate or leak (an inhibited alert
    // delivered after all) would be sent by then.
    const start = Date.now();
    const arrived = () =>
      pagerduty.requests.length > 0 &&
      slack.requests.length > 0 &&
      sns.requests.length > 0 &&
      heartbeat.requests.length > 0;
    while (!arrived() && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, Math.max(3000, Date.now() - start)));
  });

  afterAll(async () => {
    await alertmanager?.stop();
    await Promise.all([pagerduty, slack, sns, heartbeat].map((s) => s?.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("critical: one PagerDuty Events API v2 trigger with the routing key from the file and severity critical", () => {
    expect(pagerduty.requests).toHaveLength(1);
    const [request] = pagerduty.requests;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/v2/enqueue");
    const event = JSON.parse(request.body);
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      payload: { severity: "critical" },
    });
    expect(event.payload.summary).toContain("HttpErrorRateHigh");
    expect(event.dedup_key).toMatch(/^[0-9a-f]{64}$/);
  });

  test("warning: one Slack message to the channel, the inhibited warning of the critical alert not in it", () => {
    expect(slack.requests).toHaveLength(1);
    const [request] = slack.requests;
    expect(request.path).toBe("/services/T000/B000/test");
    const message = JSON.parse(request.body);
    expect(message.channel).toBe("#alerts-prod");
    const attachment = message.attachments[0];
    expect(attachment.title).toBe("[FIRING] HttpLatencyP95High");
    expect(attachment.text).toBe(
      "[FIRING] HttpLatencyP95High (warning, namespace web): HttpLatencyP95High summary HttpLatencyP95High in web\n",
    );
    expect(request.body).not.toContain("HttpErrorRateHigh");
  });

  test("info: one SNS Publish to the alarm topic, signed with SigV4, subject within SNS's limit; the inhibited info alert not in it", () => {
    expect(sns.requests).toHaveLength(1);
    const [request] = sns.requests;
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/sns\/aws4_request/,
    );
    const form = new URLSearchParams(request.body);
    expect(form.get("Action")).toBe("Publish");
    expect(form.get("TopicArn")).toBe(ALARM_TOPIC);
    expect(form.get("Subject")).toBe("[FIRING] KubeQuotaAlmostFull (info)");
    expect(form.get("Message")).toContain("KubeQuotaAlmostFull summary");
    expect(request.body).not.toContain("CPUThrottlingHigh");
  });

  test("Watchdog: the heartbeat URL from the file is pinged", () => {
    expect(heartbeat.requests).toHaveLength(1);
    const [request] = heartbeat.requests;
    expect(request.path).toBe("/ping/heartbeat");
    const payload = JSON.parse(request.body);
    expect(payload.receiver).toBe("watchdog");
    expect(payload.alerts.map((a: any) => a.labels.alertname)).toEqual(["Watchdog"]);
  });

  test("Alertmanager reports the inhibited alerts as suppressed by their inhibitors", async () => {
    const res = await fetch(`${alertmanager.url}/api/v2/alerts`);
    const alerts = (await res.json()) as {
      labels: Record<string, string>;
      fingerprint: string;
      status: { state: string; inhibitedBy: string[] };
    }[];
    expect(alerts).toHaveLength(posted.length);
    const find = (alertname: string, severity: string) =>
      alerts.find((a) => a.labels.alertname === alertname && a.labels.severity === severity)!;
    const state = Object.fromEntries(
      alerts.map((a) => [`${a.labels.alertname}/${a.labels.severity}`, a.status.state]),
    );
    expect(state).toEqual({
      "HttpErrorRateHigh/critical": "active",
      "HttpErrorRateHigh/warning": "suppressed",
      "HttpLatencyP95High/warning": "active",
      "KubeQuotaAlmostFull/info": "active",
      "Watchdog/none": "active",
      // the chart's last rule: InfoInhibitor itself is inhibited, so it notifies nobody
      "InfoInhibitor/none": "suppressed",
      "CPUThrottlingHigh/info": "suppressed",
    });
    expect(find("HttpErrorRateHigh", "warning").status.inhibitedBy).toEqual([
      find("HttpErrorRateHigh", "critical").fingerprint,
    ]);
    expect(find("CPUThrottlingHigh", "info").status.inhibitedBy).toEqual([
      find("InfoInhibitor", "none").fingerprint,
    ]);
  });
});
