/**
 * The Alertmanager configuration the `Monitoring` construct puts in kube-prometheus-stack's
 * `alertmanager.config`: routes by severity (critical, warning, info), the dead man's switch, the
 * chart's inhibition rules, and one receiver per configured severity whose keys and URLs are read
 * from files mounted from the receivers' Secret. A pure data builder.
 */
import type { AlertReceiver, AlertReceivers, ReceiverName } from "../monitoring";
import { SNS_TOPIC_ARN } from "./patterns";
import { isToken } from "./validation";

/** Where the Prometheus Operator mounts each Secret of `alertmanagerSpec.secrets`. */
export const ALERTMANAGER_SECRETS_PATH = "/etc/alertmanager/secrets";
/** The Secret holding the receivers' keys and URLs (key: the receiver's name). */
export const RECEIVER_SECRET_NAME = "alertmanager-receivers";

/** The mounted file of one receiver's secret. */
export function receiverSecretFile(name: ReceiverName): string {
  return `${ALERTMANAGER_SECRETS_PATH}/${RECEIVER_SECRET_NAME}/${name}`;
}

/**
 * kube-prometheus-stack 75.15.1 `values.yaml` `alertmanager.config.inhibit_rules` (lines 511-533),
 * restated: the platform sets `config`, and Helm replaces lists rather than merging them, so they
 * are part of the configuration the tests check. Critical inhibits warning and info of the same
 * alert in the same namespace, warning inhibits info, `InfoInhibitor` inhibits the info alerts of
 * its namespace, and the last rule keeps `InfoInhibitor` itself from being notified.
 */
export const CHART_INHIBIT_RULES = [
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
] as const;

/** Chart 75.15.1 `values.yaml` `alertmanager.config.global` and `templates` (lines 509-510, 546-547). */
export const CHART_GLOBAL = { resolve_timeout: "5m" } as const;
export const CHART_TEMPLATES = ["/etc/alertmanager/config/*.tmpl"] as const;

/**
 * How often the Watchdog heartbeat is posted: dead man's switch services expect a ping every
 * minute or so and page after a few missed ones.
 */
export const WATCHDOG_INTERVAL = "1m";

/** One line per alert, for Slack and e-mail. */
const ALERT_LINES =
  "{{ range .Alerts }}[{{ .Status | toUpper }}] {{ .Labels.alertname }} ({{ .Labels.severity }}, namespace {{ .Labels.namespace }}): {{ .Annotations.summary }}{{ if .Annotations.description }} {{ .Annotations.description }}{{ end }}\n{{ end }}";
/**
 * SNS refuses a subject of 100 characters or more (and line breaks): Alertmanager's default
 * subject lists every common label, so e-mail subjects are cut to 99 characters.
 */
const EMAIL_SUBJECT =
  '{{ printf "[%s] %s (%s)" (.Status | toUpper) .CommonLabels.alertname .CommonLabels.severity | printf "%.99s" }}';

/** The configuration: exactly what `alertmanager.config` holds. */
export function alertmanagerConfig(receivers: AlertReceivers, region: string) {
  const configured = (["critical", "warning", "info", "watchdog"] as const).filter(
    (name) => receivers[name] !== undefined && receivers[name] !== null,
  );
  return {
    global: { ...CHART_GLOBAL },
    inhibit_rules: CHART_INHIBIT_RULES.map((r) => structuredClone(r)),
    route: {
      // alerts without a known severity still reach a human
      receiver: "warning",
      group_by: ["alertname", "namespace"],
      group_wait: "30s",
      group_interval: "5m",
      repeat_interval: "12h",
      routes: [
        receivers.watchdog
          ? {
              receiver: "watchdog",
              matchers: ['alertname = "Watchdog"'],
              group_wait: "0s",
              group_interval: WATCHDOG_INTERVAL,
              repeat_interval: WATCHDOG_INTERVAL,
            }
          : { receiver: "null", matchers: ['alertname = "Watchdog"'] },
        { receiver: "null", matchers: ['alertname = "InfoInhibitor"'] },
        { receiver: "critical", matchers: ['severity = "critical"'], repeat_interval: "1h" },
        { receiver: "warning", matchers: ['severity = "warning"'] },
        { receiver: receivers.info ? "info" : "null", matchers: ['severity = "info"'] },
        { receiver: "null", matchers: ['severity = "none"'] },
      ],
    },
    receivers: [
      { name: "null" },
      ...configured.map((name) => receiverConfig(name, receivers[name]!, region)),
    ],
    templates: [...CHART_TEMPLATES],
  };
}

/** The Alertmanager receiver of one name. */
function receiverConfig(name: ReceiverName, receiver: AlertReceiver, region: string): object {
  const file = receiverSecretFile(name);
  switch (receiver.type) {
    case "pagerduty":
      return {
        name,
        pagerduty_configs: [
          {
            routing_key_file: file,
            // PagerDuty's severities include critical, warning and info: each receiver serves one
            // (alerts without a known severity reach the warning receiver).
            severity: name === "info" ? "info" : name === "critical" ? "critical" : "warning",
            send_resolved: true,
          },
        ],
      };
    case "slack":
      return {
        name,
        slack_configs: [
          {
            api_url_file: file,
            channel: receiver.channel,
            title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
            text: ALERT_LINES,
            send_resolved: true,
          },
        ],
      };
    case "webhook":
      return {
        name,
        // a heartbeat needs no resolved notification
        webhook_configs: [{ url_file: file, send_resolved: name !== "watchdog" }],
      };
    case "email":
      if (receiver.smtp) {
        const smtp = receiver.smtp;
        return {
          name,
          email_configs: [
            {
              to: smtp.to,
              from: smtp.from,
              smarthost: smtp.smarthost,
              auth_username: smtp.username,
              auth_password_file: file,
              require_tls: true,
              send_resolved: true,
            },
          ],
        };
      }
      return {
        name,
        sns_configs: [
          {
            ...snsTarget(receiver.topicArn!, region),
            subject: EMAIL_SUBJECT,
            message: ALERT_LINES,
            send_resolved: true,
          },
        ],
      };
    case "sns":
      return {
        name,
        sns_configs: [{ ...snsTarget(receiver.topicArn, region), send_resolved: true }],
      };
  }
}

function snsTarget(topicArn: string, region: string) {
  const arnRegion = isToken(topicArn) ? undefined : SNS_TOPIC_ARN.exec(topicArn)?.[2];
  return { topic_arn: topicArn, sigv4: { region: arnRegion ?? region } };
}
