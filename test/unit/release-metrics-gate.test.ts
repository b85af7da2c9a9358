/**
 * The metric gate against a real Prometheus server (the Debian `prometheus` binary, see
 * test/support/prometheus.ts) scraping loopback test apps that expose podinfo's HTTP metrics every
 * second. All scenarios' traffic is driven once, inside one window, in beforeAll; each test then
 * judges its own app's colours over that window.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { environmentSchema } from "../../config/schema";
import type { Colour } from "../../constructs/private/traffic";
import type { GateContext } from "../../release/gates/gate";
import {
  DEFAULT_MIN_RANGE_SECONDS,
  metricGate,
  metricQueries,
  type MetricsConfig,
} from "../../release/gates/metrics";
import {
  IN_CLUSTER_PROMETHEUS,
  parseQueryAnswer,
  PrometheusQueryError,
  prometheusAt,
  prometheusThroughKubernetes,
} from "../../release/prometheus";
import type { PrometheusQuery } from "../../release/types";
import { MetricsApp } from "../support/metrics-app";
import { startPrometheus, type PrometheusServer } from "../support/prometheus";

/** The schema's defaults for `apps.<app>.gates.metrics`, with overrides. */
function metricsConfig(overrides: Record<string, unknown> = {}): MetricsConfig {
  const parsed = environmentSchema.shape.apps
    .removeDefault()
    .valueSchema.shape.gates.parse({ metrics: overrides });
  if (parsed.metrics === false) throw new Error("metrics gate is off");
  return parsed.metrics;
}

/** Traffic of one colour: requests, the share answered 500, and the latency of each. */
interface Traffic {
  readonly requests: number;
  readonly errorRate?: number;
  readonly latencySeconds: number;
}

/** Scenario app name -> traffic per colour (blue is the canary, green stable). */
const SCENARIOS: Record<string, Partial<Record<Colour, Traffic>>> = {
  healthy: {
    blue: { requests: 400, errorRate: 0.0025, latencySeconds: 0.02 },
    green: { requests: 400, errorRate: 0.0025, latencySeconds: 0.02 },
  },
  erroring: {
    blue: { requests: 400, errorRate: 0.05, latencySeconds: 0.02 },
    green: { requests: 400, latencySeconds: 0.02 },
  },
  slow: {
    blue: { requests: 400, latencySeconds: 0.8 },
    green: { requests: 400, latencySeconds: 0.02 },
  },
  // p95 ~242 ms (under 500 ms) against stable's ~24 ms.
  worse: {
    blue: { requests: 400, latencySeconds: 0.2 },
    green: { requests: 400, latencySeconds: 0.02 },
  },
  // Same canary, but the stable colour has too little traffic to compare against.
  lonely: {
    blue: { requests: 400, latencySeconds: 0.2 },
    green: { requests: 5, latencySeconds: 0.02 },
  },
  quiet: {
    blue: { requests: 10, latencySeconds: 0.02 },
    green: { requests: 400, latencySeconds: 0.02 },
  },
  idle: {
    blue: { requests: 0, latencySeconds: 0 },
    green: { requests: 400, latencySeconds: 0.02 },
  },
};

const apps = new Map<string, MetricsApp>();
let prometheus: PrometheusServer;
let client: PrometheusQuery;
let window: { startMs: number; endMs: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sum of `http_requests_total` Prometheus last scraped per series name. */
async function scrapedTotals(): Promise<Map<string, number>> {
  const samples = await client.query("sum by (service) (http_requests_total)");
  return new Map(samples.map((s) => [s.labels.service, s.value]));
}

/** Waits until Prometheus's latest scrape of every app shows `expected` requests. */
async function waitForScrapes(expected: (series: string) => number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const totals = await scrapedTotals();
    const missing = [...apps.keys()].filter((series) => totals.get(series) !== expected(series));
    if (missing.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`Prometheus did not scrape ${missing.join(", ")} within 20s`);
    await sleep(200);
  }
}

beforeAll(async () => {
  for (const [app, colours] of Object.entries(SCENARIOS)) {
    for (const colour of Object.keys(colours) as Colour[]) {
      apps.set(`${app}-${colour}`, await MetricsApp.start([200, 500]));
    }
  }
  prometheus = await startPrometheus({
    targets: [...apps].map(([service, app]) => ({ address: app.address, labels: { service } })),
  });
  client = prometheusAt(prometheus.url);
  // Every app scraped at zero, then the window opens with at least one more zero sample in it.
  await waitForScrapes(() => 0);
  const startMs = Date.now();
  await sleep(1500);
  for (const [app, colours] of Object.entries(SCENARIOS)) {
    for (const [colour, traffic] of Object.entries(colours)) {
      const target = apps.get(`${app}-${colour}`)!;
      const errors = Math.round(traffic.requests * (traffic.errorRate ?? 0));
      target.observe(traffic.requests - errors, 200, traffic.latencySeconds);
      target.observe(errors, 500, traffic.latencySeconds);
    }
  }
  const expected = (series: string) => apps.get(series)!.total;
  await waitForScrapes(expected);
  await sleep(1200);
  window = { startMs, endMs: Date.now() };
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([...apps.values()].map((app) => app.stop()));
});

function gateContext(lines: string[] = [], colour: Colour = "blue"): GateContext {
  return {
    environment: "staging",
    app: "web",
    version: "6.8.0",
    colour,
    target: { baseUrl: "http://127.0.0.1:1", host: "web.example.com", headers: {}, route: "live" },
    progress: (line) => lines.push(line),
    window,
  };
}

function gate(
  app: string,
  overrides: Record<string, unknown> = {},
  source: () => Promise<PrometheusQuery | undefined> = async () => client,
) {
  return metricGate(metricsConfig(overrides), {
    app,
    canaryColour: "blue",
    stableColour: "green",
    prometheus: source,
    minRangeSeconds: 2,
  });
}

describe("metric gate against a real Prometheus", () => {
  it("passes a healthy canary, with its numbers in samples and each sample printed", async () => {
    const lines: string[] = [];
    const g = gate("healthy");
    expect(g).toMatchObject({ name: "metrics", kind: "window", mode: "enforce" });
    const result = await g.check(gateContext(lines));
    expect(result.verdict).toBe("pass");
    expect(result.observed).toBeUndefined();
    const s = result.samples!;
    // increase() extrapolates to the range's end: at least what was sent, within a few scrapes.
    expect(s.canaryRequests).toBeGreaterThanOrEqual(400);
    expect(s.canaryRequests).toBeLessThan(700);
    expect(s.canaryErrorRate).toBeCloseTo(0.0025, 3);
    expect(s.stableErrorRate).toBeCloseTo(0.0025, 3);
    // 20 ms falls in the (10 ms, 25 ms] bucket: 10 + 0.95 * 15 ms.
    // histogram_quantile interpolates within a bucket: a scrape landing mid-burst moves it a little
    expect(Math.abs(s.canaryP95Ms - 24.25)).toBeLessThan(1);
    expect(Math.abs(s.stableP95Ms - 24.25)).toBeLessThan(1);
    expect(result.detail).toMatch(
      /^canary healthy-blue: \d+ requests, 0\.25% errors \(max 1%\), p95 24 ms \(max 500 ms\); stable healthy-green: \d+ requests, 0\.25% errors, p95 24 ms \(over \ds\)$/,
    );
    expect(lines).toEqual([
      expect.stringMatching(/^metrics canary healthy-blue: \d+ requests in \d+s$/),
      expect.stringMatching(/^metrics canary healthy-blue: 1 5xx \(0\.25%\)$/),
      "metrics canary healthy-blue: p95 24 ms",
      expect.stringMatching(/^metrics stable healthy-green: \d+ requests in \d+s$/),
      expect.stringMatching(/^metrics stable healthy-green: 1 5xx \(0\.25%\)$/),
      "metrics stable healthy-green: p95 24 ms",
    ]);
  });

  it("fails an erroring canary (5% 500s), naming the error rate", async () => {
    const result = await gate("erroring").check(gateContext());
    expect(result.verdict).toBe("fail");
    expect(result.samples!.canaryErrorRate).toBeCloseTo(0.05, 2);
    expect(result.samples!.stableErrorRate).toBe(0);
    expect(result.detail).toMatch(/^canary error rate [\d.]+% above the 1% maximum; /);
    expect(result.detail).toContain("canary erroring-blue: ");
  });

  it("fails a slow canary (800 ms requests), naming p95", async () => {
    const result = await gate("slow").check(gateContext());
    expect(result.verdict).toBe("fail");
    // 800 ms falls in the (500 ms, 1 s] bucket: 500 + 0.95 * 500 ms.
    expect(Math.abs(result.samples!.canaryP95Ms - 975)).toBeLessThan(10);
    expect(result.detail).toMatch(/^canary p95 9\d\d ms above the 500 ms maximum; /);
    expect(result.detail).not.toContain("error rate");
  });

  it("fails a canary under the absolute thresholds but clearly worse than stable (p95)", async () => {
    const result = await gate("worse").check(gateContext());
    expect(result.verdict).toBe("fail");
    expect(Math.abs(result.samples!.canaryP95Ms - 242.5)).toBeLessThan(5);
    expect(result.samples!.canaryP95Ms).toBeLessThan(500);
    expect(result.detail).toMatch(
      /^canary p95 2[34]\d ms above 1\.5x stable's 2\d ms \(3\d ms\): /,
    );
    expect(result.detail).not.toContain("maximum");
  });

  it("fails on the relative error rate when the absolute maximum is looser", async () => {
    const result = await gate("erroring", { maxErrorRate: 0.1 }).check(gateContext());
    expect(result.verdict).toBe("fail");
    expect(result.detail).toMatch(/^canary error rate [\d.]+% more than 1% above stable's 0%: /);
    // A wider relative margin lets the same canary pass.
    const lenient = await gate("erroring", {
      maxErrorRate: 0.1,
      relative: { errorRate: 0.06 },
    }).check(gateContext());
    expect(lenient.verdict).toBe("pass");
  });

  it("does not compare against a stable colour with too little traffic", async () => {
    const result = await gate("lonely").check(gateContext());
    expect(result.verdict).toBe("pass");
    expect(result.samples!.stableRequests).toBeLessThan(50);
    expect(result.detail).toMatch(
      /stable lonely-green: \d+ requests \(fewer than 50, not compared\)/,
    );
  });

  it("is inconclusive for a canary with too little traffic, or none", async () => {
    const quiet = await gate("quiet").check(gateContext());
    expect(quiet.verdict).toBe("inconclusive");
    expect(quiet.samples!.canaryRequests).toBeLessThan(50);
    expect(quiet.detail).toMatch(
      /^too little traffic to judge: canary quiet-blue had \d+ requests over \d+s, fewer than the 50 needed/,
    );
    const idle = await gate("idle").check(gateContext());
    expect(idle.verdict).toBe("inconclusive");
    expect(idle.samples).toMatchObject({ canaryRequests: 0 });
    expect(idle.samples!.canaryErrorRate).toBeUndefined();
    // minRequests is the configured one.
    const lowBar = await gate("quiet", { minRequests: 5 }).check(gateContext());
    expect(lowBar.verdict).toBe("pass");
  });

  it("is inconclusive for series that do not exist at all (wrong series label)", async () => {
    const result = await gate("healthy", { seriesLabel: "app" }).check(gateContext());
    expect(result.verdict).toBe("inconclusive");
    expect(result.samples!.canaryRequests).toBe(0);
  });

  it("observe mode returns the fail verdict marked observed", async () => {
    const g = gate("erroring", { mode: "observe" });
    expect(g.mode).toBe("observe");
    const result = await g.check(gateContext());
    expect(result.verdict).toBe("fail");
    expect(result.observed).toBe(true);
    expect(result.detail).toContain("error rate 5% above the 1% maximum");
  });

  it("is inconclusive, saying so, when Prometheus cannot be reached", async () => {
    const closed = await freeClosedPort();
    const down = await gate("erroring", {}, async () =>
      prometheusAt(`http://127.0.0.1:${closed}`),
    ).check(gateContext());
    expect(down.verdict).toBe("inconclusive");
    expect(down.detail).toMatch(
      new RegExp(
        `^Prometheus at http://127\\.0\\.0\\.1:${closed} could not be queried: .*ECONNREFUSED.*could not be judged`,
      ),
    );
    const none = await gate("erroring", {}, async () => undefined).check(gateContext());
    expect(none.verdict).toBe("inconclusive");
    expect(none.detail).toMatch(/^no Prometheus reachable/);
    const broken = await gate("erroring", {}, async () => {
      throw new Error("cluster has no endpoint");
    }).check(gateContext());
    expect(broken.verdict).toBe("inconclusive");
    expect(broken.detail).toContain("no Prometheus reachable: cluster has no endpoint");
  });

  it("uses the window's length as the range, at least the floor", async () => {
    const lines: string[] = [];
    const g = metricGate(metricsConfig(), {
      app: "healthy",
      canaryColour: "blue",
      stableColour: "green",
      prometheus: async () => client,
    });
    const result = await g.check(gateContext(lines));
    expect(result.samples!.rangeSeconds).toBe(DEFAULT_MIN_RANGE_SECONDS);
    const seconds = Math.ceil((window.endMs - window.startMs) / 1000);
    const short = await gate("healthy").check(gateContext());
    expect(short.samples!.rangeSeconds).toBe(Math.max(2, seconds));
  });
});

describe("Prometheus client", () => {
  it("builds the PromQL of a colour", () => {
    expect(metricQueries("service", "web-blue", 300)).toEqual({
      requests: 'sum(increase(http_requests_total{service="web-blue"}[300s]))',
      errors: 'sum(increase(http_requests_total{service="web-blue",status=~"5.."}[300s]))',
      p95: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="web-blue"}[300s])))',
    });
    expect(metricQueries("job", 'a"b\\c', 60).requests).toBe(
      'sum(increase(http_requests_total{job="a\\"b\\\\c"}[60s]))',
    );
  });

  it("reads vectors, NaN and +Inf from the real server, and names API errors", async () => {
    expect(await client.query("vector(0) / 0")).toEqual([{ labels: {}, value: NaN }]);
    expect(await client.query("vector(1) / 0")).toEqual([{ labels: {}, value: Infinity }]);
    expect(await client.query('sum by (service) (up{service="healthy-blue"})')).toEqual([
      { labels: { service: "healthy-blue" }, value: 1 },
    ]);
    await expect(client.query("1")).rejects.toThrow(
      /: query 1: expected an instant vector, got scalar$/,
    );
    const error = await client.query("sum(").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusQueryError);
    expect((error as PrometheusQueryError).status).toBe(400);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${prometheus.url.replace(/\./g, "\\.")}: query sum\\(: 400 bad_data: .*parse error`,
      ),
    );
  });

  it("rejects answers that are not Prometheus's", () => {
    expect(() =>
      parseQueryAnswer("x", "up", 503, '{"kind":"Status","message":"no endpoints available"}'),
    ).toThrow("x: query up: 503 no endpoints available");
    expect(() => parseQueryAnswer("x", "up", 502, "Bad Gateway")).toThrow(
      "x: query up: 502 Bad Gateway",
    );
    expect(() =>
      parseQueryAnswer(
        "x",
        "up",
        200,
        '{"status":"success","data":{"resultType":"matrix","result":[]}}',
      ),
    ).toThrow("expected an instant vector, got matrix");
  });

  it("keeps a URL's path prefix and sends the evaluation time", async () => {
    const fake = await apiServer(() => ({
      status: 200,
      body: '{"status":"success","data":{"resultType":"vector","result":[]}}',
    }));
    try {
      await prometheusAt(`${fake.url}/prometheus/`).query("up", 1700000000.5);
      expect(fake.requests[0].path).toBe("/prometheus/api/v1/query");
      expect(fake.requests[0].query.get("query")).toBe("up");
      expect(fake.requests[0].query.get("time")).toBe("1700000000.500");
    } finally {
      await fake.close();
    }
    expect(() => prometheusAt("ftp://x")).toThrow("expected an http:// or https:// URL");
  });

  it("the in-cluster default is kube-prometheus-stack's Prometheus Service", () => {
    // kube-prometheus-stack 75.15.1: templates/prometheus/service.yaml names the Service
    // "<fullname>-prometheus" (fullname = the release name "kube-prometheus-stack",
    // templates/_helpers.tpl) on values.yaml prometheus.service.port 9090.
    expect(IN_CLUSTER_PROMETHEUS).toEqual({
      namespace: "monitoring",
      service: "kube-prometheus-stack-prometheus",
      port: 9090,
    });
  });

  it("queries through the Kubernetes API service proxy with a fresh bearer token", async () => {
    let tokens = 0;
    // The API server's proxy, forwarding to the real Prometheus.
    const proxyPath =
      "/api/v1/namespaces/monitoring/services/kube-prometheus-stack-prometheus:9090/proxy";
    const fake = await apiServer(async (req) => {
      if (req.headers.authorization !== `Bearer token-${tokens}`)
        return {
          status: 401,
          body: '{"kind":"Status","status":"Failure","message":"Unauthorized","code":401}',
        };
      if (!req.path.startsWith(`${proxyPath}/`))
        return {
          status: 404,
          body: '{"kind":"Status","status":"Failure","message":"the server could not find the requested resource","code":404}',
        };
      const upstream = await fetch(
        `${prometheus.url}${req.path.slice(proxyPath.length)}?${req.query.toString()}`,
      );
      return { status: upstream.status, body: await upstream.text() };
    });
    try {
      const access = { server: `${fake.url}/`, token: async () => `token-${++tokens}` };
      const through = prometheusThroughKubernetes(access);
      expect(through.location).toBe(`${fake.url}${proxyPath}`);
      expect(await through.query('sum by (service) (up{service="slow-blue"})')).toEqual([
        { labels: { service: "slow-blue" }, value: 1 },
      ]);
      expect(await through.query("vector(2)")).toEqual([{ labels: {}, value: 2 }]);
      expect(tokens).toBe(2);
      expect(fake.requests.map((r) => r.path)).toEqual([
        `${proxyPath}/api/v1/query`,
        `${proxyPath}/api/v1/query`,
      ]);
      // Prometheus's own error comes through the proxy.
      await expect(through.query("sum(")).rejects.toThrow(/400 bad_data/);

      // The metric gate through the proxy judges like it does directly.
      const result = await gate("slow", {}, async () => through).check(gateContext());
      expect(result.verdict).toBe("fail");
      expect(result.detail).toContain("p95 975 ms above the 500 ms maximum");

      // A token the API server refuses, and a Service that is not there.
      const stale = prometheusThroughKubernetes({ server: fake.url, token: async () => "old" });
      await expect(stale.query("up")).rejects.toThrow(
        `${fake.url}${proxyPath}: query up: 401 Unauthorized`,
      );
      const elsewhere = prometheusThroughKubernetes(
        { server: fake.url, token: async () => `token-${++tokens}` },
        "observability",
        "prometheus",
        "web",
      );
      await expect(elsewhere.query("up")).rejects.toThrow(
        "/api/v1/namespaces/observability/services/prometheus:web/proxy: query up: 404 the server could not find the requested resource",
      );
      const tokenless = prometheusThroughKubernetes({
        server: fake.url,
        token: () => Promise.reject(new Error("expired credentials")),
      });
      await expect(tokenless.query("up")).rejects.toThrow(
        "no Kubernetes API token: expired credentials",
      );
    } finally {
      await fake.close();
    }
  });
});

/** A port nothing listens on. */
async function freeClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface SeenRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** A loopback HTTP server answering with `handler`, recording each request. */
async function apiServer(
  handler: (
    req: SeenRequest,
  ) => { status: number; body: string } | Promise<{ status: number; body: string }>,
): Promise<{ url: string; requests: SeenRequest[]; close: () => Promise<void> }> {
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const seen = { path: url.pathname, query: url.searchParams, headers: req.headers };
    requests.push(seen);
    void Promise.resolve(handler(seen)).then(
      ({ status, body }) => res.writeHead(status, { "Content-Type": "application/json" }).end(body),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
