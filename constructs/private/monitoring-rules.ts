/**
 * The runbook's alert rules (PrometheusRule groups) and the Alertmanager configuration that routes
 * them by severity. Pure data builders for the `Monitoring` construct.
 */

/** Thresholds of the runbook alerts. */
export interface AlertThresholds {
  /** Share of HTTP requests answered with 5xx over 5 minutes, 0-1 (critical). @default 0.01 */
  readonly httpErrorRatio?: number;
  /** 95th percentile HTTP latency in seconds over 5 minutes (warning). @default 0.5 */
  readonly latencyP95Seconds?: number;
  /** Container CPU use as a share of its CPU limit, 0-1 (warning). @default 0.8 */
  readonly cpuLimitRatio?: number;
  /** Container memory working set as a share of its memory limit, 0-1 (warning). @default 0.9 */
  readonly memoryLimitRatio?: number;
  /** Container restarts within 15 minutes above which a crash loop is reported (critical). @default 3 */
  readonly restartsIn15m?: number;
}

/** Names of the application HTTP metrics the HTTP alerts read (RED metrics of the app pods). */
export interface HttpMetricNames {
  /** Counter of HTTP requests, labelled with the response status code. @default "http_requests_total" */
  readonly requestsTotal?: string;
  /** Bucket series of the request-duration histogram, in seconds. @default "http_request_duration_seconds_bucket" */
  readonly durationBucket?: string;
  /** Label holding the HTTP status code on the request counter. @default "status" */
  readonly statusLabel?: string;
}

export const DEFAULT_THRESHOLDS: Required<AlertThresholds> = {
  httpErrorRatio: 0.01,
  latencyP95Seconds: 0.5,
  cpuLimitRatio: 0.8,
  memoryLimitRatio: 0.9,
  restartsIn15m: 3,
};

/** podinfo's names (the example app); they follow the Prometheus `http_*` conventions. */
export const DEFAULT_HTTP_METRICS: Required<HttpMetricNames> = {
  requestsTotal: "http_requests_total",
  durationBucket: "http_request_duration_seconds_bucket",
  statusLabel: "status",
};

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: "critical" | "warning" };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: AlertRule[];
}

const CADVISOR = `job="kubelet", metrics_path="/metrics/cadvisor", container!=""`;
const KSM = `job="kube-state-metrics"`;

/** The runbook alert groups, thresholds at the end of each expression (`... > <threshold>`). */
export function runbookRuleGroups(
  thresholds: Required<AlertThresholds>,
  metrics: Required<HttpMetricNames>,
): RuleGroup[] {
  const t = thresholds;
  const { requestsTotal, durationBucket, statusLabel } = metrics;
  return [
    {
      name: "platform-http",
      rules: [
        {
          alert: "HttpErrorRateHigh",
          expr: `(sum by (namespace, job) (rate(${requestsTotal}{${statusLabel}=~"5.."}[5m])) / sum by (namespace, job) (rate(${requestsTotal}[5m]))) > ${t.httpErrorRatio}`,
          for: "5m",
          labels: { severity: "critical" },
          annotations: {
            summary: `HTTP 5xx above ${percent(t.httpErrorRatio)} of requests`,
            description:
              "{{ $value | humanizePercentage }} of the requests to {{ $labels.job }} in namespace {{ $labels.namespace }} failed with 5xx over the last 5 minutes.",
          },
        },
        {
          alert: "HttpLatencyP95High",
          expr: `histogram_quantile(0.95, sum by (namespace, job, le) (rate(${durationBucket}[5m]))) > ${t.latencyP95Seconds}`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: `HTTP p95 latency above ${t.latencyP95Seconds * 1000} ms`,
            description:
              "95th percentile latency of {{ $labels.job }} in namespace {{ $labels.namespace }} is {{ $value | humanizeDuration }} over the last 5 minutes.",
          },
        },
      ],
    },
    {
      name: "platform-containers",
      rules: [
        {
          alert: "ContainerCpuNearLimit",
          expr: `(sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${CADVISOR}}[5m])) / sum by (namespace, pod, container) (kube_pod_container_resource_limits{${KSM}, resource="cpu"})) > ${t.cpuLimitRatio}`,
          for: "15m",
          labels: { severity: "warning" },
          annotations: {
            summary: `Container CPU above ${percent(t.cpuLimitRatio)} of its limit`,
            description:
              "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its CPU limit and is being throttled.",
          },
        },
        {
          alert: "ContainerMemoryNearLimit",
          expr: `(sum by (namespace, pod, container) (container_memory_working_set_bytes{${CADVISOR}}) / sum by (namespace, pod, container) (kube_pod_container_resource_limits{${KSM}, resource="memory"})) > ${t.memoryLimitRatio}`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: `Container memory above ${percent(t.memoryLimitRatio)} of its limit`,
            description:
              "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its memory limit and will be OOM-killed at 100%.",
          },
        },
        {
          alert: "ContainerRestartingOften",
          expr: `sum by (namespace, pod, container) (increase(kube_pod_container_status_restarts_total{${KSM}}[15m])) > ${t.restartsIn15m}`,
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary: `Container restarted more than ${t.restartsIn15m} times in 15 minutes`,
            description:
              "Container {{ $labels.container }} of pod {{ $labels.namespace }}/{{ $labels.pod }} restarted {{ $value | humanize }} times in the last 15 minutes (crash loop).",
          },
        },
      ],
    },
  ];
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 10000) / 100}%`;
}
