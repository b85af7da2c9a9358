/**
 * A whole release on loopback with the metric gate against a real Prometheus server scraping
 * the harness's podinfo-like colours (`/metrics`), under steady live traffic through the fake
 * ALB: a healthy canary runs to promoted; a canary whose error rate passes 1% is rolled back by
 * the metric gate while its health and smoke probes still pass.
 */
import { request } from "node:http";
import { prometheusAt } from "../../release/prometheus";
import { startPrometheus, type PrometheusServer } from "../support/prometheus";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(120_000);

/** The staging fixture with the metric gate on, judging small loopback traffic. */
const metricsOn = (text: string) =>
  text
    // only the health probes: the metric gate alone judges the canary's real traffic
    .replace(/      smoke:\n(        - .*\n)+/, "      smoke: []\n")
    .replace(
      "      metrics: false",
      "      metrics: { maxErrorRate: 0.01, maxP95: 500ms, minRequests: 20, extendWhenInconclusive: 1 }",
    )
    .replace(
      "    rollout: { steps: [ 10 ], bake: 0s, bakeInterval: 20ms }",
      "    rollout: { steps: [ 10 ], bake: 6s, bakeInterval: 500ms }",
    );

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
afterEach(async () => {
  stopTraffic?.();
  await prometheus?.stop();
  await fixture?.stop();
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
  return {
    f,
    release: (argv: string[]) =>
      f.release(argv, { extra: { prometheus: async () => prom }, metricsMinRangeSeconds: 3 }),
  };
}

describe("release with the metric gate against a real Prometheus", () => {
  it("promotes a healthy canary, printing each sample", async () => {
    const { f, release } = await setUp();
    const outcome = await release(["run", "staging", "web", "6.8.0"]);
    expect(outcome.code).toBe(0);
    expect(outcome.stderr.some((l) => /metrics/.test(l) && /web-blue/.test(l))).toBe(true);
    const baked = f.journal().filter((e) => e.step === "baked");
    const metrics = baked[0].gates?.find((g) => g.gate === "metrics");
    expect(metrics).toMatchObject({ verdict: "pass" });
    expect(metrics?.samples?.canaryRequests).toBeGreaterThanOrEqual(20);
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });
  });

  it("rolls back a canary whose error rate passes 1% although its probes pass", async () => {
    const { f, release } = await setUp({ "6.8.3": { errorRate: 0.05 } });
    const outcome = await release(["run", "staging", "web", "6.8.3"]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.at(-1)).toMatch(
      /failed and rolled back: metrics failed on the live route during the 10% bake: .*error/,
    );
    const failed = f.journal().find((e) => e.step === "baked" && e.outcome === "failed");
    const metrics = failed?.gates?.find((g) => g.gate === "metrics");
    expect(metrics?.verdict).toBe("fail");
    expect(metrics?.samples?.canaryErrorRate).toBeGreaterThan(0.01);
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
    expect(f.text()).toContain("canaryWeight: 0");
  });
});
