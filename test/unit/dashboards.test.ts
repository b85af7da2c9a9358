/**
 * Dashboards as code: the ConfigMaps Grafana's sidecar loads, the chart conventions they rely on,
 * the CloudWatch data source and its read-only IRSA role, the business dashboards' validation, and
 * that the Release dashboard runs the metric gate's very queries.
 *
 * Chart conventions come from kube-prometheus-stack 75.15.1 (prometheus-community/helm-charts, tag
 * `kube-prometheus-stack-75.15.1`, `charts/kube-prometheus-stack/`) and its Grafana subchart 9.3.0
 * (grafana/helm-charts, tag `grafana-9.3.0`, `charts/grafana/`, appVersion 12.1.0; neither chart
 * ships a values.schema.json); each test names the file and line it relies on. Checked at development
 * time against `helm template` of kube-prometheus-stack 75.15.1 with its pinned subcharts (grafana
 * 9.3.0, kube-state-metrics 6.1.0, prometheus-node-exporter 4.47.3) and the prod values (Helm
 * v3.17.2): the dashboard sidecar gets LABEL grafana_dashboard, LABEL_VALUE 1, RESOURCE configmap,
 * NAMESPACE monitoring and FOLDER_ANNOTATION grafana_folder; the provider has
 * foldersFromFilesStructure and no fixed folder; Grafana has a Role (configmaps, secrets: get, watch,
 * list) in monitoring and no ClusterRole; the service account `grafana` carries the role annotation;
 * the bundled dashboards' ConfigMaps carry grafana_folder: Kubernetes; kube-state-metrics runs with
 * --metric-labels-allowlist=nodes=[eks.amazonaws.com/nodegroup,...].
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { stringify } from "yaml";
import { loadEnvironments } from "../../config/load";
import {
  Dashboards,
  MAX_CONFIG_MAP_BYTES,
  type DashboardApp,
  type DashboardsProps,
} from "../../constructs/dashboards";
import {
  GRAFANA_SERVICE_ACCOUNT_NAME,
  Monitoring,
  type MonitoringProps,
} from "../../constructs/monitoring";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import {
  applicationDashboard,
  CADVISOR_SELECTOR,
  KUBE_STATE_METRICS_SELECTOR,
  promqlOf,
  releaseDashboard,
  type GrafanaDashboard,
  type Panel,
} from "../../constructs/private/grafana-dashboards";
import { MAX_DASHBOARD_BYTES } from "../../constructs/private/business-dashboards";
import {
  DEFAULT_HTTP_METRICS,
  DEFAULT_THRESHOLDS,
  runbookRuleGroups,
} from "../../constructs/private/monitoring-rules";
import { cloudWatchReadPolicy } from "../../constructs/private/cloudwatch-read-policy";
import { metricQueries } from "../../release/gates/metrics";
import { isAllowed } from "../support/iam-policy";
import { mayAssumeWithWebIdentity } from "../support/iam-trust";
import {
  environmentFolder,
  environmentStacks,
  policy,
  rawEnvironment,
  rejectionLines,
  resources,
  synth,
  testStack,
  type StackJson,
} from "../helpers";

/** Terraform's `$${` and `%%{` are the literal `${` and `%{` Grafana reads. */
const literal = (text: string) => text.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");

interface ConfigMap {
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data: Record<string, string>;
}

const configMaps = (json: StackJson) =>
  Object.values(resources(json, "kubernetes_config_map_v1")) as unknown as ConfigMap[];
const dashboardMaps = (json: StackJson) =>
  configMaps(json).filter((c) => c.metadata.labels.grafana_dashboard !== undefined);
const dashboardsOf = (json: StackJson): Record<string, GrafanaDashboard> =>
  Object.fromEntries(
    dashboardMaps(json).flatMap((c) =>
      Object.values(c.data).map((text) => {
        const d = JSON.parse(literal(text)) as GrafanaDashboard;
        return [d.uid, d];
      }),
    ),
  );
const grafanaValues = (json: StackJson) =>
  JSON.parse(
    (
      Object.values(resources(json, "helm_release")).find(
        (r) => r.name === "kube-prometheus-stack",
      )!.values as string[]
    )[0],
  ).grafana;

const prod = environmentStacks("prod", true);

function dashboards(props: Partial<DashboardsProps> = {}) {
  const stack = testStack();
  new KubernetesProvider(stack, "kubernetes", {});
  const construct = new Dashboards(stack, "dashboards", {
    namespace: "monitoring",
    apps: [{ name: "web", namespace: "web" }],
    ...props,
  });
  return { construct, json: synth(stack) };
}

const APP = {
  name: "web",
  namespace: "web",
  seriesLabel: "service",
  bakeSeconds: 300,
  gate: {
    maxErrorRate: 0.01,
    maxP95Seconds: 0.5,
    minRequests: 50,
    relativeErrorRate: 0.01,
    relativeP95: 1.5,
    mode: "enforce" as const,
  },
};

describe("the dashboards of the prod environment", () => {
  const maps = dashboardMaps(prod.workloads);
  const all = dashboardsOf(prod.workloads);

  test("one ConfigMap per dashboard: Application and Release of web, System, web's business dashboard", () => {
    expect(Object.keys(all).sort()).toEqual([
      "app-web",
      "platform-system",
      "release-web",
      "web-business",
    ]);
    expect(maps).toHaveLength(4);
  });

  test("each lives in the monitoring namespace created by the Monitoring construct", () => {
    for (const c of maps)
      expect(c.metadata.namespace).toMatch(
        /^\$\{kubernetes_namespace_v1\.monitoring_namespace_[\w]+\.metadata\[0\]\.name\}$/,
      );
  });

  // kube-prometheus-stack 75.15.1 values.yaml lines 1357-1358: grafana.sidecar.dashboards.label
  // `grafana_dashboard`, labelValue "1"; grafana 9.3.0 templates/_pod.tpl lines 489-494 pass them
  // to the sidecar as LABEL and LABEL_VALUE.
  test('chart convention: labelled grafana_dashboard: "1" for the sidecar', () => {
    for (const c of maps) expect(c.metadata.labels.grafana_dashboard).toBe("1");
  });

  // grafana 9.3.0 values.yaml line 1107 (sidecar.dashboards.folderAnnotation) and line 1166
  // (provider.foldersFromFilesStructure): the sidecar writes each file under the folder the
  // annotation names, and Grafana makes a folder of each directory.
  test("chart convention: a folder per kind in the grafana_folder annotation", () => {
    const folders = Object.fromEntries(
      maps.map((c) => [Object.keys(c.data)[0], c.metadata.annotations?.grafana_folder]),
    );
    expect(folders).toEqual({
      "app-web.json": "Applications",
      "release-web.json": "Releases",
      "platform-system.json": "System",
      "web-business.json": "Business",
    });
  });

  test("each ConfigMap stays well under the 1 MiB a ConfigMap holds (at most a quarter of it)", () => {
    for (const c of maps) {
      const bytes = Buffer.byteLength(JSON.stringify(c));
      expect(bytes).toBeLessThan(MAX_CONFIG_MAP_BYTES / 4);
    }
  });

  test("the dashboards are generated, not downloaded: no URL to fetch one from", () => {
    for (const d of Object.values(all)) {
      expect(JSON.stringify(d)).not.toMatch(/grafana\.com\/api\/dashboards|gnetId/);
    }
  });

  test("the business dashboard is the file's content, its ${...} kept from Terraform's templating", () => {
    const text = dashboardMaps(prod.workloads).find((c) => c.data["web-business.json"])!.data[
      "web-business.json"
    ];
    expect(JSON.parse(literal(text)).title).toBe("Web: pages served");
    const system = Object.values(
      dashboardMaps(prod.workloads).find((c) => c.data["platform-system.json"])!.data,
    )[0];
    // the CloudWatch legend ${PROP('Dim.LoadBalancer')} reaches Grafana as written
    expect(system).toContain("$${PROP('Dim.LoadBalancer')}");
    expect(system).not.toMatch(/(?<!\$)\$\{/);
  });

  test("deterministic: the same environment gives byte-identical dashboards", () => {
    const again = environmentStacks("prod", true);
    expect(dashboardMaps(again.workloads)).toEqual(maps);
  });

  test("the Application dashboard draws the alert rules' thresholds as dashed lines", () => {
    const app = all["app-web"];
    const line = (title: string) => {
      const p = app.panels.find((x) => x.title === title) as any;
      expect(p.fieldConfig.defaults.custom.thresholdsStyle).toEqual({ mode: "dashed" });
      return p.fieldConfig.defaults.thresholds.steps[1].value;
    };
    expect(line("Error rate (5xx) per colour")).toBe(DEFAULT_THRESHOLDS.httpErrorRatio);
    expect(line("Latency p50 / p95 / p99 per colour")).toBe(DEFAULT_THRESHOLDS.latencyP95Seconds);
    expect(line("CPU use / limit per colour")).toBe(DEFAULT_THRESHOLDS.cpuLimitRatio);
    expect(line("Memory working set / limit per colour")).toBe(DEFAULT_THRESHOLDS.memoryLimitRatio);
    expect(line("Container restarts in 15 minutes per colour")).toBe(
      DEFAULT_THRESHOLDS.restartsIn15m,
    );
  });

  test("the Application dashboard has a colour variable and per-colour series", () => {
    const app = all["app-web"] as any;
    const colour = app.templating.list.find((v: any) => v.name === "colour");
    expect(colour).toMatchObject({
      type: "custom",
      query: "blue,green",
      multi: true,
      includeAll: true,
    });
    for (const expr of promqlOf(app)) {
      if (expr.includes("http_request")) expect(expr).toMatch(/sum by \(service(, le)?\)/);
    }
    const share = app.panels.find((p: Panel) => p.title === "Traffic share per colour (actual)");
    expect(share.targets[0].expr).toBe(
      'sum by (service) (rate(http_requests_total{service=~"web-(blue|green)"}[$__rate_interval])) / ignoring (service) group_left sum(rate(http_requests_total{service=~"web-(blue|green)"}[$__rate_interval]))',
    );
  });

  test("the Release dashboard draws the app's gate settings (prod: 1%, 500 ms, 50 requests, bake 5m)", () => {
    const release = all["release-web"] as any;
    const byTitle = (t: string) => release.panels.find((p: Panel) => p.title === t);
    expect(byTitle("Canary error rate").fieldConfig.defaults.thresholds.steps[1].value).toBe(0.01);
    expect(byTitle("Canary p95").fieldConfig.defaults.thresholds.steps[1].value).toBe(0.5);
    expect(byTitle("Canary requests").fieldConfig.defaults.thresholds.steps[1].value).toBe(50);
    const window = release.templating.list.find((v: any) => v.name === "window");
    expect(window.current.value).toBe("300s");
    // fixed defaults (a release step changes nothing but the Ingress): canary green, stable blue
    expect(release.templating.list.find((v: any) => v.name === "canary").current.value).toBe(
      "green",
    );
  });
});

describe("one place for the HTTP queries", () => {
  /** Grafana's substitution of the Release dashboard's variables. */
  const substitute = (expr: string, canary: string, stable: string, seconds: number) =>
    expr
      .replace(/\$canary/g, canary)
      .replace(/\$stable/g, stable)
      .replace(/\$window/g, `${seconds}s`);

  test.each([
    ["service", "green", "blue", 300],
    ["job", "blue", "green", 120],
  ])(
    "the Release dashboard's queries are the gate's, character for character (label %s, canary %s)",
    (label, canary, stable, seconds) => {
      const d = releaseDashboard({ ...APP, seriesLabel: label, bakeSeconds: seconds });
      const exprs = promqlOf(d).map((e) => substitute(e, canary, stable, seconds));
      const gate = {
        canary: metricQueries(label, `web-${canary}`, seconds),
        stable: metricQueries(label, `web-${stable}`, seconds),
      };
      for (const role of ["canary", "stable"] as const) {
        expect(exprs).toContain(gate[role].requests);
        expect(exprs).toContain(gate[role].p95);
        expect(exprs).toContain(`(${gate[role].errors}) / (${gate[role].requests})`);
      }
      // the relative limits: stable's own numbers, by the gate's relative settings
      const relative = {
        errorRate: `((${gate.stable.errors}) / (${gate.stable.requests})) + 0.01`,
        p95: `(${gate.stable.p95}) * 1.5`,
      };
      expect(exprs).toContain(relative.errorRate);
      expect(exprs).toContain(relative.p95);
      // and nothing else: every query of the dashboard is built from the gate's
      const allowed = new Set([
        ...(["canary", "stable"] as const).flatMap((r) => [
          gate[r].requests,
          gate[r].p95,
          `(${gate[r].errors}) / (${gate[r].requests})`,
        ]),
        relative.errorRate,
        relative.p95,
      ]);
      expect(exprs.filter((e) => !allowed.has(e))).toEqual([]);
    },
  );

  test("the saturation panels select containers as the alert rules do", () => {
    const rules = runbookRuleGroups(DEFAULT_THRESHOLDS, DEFAULT_HTTP_METRICS).flatMap(
      (g) => g.rules,
    );
    const expr = (name: string) => rules.find((r) => r.alert === name)!.expr;
    expect(expr("ContainerCpuNearLimit")).toContain(
      `container_cpu_usage_seconds_total{${CADVISOR_SELECTOR}}`,
    );
    expect(expr("ContainerCpuNearLimit")).toContain(
      `kube_pod_container_resource_limits{${KUBE_STATE_METRICS_SELECTOR}, resource="cpu"}`,
    );
    const app = promqlOf(applicationDashboard(APP, DEFAULT_THRESHOLDS)).join("\n");
    expect(app).toContain(
      `container_cpu_usage_seconds_total{${CADVISOR_SELECTOR}, namespace="web"}`,
    );
    expect(app).toContain(
      `container_memory_working_set_bytes{${CADVISOR_SELECTOR}, namespace="web"}`,
    );
    expect(app).toContain(
      `kube_pod_container_resource_limits{${KUBE_STATE_METRICS_SELECTOR}, resource="memory", namespace="web"}`,
    );
  });
});

describe("Monitoring: Grafana's sidecars and service account", () => {
  const grafana = grafanaValues(prod.workloads);

  // kube-prometheus-stack 75.15.1 values.yaml line 1231: defaultDashboardsEnabled.
  test("the bundled Kubernetes dashboards stay on, in their own folder", () => {
    expect(grafana.defaultDashboardsEnabled).toBe(true);
    // templates/grafana/dashboards-1.14/nodes.yaml lines 13-14 (and every bundled dashboard):
    // the ConfigMap's annotations are grafana.sidecar.dashboards.annotations.
    expect(grafana.sidecar.dashboards.annotations).toEqual({ grafana_folder: "Kubernetes" });
  });

  // grafana 9.3.0 values.yaml lines 1088-1090 (label, labelValue), 1107 (folderAnnotation), 1166
  // (provider.foldersFromFilesStructure); templates/_pod.tpl line 520 (FOLDER_ANNOTATION);
  // templates/_config.tpl lines 151-161 (no fixed provider folder with foldersFromFilesStructure).
  test("chart convention: the dashboard sidecar files dashboards by their grafana_folder annotation", () => {
    expect(grafana.sidecar.dashboards).toMatchObject({
      enabled: true,
      label: "grafana_dashboard",
      labelValue: "1",
      folderAnnotation: "grafana_folder",
      provider: { foldersFromFilesStructure: true, allowUiUpdates: false },
    });
    expect(grafana.sidecar.dashboards.provider.folder).toBeUndefined();
  });

  // kube-prometheus-stack 75.15.1 values.yaml line 1360 sets searchNamespace ALL; grafana 9.3.0
  // values.yaml line 1100 (searchNamespace), line 1104 (resource: both), line 26 (rbac.namespaced:
  // false) and templates/clusterrole.yaml (get/watch/list on every ConfigMap and Secret of the
  // cluster). Namespaced, templates/role.yaml line 21 grants them in Grafana's namespace only.
  test("the sidecars read ConfigMaps of the monitoring namespace only, through a namespaced Role", () => {
    expect(grafana.sidecar.dashboards.searchNamespace).toBe("monitoring");
    expect(grafana.sidecar.dashboards.resource).toBe("configmap");
    expect(grafana.sidecar.datasources.resource).toBe("configmap");
    expect(grafana.sidecar.datasources.searchNamespace).toBeUndefined();
    expect(grafana.rbac).toEqual({ namespaced: true });
  });

  // kube-prometheus-stack 75.15.1 values.yaml lines 1407-1408 (datasources label and labelValue),
  // templates/grafana/configmaps-datasources.yaml line 12 (the chart's own Prometheus data source
  // ConfigMap carries it) and line 30 (uid from values.yaml line 1381: `prometheus`, the uid our
  // panels name).
  test('chart convention: data sources are ConfigMaps labelled grafana_datasource: "1"; Prometheus\'s uid is prometheus', () => {
    expect(grafana.sidecar.datasources).toMatchObject({
      enabled: true,
      label: "grafana_datasource",
      labelValue: "1",
    });
    for (const d of Object.values(dashboardsOf(prod.workloads)))
      for (const expr of JSON.stringify(d).match(
        /"datasource":\{"type":"prometheus","uid":"[^"]+"\}/g,
      ) ?? [])
        expect(expr).toBe('"datasource":{"type":"prometheus","uid":"prometheus"}');
  });

  // grafana 9.3.0 values.yaml lines 35-37 and templates/_helpers.tpl lines 37-39: the service
  // account is `serviceAccount.name` when set.
  test("Grafana's service account is named and annotated with its CloudWatch role", () => {
    expect(grafana.serviceAccount).toEqual({
      create: true,
      name: GRAFANA_SERVICE_ACCOUNT_NAME,
      annotations: {
        "eks.amazonaws.com/role-arn": expect.stringMatching(
          /^\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.[\w-]+\}$/,
        ),
      },
    });
  });

  // kube-state-metrics 6.1.0 values.yaml line 383: metricLabelsAllowlist (empty by default).
  test("kube-state-metrics exports the EKS node group label the System dashboard groups by", () => {
    const values = JSON.parse(
      (
        Object.values(resources(prod.workloads, "helm_release")).find(
          (r) => r.name === "kube-prometheus-stack",
        )!.values as string[]
      )[0],
    );
    expect(values["kube-state-metrics"].metricLabelsAllowlist).toEqual([
      "nodes=[eks.amazonaws.com/nodegroup,eks.amazonaws.com/capacityType,node.kubernetes.io/instance-type,topology.kubernetes.io/zone]",
    ]);
  });

  test("the CloudWatch data source: a ConfigMap for the data source sidecar, uid cloudwatch, IRSA credentials", () => {
    const ds = configMaps(prod.workloads).find(
      (c) => c.metadata.labels.grafana_datasource === "1",
    )!;
    expect(ds.metadata.name).toBe("grafana-datasource-cloudwatch");
    expect(JSON.parse(ds.data["cloudwatch.yaml"])).toEqual({
      apiVersion: 1,
      datasources: [
        {
          name: "CloudWatch",
          type: "cloudwatch",
          uid: "cloudwatch",
          access: "proxy",
          editable: false,
          // the AWS SDK's default chain: the web identity token of the IRSA service account
          jsonData: { authType: "default", defaultRegion: "eu-west-1" },
        },
      ],
    });
  });

  test("the System dashboard's CloudWatch panels read the environment's RDS instance", () => {
    const system = JSON.stringify(dashboardsOf(prod.workloads)["platform-system"]);
    expect(system).toContain('"dimensions":{"DBInstanceIdentifier":"prod-postgres"}');
    expect(system).toContain('"namespace":"AWS/ApplicationELB"');
  });
});

describe("Monitoring's grafanaRoleArn", () => {
  const monitoring = (props: Partial<MonitoringProps>) => {
    const stack = testStack();
    new HelmProvider(stack, "helm", {});
    new KubernetesProvider(stack, "kubernetes", {});
    new Monitoring(stack, "monitoring", {
      region: "eu-west-1",
      receivers: {
        critical: { type: "sns", topicArn: "arn:aws:sns:eu-west-1:123456789012:alerts" },
        warning: { type: "sns", topicArn: "arn:aws:sns:eu-west-1:123456789012:alerts" },
      },
      ...props,
    });
    return grafanaValues(synth(stack));
  };

  test("without one, Grafana's service account has no role annotation", () => {
    expect(monitoring({}).serviceAccount).toEqual({
      create: true,
      name: "grafana",
      annotations: {},
    });
  });

  test("fails when grafanaRoleArn is not a role ARN", () => {
    expect(rejectionLines(() => monitoring({ grafanaRoleArn: "grafana" }))).toEqual([
      'test/monitoring: grafanaRoleArn: received "grafana"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/grafana',
    ]);
  });
});

describe("Grafana's CloudWatch role (infrastructure stack)", () => {
  const roles = resources(prod.infrastructure, "aws_iam_role");
  const [key, role] = Object.entries(roles).find(([, r]) => r.name === "prod-grafana-cloudwatch")!;
  const inline = Object.values(resources(prod.infrastructure, "aws_iam_role_policy")).find((p) =>
    String(p.role).includes(`aws_iam_role.${key}.`),
  )!;

  test("trusted by monitoring/grafana's web identity only", () => {
    const trust = policy(role.assume_role_policy);
    const text = JSON.stringify(trust);
    const condition = (trust.Statement[0] as any).Condition.StringEquals;
    const issuer = Object.keys(condition)
      .find((k) => k.endsWith(":sub"))!
      .replace(/:sub$/, "");
    const provider = (trust.Statement[0] as any).Principal.Federated;
    const token = (sub: string) => ({
      provider,
      claims: { [`${issuer}:sub`]: sub, [`${issuer}:aud`]: "sts.amazonaws.com" },
    });
    expect(mayAssumeWithWebIdentity(text, token("system:serviceaccount:monitoring:grafana"))).toBe(
      true,
    );
    expect(
      mayAssumeWithWebIdentity(text, token("system:serviceaccount:monitoring:alertmanager")),
    ).toBe(false);
    expect(mayAssumeWithWebIdentity(text, token("system:serviceaccount:web:grafana"))).toBe(false);
  });

  test("least privilege: reads CloudWatch metrics of the region, nothing else", () => {
    const text = String(inline.policy);
    expect(text).toBe(cloudWatchReadPolicy("eu-west-1"));
    const inRegion = { "aws:RequestedRegion": "eu-west-1" };
    const allowed = (action: string, context = inRegion) =>
      isAllowed(text, { action, resource: "*", context });
    expect(allowed("cloudwatch:GetMetricData")).toBe(true);
    expect(allowed("cloudwatch:ListMetrics")).toBe(true);
    expect(allowed("cloudwatch:GetMetricData", { "aws:RequestedRegion": "us-east-1" })).toBe(false);
    for (const write of [
      "cloudwatch:PutMetricData",
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DeleteAlarms",
      "cloudwatch:PutDashboard",
      "logs:GetLogEvents",
      "logs:StartQuery",
      "rds:DescribeDBInstances",
      "iam:PassRole",
    ])
      expect(allowed(write)).toBe(false);
    const actions = policy(text).Statement.flatMap((s) => s.Action as string[]);
    expect(actions.every((a) => /^cloudwatch:(Get|List)[A-Za-z]+$/.test(a))).toBe(true);
  });

  test("fails when the region is not one", () => {
    expect(() => cloudWatchReadPolicy("europe")).toThrow(
      'region: received "europe"; expected an AWS region such as eu-west-1',
    );
  });
});

describe("business dashboards", () => {
  const dir = mkdtempSync(join(tmpdir(), "business-dashboards-"));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  };
  const good = file("good.json", { uid: "orders", title: "Orders", panels: [] });

  test("shipped into the Business folder with the app's label", () => {
    const { json } = dashboards({
      apps: [{ name: "web", namespace: "web", businessDashboards: [good] }],
    });
    const c = dashboardMaps(json).find((m) => m.data["orders.json"])!;
    expect(c.metadata.annotations).toEqual({ grafana_folder: "Business" });
    expect(c.metadata.labels).toMatchObject({ grafana_dashboard: "1", "platform/app": "web" });
    expect(JSON.parse(c.data["orders.json"])).toEqual({
      uid: "orders",
      title: "Orders",
      panels: [],
    });
  });

  test("uids that differ only in capitals or '_' get ConfigMaps of their own", () => {
    const { json } = dashboards({
      apps: [
        {
          name: "web",
          namespace: "web",
          businessDashboards: [
            file("upper.json", { uid: "Orders_Daily", title: "A", panels: [] }),
            file("lower.json", { uid: "orders-daily", title: "B", panels: [] }),
          ],
        },
      ],
    });
    const names = dashboardMaps(json).map((c) => c.metadata.name);
    expect(names).toContain("dashboard-orders-daily");
    expect(names).toContainEqual(expect.stringMatching(/^dashboard-orders-daily-[0-9a-f]{8}$/));
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(n))).toBe(true);
  });

  test("fails when a file is missing, not JSON, not a dashboard, too large, or its uid is taken: every problem at once", () => {
    const apps: DashboardApp[] = [
      {
        name: "web",
        namespace: "web",
        businessDashboards: [
          good,
          join(dir, "missing.json"),
          file("broken.json", "{ not json"),
          file("array.json", []),
          file("untitled.json", { uid: "x", panels: {} }),
          file("bad-uid.json", { uid: "has spaces", title: "T", panels: [] }),
          file("again.json", { uid: "orders", title: "Orders again", panels: [] }),
          file("taken.json", { uid: "app-web", title: "Mine", panels: [] }),
          file(
            "big.json",
            JSON.stringify({
              uid: "big",
              title: "Big",
              panels: [],
              pad: "x".repeat(MAX_DASHBOARD_BYTES),
            }),
          ),
        ],
      },
    ];
    const lines = rejectionLines(() => dashboards({ apps }));
    const at = (i: number) =>
      `test/dashboards: apps[0].businessDashboards[${i}]: received "${(apps[0].businessDashboards as string[])[i]}"; expected `;
    expect(lines).toEqual([
      `${at(1)}a Grafana dashboard JSON file, relative to the environment file (${join(dir, "missing.json")} does not exist)`,
      expect.stringMatching(
        new RegExp(`^${escape(at(2))}a JSON file \\(${escape(join(dir, "broken.json"))}: .+\\)$`),
      ),
      `${at(3)}a Grafana dashboard: a JSON object (${join(dir, "array.json")} holds an array)`,
      `${at(4)}a Grafana dashboard with a non-empty string title, a panels array (${join(dir, "untitled.json")})`,
      `${at(5)}a Grafana dashboard with a uid of 1-40 letters, digits, '-' and '_' (received "has spaces") (${join(dir, "bad-uid.json")})`,
      `${at(6)}a dashboard uid unique in the environment (${join(dir, "again.json")}: uid "orders" is already used by apps[0].businessDashboards[0] (${good}))`,
      `${at(7)}a dashboard uid unique in the environment (${join(dir, "taken.json")}: uid "app-web" is already used by the platform's own dashboards)`,
      expect.stringMatching(
        new RegExp(
          `^${escape(at(8))}a dashboard file of at most 524288 bytes \\(.+ has \\d+\\): it is shipped as one ConfigMap, which holds at most 1 MiB$`,
        ),
      ),
    ]);
  });

  test("fails at load when an environment file lists a dashboard that is not there (path relative to the file)", () => {
    const raw = rawEnvironment("prod") as any;
    raw.apps.web.dashboards = ["dashboards/web-business.json", "dashboards/nope.json"];
    const folder = environmentFolder({ prod: raw });
    expect(() => loadEnvironments(folder)).toThrow(
      `prod.yaml: apps.web.dashboards[1]: received "dashboards/nope.json"; expected a Grafana dashboard JSON file, relative to the environment file (${join(folder, "dashboards/nope.json")} does not exist)`,
    );
  });

  test("fails at load when a dashboard's uid is one the platform generates", () => {
    const folder = environmentFolder({});
    writeFileSync(
      join(folder, "dashboards", "clash.json"),
      JSON.stringify({ uid: "release-web", title: "x", panels: [] }),
    );
    const raw = rawEnvironment("prod") as any;
    raw.apps.web.dashboards = ["dashboards/clash.json"];
    writeFileSync(join(folder, "prod.yaml"), stringify(raw));
    expect(() => loadEnvironments(folder)).toThrow(
      `apps.web.dashboards[0]: received "dashboards/clash.json"; expected a dashboard uid unique in the environment (${join(folder, "dashboards/clash.json")}: uid "release-web" is already used by the platform's own dashboards)`,
    );
  });

  test("fails when apps.<app>.dashboards is not a list of paths", () => {
    const raw = rawEnvironment("prod") as any;
    raw.apps.web.dashboards = "dashboards/web-business.json";
    expect(() => loadEnvironments(environmentFolder({ prod: raw }))).toThrow(
      'apps.web.dashboards: received "dashboards/web-business.json"; expected an array',
    );
  });
});

describe("Dashboards props", () => {
  test("fails when names, labels, windows or the region are wrong: every problem at once", () => {
    const lines = rejectionLines(() =>
      dashboards({
        namespace: "Monitoring",
        cloudWatch: { region: "europe", databaseIdentifier: "db" },
        apps: [
          {
            name: "Web",
            namespace: "web",
            seriesLabel: "bad-label",
            bakeSeconds: 0,
          },
          { name: "api", namespace: "api" },
          { name: "api", namespace: "api" },
        ],
      }),
    );
    expect(lines).toEqual([
      'test/dashboards: namespace: received "Monitoring"; expected a DNS-1123 label',
      'test/dashboards: apps[0].name: received "Web"; expected a DNS-1123 label (the app name)',
      'test/dashboards: apps[0].seriesLabel: received "bad-label"; expected a Prometheus label name',
      "test/dashboards: apps[0].bakeSeconds: received 0; expected a whole number of seconds, 1 or more",
      'test/dashboards: apps[2].name: received "api"; expected an app name listed once',
      'test/dashboards: cloudWatch.region: received "europe"; expected an AWS region such as eu-west-1',
    ]);
  });

  test("the environment's alert threshold overrides move the Application dashboard's lines", () => {
    const { json } = dashboards({
      alertThresholds: { httpErrorRatio: 0.05, latencyP95Seconds: 0.25 },
    });
    const app = dashboardsOf(json)["app-web"] as any;
    const step = (t: string) =>
      app.panels.find((p: Panel) => p.title === t).fieldConfig.defaults.thresholds.steps[1].value;
    expect(step("Error rate (5xx) per colour")).toBe(0.05);
    expect(step("Latency p50 / p95 / p99 per colour")).toBe(0.25);
    expect(step("CPU use / limit per colour")).toBe(DEFAULT_THRESHOLDS.cpuLimitRatio);
  });

  test("without a CloudWatch data source the System dashboard has no CloudWatch panel and no data source is made", () => {
    const { json, construct } = dashboards();
    expect(construct.cloudWatchDataSource).toBeUndefined();
    expect(JSON.stringify(dashboardsOf(json)["platform-system"])).not.toContain("cloudwatch");
  });

  test("a long app name still gets a uid Grafana accepts (at most 40 characters), the same on every build", () => {
    const build = (name: string) =>
      Object.keys(dashboards({ apps: [{ name, namespace: "web" }] }).construct.dashboards);
    const long = "a-very-long-application-name-for-the-uid-limit";
    const uids = build(long);
    expect(uids.map((u) => u.length <= 40)).toEqual([true, true, true]);
    expect(uids[0]).toMatch(/^app-a-very-long-application-nam-[0-9a-f]{8}$/);
    expect(uids[1]).toMatch(/^release-a-very-long-application-[0-9a-f]{8}$/);
    expect(build(long)).toEqual(uids);
    // another name with the same first characters gets other uids
    expect(build(`${long.slice(0, -1)}x`)).not.toEqual(uids);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
