import { Construct } from "constructs";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { DataKubernetesResources } from "@cdktf/provider-kubernetes/lib/data-kubernetes-resources";
import {
  addonRelease,
  checkChartVersion,
  checkNamespace,
  checkPattern,
} from "./private/addon-release";
import { AWS_REGION, DNS_SUBDOMAIN, IAM_ROLE_ARN, SNS_TOPIC_ARN } from "./private/patterns";
import {
  DEFAULT_HTTP_METRICS,
  DEFAULT_THRESHOLDS,
  runbookRuleGroups,
  type AlertThresholds,
  type HttpMetricNames,
  type RuleGroup,
} from "./private/monitoring-rules";
import {
  restrictedPodSecurityContext,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
} from "./private/pod-security";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import { alertmanagerConfig, RECEIVER_SECRET_NAME } from "./private/alertmanager-config";
import type { Tier } from "./types";
import {
  BUNDLED_DASHBOARDS_FOLDER,
  DASHBOARD_LABEL,
  DATASOURCE_LABEL,
  FOLDER_ANNOTATION,
} from "./dashboards";
import { NODE_GROUP_LABEL } from "./private/grafana-dashboards";
import type { ExternalSecretsOperator } from "./external-secrets-operator";
import { NamespaceSecrets } from "./namespace-secrets";
import {
  secretReferenceProblems,
  type SecretReference,
  type SecretsScope,
} from "./private/secrets";

export type { AlertThresholds, HttpMetricNames } from "./private/monitoring-rules";

/** The pinned chart: kube-prometheus-stack 75.15.1 (Prometheus Operator v0.83.0). */
export const MONITORING_CHART_VERSION = "75.15.1";

/** busybox of the CRD upgrade job (it decompresses the chart's CRDs): pinned, not `latest`. */
const BUSYBOX_TAG = "1.37.0";

/**
 * Name of Alertmanager's service account. With an SNS receiver, the IRSA role that may publish
 * (trust subject `system:serviceaccount:<namespace>:alertmanager`) is annotated on it.
 */
export const ALERTMANAGER_SERVICE_ACCOUNT_NAME = "alertmanager";

/**
 * The service account of the monitoring namespace's SecretStore, which syncs the
 * receivers' keys and URLs from Secrets Manager. Its IRSA role (trust subject
 * `system:serviceaccount:<namespace>:alertmanager-secrets`) reads only `<env>/monitoring/*`.
 */
export const RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME = "alertmanager-secrets";

/**
 * The Kubernetes Secret holding the receivers' keys and URLs (key: the receiver's name). Alertmanager
 * mounts it at `/etc/alertmanager/secrets/alertmanager-receivers/` (alertmanagerSpec.secrets).
 */
export { RECEIVER_SECRET_NAME, ALERTMANAGER_SECRETS_PATH } from "./private/alertmanager-config";

/**
 * Name of Grafana's service account. With `grafanaRoleArn`, its read-only CloudWatch IRSA role
 * (trust subject `system:serviceaccount:<namespace>:grafana`) is annotated on it.
 */
export const GRAFANA_SERVICE_ACCOUNT_NAME = "grafana";

/**
 * Where Alertmanager sends one severity of alerts: PagerDuty, Slack, e-mail, an SNS topic or a
 * webhook. Every key and URL stays in AWS Secrets Manager: synced into {@link RECEIVER_SECRET_NAME}
 * (key: the receiver's name) through `receiverSecrets`, mounted, and read by Alertmanager from the
 * file (`routing_key_file`, `api_url_file`, `auth_password_file`, `url_file`).
 */
export type AlertReceiver =
  | PagerDutyAlertReceiver
  | SlackAlertReceiver
  | EmailAlertReceiver
  | SnsAlertReceiver
  | WebhookAlertReceiver;

/** Alerts published to an SNS topic. */
export interface SnsAlertReceiver {
  /** Publish to an SNS topic, signed with SigV4 (credentials from the IRSA role). */
  readonly type: "sns";
  /** ARN of the SNS topic. */
  readonly topicArn: string;
  /** IRSA role Alertmanager's service account assumes (see `snsPublishPolicy`). @default no annotation: credentials must come from an EKS Pod Identity association */
  readonly roleArn?: string;
}

/**
 * Alerts posted to a webhook (Alertmanager's webhook payload) whose URL is a secret in AWS
 * Secrets Manager, read from the mounted file (`url_file`, Alertmanager 0.26 or later; the chart
 * runs v0.28.1).
 */
export interface WebhookAlertReceiver {
  /** Post to a webhook. */
  readonly type: "webhook";
  /** The Secrets Manager secret holding the URL (e.g. `prod/monitoring/heartbeat`), and for a JSON secret its key. */
  readonly secret: SecretReference;
}

/** Alerts sent to PagerDuty's Events API v2 (`routing_key_file`, Alertmanager 0.25 or later). */
export interface PagerDutyAlertReceiver {
  /** Trigger (and resolve) PagerDuty incidents. */
  readonly type: "pagerduty";
  /** The Secrets Manager secret holding the integration's routing key (e.g. `prod/monitoring/pagerduty`), and for a JSON secret its key. */
  readonly secret: SecretReference;
}

/** Alerts posted to a Slack incoming webhook (`api_url_file`). */
export interface SlackAlertReceiver {
  /** Post to Slack. */
  readonly type: "slack";
  /** The Secrets Manager secret holding the incoming-webhook URL (e.g. `prod/monitoring/slack`), and for a JSON secret its key. */
  readonly secret: SecretReference;
  /** The channel posted to, such as `#alerts-prod`. */
  readonly channel: string;
}

/** Alerts by e-mail through an SMTP relay that needs a password (`auth_password_file`). */
export interface SmtpSettings {
  /** Recipient address. */
  readonly to: string;
  /** Sender address. */
  readonly from: string;
  /** The relay, `host:port` (STARTTLS is required), such as `email-smtp.eu-west-1.amazonaws.com:587`. */
  readonly smarthost: string;
  /** SMTP user name. */
  readonly username: string;
  /** The Secrets Manager secret holding the SMTP password, and for a JSON secret its key. */
  readonly password: SecretReference;
}

/**
 * Alerts by e-mail: published to an SNS topic with an e-mail subscription (SigV4 through the IRSA
 * role: no SMTP password anywhere), or, with `smtp`, sent through an SMTP relay whose password is
 * read from the mounted file.
 */
export interface EmailAlertReceiver {
  /** Send e-mail. */
  readonly type: "email";
  /** ARN of the SNS topic whose e-mail subscription delivers the alerts (e.g. the environment's alarm topic). @default none: `smtp` is required */
  readonly topicArn?: string;
  /** IRSA role Alertmanager's service account assumes to publish to `topicArn`. @default no annotation */
  readonly roleArn?: string;
  /** Send through an SMTP relay instead of SNS. @default none: `topicArn` is required */
  readonly smtp?: SmtpSettings;
}

/** How the receivers' Secret is synced from Secrets Manager (External Secrets Operator). */
export interface ReceiverSecrets {
  /** ARN of the IRSA role of the SecretStore's service account ({@link RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME}). */
  readonly roleArn: string;
  /** The External Secrets Operator (CRDs and webhook first). */
  readonly operator: Pick<ExternalSecretsOperator, "release" | "apiVersion">;
  /** What the role may read: each receiver's secret must be inside it. @default not checked */
  readonly readable?: SecretsScope;
  /** How often the keys and URLs are read again. @default "1h" */
  readonly refreshInterval?: string;
}

/** The receivers alerts are routed to, by their `severity` label, and the dead man's switch. */
export interface AlertReceivers {
  /** Receives `severity="critical"` alerts (page). */
  readonly critical: AlertReceiver;
  /** Receives `severity="warning"` alerts, and alerts without a known severity. */
  readonly warning: AlertReceiver;
  /** Receives `severity="info"` alerts. @default none: info alerts go to the "null" receiver */
  readonly info?: AlertReceiver;
  /**
   * Dead man's switch: the always-firing `Watchdog` alert posted every minute to a heartbeat URL
   * (a service that pages when the pings stop, i.e. when Prometheus or Alertmanager is down).
   * @default none: Watchdog goes to the "null" receiver
   */
  readonly watchdog?: WebhookAlertReceiver;
}

/** The receiver names of the configuration, also the keys of {@link RECEIVER_SECRET_NAME}. */
export const RECEIVER_NAMES = ["critical", "warning", "info", "watchdog"] as const;
/** A receiver's name. */
export type ReceiverName = (typeof RECEIVER_NAMES)[number];

/** The Secrets Manager secret a receiver reads (key, URL or SMTP password), if any. */
export function alertReceiverSecret(receiver: {
  readonly type: string;
  readonly secret?: SecretReference;
  readonly smtp?: { readonly password: SecretReference };
}): SecretReference | undefined {
  return receiver.type === "email" ? receiver.smtp?.password : receiver.secret;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  /** Receivers of critical, warning and info alerts, and the Watchdog heartbeat. */
  readonly receivers: AlertReceivers;
  /**
   * Required with a PagerDuty, Slack, webhook or SMTP e-mail receiver: the role and operator that
   * sync the receivers' keys and URLs from Secrets Manager into a Secret Alertmanager mounts.
   * @default none (SNS and SNS e-mail receivers only)
   */
  readonly receiverSecrets?: ReceiverSecrets;
  /** AWS region of the cluster (SigV4 region for SNS topics given as unresolved references). */
  readonly region: string;
  /** Namespace created for the stack. @default "monitoring" */
  readonly namespace?: string;
  /** kube-prometheus-stack chart version (exact). @default "75.15.1" */
  readonly chartVersion?: string;
  /** Tier: production runs 2 Prometheus and 2 Alertmanager replicas with disruption budgets. @default "production" */
  readonly tier?: Tier;
  /** Runbook alert thresholds. @default 1% 5xx, p95 500 ms, CPU 80% and memory 90% of limit, more than 3 restarts in 15 min */
  readonly alertThresholds?: AlertThresholds;
  /** Application HTTP metric names the HTTP alerts read. @default http_requests_total{status}, http_request_duration_seconds_bucket */
  readonly httpMetrics?: HttpMetricNames;
  /** Days Prometheus keeps samples. @default 15 in production, 7 in development */
  readonly retentionDays?: number;
  /**
   * Size of each Prometheus volume in GiB (retention by size stops at 90% of it). PVCs never grow
   * with it: the plan refuses a size other than the existing volumes' (README "Upgrading",
   * "Prometheus storage"). @default 50 in production, 20 in development
   */
  readonly storageGb?: number;
  /**
   * Existing StorageClass for the Prometheus volumes (its parameters decide encryption).
   * @default a StorageClass created here: `<namespace>-encrypted-gp3` (EBS CSI driver, gp3, encrypted)
   */
  readonly storageClassName?: string;
  /**
   * KMS key that encrypts the Prometheus volumes of the StorageClass created here. The EBS CSI
   * driver's role must be allowed to use it.
   * @default the account's AWS managed EBS key (`aws/ebs`)
   */
  readonly volumeKmsKeyArn?: string;
  /**
   * Existing Secret (keys `admin-user`, `admin-password`) with Grafana's admin login.
   * @default none: the chart generates a random 40-character password into Secret `kube-prometheus-stack-grafana`
   */
  readonly grafanaAdminSecretName?: string;
  /**
   * IRSA role of Grafana's service account ({@link GRAFANA_SERVICE_ACCOUNT_NAME}), for the
   * CloudWatch data source of the System dashboard (`cloudWatchReadPolicy`: read-only).
   * @default no annotation: the CloudWatch data source has no credentials
   */
  readonly grafanaRoleArn?: string;
}

/**
 * Every problem with monitoring props, with field paths named as the props. Shared with the
 * environment-file validation so both say the same thing.
 */
export function validateMonitoringProps(props: MonitoringProps): Problem[] {
  const p = new ProblemList();
  const receivers = props.receivers as Partial<AlertReceivers> | undefined;
  if (typeof receivers !== "object" || receivers === null) {
    p.check(false, "receivers", receivers, "an object with a critical and a warning receiver");
  } else {
    for (const name of RECEIVER_NAMES) {
      if (name === "info" || name === "watchdog") {
        if (receivers[name] === undefined || receivers[name] === null) continue;
      }
      if (name === "watchdog" && (receivers.watchdog as { type?: unknown }).type !== "webhook") {
        p.check(
          false,
          "receivers.watchdog.type",
          (receivers.watchdog as { type?: unknown }).type,
          `"webhook" (with secret): a heartbeat URL pinged every minute, which pages when the pings stop`,
        );
        continue;
      }
      checkReceiver(p, `receivers.${name}`, receivers[name], props.receiverSecrets);
    }
    // One service account: every receiver publishing to SNS must name the same role.
    let first: { name: string; role: string } | undefined;
    for (const name of RECEIVER_NAMES) {
      const r = receivers[name] as Record<string, unknown> | undefined;
      const role = r?.type === "sns" || r?.type === "email" ? r.roleArn : undefined;
      if (typeof role !== "string" || isToken(role)) continue;
      if (!first) first = { name, role };
      else
        p.check(
          role === first.role,
          `receivers.${name}.roleArn`,
          role,
          `the same role as receivers.${first.name}.roleArn (${first.role}): Alertmanager has one service account`,
        );
    }
  }
  checkPattern(p, "region", props.region, AWS_REGION, "an AWS region such as eu-west-1");
  checkNamespace(p, props.namespace);
  checkChartVersion(p, props.chartVersion);
  const t = props.alertThresholds ?? {};
  for (const key of ["httpErrorRatio", "cpuLimitRatio", "memoryLimitRatio"] as const) {
    const v = t[key];
    if (v !== undefined) {
      p.check(
        typeof v === "number" && v > 0 && v <= 1,
        `alertThresholds.${key}`,
        v,
        "a ratio greater than 0 and at most 1 (0.01 = 1%)",
      );
    }
  }
  if (t.latencyP95Seconds !== undefined) {
    p.check(
      typeof t.latencyP95Seconds === "number" && t.latencyP95Seconds > 0,
      "alertThresholds.latencyP95Seconds",
      t.latencyP95Seconds,
      "a number of seconds greater than 0 (0.5 = 500 ms)",
    );
  }
  if (t.restartsIn15m !== undefined) {
    p.check(
      Number.isInteger(t.restartsIn15m) && t.restartsIn15m >= 0,
      "alertThresholds.restartsIn15m",
      t.restartsIn15m,
      "a whole number of restarts, 0 or more",
    );
  }
  const m = props.httpMetrics ?? {};
  for (const key of ["requestsTotal", "durationBucket"] as const) {
    if (m[key] !== undefined) {
      checkPattern(p, `httpMetrics.${key}`, m[key], METRIC_NAME, "a Prometheus metric name");
    }
  }
  if (m.durationBucket !== undefined && METRIC_NAME.test(m.durationBucket)) {
    p.check(
      m.durationBucket.endsWith("_bucket"),
      "httpMetrics.durationBucket",
      m.durationBucket,
      "the _bucket series of a histogram, such as http_request_duration_seconds_bucket",
    );
  }
  if (m.statusLabel !== undefined) {
    checkPattern(
      p,
      "httpMetrics.statusLabel",
      m.statusLabel,
      LABEL_NAME,
      "a Prometheus label name",
    );
  }
  for (const key of ["retentionDays", "storageGb"] as const) {
    const v = props[key];
    if (v !== undefined) {
      p.check(Number.isInteger(v) && v >= 1, key, v, "a whole number, 1 or more");
    }
  }
  if (props.volumeKmsKeyArn !== undefined) {
    checkPattern(
      p,
      "volumeKmsKeyArn",
      props.volumeKmsKeyArn,
      /^arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:key\/[0-9a-f-]{36}$/,
      "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias",
    );
    p.check(
      props.storageClassName === undefined,
      "volumeKmsKeyArn",
      props.volumeKmsKeyArn,
      "no key when storageClassName names an existing StorageClass (its parameters decide encryption)",
    );
  }
  if (props.grafanaRoleArn !== undefined) {
    checkPattern(
      p,
      "grafanaRoleArn",
      props.grafanaRoleArn,
      IAM_ROLE_ARN,
      "an IAM role ARN such as arn:aws:iam::123456789012:role/grafana",
    );
  }
  for (const key of ["storageClassName", "grafanaAdminSecretName"] as const) {
    if (props[key] !== undefined) {
      checkPattern(
        p,
        key,
        props[key],
        DNS_SUBDOMAIN,
        "a Kubernetes object name: lowercase letters, digits, '-' and '.'",
      );
    }
  }
  return [...p.problems];
}

const RECEIVER_TYPES_EXPECTED = `"pagerduty" (with secret), "slack" (with secret and channel), "email" (with topicArn or smtp), "sns" (with topicArn) or "webhook" (with secret)`;
const SLACK_CHANNEL = /^[#@]?[a-z0-9][a-z0-9._-]{0,79}$/;
const EMAIL_ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const SMARTHOST = /^[A-Za-z0-9.-]+:\d{1,5}$/;

function checkReceiver(
  p: ProblemList,
  field: string,
  receiver: unknown,
  secrets: ReceiverSecrets | undefined,
): void {
  const r = receiver as Record<string, unknown> | undefined;
  const type = typeof r === "object" && r !== null ? r.type : r;
  if (!["pagerduty", "slack", "email", "sns", "webhook"].includes(type as string)) {
    p.check(false, `${field}.type`, type, RECEIVER_TYPES_EXPECTED);
    return;
  }
  const rec = r as Record<string, unknown>;
  if (type === "slack") {
    p.checkValue(
      rec.channel,
      (v) => typeof v === "string" && SLACK_CHANNEL.test(v),
      `${field}.channel`,
      "a Slack channel such as #alerts-prod (lowercase letters, digits, '-', '_' and '.')",
    );
  }
  if (type === "email") {
    const smtp = rec.smtp as Partial<SmtpSettings> | undefined;
    p.check(
      rec.topicArn === undefined || smtp === undefined,
      `${field}.smtp`,
      smtp,
      "no smtp settings with a topicArn: e-mail goes either through an SNS topic's e-mail subscription (SigV4, no password) or through an SMTP relay",
    );
    if (smtp !== undefined) {
      for (const key of ["to", "from"] as const) {
        p.checkValue(
          smtp[key],
          (v) => typeof v === "string" && EMAIL_ADDRESS.test(v),
          `${field}.smtp.${key}`,
          "an e-mail address such as oncall@example.com",
        );
      }
      p.checkValue(
        smtp.smarthost,
        (v) => typeof v === "string" && SMARTHOST.test(v),
        `${field}.smtp.smarthost`,
        "host:port of an SMTP relay with STARTTLS, such as email-smtp.eu-west-1.amazonaws.com:587",
      );
      p.checkValue(
        smtp.username,
        (v) => typeof v === "string" && v.length > 0,
        `${field}.smtp.username`,
        "the SMTP user name",
      );
    }
  }
  const secret = alertReceiverSecret(rec as { type: string });
  const secretField = type === "email" ? `${field}.smtp.password` : `${field}.secret`;
  if (type === "email" && rec.smtp === undefined) {
    // published to SNS
  } else if (type !== "sns") {
    // Without a synced Secret the Prometheus Operator never starts Alertmanager, while the
    // Helm release still reports success.
    p.check(
      secrets !== undefined,
      "receiverSecrets",
      secrets,
      `the role and External Secrets Operator that sync the secret of ${field} from Secrets Manager into Secret "${RECEIVER_SECRET_NAME}" (Alertmanager does not start without it)`,
    );
    secretReferenceProblems(
      p,
      secretField,
      secret as SecretReference,
      secrets?.readable,
      "the monitoring SecretStore's role reads nothing else",
    );
    return;
  }
  checkPattern(
    p,
    `${field}.topicArn`,
    rec.topicArn,
    SNS_TOPIC_ARN,
    type === "email"
      ? "the ARN of an SNS topic with an e-mail subscription such as arn:aws:sns:eu-west-1:123456789012:alerts, or smtp settings"
      : "an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts",
  );
  if (rec.roleArn !== undefined) {
    checkPattern(
      p,
      `${field}.roleArn`,
      rec.roleArn,
      IAM_ROLE_ARN,
      "an IAM role ARN such as arn:aws:iam::123456789012:role/alertmanager",
    );
  }
}

/**
 * In-cluster monitoring: kube-prometheus-stack (Prometheus Operator, Prometheus, Alertmanager,
 * Grafana, kube-state-metrics, node-exporter) in its own namespace, with the runbook's alert rules,
 * Alertmanager routing critical, warning and info alerts to their receivers (PagerDuty, Slack,
 * e-mail, SNS or a webhook; keys and URLs synced from Secrets Manager by {@link NamespaceSecrets}
 * and read from files) with the chart's inhibition rules and an optional dead man's switch, and
 * Grafana reachable only inside the cluster.
 */
export class Monitoring extends Construct {
  /** The namespace resource. */
  readonly namespaceResource: NamespaceV1;
  /** Name of the monitoring namespace. */
  readonly namespace: string;
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** Alertmanager's service account name (annotated with the SNS receiver's role). */
  readonly alertmanagerServiceAccountName: string;
  /** The receivers' Secret, synced from Secrets Manager (absent when no receiver reads a secret). */
  readonly receiverSecrets?: NamespaceSecrets;
  /** Grafana's ClusterIP Service (reach it with `kubectl port-forward`). */
  readonly grafanaServiceName: string;
  /** Secret holding Grafana's admin login (`admin-user`, `admin-password`). */
  readonly grafanaAdminSecretName: string;
  /** The Alertmanager configuration (`alertmanager.config`): routes, inhibition rules, receivers. */
  readonly alertmanagerConfig: ReturnType<typeof alertmanagerConfig>;
  /** The runbook alert rule groups deployed as a PrometheusRule. */
  readonly alertRuleGroups: readonly RuleGroup[];
  /** The thresholds of the runbook alerts (the props' over the defaults): the dashboards draw them. */
  readonly alertThresholds: Required<AlertThresholds>;
  /** Grafana's service account name (annotated with `grafanaRoleArn`). */
  readonly grafanaServiceAccountName: string;
  /** The encrypted StorageClass created for Prometheus (absent when `storageClassName` is given). */
  readonly storageClass?: StorageClassV1;
  /** StorageClass of the Prometheus volumes. */
  readonly storageClassName: string;
  /** The Prometheus volumes (PVCs) as the plan reads them: their size must equal `storageGb`. */
  readonly prometheusVolumes: DataKubernetesResources;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    throwIfProblems(this, validateMonitoringProps(props));
    const tier = props.tier ?? "production";
    const production = tier === "production";
    const namespaceName = props.namespace ?? "monitoring";
    this.chartVersion = props.chartVersion ?? MONITORING_CHART_VERSION;
    this.releaseName = "kube-prometheus-stack";
    this.alertmanagerServiceAccountName = ALERTMANAGER_SERVICE_ACCOUNT_NAME;
    this.grafanaServiceName = `${this.releaseName}-grafana`;
    this.grafanaAdminSecretName = props.grafanaAdminSecretName ?? `${this.releaseName}-grafana`;

    this.namespaceResource = new NamespaceV1(this, "namespace", {
      metadata: {
        name: namespaceName,
        labels: { "app.kubernetes.io/part-of": "platform-monitoring" },
      },
    });
    suppressPolicy(
      this.namespaceResource,
      {
        rule: "k8s-namespace-pod-security",
        reason:
          "node-exporter (part of kube-prometheus-stack) needs hostNetwork, hostPID and hostPath mounts, which only the privileged Pod Security level admits; the namespace holds the monitoring stack only.",
      },
      {
        rule: "k8s-namespace-default-deny",
        reason:
          "The operator's admission webhook (called by the API server), Grafana and Prometheus's scrapes of its own components are not yet described as NetworkPolicies; a default deny would break the webhook.",
      },
    );
    this.namespace = this.namespaceResource.metadata.name;

    // Encryption at rest: the gp2 class EKS creates does not encrypt (unless the account encrypts
    // EBS by default), so Prometheus gets its own encrypted gp3 class unless one is named.
    if (props.storageClassName === undefined) {
      this.storageClass = new StorageClassV1(this, "storage-class", {
        metadata: {
          name: `${namespaceName}-encrypted-gp3`,
          labels: { "app.kubernetes.io/part-of": "platform-monitoring" },
        },
        storageProvisioner: "ebs.csi.aws.com",
        parameters: {
          type: "gp3",
          encrypted: "true",
          ...(props.volumeKmsKeyArn ? { kmsKeyId: props.volumeKmsKeyArn } : {}),
        },
        reclaimPolicy: production ? "Retain" : "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
      });
      this.storageClassName = this.storageClass.metadata.name;
    } else {
      this.storageClassName = props.storageClassName;
    }

    this.alertThresholds = { ...DEFAULT_THRESHOLDS, ...definedOnly(props.alertThresholds) };
    this.grafanaServiceAccountName = GRAFANA_SERVICE_ACCOUNT_NAME;
    this.alertRuleGroups = runbookRuleGroups(this.alertThresholds, {
      ...DEFAULT_HTTP_METRICS,
      ...definedOnly(props.httpMetrics),
    });

    const receivers = props.receivers;
    const snsRole = RECEIVER_NAMES.map(
      (name) => receivers[name] as Record<string, unknown> | undefined,
    )
      .map((r) =>
        r?.type === "sns" || r?.type === "email" ? (r.roleArn as string | undefined) : undefined,
      )
      .find((role) => role !== undefined);

    // Keys and URLs: synced from Secrets Manager into one Secret (key: the receiver's name),
    // mounted by Alertmanager and read from the file, so none is in the values, the state or the
    // configuration.
    const receiverSecrets = Object.fromEntries(
      RECEIVER_NAMES.flatMap((name) => {
        const r = receivers[name];
        const secret = r ? alertReceiverSecret(r) : undefined;
        return secret ? [[name, secret]] : [];
      }),
    );
    if (props.receiverSecrets && Object.keys(receiverSecrets).length > 0) {
      this.receiverSecrets = new NamespaceSecrets(this, "receiver-secrets", {
        namespace: this.namespace,
        serviceAccountName: RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME,
        roleArn: props.receiverSecrets.roleArn,
        region: props.region,
        secrets: { [RECEIVER_SECRET_NAME]: receiverSecrets },
        readable: props.receiverSecrets.readable,
        refreshInterval: props.receiverSecrets.refreshInterval,
        operator: props.receiverSecrets.operator,
        dependsOn: [this.namespaceResource],
      });
    }
    this.alertmanagerConfig = alertmanagerConfig(receivers, props.region);

    const prometheusReplicas = production ? 2 : 1;
    const alertmanagerReplicas = production ? 2 : 1;
    const storageGb = props.storageGb ?? (production ? 50 : 20);

    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://prometheus-community.github.io/helm-charts",
      chart: "kube-prometheus-stack",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 900,
      values: {
        // Helm installs crds/ only on the first install: on every install, upgrade and rollback
        // the chart's own hook Job first server-side applies the CRDs of this chart version, so
        // a chart bump never runs the new operator against old CRDs (README "Upgrading").
        crds: {
          enabled: true,
          upgradeJob: {
            enabled: true,
            // The CRDs were created by Helm from crds/: take over the fields it owns.
            forceConflicts: true,
            image: {
              // The chart's default is busybox:latest: pin it.
              busybox: { registry: "docker.io", repository: "busybox", tag: BUSYBOX_TAG },
              // "": kubectl of the cluster's own Kubernetes version (the chart's default).
              kubectl: { registry: "registry.k8s.io", repository: "kubectl", tag: "" },
            },
            resources: {
              requests: { cpu: "50m", memory: "64Mi" },
              limits: { memory: "256Mi" },
            },
            // Pod Security "restricted" (the chart's defaults, stated so a chart change shows).
            podSecurityContext: restrictedPodSecurityContext(65534),
            containerSecurityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
          },
        },
        // EKS runs the control plane: its components cannot be scraped, so their targets and
        // default alerts would only report "down". kube-proxy binds its metrics to localhost.
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        defaultRules: {
          create: true,
          rules: {
            etcd: false,
            kubeControllerManager: false,
            kubeSchedulerAlerting: false,
            kubeSchedulerRecording: false,
            kubeProxy: false,
            windows: false,
          },
        },
        additionalPrometheusRulesMap: {
          "platform-runbook": { groups: this.alertRuleGroups },
        },
        alertmanager: {
          enabled: true,
          serviceAccount: {
            create: true,
            name: this.alertmanagerServiceAccountName,
            annotations: snsRole ? { "eks.amazonaws.com/role-arn": snsRole } : {},
          },
          podDisruptionBudget: { enabled: alertmanagerReplicas > 1, minAvailable: 1 },
          ingress: { enabled: false },
          service: { type: "ClusterIP" },
          // the whole configuration, the chart's inhibition rules included (Helm replaces lists)
          config: this.alertmanagerConfig,
          alertmanagerSpec: {
            replicas: alertmanagerReplicas,
            // mounted at /etc/alertmanager/secrets/<name>/ (Prometheus Operator AlertmanagerSpec.secrets)
            ...(this.receiverSecrets ? { secrets: [RECEIVER_SECRET_NAME] } : {}),
            resources: {
              requests: { cpu: "50m", memory: "128Mi" },
              limits: { memory: "256Mi" },
            },
          },
        },
        grafana: {
          enabled: true,
          // The chart's default is the well-known "prom-operator": never use it.
          adminPassword: "",
          ...(props.grafanaAdminSecretName
            ? {
                admin: {
                  existingSecret: props.grafanaAdminSecretName,
                  userKey: "admin-user",
                  passwordKey: "admin-password",
                },
              }
            : {}),
          service: { type: "ClusterIP" },
          ingress: { enabled: false },
          resources: {
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { memory: "512Mi" },
          },
          ...grafanaDashboardValues(namespaceName, props.grafanaRoleArn),
        },
        // Node group panels (System dashboard): kube_node_labels carries the EKS node group.
        "kube-state-metrics": { metricLabelsAllowlist: [KUBE_STATE_METRICS_NODE_LABELS] },
        prometheus: {
          ingress: { enabled: false },
          service: { type: "ClusterIP" },
          podDisruptionBudget: { enabled: prometheusReplicas > 1, minAvailable: 1 },
          prometheusSpec: {
            replicas: prometheusReplicas,
            retention: `${props.retentionDays ?? (production ? 15 : 7)}d`,
            retentionSize: `${Math.floor(storageGb * 0.9)}GB`,
            resources: production
              ? { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "4Gi" } }
              : { requests: { cpu: "200m", memory: "1Gi" }, limits: { memory: "2Gi" } },
            storageSpec: {
              volumeClaimTemplate: {
                spec: {
                  storageClassName: this.storageClassName,
                  accessModes: ["ReadWriteOnce"],
                  resources: { requests: { storage: `${storageGb}Gi` } },
                },
              },
            },
            // Pick up every team's ServiceMonitor, PodMonitor, Probe and PrometheusRule, not only
            // those labelled with this release.
            ruleSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            probeSelectorNilUsesHelmValues: false,
          },
        },
      },
    });
    suppressPolicy(this.release, {
      rule: "k8s-hpa-in-production",
      reason:
        "Prometheus and Alertmanager are StatefulSets the operator runs as fixed highly-available pairs; Prometheus scales by sharding and Grafana's load is a few operators, not traffic.",
    });

    this.prometheusVolumes = new DataKubernetesResources(this, "prometheus-volumes", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      namespace: this.namespace,
      labelSelector: `operator.prometheus.io/name=${this.releaseName}-prometheus`,
    });
    this.release.addOverride("lifecycle.precondition", [
      volumeSizeCheck(this.node.path, namespaceName, this.prometheusVolumes.fqn, storageGb),
    ]);
  }
}

/**
 * Refuses, at plan time, a storageGb other than the capacity of the existing Prometheus volumes:
 * a StatefulSet never resizes the PVCs of its volumeClaimTemplates, so a larger size would change
 * only the template while retentionSize outgrew the disk, and a volume never shrinks. The PVCs
 * are read in the plan (none on a new cluster; a claim still pending has no capacity yet).
 */
function volumeSizeCheck(path: string, namespace: string, volumes: string, storageGb: number) {
  const size = `${storageGb}Gi`;
  return {
    condition: `\${alltrue([for pvc in ${volumes}.objects : try(pvc.status.capacity.storage, "${size}") == "${size}"])}`,
    // raw Terraform (an override): snake_case
    error_message: [
      `Monitoring ${path}: storageGb ${storageGb} (${size}) is not the size of the existing Prometheus volumes, and the Prometheus Operator never resizes them (volumes cannot shrink at all).`,
      `To grow them: patch each PVC to ${size} (kubectl -n ${namespace} get pvc -l operator.prometheus.io/name=kube-prometheus-stack-prometheus; kubectl -n ${namespace} patch pvc <name> -p '{"spec":{"resources":{"requests":{"storage":"${size}"}}}}'),`,
      `wait until each reports capacity ${size}, delete the StatefulSet but not its pods (kubectl -n ${namespace} delete statefulset prometheus-kube-prometheus-stack-prometheus --cascade=orphan), then plan again.`,
    ].join(" "),
  };
}

/**
 * kube-state-metrics exports these node labels on `kube_node_labels` (as
 * `label_eks_amazonaws_com_nodegroup`, ...): the System dashboard groups nodes by node group.
 */
export const KUBE_STATE_METRICS_NODE_LABELS = `nodes=[${NODE_GROUP_LABEL},eks.amazonaws.com/capacityType,node.kubernetes.io/instance-type,topology.kubernetes.io/zone]`;

/**
 * Grafana's dashboards and data sources as code: the sidecars load the ConfigMaps labelled
 * `grafana_dashboard: "1"` / `grafana_datasource: "1"` from the monitoring namespace only (a
 * namespaced Role, not a ClusterRole reading every Secret of the cluster), and file each
 * dashboard into the folder its `grafana_folder` annotation names; the bundled Kubernetes
 * dashboards stay on, in their own folder. Grafana's service account carries the CloudWatch role.
 */
function grafanaDashboardValues(namespace: string, roleArn: string | undefined): object {
  return {
    defaultDashboardsEnabled: true,
    serviceAccount: {
      create: true,
      name: GRAFANA_SERVICE_ACCOUNT_NAME,
      annotations: roleArn ? { "eks.amazonaws.com/role-arn": roleArn } : {},
    },
    rbac: { namespaced: true },
    sidecar: {
      dashboards: {
        enabled: true,
        label: Object.keys(DASHBOARD_LABEL)[0],
        labelValue: Object.values(DASHBOARD_LABEL)[0],
        searchNamespace: namespace,
        resource: "configmap",
        folderAnnotation: FOLDER_ANNOTATION,
        annotations: { [FOLDER_ANNOTATION]: BUNDLED_DASHBOARDS_FOLDER },
        provider: { foldersFromFilesStructure: true, allowUiUpdates: false },
      },
      datasources: {
        enabled: true,
        label: Object.keys(DATASOURCE_LABEL)[0],
        labelValue: Object.values(DATASOURCE_LABEL)[0],
        resource: "configmap",
      },
    },
  };
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
