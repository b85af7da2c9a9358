/**
 * Every PromQL query of every dashboard the prod environment ships (the generated Application,
 * Release and System dashboards and web's business dashboard), with Grafana's template variables
 * substituted, against a real Prometheus (the Debian `prometheus` binary, test/support/prometheus.ts)
 * scraping loopback test apps: podinfo's HTTP metrics for web's two colours (test/support/metrics-app.ts,
 * labelled as the per-colour ServiceMonitors label them) and the kubelet's cAdvisor and
 * kube-state-metrics series (test/support/cluster-metrics.ts). Each query must parse (Prometheus
 * answers `bad_data` to a syntax error; promtool 2.42 has no `check expr`) and return data.
 */
import { Testing } from "cdktf";
import { environment } from "../helpers";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { WorkloadsStack } from "../../stacks/workloads-stack";
import { promqlOf, type GrafanaDashboard } from "../../constructs/private/grafana-dashboards";
import { LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT } from "../../constructs/load-balancer-controller";
import { MetricsApp } from "../support/metrics-app";
import { ClusterMetrics } from "../support/cluster-metrics";
import { startPrometheus, type PrometheusServer } from "../support/prometheus";

/** The dashboards of the prod environment, as the workloads stack ships them. */
function prodDashboards(): GrafanaDashboard[] {
  const app = Testing.app();
  const config = environment("prod");
  const infrastructure = new InfrastructureStack(app, "prod-infrastructure", {
    environment: config,
    offline: true,
  });
  const workloads = new WorkloadsStack(app, "prod-workloads", {
    environment: config,
    offline: true,
    infrastructure,
  });
  return Object.values(workloads.dashboards.dashboards).map(
    (d) => JSON.parse(d.json) as GrafanaDashboard,
  );
}

/**
 * Grafana's substitution for these tests: `$colour` with All selected is `(blue|green)` (the
 * Prometheus data source formats a multi-value variable as a regex alternation), the Release
 * dashboard's canary green against stable blue over a 10 s window, and `$__rate_interval` 10 s
 * (four 1 s scrapes and more).
 */
const VARIABLES: Record<string, string> = {
  $colour: "(blue|green)",
  $canary: "green",
  $stable: "blue",
  $window: "10s",
  $__rate_interval: "10s",
};
const substitute = (expr: string) =>
  Object.entries(VARIABLES).reduce((e, [name, value]) => e.split(name).join(value), expr);

interface Answer {
  status: string;
  errorType?: string;
  error?: string;
  data?: { resultType: string; result: unknown[] };
}

const dashboards = prodDashboards();
const queries = dashboards.flatMap((d) => promqlOf(d).map((expr) => ({ dashboard: d.uid, expr })));

let prometheus: PrometheusServer;
let apps: MetricsApp[] = [];
let cluster: ClusterMetrics;
let traffic: NodeJS.Timeout | undefined;

async function query(expr: string): Promise<Answer> {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as Answer;
}

beforeAll(async () => {
  const blue = await MetricsApp.start();
  const green = await MetricsApp.start();
  apps = [blue, green];
  cluster = await ClusterMetrics.start({
    pods: [
      {
        namespace: "web",
        pod: "web-blue-7c9d8f6b5-x1",
        container: "podinfo",
        node: "ip-10-30-1-10.eu-west-1.compute.internal",
      },
      {
        namespace: "web",
        pod: "web-green-6b8c7d5a4-y2",
        container: "podinfo",
        node: "ip-10-30-2-20.eu-west-1.compute.internal",
      },
    ],
    nodes: {
      "ip-10-30-1-10.eu-west-1.compute.internal": "general",
      "ip-10-30-2-20.eu-west-1.compute.internal": "general",
    },
    deployment: {
      namespace: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.namespace,
      name: LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.name,
    },
  });
  // The per-colour ServiceMonitor's target labels: namespace, pod, service and job of the colour.
  const colour = (app: MetricsApp, name: string, pod: string) => ({
    address: app.address,
    labels: { job: name, service: name, namespace: "web", pod, container: "podinfo" },
  });
  prometheus = await startPrometheus({
    targets: [
      colour(blue, "web-blue", "web-blue-7c9d8f6b5-x1"),
      colour(green, "web-green", "web-green-6b8c7d5a4-y2"),
      ...cluster.targets,
    ],
  });
  traffic = setInterval(() => {
    blue.observe(20, 200, 0.03);
    blue.observe(1, 500, 0.03);
    green.observe(10, 200, 0.3);
  }, 200);
  // Until every target was scraped several times with traffic in between (a readiness poll).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await query(
      'count(count_over_time(up{job=~"web-.*|kubelet|kube-state-metrics"}[10s]) >= 5) == 4 and on () sum(increase(http_requests_total[10s])) > 0',
    );
    if ((ready.data?.result.length ?? 0) > 0) break;
    if (Date.now() > deadline)
      throw new Error(`Prometheus did not scrape every target: ${JSON.stringify(ready)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}, 90_000);

afterAll(async () => {
  if (traffic) clearInterval(traffic);
  await prometheus?.stop();
  await Promise.all(apps.map((a) => a.stop()));
  await cluster?.stop();
});

describe(`the dashboards' ${queries.length} PromQL queries against a real Prometheus`, () => {
  test("every dashboard kind is covered", () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      "app-web",
      "platform-system",
      "release-web",
      "web-business",
    ]);
    expect(queries.length).toBeGreaterThanOrEqual(30);
    // no variable is left for Prometheus but label_replace's $1
    for (const { expr } of queries)
      expect(substitute(expr).replace(/"\$1"/g, "")).not.toContain("$");
  });

  test("the check can fail: a syntax error is bad_data, a query of no series returns no data", async () => {
    const broken = await query(
      substitute('sum(rate(http_requests_total{service=~"web-$colour"}[$__rate_interval])'),
    );
    expect(broken).toMatchObject({ status: "error", errorType: "bad_data" });
    const empty = await query('sum(rate(http_requests_total{service="web-purple"}[10s]))');
    expect(empty).toMatchObject({ status: "success", data: { result: [] } });
  });

  test("the colours come out as their own series: CPU per colour, traffic shares summing to 1", async () => {
    const app = dashboards.find((d) => d.uid === "app-web")!;
    const panel = (title: string) => app.panels.find((p) => p.title === title)!.targets![0].expr!;
    const series = async (expr: string) =>
      (
        (await query(substitute(expr))).data!.result as {
          metric: Record<string, string>;
          value: [number, string];
        }[]
      )
        .map((r) => ({ service: r.metric.service, value: Number(r.value[1]) }))
        .sort((a, b) => a.service.localeCompare(b.service));
    const cpu = await series(panel("CPU use / limit per colour"));
    expect(cpu.map((c) => c.service)).toEqual(["web-blue", "web-green"]);
    for (const c of cpu) expect(c.value).toBeGreaterThan(0);
    const share = await series(panel("Traffic share per colour (actual)"));
    expect(share.map((c) => c.service)).toEqual(["web-blue", "web-green"]);
    expect(share[0].value + share[1].value).toBeCloseTo(1, 9);
    // blue serves 21 requests for green's 10
    expect(share[0].value).toBeGreaterThan(share[1].value);
  });

  test.each(queries.map((q, i) => [i + 1, q.dashboard, q.expr]))(
    "query %i (%s) parses and returns data: %s",
    async (_, __, expr) => {
      const answer = await query(substitute(expr as string));
      expect({ status: answer.status, error: answer.error }).toEqual({
        status: "success",
        error: undefined,
      });
      expect(answer.data!.result.length).toBeGreaterThan(0);
    },
  );

  afterAll(() => {
    // the figure for the closing note
    console.log(`dashboard queries checked against Prometheus: ${queries.length}`);
  });
});
