import { EnvironmentConfigError, loadEnvironments } from "../../config/load";
import { environment, environmentFolder, rawEnvironment } from "../helpers";

function problemsFor(edit: (web: Record<string, any>) => void): string[] {
  const raw = rawEnvironment("staging") as Record<string, any>;
  edit(raw.apps.web);
  try {
    loadEnvironments(environmentFolder({ staging: raw }));
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((l) => l.trim().replace(/^\S+staging\.yaml: /, ""));
  }
  throw new Error("expected the environment file to be rejected");
}

describe("release gates and rollout in the environment file", () => {
  it("defaults to 3 consecutive health probes, no smoke checks, one 5% step and a 5m bake", () => {
    const web = environment("dev", (raw: any) => {
      delete raw.apps.web.gates;
      delete raw.apps.web.rollout;
    }).apps.web;
    expect(web.gates).toEqual({
      health: { consecutive: 3, interval: "2s", timeout: "2m", requestTimeout: "5s" },
      smoke: [],
      metrics: {
        mode: "enforce",
        maxErrorRate: 0.01,
        maxP95: "500ms",
        relative: { errorRate: 0.01, p95: 1.5 },
        minRequests: 50,
        extendWhenInconclusive: 1,
        seriesLabel: "service",
      },
      verifyTraffic: { timeout: "5m" },
    });
    expect(web.rollout).toEqual({ steps: [5], bake: "5m", bakeInterval: "10s" });
  });

  it("reads smoke checks with a default expected status of 200", () => {
    const web = environment("staging", (raw: any) => {
      raw.apps.web.gates = { smoke: [{ path: "/version", body: "6." }] };
    }).apps.web;
    expect(web.gates.smoke).toEqual([{ path: "/version", status: 200, body: "6." }]);
  });

  it("fails when a smoke check, a duration or the canary steps are wrong, naming each", () => {
    expect(
      problemsFor((web) => {
        web.gates = {
          health: { consecutive: 0, timeout: "2 minutes" },
          smoke: [{ path: "version", status: 700, maxLatency: "fast" }],
          command: { run: "" },
        };
        web.rollout = { steps: [50, 25], bake: "5" };
      }),
    ).toEqual([
      "apps.web.gates.health.consecutive: received 0; expected a number >= 1",
      'apps.web.gates.health.timeout: received "2 minutes"; expected a duration such as 500ms, 30s, 5m, 1h or 1m30s',
      'apps.web.gates.smoke[0].path: received "version"; expected an HTTP path starting with /',
      "apps.web.gates.smoke[0].status: received 700; expected a number <= 599",
      'apps.web.gates.smoke[0].maxLatency: received "fast"; expected a duration such as 500ms, 30s, 5m, 1h or 1m30s',
      'apps.web.gates.command.run: received ""; expected a shell command',
      "apps.web.rollout.steps: received [50,25]; expected canary weights in increasing order, such as [5, 25, 50]",
      'apps.web.rollout.bake: received "5"; expected a duration such as 500ms, 30s, 5m, 1h or 1m30s',
    ]);
  });

  it("fails when metric thresholds, notifications or CDN paths are wrong, naming each", () => {
    expect(
      problemsFor((web) => {
        web.gates = {
          metrics: { maxErrorRate: 2, maxP95: "slow", mode: "watch", seriesLabel: "bad-label" },
        };
        web.cdn = { invalidatePaths: ["index.html"] };
      }),
    ).toEqual([
      'apps.web.gates.metrics.mode: received "watch"; expected one of "enforce" | "observe"',
      "apps.web.gates.metrics.maxErrorRate: received 2; expected a number <= 1",
      'apps.web.gates.metrics.maxP95: received "slow"; expected a duration such as 500ms, 30s, 5m, 1h or 1m30s',
      'apps.web.gates.metrics.seriesLabel: received "bad-label"; expected a Prometheus label name',
      'apps.web.cdn.invalidatePaths[0]: received "index.html"; expected a path starting with /, such as /* or /index.html',
    ]);
  });

  it("fails when a notification secret names neither or both of env and file", () => {
    const raw = rawEnvironment("staging") as Record<string, any>;
    raw.notifications = {
      slack: [{ webhookUrl: {} }],
      pagerduty: { routingKey: { env: "PD_KEY", file: "/run/pd" } },
    };
    expect(() => loadEnvironments(environmentFolder({ staging: raw }))).toThrow(
      /notifications\.slack\[0\]\.webhookUrl: received \{\}; expected exactly one of env \(a variable name\) or file \(a path\) holding the secret[\s\S]*notifications\.pagerduty\.routingKey: received .*; expected exactly one of env/,
    );
  });

  it("fails when a canary step is not between 1 and 99", () => {
    expect(problemsFor((web) => (web.rollout = { steps: [0, 100] }))).toEqual([
      "apps.web.rollout.steps[0]: received 0; expected a number >= 1",
      "apps.web.rollout.steps[1]: received 100; expected a number <= 99",
    ]);
  });
});
