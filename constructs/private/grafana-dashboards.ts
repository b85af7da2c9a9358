/**
 * The platform's Grafana dashboards as pure data builders: the same input gives byte-identical
 * JSON (no random ids, no dates). Each dashboard is shipped as a ConfigMap the Grafana sidecar
 * picks up (`constructs/dashboards.ts`); its PromQL comes from `http-queries.ts`, the module the
 * release tool's metric gate runs, so what a person sees is what the gate judges.
 */
import { createHash } from "node:crypto";
import type { DashboardGate } from "../dashboards";
import type { AlertThresholds } from "./monitoring-rules";
import {
  colourSeriesQueries,
  httpQueries,
  quoteLabelValue,
  type HttpQueries,
} from "./http-queries";

/** A dashboard in Grafana's JSON model (the fields the platform writes). */
export interface GrafanaDashboard {
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly [key: string]: unknown;
}

/** One panel (rows included) in Grafana's JSON model. */
export interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: {
    readonly x: number;
    readonly y: number;
    readonly w: number;
    readonly h: number;
  };
  readonly targets?: readonly Target[];
  readonly [key: string]: unknown;
}

/** A panel before it is placed: everything but its id and position. */
type PanelBody = {
  readonly type: string;
  readonly title: string;
  readonly targets?: readonly Target[];
  readonly [key: string]: unknown;
};

/** A panel query: PromQL (`expr`) or a CloudWatch metric query. */
export interface Target {
  readonly refId: string;
  readonly datasource: DataSourceRef;
  readonly expr?: string;
  readonly [key: string]: unknown;
}

/** A data source by type and uid. */
export interface DataSourceRef {
  readonly type: string;
  readonly uid: string;
}

/**
 * The Prometheus data source kube-prometheus-stack provisions: uid `prometheus`
 * (values.yaml `grafana.sidecar.datasources.uid`).
 */
export const PROMETHEUS_DATASOURCE: DataSourceRef = { type: "prometheus", uid: "prometheus" };
/** The CloudWatch data source the platform provisions (`constructs/dashboards.ts`). */
export const CLOUDWATCH_DATASOURCE: DataSourceRef = { type: "cloudwatch", uid: "cloudwatch" };

/** Grafana's schema version of the dashboards (Grafana 12.1, chart grafana 9.3.0). */
export const SCHEMA_VERSION = 39;
/** Grafana rejects a dashboard uid longer than this. */
export const MAX_UID_LENGTH = 40;
/** Grafana's own uid characters. */
export const UID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;

/** The folders the sidecar files dashboards into (annotation `grafana_folder`). */
export const DASHBOARD_FOLDERS = {
  applications: "Applications",
  releases: "Releases",
  system: "System",
  business: "Business",
} as const;
export type DashboardKind = keyof typeof DASHBOARD_FOLDERS;

/** The runbook thresholds the Application dashboard draws (the alert rules' values). */
export type DashboardThresholds = Required<AlertThresholds>;

/** One app, as the dashboards see it. */
export interface DashboardApp {
  /** App name: a colour's series carry `<seriesLabel>="<app>-<colour>"`. */
  readonly name: string;
  /** The app's namespace (its pods' container metrics). */
  readonly namespace: string;
  /** The label telling the colours' series apart (the gate's `seriesLabel`). */
  readonly seriesLabel: string;
  /** The bake window after each canary step, seconds (the gate's query range). */
  readonly bakeSeconds: number;
  /** The metric gate's settings; undefined when the gate is off. */
  readonly gate?: DashboardGate;
}

/** The cluster's parts the System dashboard shows. */
export interface SystemDashboardInput {
  /** Namespace and Deployment name of the AWS Load Balancer Controller. */
  readonly loadBalancerController: { readonly namespace: string; readonly deployment: string };
  /** CloudWatch panels (load balancers, RDS); omitted without a CloudWatch data source. */
  readonly cloudWatch?: {
    /** RDS instance identifier of the environment's database. */
    readonly databaseIdentifier: string;
  };
}

/** The kubelet's cAdvisor series and kube-state-metrics', as the runbook alert rules select them. */
export const CADVISOR_SELECTOR = `job="kubelet", metrics_path="/metrics/cadvisor", container!=""`;
export const KUBE_STATE_METRICS_SELECTOR = `job="kube-state-metrics"`;

/**
 * The kube-state-metrics node label the node group panels group by: EKS labels every node of a
 * managed node group `eks.amazonaws.com/nodegroup: <name>`; kube-state-metrics exports it as
 * `label_eks_amazonaws_com_nodegroup` on `kube_node_labels` once allowed (`metricLabelsAllowlist`).
 */
export const NODE_GROUP_LABEL = "eks.amazonaws.com/nodegroup";
export const NODE_GROUP_METRIC_LABEL = "label_eks_amazonaws_com_nodegroup";

/** A stable uid of at most 40 characters: `<prefix>-<name>`, hashed when too long. */
export function dashboardUid(prefix: string, name: string): string {
  const plain = `${prefix}-${name}`;
  if (plain.length <= MAX_UID_LENGTH) return plain;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${plain.slice(0, MAX_UID_LENGTH - 9)}-${hash}`;
}

/** The uids of the dashboards the platform generates for these apps. */
export function generatedDashboardUids(apps: readonly string[]): string[] {
  return [
    ...apps.flatMap((app) => [applicationDashboardUid(app), releaseDashboardUid(app)]),
    SYSTEM_DASHBOARD_UID,
  ];
}
export const applicationDashboardUid = (app: string) => dashboardUid("app", app);
export const releaseDashboardUid = (app: string) => dashboardUid("release", app);
export const SYSTEM_DASHBOARD_UID = "platform-system";

/** Lays panels out left to right, 24 columns wide, and numbers them. */
class Layout {
  private readonly panels: Panel[] = [];
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  private id = 1;

  row(title: string): void {
    this.newLine();
    this.panels.push({
      id: this.id++,
      type: "row",
      title,
      collapsed: false,
      panels: [],
      gridPos: { x: 0, y: this.y, w: 24, h: 1 },
    });
    this.y += 1;
  }

  add(width: number, height: number, panel: PanelBody): void {
    if (this.x + width > 24) this.newLine();
    this.panels.push({
      id: this.id++,
      gridPos: { x: this.x, y: this.y, w: width, h: height },
      ...panel,
    });
    this.x += width;
    this.rowHeight = Math.max(this.rowHeight, height);
  }

  private newLine(): void {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }

  get all(): Panel[] {
    return this.panels;
  }
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Prometheus targets, lettered A, B, ... */
function prometheusTargets(
  queries: readonly { expr: string; legend?: string; instant?: boolean }[],
): Target[] {
  return queries.map((q, i) => ({
    refId: REF_IDS[i],
    datasource: PROMETHEUS_DATASOURCE,
    expr: q.expr,
    legendFormat: q.legend ?? "__auto",
    range: !q.instant,
    instant: q.instant === true,
  }));
}

/** Threshold steps: green below `value`, red from it (or the reverse with `below`). */
function thresholds(value: number | undefined, below = false) {
  if (value === undefined) return { mode: "absolute", steps: [{ color: "green", value: null }] };
  return below
    ? {
        mode: "absolute",
        steps: [
          { color: "red", value: null },
          { color: "green", value },
        ],
      }
    : {
        mode: "absolute",
        steps: [
          { color: "green", value: null },
          { color: "red", value },
        ],
      };
}

interface TimeseriesOptions {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly targets: readonly Target[];
  /** Drawn as a dashed red line. */
  readonly threshold?: number;
  readonly min?: number;
  readonly max?: number;
  readonly stacked?: boolean;
}

function timeseries(o: TimeseriesOptions): PanelBody {
  return {
    type: "timeseries",
    title: o.title,
    description: o.description,
    datasource: o.targets[0].datasource,
    fieldConfig: {
      defaults: {
        unit: o.unit,
        ...(o.min !== undefined ? { min: o.min } : {}),
        ...(o.max !== undefined ? { max: o.max } : {}),
        custom: {
          drawStyle: "line",
          lineWidth: 1,
          fillOpacity: o.stacked ? 30 : 10,
          showPoints: "never",
          spanNulls: false,
          stacking: { mode: o.stacked ? "normal" : "none", group: "A" },
          thresholdsStyle: { mode: o.threshold === undefined ? "off" : "dashed" },
        },
        color: { mode: "palette-classic" },
        thresholds: thresholds(o.threshold),
      },
      overrides: colourOverrides(),
    },
    options: {
      legend: {
        displayMode: "table",
        placement: "bottom",
        showLegend: true,
        calcs: ["mean", "max", "lastNotNull"],
      },
      tooltip: { mode: "multi", sort: "desc" },
    },
    targets: o.targets,
  };
}

/** Blue series blue, green series green: the colours read as themselves. */
function colourOverrides() {
  return (["blue", "green"] as const).map((colour) => ({
    matcher: { id: "byRegexp", options: `.*-${colour}\\b.*` },
    properties: [{ id: "color", value: { mode: "fixed", fixedColor: colour } }],
  }));
}

interface StatOptions {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly expr: string;
  readonly threshold?: number;
  /** Red below the threshold instead of above. */
  readonly below?: boolean;
  readonly decimals?: number;
}

function stat(o: StatOptions): PanelBody {
  return {
    type: "stat",
    title: o.title,
    description: o.description,
    datasource: PROMETHEUS_DATASOURCE,
    fieldConfig: {
      defaults: {
        unit: o.unit,
        ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
        color: { mode: "thresholds" },
        thresholds: thresholds(o.threshold, o.below),
        noValue: "no data",
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "background",
      graphMode: "none",
      textMode: "value",
      justifyMode: "center",
      orientation: "auto",
    },
    targets: prometheusTargets([{ expr: o.expr, instant: true }]),
  };
}

function text(title: string, content: string): PanelBody {
  return { type: "text", title, options: { mode: "markdown", content } };
}

/** A custom variable: `blue,green` and so on. */
function customVariable(
  name: string,
  label: string,
  values: readonly string[],
  current: string | readonly string[],
  multi = false,
) {
  const selected = Array.isArray(current) ? current : [current];
  const all = multi && selected.length === values.length;
  return {
    name,
    label,
    type: "custom",
    query: values.join(","),
    multi,
    includeAll: multi,
    current: all
      ? { selected: true, text: ["All"], value: ["$__all"] }
      : { selected: true, text: current, value: current },
    options: [
      ...(multi ? [{ selected: all, text: "All", value: "$__all" }] : []),
      ...values.map((v) => ({ selected: !all && selected.includes(v), text: v, value: v })),
    ],
    hide: 0,
    skipUrlSync: false,
  };
}

function dashboard(
  uid: string,
  title: string,
  description: string,
  tags: readonly string[],
  panels: Panel[],
  variables: readonly object[] = [],
  links: readonly object[] = [],
): GrafanaDashboard {
  return {
    uid,
    title,
    description,
    tags: ["platform", ...tags],
    editable: false,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    refresh: "30s",
    time: { from: "now-3h", to: "now" },
    timezone: "utc",
    templating: { list: variables },
    annotations: { list: [] },
    links,
    panels,
  };
}

const percent = (ratio: number) => `${Math.round(ratio * 10000) / 100}%`;
const millis = (seconds: number) => `${Math.round(seconds * 1000)} ms`;

/**
 * The selector of one app's pods by colour: the `up` series of the colour's ServiceMonitor carry
 * the pod and the series label, so container metrics join on (namespace, pod) to a colour.
 */
function colourPods(app: DashboardApp, colours: string): string {
  const label = app.seriesLabel;
  return `max by (namespace, pod, ${label}) (up{namespace=${quoteLabelValue(app.namespace)}, ${label}=~${quoteLabelValue(`${app.name}-${colours}`)}})`;
}

/** Container metrics of the app's pods, summed per colour. */
function perColour(app: DashboardApp, colours: string, series: string): string {
  return `sum by (${app.seriesLabel}) (${series} * on (namespace, pod) group_left (${app.seriesLabel}) ${colourPods(app, colours)})`;
}

/** The saturation queries of an app (CPU and memory against limits, restarts), per colour. */
export function saturationQueries(app: DashboardApp, colours: string, rate: string) {
  const ns = `namespace=${quoteLabelValue(app.namespace)}`;
  const limits = (resource: string) =>
    perColour(
      app,
      colours,
      `kube_pod_container_resource_limits{${KUBE_STATE_METRICS_SELECTOR}, resource="${resource}", ${ns}}`,
    );
  return {
    cpu: `${perColour(app, colours, `rate(container_cpu_usage_seconds_total{${CADVISOR_SELECTOR}, ${ns}}[${rate}])`)} / ${limits("cpu")}`,
    memory: `${perColour(app, colours, `container_memory_working_set_bytes{${CADVISOR_SELECTOR}, ${ns}}`)} / ${limits("memory")}`,
    restarts: perColour(
      app,
      colours,
      `increase(kube_pod_container_status_restarts_total{${KUBE_STATE_METRICS_SELECTOR}, ${ns}}[15m])`,
    ),
  };
}

/** The per-app Application dashboard: RED metrics and saturation, the colours side by side. */
export function applicationDashboard(app: DashboardApp, t: DashboardThresholds): GrafanaDashboard {
  const colours = "$colour";
  const rate = "$__rate_interval";
  const q = colourSeriesQueries(app.seriesLabel, app.name, colours, rate);
  const s = saturationQueries(app, colours, rate);
  const legend = `{{${app.seriesLabel}}}`;
  const l = new Layout();
  l.row("Traffic");
  l.add(
    12,
    8,
    timeseries({
      title: "Request rate per colour",
      description: `Requests per second each colour of ${app.name} served (${app.seriesLabel}="${app.name}-<colour>").`,
      unit: "reqps",
      min: 0,
      targets: prometheusTargets([{ expr: q.requestRate, legend }]),
    }),
  );
  l.add(
    12,
    8,
    timeseries({
      title: "Traffic share per colour (actual)",
      description:
        "Each colour's share of all requests, from the request counter: the split the load balancer really served, whatever weights were configured.",
      unit: "percentunit",
      min: 0,
      max: 1,
      stacked: true,
      targets: prometheusTargets([{ expr: q.trafficShare, legend }]),
    }),
  );
  l.row("Errors and latency");
  l.add(
    12,
    8,
    timeseries({
      title: "Error rate (5xx) per colour",
      description: `Share of requests answered with 5xx. Dashed line: the HttpErrorRateHigh alert threshold (${percent(t.httpErrorRatio)}).`,
      unit: "percentunit",
      min: 0,
      threshold: t.httpErrorRatio,
      targets: prometheusTargets([{ expr: q.errorRatio, legend }]),
    }),
  );
  l.add(
    12,
    8,
    timeseries({
      title: "Latency p50 / p95 / p99 per colour",
      description: `Request latency quantiles. Dashed line: the HttpLatencyP95High alert threshold on p95 (${millis(t.latencyP95Seconds)}).`,
      unit: "s",
      min: 0,
      threshold: t.latencyP95Seconds,
      targets: prometheusTargets([
        { expr: q.latency(0.5), legend: `${legend} p50` },
        { expr: q.latency(0.95), legend: `${legend} p95` },
        { expr: q.latency(0.99), legend: `${legend} p99` },
      ]),
    }),
  );
  l.row("Saturation");
  l.add(
    8,
    8,
    timeseries({
      title: "CPU use / limit per colour",
      description: `CPU used by the colour's containers as a share of their CPU limits. Dashed line: ContainerCpuNearLimit (${percent(t.cpuLimitRatio)}).`,
      unit: "percentunit",
      min: 0,
      threshold: t.cpuLimitRatio,
      targets: prometheusTargets([{ expr: s.cpu, legend }]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "Memory working set / limit per colour",
      description: `Memory working set of the colour's containers as a share of their memory limits. Dashed line: ContainerMemoryNearLimit (${percent(t.memoryLimitRatio)}).`,
      unit: "percentunit",
      min: 0,
      threshold: t.memoryLimitRatio,
      targets: prometheusTargets([{ expr: s.memory, legend }]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "Container restarts in 15 minutes per colour",
      description: `Restarts of the colour's containers over the last 15 minutes. Dashed line: ContainerRestartingOften (more than ${t.restartsIn15m}).`,
      unit: "short",
      min: 0,
      threshold: t.restartsIn15m,
      targets: prometheusTargets([{ expr: s.restarts, legend }]),
    }),
  );
  return dashboard(
    applicationDashboardUid(app.name),
    `App ${app.name}`,
    `RED metrics and saturation of ${app.name}'s blue and green colours, with the runbook alert thresholds.`,
    ["application", app.name],
    l.all,
    [customVariable("colour", "Colour", ["blue", "green"], ["blue", "green"], true)],
    [releaseLink(app.name)],
  );
}

function releaseLink(app: string) {
  return {
    title: `Release ${app}`,
    type: "link",
    url: `/d/${releaseDashboardUid(app)}`,
    icon: "dashboard",
    targetBlank: false,
    keepTime: true,
  };
}

/**
 * The Release dashboard's queries of one role: exactly the gate's ({@link httpQueries}), with the
 * colour and the window as variables (`$canary`/`$stable`, `$window` in seconds such as `300s`).
 */
export function releaseQueries(app: DashboardApp, role: "canary" | "stable"): HttpQueries {
  return httpQueries(app.seriesLabel, `${app.name}-$${role}`, "$window");
}

/**
 * The gate's limits relative to stable, as queries over the gate's own: the canary fails above
 * stable's error rate plus `relative.errorRate`, or above `relative.p95` times stable's p95.
 */
export function relativeLimitQueries(
  app: DashboardApp,
): { errorRate: string; p95: string } | undefined {
  if (!app.gate) return undefined;
  const stable = releaseQueries(app, "stable");
  return {
    errorRate: `((${stable.errors}) / (${stable.requests})) + ${app.gate.relativeErrorRate}`,
    p95: `(${stable.p95}) * ${app.gate.relativeP95}`,
  };
}

/** The windows offered besides the app's bake, seconds. */
const WINDOWS = [60, 300, 600, 900, 1800, 3600];

/** What the metric gate sees for one app: the queries it runs, over the bake window. */
export function releaseDashboard(app: DashboardApp): GrafanaDashboard {
  const canary = releaseQueries(app, "canary");
  const stable = releaseQueries(app, "stable");
  const gate = app.gate;
  const rate = (q: HttpQueries) => `(${q.errors}) / (${q.requests})`;
  const relative = relativeLimitQueries(app);
  const l = new Layout();
  const rules = gate
    ? [
        `The release tool's metric gate (**${gate.mode}**) runs the queries of this dashboard over each bake window, evaluated at its end, and fails the canary when:`,
        `- the canary had at least **${gate.minRequests}** requests (fewer: inconclusive) and`,
        `- its error rate is above **${percent(gate.maxErrorRate)}**, or its p95 above **${millis(gate.maxP95Seconds)}**, or`,
        `- stable had at least ${gate.minRequests} requests and the canary's error rate is more than **${percent(gate.relativeErrorRate)}** above stable's, or its p95 more than **${gate.relativeP95}x** stable's.`,
        "",
        "Set **Canary** (the idle colour getting the canary weight), **Stable** and **Window** to the bake being judged (`npm run release -- status` names the colours); each point of the graphs is the value over the window before it.",
      ]
    : [
        `The metric gate is off for ${app.name} (\`gates.metrics: false\`): these are the queries it would run.`,
      ];
  l.add(24, 5, text("How the gate judges", rules.join("\n")));
  l.row("At the end of the window (what the gate compares)");
  const stats: [string, string, StatOptions["unit"], string, number | undefined, boolean?][] = [
    [
      "Canary requests",
      canary.requests,
      "short",
      "Requests to the canary colour in the window.",
      gate?.minRequests,
      true,
    ],
    [
      "Canary error rate",
      rate(canary),
      "percentunit",
      "5xx share of the canary's requests.",
      gate?.maxErrorRate,
    ],
    ["Canary p95", canary.p95, "s", "95th percentile latency of the canary.", gate?.maxP95Seconds],
    [
      "Stable requests",
      stable.requests,
      "short",
      "Requests to the stable colour in the window.",
      gate?.minRequests,
      true,
    ],
    [
      "Stable error rate",
      rate(stable),
      "percentunit",
      "5xx share of the stable colour's requests.",
      undefined,
    ],
    ["Stable p95", stable.p95, "s", "95th percentile latency of the stable colour.", undefined],
  ];
  for (const [title, expr, unit, description, threshold, below] of stats) {
    l.add(
      4,
      5,
      stat({
        title,
        expr,
        unit,
        description,
        threshold,
        below,
        decimals: unit === "short" ? 0 : 3,
      }),
    );
  }
  l.row("Over time (each point: the window before it)");
  l.add(
    8,
    8,
    timeseries({
      title: "Error rate: canary vs stable",
      description: gate
        ? `Dashed line: the gate's maximum (${percent(gate.maxErrorRate)}); the gate also fails a canary ${percent(gate.relativeErrorRate)} above stable.`
        : "The gate is off.",
      unit: "percentunit",
      min: 0,
      threshold: gate?.maxErrorRate,
      targets: prometheusTargets([
        { expr: rate(canary), legend: `canary ${app.name}-$canary` },
        { expr: rate(stable), legend: `stable ${app.name}-$stable` },
        ...(relative && gate
          ? [
              {
                expr: relative.errorRate,
                legend: `limit: stable + ${percent(gate.relativeErrorRate)}`,
              },
            ]
          : []),
      ]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "p95 latency: canary vs stable",
      description: gate
        ? `Dashed line: the gate's maximum (${millis(gate.maxP95Seconds)}); the gate also fails a canary above ${gate.relativeP95}x stable's p95.`
        : "The gate is off.",
      unit: "s",
      min: 0,
      threshold: gate?.maxP95Seconds,
      targets: prometheusTargets([
        { expr: canary.p95, legend: `canary ${app.name}-$canary` },
        { expr: stable.p95, legend: `stable ${app.name}-$stable` },
        ...(relative && gate
          ? [{ expr: relative.p95, legend: `limit: ${gate.relativeP95}x stable` }]
          : []),
      ]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "Requests in the window: canary vs stable",
      description: gate
        ? `Dashed line: the fewest requests the gate judges (${gate.minRequests}).`
        : "The gate is off.",
      unit: "short",
      min: 0,
      threshold: gate?.minRequests,
      targets: prometheusTargets([
        { expr: canary.requests, legend: `canary ${app.name}-$canary` },
        { expr: stable.requests, legend: `stable ${app.name}-$stable` },
      ]),
    }),
  );
  const windows = [...new Set([...WINDOWS, app.bakeSeconds])]
    .sort((a, b) => a - b)
    .map((s) => `${s}s`);
  return dashboard(
    releaseDashboardUid(app.name),
    `Release ${app.name}`,
    `What the release tool's metric gate sees for ${app.name}: the same queries, canary against stable over the bake window.`,
    ["release", app.name],
    l.all,
    [
      // Fixed defaults: a release step (stable, canaryWeight) must change nothing but the Ingress.
      customVariable("canary", "Canary", ["blue", "green"], "green"),
      customVariable("stable", "Stable", ["blue", "green"], "blue"),
      customVariable("window", "Window", windows, `${app.bakeSeconds}s`),
    ],
    [
      {
        title: `App ${app.name}`,
        type: "link",
        url: `/d/${applicationDashboardUid(app.name)}`,
        icon: "dashboard",
        targetBlank: false,
        keepTime: true,
      },
    ],
  );
}

/** kube_node_labels reduced to (node, nodegroup). */
const NODE_GROUPS = `max by (node, nodegroup) (label_replace(kube_node_labels{${KUBE_STATE_METRICS_SELECTOR}}, "nodegroup", "$1", "${NODE_GROUP_METRIC_LABEL}", "(.+)"))`;
const byNodeGroup = (series: string) =>
  `sum by (nodegroup) (${series} * on (node) group_left (nodegroup) ${NODE_GROUPS})`;

/** The System dashboard's PromQL: node groups and the load balancer controller. */
export function systemQueries(input: SystemDashboardInput) {
  const ksm = KUBE_STATE_METRICS_SELECTOR;
  const lbc = input.loadBalancerController;
  const deployment = `${ksm}, namespace=${quoteLabelValue(lbc.namespace)}, deployment=${quoteLabelValue(lbc.deployment)}`;
  const requests = (resource: string) =>
    `${byNodeGroup(`kube_pod_container_resource_requests{${ksm}, resource="${resource}"}`)} / ${byNodeGroup(`kube_node_status_allocatable{${ksm}, resource="${resource}"}`)}`;
  return {
    readyNodes: byNodeGroup(`kube_node_status_condition{${ksm}, condition="Ready", status="true"}`),
    notReadyNodes: byNodeGroup(
      `kube_node_status_condition{${ksm}, condition="Ready", status!="true"}`,
    ),
    cpuRequested: requests("cpu"),
    memoryRequested: requests("memory"),
    podsUsed: `${byNodeGroup(`kube_pod_info{${ksm}}`)} / ${byNodeGroup(`kube_node_status_allocatable{${ksm}, resource="pods"}`)}`,
    controllerAvailable: `sum(kube_deployment_status_replicas_available{${deployment}})`,
    controllerDesired: `sum(kube_deployment_spec_replicas{${deployment}})`,
    controllerRestarts: `sum(increase(kube_pod_container_status_restarts_total{${ksm}, namespace=${quoteLabelValue(lbc.namespace)}, pod=~${quoteLabelValue(`${lbc.deployment}-.*`)}}[1h]))`,
  };
}

interface CloudWatchMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: string;
  /** `LoadBalancer: "*"`: one series per load balancer (a metric search). */
  readonly search?: boolean;
  readonly label?: string;
}

function cloudWatchTargets(metrics: readonly CloudWatchMetric[]): Target[] {
  return metrics.map((m, i) => ({
    refId: REF_IDS[i],
    datasource: CLOUDWATCH_DATASOURCE,
    queryMode: "Metrics",
    metricQueryType: 0,
    metricEditorMode: 0,
    region: "default",
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions,
    statistic: m.statistic,
    matchExact: !m.search,
    period: "",
    id: "",
    expression: "",
    label: m.label ?? "",
  }));
}

/** The System dashboard: node groups, the load balancer controller and its ALBs, RDS. */
export function systemDashboard(input: SystemDashboardInput): GrafanaDashboard {
  const q = systemQueries(input);
  const l = new Layout();
  l.add(
    24,
    3,
    text(
      "Kubernetes",
      "The chart's bundled Kubernetes dashboards (cluster, namespaces, pods, nodes, kubelet, CoreDNS, Prometheus, Alertmanager) are in the **Kubernetes** folder.",
    ),
  );
  l.row("Node groups");
  l.add(
    8,
    8,
    timeseries({
      title: "Ready nodes per node group",
      description: `Nodes whose Ready condition is true, by EKS managed node group (node label ${NODE_GROUP_LABEL}). Not ready nodes stack on top in the panel beside.`,
      unit: "short",
      min: 0,
      targets: prometheusTargets([{ expr: q.readyNodes, legend: "{{nodegroup}}" }]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "Not ready nodes per node group",
      description: "Nodes whose Ready condition is false or unknown.",
      unit: "short",
      min: 0,
      threshold: 1,
      targets: prometheusTargets([{ expr: q.notReadyNodes, legend: "{{nodegroup}}" }]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "Pods / pod capacity per node group",
      description:
        "Pods scheduled on the group's nodes as a share of the pods they can run (VPC CNI IP limits).",
      unit: "percentunit",
      min: 0,
      max: 1,
      threshold: 0.9,
      targets: prometheusTargets([{ expr: q.podsUsed, legend: "{{nodegroup}}" }]),
    }),
  );
  l.add(
    12,
    8,
    timeseries({
      title: "CPU requested / allocatable per node group",
      description:
        "Requests decide scheduling: near 100% the Cluster Autoscaler adds nodes (up to the group's maxSize).",
      unit: "percentunit",
      min: 0,
      threshold: 0.9,
      targets: prometheusTargets([{ expr: q.cpuRequested, legend: "{{nodegroup}}" }]),
    }),
  );
  l.add(
    12,
    8,
    timeseries({
      title: "Memory requested / allocatable per node group",
      description:
        "Requests decide scheduling: near 100% the Cluster Autoscaler adds nodes (up to the group's maxSize).",
      unit: "percentunit",
      min: 0,
      threshold: 0.9,
      targets: prometheusTargets([{ expr: q.memoryRequested, legend: "{{nodegroup}}" }]),
    }),
  );
  l.row("AWS Load Balancer Controller");
  l.add(
    8,
    8,
    timeseries({
      title: "Controller replicas",
      description: `Available and desired replicas of ${input.loadBalancerController.namespace}/${input.loadBalancerController.deployment}: without it no Ingress change or target registration happens.`,
      unit: "short",
      min: 0,
      targets: prometheusTargets([
        { expr: q.controllerAvailable, legend: "available" },
        { expr: q.controllerDesired, legend: "desired" },
      ]),
    }),
  );
  l.add(
    8,
    8,
    timeseries({
      title: "Controller restarts in 1 hour",
      description: "Container restarts of the controller's pods.",
      unit: "short",
      min: 0,
      threshold: 1,
      targets: prometheusTargets([{ expr: q.controllerRestarts, legend: "restarts" }]),
    }),
  );
  if (input.cloudWatch) {
    const alb = (metricName: string, statistic: string, label: string): CloudWatchMetric => ({
      namespace: "AWS/ApplicationELB",
      metricName,
      dimensions: { LoadBalancer: "*" },
      statistic,
      search: true,
      label,
    });
    l.add(
      8,
      8,
      timeseries({
        title: "ALB 5xx (load balancer and targets)",
        description: "CloudWatch AWS/ApplicationELB, per load balancer the controller manages.",
        unit: "short",
        min: 0,
        targets: cloudWatchTargets([
          alb("HTTPCode_ELB_5XX_Count", "Sum", "${PROP('Dim.LoadBalancer')} ELB 5xx"),
          alb("HTTPCode_Target_5XX_Count", "Sum", "${PROP('Dim.LoadBalancer')} target 5xx"),
        ]),
      }),
    );
    l.add(
      8,
      8,
      timeseries({
        title: "ALB requests",
        description: "CloudWatch AWS/ApplicationELB RequestCount per load balancer.",
        unit: "short",
        min: 0,
        targets: cloudWatchTargets([alb("RequestCount", "Sum", "${PROP('Dim.LoadBalancer')}")]),
      }),
    );
    l.add(
      8,
      8,
      timeseries({
        title: "ALB target response time p95",
        description: "CloudWatch AWS/ApplicationELB TargetResponseTime p95 per load balancer.",
        unit: "s",
        min: 0,
        targets: cloudWatchTargets([
          alb("TargetResponseTime", "p95", "${PROP('Dim.LoadBalancer')}"),
        ]),
      }),
    );
    const id = input.cloudWatch.databaseIdentifier;
    const rds = (metricName: string, statistic = "Average"): CloudWatchMetric => ({
      namespace: "AWS/RDS",
      metricName,
      dimensions: { DBInstanceIdentifier: id },
      statistic,
      label: metricName,
    });
    l.row(`RDS ${id}`);
    const rdsPanels: [string, string, CloudWatchMetric[], number?][] = [
      ["CPU utilization", "percent", [rds("CPUUtilization")], 80],
      ["Connections", "short", [rds("DatabaseConnections")]],
      ["Free storage", "bytes", [rds("FreeStorageSpace", "Minimum")]],
      ["Freeable memory", "bytes", [rds("FreeableMemory", "Minimum")]],
      ["Read / write latency", "s", [rds("ReadLatency"), rds("WriteLatency")]],
      ["Read / write IOPS", "iops", [rds("ReadIOPS"), rds("WriteIOPS")]],
    ];
    for (const [title, unit, metrics, threshold] of rdsPanels) {
      l.add(
        8,
        7,
        timeseries({
          title,
          description: `CloudWatch AWS/RDS for DBInstanceIdentifier ${id}.`,
          unit,
          min: 0,
          threshold,
          targets: cloudWatchTargets(metrics),
        }),
      );
    }
  }
  return dashboard(
    SYSTEM_DASHBOARD_UID,
    "Platform system",
    "The cluster's node groups, the AWS Load Balancer Controller and its load balancers, and the environment's RDS instance.",
    ["system"],
    l.all,
  );
}

/** Every PromQL expression of a dashboard's panels. */
export function promqlOf(dashboard: GrafanaDashboard): string[] {
  const panels = (ps: readonly Panel[]): Panel[] =>
    ps.flatMap((p) => [p, ...panels((p.panels as Panel[] | undefined) ?? [])]);
  return panels(dashboard.panels).flatMap((p) =>
    (p.targets ?? []).flatMap((t) =>
      t.datasource.type === "prometheus" && t.expr !== undefined ? [t.expr] : [],
    ),
  );
}
