/**
 * The runbook alert rules against the real Prometheus rule engine (Debian's promtool 2.42):
 * `promtool check rules` on every rule group the Monitoring construct renders, and
 * `promtool test rules` with input series for every runbook alert just above its threshold
 * (fires) and just below it (does not), generated from the thresholds the construct was given,
 * so a rule that can never fire, or fires below its threshold, fails the build.
 *
 * The tested copy keeps each rule's expression, `for` and labels as rendered; its annotations
 * keep the summary only: the descriptions render `$value`, whose exact formatting is not what is
 * under test (`promtool check rules` checks their templates on the groups as rendered).
 */
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Monitoring, type AlertThresholds } from "../../constructs/monitoring";
import {
  DEFAULT_HTTP_METRICS,
  DEFAULT_THRESHOLDS,
  type RuleGroup,
} from "../../constructs/private/monitoring-rules";
import { only, synth, testStack } from "../helpers";

const PROMTOOL = "/usr/bin/promtool";

function promtool(...args: string[]): { status: number | null; output: string } {
  if (!existsSync(PROMTOOL)) {
    throw new Error(
      `${PROMTOOL} not found: the alert rule tests run the real Prometheus rule engine. ` +
        "Install it with `sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus` " +
        "(.ci/run does this in CI).",
    );
  }
  const result = spawnSync(PROMTOOL, args, { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Every rule group the construct puts in `additionalPrometheusRulesMap`, by map entry. */
function renderedRuleGroups(alertThresholds?: AlertThresholds): Record<string, RuleGroup[]> {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  new Monitoring(stack, "monitoring", {
    region: "eu-west-1",
    receivers: {
      critical: { type: "sns", topicArn: "arn:aws:sns:eu-west-1:123456789012:alarms" },
      warning: { type: "sns", topicArn: "arn:aws:sns:eu-west-1:123456789012:alarms" },
    },
    alertThresholds,
  });
  const release = only(synth(stack), "helm_release") as { values: string[] };
  const map = JSON.parse(release.values[0]).additionalPrometheusRulesMap as Record<
    string,
    { groups: RuleGroup[] }
  >;
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.groups]));
}

type Thresholds = Required<AlertThresholds>;
type Side = "above" | "below";

/** Input series that put one alert's expression just above or below its threshold. */
interface Scenario {
  /** promtool input series: `metric{labels}` and its values per 1 m step. */
  readonly series: readonly { series: string; values: string }[];
  /** The labels the alert carries besides alertname and severity. */
  readonly labels: Readonly<Record<string, string>>;
  /** When to look: past the rule's `for` with full rate windows. */
  readonly evalTime: string;
  /** What the expression evaluates to (before the comparison). */
  readonly value: number;
}

const m = DEFAULT_HTTP_METRICS;
const MARGIN = 0.05;
const GIB = 1024 ** 3;
const CADVISOR = 'job="kubelet", metrics_path="/metrics/cadvisor"';
const POD = 'namespace="web", pod="web-blue-0", container="podinfo"';
const sel = (metric: string, labels: string) => `${metric}{${labels}}`;

/**
 * One generator per runbook alert. Counters grow linearly, so rate() over full windows is their
 * slope and ratios of rates are exact; the restart counter jumps once from 0, so increase() over
 * the window is exactly the jump.
 */
const SCENARIOS: Record<string, (t: Thresholds, side: Side) => Scenario> = {
  HttpErrorRateHigh(t, side) {
    // 10000 requests a minute, of which 5xx: the threshold's share, 5% more or less
    const errors = 10000 * t.httpErrorRatio * (side === "above" ? 1 + MARGIN : 1 - MARGIN);
    const job = 'namespace="web", job="web-blue"';
    return {
      series: [
        {
          series: sel(m.requestsTotal, `${job}, ${m.statusLabel}="200"`),
          values: `0+${10000 - errors}x30`,
        },
        {
          series: sel(m.requestsTotal, `${job}, ${m.statusLabel}="500"`),
          values: `0+${errors}x30`,
        },
      ],
      labels: { namespace: "web", job: "web-blue" },
      evalTime: "15m",
      value: errors / 10000,
    };
  },
  HttpLatencyP95High(t, side) {
    // 1000 requests a minute: none up to L/2, 948 (952) up to L, all up to 2L. p95 is the 950th:
    // L + L * 2/52 (above) or L/2 + L/2 * 950/952 (below), by histogram_quantile's interpolation.
    const L = t.latencyP95Seconds;
    const upToL = side === "above" ? 948 : 952;
    const bucket = (le: string, perMinute: number) => ({
      series: sel(m.durationBucket, `namespace="web", job="web-blue", le="${le}"`),
      values: `0+${perMinute}x30`,
    });
    return {
      series: [
        bucket(String(L / 2), 0),
        bucket(String(L), upToL),
        bucket(String(L * 2), 1000),
        bucket("+Inf", 1000),
      ],
      labels: { namespace: "web", job: "web-blue" },
      evalTime: "20m",
      value:
        side === "above"
          ? L + (L * (950 - upToL)) / (1000 - upToL)
          : L / 2 + ((L / 2) * 950) / upToL,
    };
  },
  ContainerCpuNearLimit(t, side) {
    // a limit of 1 core and the threshold's share of it in use, 5% more or less
    const cores = t.cpuLimitRatio * (side === "above" ? 1 + MARGIN : 1 - MARGIN);
    return {
      series: [
        {
          series: sel("container_cpu_usage_seconds_total", `${CADVISOR}, ${POD}`),
          values: `1000+${60 * cores}x40`,
        },
        {
          series: sel(
            "kube_pod_container_resource_limits",
            `job="kube-state-metrics", ${POD}, resource="cpu", unit="core"`,
          ),
          values: "1x40",
        },
      ],
      labels: { namespace: "web", pod: "web-blue-0", container: "podinfo" },
      evalTime: "25m",
      value: cores,
    };
  },
  ContainerMemoryNearLimit(t, side) {
    const ratio = t.memoryLimitRatio * (side === "above" ? 1 + MARGIN : 1 - MARGIN);
    return {
      series: [
        {
          series: sel("container_memory_working_set_bytes", `${CADVISOR}, ${POD}`),
          values: `${Math.round(GIB * ratio)}x20`,
        },
        {
          series: sel(
            "kube_pod_container_resource_limits",
            `job="kube-state-metrics", ${POD}, resource="memory", unit="byte"`,
          ),
          values: `${GIB}x20`,
        },
      ],
      labels: { namespace: "web", pod: "web-blue-0", container: "podinfo" },
      evalTime: "10m",
      value: Math.round(GIB * ratio) / GIB,
    };
  },
  ContainerRestartingOften(t, side) {
    // no restarts for 10 minutes, then one more than the threshold (or exactly the threshold)
    const restarts = side === "above" ? t.restartsIn15m + 1 : t.restartsIn15m;
    return {
      series: [
        {
          series: sel(
            "kube_pod_container_status_restarts_total",
            `job="kube-state-metrics", ${POD}`,
          ),
          values: `0x9 ${restarts}x10`,
        },
      ],
      labels: { namespace: "web", pod: "web-blue-0", container: "podinfo" },
      evalTime: "12m",
      value: restarts,
    };
  },
};

/** The threshold each alert's expression is compared with. */
const THRESHOLD_OF: Record<string, (t: Thresholds) => number> = {
  HttpErrorRateHigh: (t) => t.httpErrorRatio,
  HttpLatencyP95High: (t) => t.latencyP95Seconds,
  ContainerCpuNearLimit: (t) => t.cpuLimitRatio,
  ContainerMemoryNearLimit: (t) => t.memoryLimitRatio,
  ContainerRestartingOften: (t) => t.restartsIn15m,
};

/** The rules as tested: annotations reduced to the summary (see the file comment). */
function testedRules(groups: readonly RuleGroup[]): RuleGroup[] {
  return groups.map((g) => ({
    name: g.name,
    rules: g.rules.map((r) => ({ ...r, annotations: { summary: r.annotations.summary } as never })),
  }));
}

/** One promtool test: the series of `scenario` and whether `rule` fires on them. */
function promtoolTest(
  name: string,
  rule: RuleGroup["rules"][number],
  scenario: Scenario,
  fires: boolean,
) {
  return {
    name,
    interval: "1m",
    input_series: scenario.series,
    alert_rule_test: [
      {
        eval_time: scenario.evalTime,
        alertname: rule.alert,
        exp_alerts: fires
          ? [
              {
                exp_labels: { severity: rule.labels.severity, ...scenario.labels },
                exp_annotations: { summary: rule.annotations.summary },
              },
            ]
          : [],
      },
    ],
  };
}

/** Runs promtool test rules on `groups` with `tests`. */
function runPromtoolTests(groups: readonly RuleGroup[], tests: object[]) {
  const dir = mkdtempSync(join(tmpdir(), "promtool-"));
  try {
    writeFileSync(join(dir, "rules.yml"), JSON.stringify({ groups: testedRules(groups) }));
    writeFileSync(
      join(dir, "tests.yml"),
      JSON.stringify({ rule_files: ["rules.yml"], evaluation_interval: "1m", tests }),
    );
    return promtool("test", "rules", join(dir, "tests.yml"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function boundaryTests(groups: readonly RuleGroup[], thresholds: Thresholds): object[] {
  return groups.flatMap((g) =>
    g.rules.flatMap((rule) =>
      (["above", "below"] as const).map((side) =>
        promtoolTest(
          `${rule.alert} just ${side} its threshold`,
          rule,
          SCENARIOS[rule.alert](thresholds, side),
          side === "above",
        ),
      ),
    ),
  );
}

const rendered = renderedRuleGroups();
const runbook = rendered["platform-runbook"];
const runbookAlerts = runbook.flatMap((g) => g.rules.map((r) => r.alert));

describe("promtool check rules", () => {
  test.each(Object.keys(rendered))("every group of %s as rendered passes", (entry) => {
    const dir = mkdtempSync(join(tmpdir(), "promtool-check-"));
    try {
      const file = join(dir, `${entry}.yml`);
      writeFileSync(file, JSON.stringify({ groups: rendered[entry] }));
      const { status, output } = promtool("check", "rules", file);
      expect(output).toContain("SUCCESS");
      expect(status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("promtool test rules: every runbook alert at its threshold", () => {
  test("every runbook alert has input series (a new alert needs its own)", () => {
    expect(runbookAlerts.length).toBeGreaterThan(0);
    expect(runbookAlerts.filter((a) => !(a in SCENARIOS))).toEqual([]);
    expect(Object.keys(SCENARIOS).sort()).toEqual([...runbookAlerts].sort());
  });

  test("the scenarios sit just above and just below each default threshold", () => {
    for (const alert of runbookAlerts) {
      const threshold = THRESHOLD_OF[alert](DEFAULT_THRESHOLDS);
      expect(SCENARIOS[alert](DEFAULT_THRESHOLDS, "above").value).toBeGreaterThan(threshold);
      expect(SCENARIOS[alert](DEFAULT_THRESHOLDS, "below").value).toBeLessThanOrEqual(threshold);
      // "just": within 5% (restarts: within one)
      expect(SCENARIOS[alert](DEFAULT_THRESHOLDS, "above").value).toBeLessThanOrEqual(
        Math.max(threshold * 1.05 + 1e-9, threshold + 1),
      );
    }
  });

  test("default thresholds (1% errors, p95 500 ms, CPU 80%, memory 90%, 3 restarts): just above fires, just below does not", () => {
    const { status, output } = runPromtoolTests(
      runbook,
      boundaryTests(runbook, DEFAULT_THRESHOLDS),
    );
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });

  const CUSTOM: Thresholds = {
    httpErrorRatio: 0.05,
    latencyP95Seconds: 0.25,
    cpuLimitRatio: 0.5,
    memoryLimitRatio: 0.7,
    restartsIn15m: 5,
  };
  const custom = renderedRuleGroups(CUSTOM)["platform-runbook"];

  test("changed thresholds: the boundary moves with them", () => {
    const { status, output } = runPromtoolTests(custom, boundaryTests(custom, CUSTOM));
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });

  test("changed thresholds: the default boundary's series fire exactly when above the new threshold", () => {
    const tests = custom.flatMap((g) =>
      g.rules.flatMap((rule) =>
        (["above", "below"] as const).map((side) => {
          const scenario = SCENARIOS[rule.alert](DEFAULT_THRESHOLDS, side);
          const fires = scenario.value > THRESHOLD_OF[rule.alert](CUSTOM);
          return promtoolTest(
            `${rule.alert}: default ${side} against ${THRESHOLD_OF[rule.alert](CUSTOM)}`,
            rule,
            scenario,
            fires,
          );
        }),
      ),
    );
    // the custom thresholds sit on both sides of the defaults: some series stop firing, some start
    const fires = tests.map((t: any) => t.alert_rule_test[0].exp_alerts.length > 0);
    expect(fires).toContain(true);
    expect(fires).toContain(false);
    const { status, output } = runPromtoolTests(custom, tests);
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });

  test("a rule that can never fire fails the promtool tests (the check can fail)", () => {
    const broken = runbook.map((g) => ({
      ...g,
      rules: g.rules.map((r) =>
        r.alert === "HttpErrorRateHigh" ? { ...r, expr: r.expr.replace(/> [\d.]+$/, "> 1") } : r,
      ),
    }));
    const { status, output } = runPromtoolTests(broken, boundaryTests(broken, DEFAULT_THRESHOLDS));
    expect(status).not.toBe(0);
    expect(output).toContain("HttpErrorRateHigh just above its threshold");
    expect(output).not.toContain("HttpLatencyP95High just above its threshold");
  });
});
