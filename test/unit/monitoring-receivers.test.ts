/**
 * The Alertmanager configuration the Monitoring construct renders: receivers of every type with
 * their keys and URLs read from the mounted Secret, routes by severity, the dead man's switch and
 * the chart's inhibition rules. The real Alertmanager checks the same object in
 * alertmanager-routing.test.ts.
 */
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import {
  Monitoring,
  validateMonitoringProps,
  type AlertReceivers,
  type MonitoringProps,
} from "../../constructs/monitoring";
import { ExternalSecretsOperator } from "../../constructs/external-secrets-operator";
import { resources, synth, testStack } from "../helpers";
import { helmRunner, manifestObjects } from "../support/helm";
import {
  ALARM_TOPIC,
  ALERTMANAGER_ROLE,
  PROD_RECEIVERS,
  SMTP_RECEIVERS,
} from "../support/alert-receivers";

const ROLE = ALERTMANAGER_ROLE;
const TOPIC = ALARM_TOPIC;

function render(receivers: AlertReceivers, extra: Partial<MonitoringProps> = {}) {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const operator = new ExternalSecretsOperator(stack, "eso", { kubernetesVersion: "1.35" });
  const construct = new Monitoring(stack, "monitoring", {
    region: "eu-west-1",
    receivers,
    receiverSecrets: {
      roleArn: "arn:aws:iam::123456789012:role/prod-monitoring-secrets",
      operator,
      readable: { prefixes: ["prod/monitoring/"] },
    },
    ...extra,
  });
  const json = synth(stack);
  const releases = Object.values(resources(json, "helm_release")) as Record<string, any>[];
  const named = (name: string) => releases.find((r) => r.name === name)!;
  const values = JSON.parse(named("kube-prometheus-stack").values[0]);
  return { construct, values, config: values.alertmanager.config, named, json };
}

const FILE = (name: string) => `/etc/alertmanager/secrets/alertmanager-receivers/${name}`;

describe("Alertmanager receivers of the prod example", () => {
  const { construct, config, values, named, json } = render(PROD_RECEIVERS);
  const receiver = (name: string) => config.receivers.find((r: any) => r.name === name);

  test("the construct's alertmanagerConfig is exactly the chart value alertmanager.config", () => {
    expect(config).toEqual(JSON.parse(JSON.stringify(construct.alertmanagerConfig)));
  });

  test("critical: PagerDuty Events API v2 with the routing key read from the mounted file", () => {
    expect(receiver("critical")).toEqual({
      name: "critical",
      pagerduty_configs: [
        { routing_key_file: FILE("critical"), severity: "critical", send_resolved: true },
      ],
    });
  });

  test("warning: Slack with the webhook URL read from the mounted file, to the channel", () => {
    const slack = receiver("warning").slack_configs;
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatchObject({
      api_url_file: FILE("warning"),
      channel: "#alerts-prod",
      send_resolved: true,
    });
    expect(slack[0].text).toContain("{{ .Annotations.summary }}");
  });

  test("info: e-mail through the alarm topic's e-mail subscription, SigV4 with Alertmanager's IRSA role: no password", () => {
    const sns = receiver("info").sns_configs;
    expect(sns).toHaveLength(1);
    expect(sns[0]).toMatchObject({
      topic_arn: TOPIC,
      sigv4: { region: "eu-west-1" },
      send_resolved: true,
    });
    // SNS refuses subjects of 100 characters or more
    expect(sns[0].subject).toContain('printf "%.99s"');
    expect(values.alertmanager.serviceAccount.annotations).toEqual({
      "eks.amazonaws.com/role-arn": ROLE,
    });
    expect(JSON.stringify(config)).not.toMatch(/email_configs|auth_password/);
  });

  test("Watchdog: its own route to the heartbeat webhook every minute, never resolved", () => {
    expect(config.route.routes[0]).toEqual({
      receiver: "watchdog",
      matchers: ['alertname = "Watchdog"'],
      group_wait: "0s",
      group_interval: "1m",
      repeat_interval: "1m",
    });
    expect(receiver("watchdog")).toEqual({
      name: "watchdog",
      webhook_configs: [{ url_file: FILE("watchdog"), send_resolved: false }],
    });
  });

  test("routes: critical, warning and info to their receivers, InfoInhibitor and severity none nowhere, the rest to warning", () => {
    expect(config.route).toMatchObject({
      receiver: "warning",
      group_by: ["alertname", "namespace"],
    });
    expect(config.route.routes.slice(1)).toEqual([
      { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
      { receiver: "critical", matchers: ['severity = "critical"'], repeat_interval: "1h" },
      { receiver: "warning", matchers: ['severity = "warning"'] },
      { receiver: "info", matchers: ['severity = "info"'] },
      { receiver: "null", matchers: ['severity = "none"'] },
    ]);
  });

  test("every key and URL is a Secrets Manager name synced into the mounted Secret: none is in the values or the state", () => {
    const synced = JSON.parse(named("alertmanager-secrets").values[0]);
    expect(synced.secrets).toEqual([
      {
        name: "alertmanager-receivers",
        data: [
          { secretKey: "critical", remoteKey: "prod/monitoring/pagerduty", property: "routingKey" },
          { secretKey: "warning", remoteKey: "prod/monitoring/slack", property: "webhookUrl" },
          { secretKey: "watchdog", remoteKey: "prod/monitoring/heartbeat", property: "url" },
        ],
      },
    ]);
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual(["alertmanager-receivers"]);
    const text = JSON.stringify(json);
    expect(text).not.toMatch(
      /routing_key"|api_url"|"url":|hooks\.slack\.com|events\.pagerduty\.com/,
    );
  });
});

// kube-prometheus-stack 75.15.1, charts/kube-prometheus-stack/values.yaml lines 508-547: the
// chart's default alertmanager.config. Helm merges the platform's `config` map over it and
// replaces its lists, so the platform restates the inhibition rules.
const CHART_DEFAULT_CONFIG = {
  global: { resolve_timeout: "5m" },
  inhibit_rules: [
    {
      source_matchers: ["severity = critical"],
      target_matchers: ["severity =~ warning|info"],
      equal: ["namespace", "alertname"],
    },
    {
      source_matchers: ["severity = warning"],
      target_matchers: ["severity = info"],
      equal: ["namespace", "alertname"],
    },
    {
      source_matchers: ["alertname = InfoInhibitor"],
      target_matchers: ["severity = info"],
      equal: ["namespace"],
    },
    { target_matchers: ["alertname = InfoInhibitor"] },
  ],
  route: {
    group_by: ["namespace"],
    group_wait: "30s",
    group_interval: "5m",
    repeat_interval: "12h",
    receiver: "null",
    routes: [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }],
  },
  receivers: [{ name: "null" }],
  templates: ["/etc/alertmanager/config/*.tmpl"],
};

describe("the chart's defaults are kept", () => {
  const { config } = render(PROD_RECEIVERS);

  test("the chart's inhibition rules (critical inhibits warning and info of the same alert and namespace; InfoInhibitor), global and templates", () => {
    expect(config.inhibit_rules).toEqual(CHART_DEFAULT_CONFIG.inhibit_rules);
    expect(config.global).toEqual(CHART_DEFAULT_CONFIG.global);
    expect(config.templates).toEqual(CHART_DEFAULT_CONFIG.templates);
  });

  test("Helm's merge over the chart's default config adds and loses nothing (real helm, the chart's secret.yaml rendering)", () => {
    // A stand-in chart with the defaults above and the line of templates/alertmanager/secret.yaml
    // (75.15.1) that renders the configuration: `toYaml .Values.alertmanager.config`.
    const dir = mkdtempSync(join(tmpdir(), "alertmanager-merge-"));
    try {
      const chart = join(dir, "chart");
      mkdirSync(join(chart, "templates"), { recursive: true });
      writeFileSync(join(chart, "Chart.yaml"), "apiVersion: v2\nname: merge\nversion: 0.1.0\n");
      writeFileSync(
        join(chart, "values.yaml"),
        JSON.stringify({ alertmanager: { config: CHART_DEFAULT_CONFIG } }),
      );
      writeFileSync(
        join(chart, "templates", "config.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config\ndata:\n  alertmanager.yaml: |\n{{ toYaml .Values.alertmanager.config | indent 4 }}\n",
      );
      writeFileSync(join(dir, "values.json"), JSON.stringify({ alertmanager: { config } }));
      const helm = helmRunner(dir);
      const result = helm("template", "merge", chart, "-f", join(dir, "values.json"));
      expect(result.stderr).toBe("");
      const [configMap] = manifestObjects(result.stdout);
      expect(parse(configMap.data["alertmanager.yaml"])).toEqual(config);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("other receiver settings", () => {
  test("without info and watchdog receivers both go to the null receiver", () => {
    const { config } = render({
      critical: { type: "sns", topicArn: TOPIC, roleArn: ROLE },
      warning: { type: "sns", topicArn: TOPIC, roleArn: ROLE },
    });
    expect(config.route.routes[0]).toEqual({
      receiver: "null",
      matchers: ['alertname = "Watchdog"'],
    });
    expect(config.route.routes.find((r: any) => r.matchers[0] === 'severity = "info"')).toEqual({
      receiver: "null",
      matchers: ['severity = "info"'],
    });
    expect(config.receivers.map((r: any) => r.name)).toEqual(["null", "critical", "warning"]);
  });

  test("e-mail through an SMTP relay reads its password from the mounted file (auth_password_file), STARTTLS required", () => {
    const { config, named } = render(SMTP_RECEIVERS);
    expect(config.receivers.find((r: any) => r.name === "info")).toEqual({
      name: "info",
      email_configs: [
        {
          to: "oncall@example.com",
          from: "alerts@example.com",
          smarthost: "email-smtp.eu-west-1.amazonaws.com:587",
          auth_username: "AKIAEXAMPLE",
          auth_password_file: FILE("info"),
          require_tls: true,
          send_resolved: true,
        },
      ],
    });
    const synced = JSON.parse(named("alertmanager-secrets").values[0]);
    expect(synced.secrets[0].data).toContainEqual({
      secretKey: "info",
      remoteKey: "prod/monitoring/smtp",
      property: "password",
    });
  });

  test("a PagerDuty or Slack receiver for warning and info carries that severity", () => {
    const { config } = render({
      critical: PROD_RECEIVERS.critical,
      warning: PROD_RECEIVERS.critical,
      info: PROD_RECEIVERS.critical,
    });
    expect(
      config.receivers.slice(1).map((r: any) => [r.name, r.pagerduty_configs[0].severity]),
    ).toEqual([
      ["critical", "critical"],
      ["warning", "warning"],
      ["info", "info"],
    ]);
  });
});

describe("receiver validation", () => {
  const problems = (receivers: unknown, secrets = true) =>
    validateMonitoringProps({
      region: "eu-west-1",
      receivers: receivers as AlertReceivers,
      receiverSecrets: secrets
        ? { roleArn: "r", operator: {} as never, readable: { prefixes: ["prod/monitoring/"] } }
        : undefined,
    }).map((p) => `${p.field}: ${p.expected}`);

  test("fails when a Slack channel, SMTP settings or a secret are wrong: every problem at once", () => {
    expect(
      problems({
        critical: { type: "pagerduty", secret: { name: "prod/other/pagerduty" } },
        warning: { type: "slack", channel: "Alerts", secret: { name: "prod/monitoring/slack" } },
        info: {
          type: "email",
          smtp: { to: "x", from: "a@example.com", smarthost: "relay", username: "", password: {} },
        },
      }),
    ).toEqual([
      `receivers.critical.secret.name: a name starting with "prod/monitoring/" (the monitoring SecretStore's role reads nothing else)`,
      "receivers.warning.channel: a Slack channel such as #alerts-prod (lowercase letters, digits, '-', '_' and '.')",
      "receivers.info.smtp.to: an e-mail address such as oncall@example.com",
      "receivers.info.smtp.smarthost: host:port of an SMTP relay with STARTTLS, such as email-smtp.eu-west-1.amazonaws.com:587",
      "receivers.info.smtp.username: the SMTP user name",
      "receivers.info.smtp.password.name: a Secrets Manager secret name (1-512 letters, digits and /_+=.@-) or secret ARN",
    ]);
  });

  test("fails when a PagerDuty, Slack or Watchdog receiver has no receiverSecrets to sync its key", () => {
    expect(
      problems(
        { critical: PROD_RECEIVERS.critical, warning: PROD_RECEIVERS.warning },
        false,
      ).filter((p) => p.startsWith("receiverSecrets")),
    ).toEqual([
      'receiverSecrets: the role and External Secrets Operator that sync the secret of receivers.critical from Secrets Manager into Secret "alertmanager-receivers" (Alertmanager does not start without it)',
      'receiverSecrets: the role and External Secrets Operator that sync the secret of receivers.warning from Secrets Manager into Secret "alertmanager-receivers" (Alertmanager does not start without it)',
    ]);
  });

  test("fails when the Watchdog receiver is not a webhook, or an e-mail receiver has neither a topic nor SMTP", () => {
    expect(
      problems({
        ...PROD_RECEIVERS,
        info: { type: "email" },
        watchdog: { type: "pagerduty", secret: { name: "prod/monitoring/heartbeat" } },
      }),
    ).toEqual([
      "receivers.info.topicArn: the ARN of an SNS topic with an e-mail subscription such as arn:aws:sns:eu-west-1:123456789012:alerts, or smtp settings",
      `receivers.watchdog.type: "webhook" (with secret): a heartbeat URL pinged every minute, which pages when the pings stop`,
    ]);
  });

  test("fails when the SNS and SNS e-mail receivers name different roles (one service account)", () => {
    expect(
      problems({
        critical: { type: "sns", topicArn: TOPIC, roleArn: ROLE },
        warning: PROD_RECEIVERS.warning,
        info: { type: "email", topicArn: TOPIC, roleArn: "arn:aws:iam::123456789012:role/other" },
      }),
    ).toEqual([
      `receivers.info.roleArn: the same role as receivers.critical.roleArn (${ROLE}): Alertmanager has one service account`,
    ]);
  });

  test("the prod example's receivers have no problems", () => {
    expect(problems(PROD_RECEIVERS)).toEqual([]);
  });
});
