/**
 * The metric gate (a `window` gate): over the bake window, the canary colour's HTTP error rate and
 * p95 latency from Prometheus, judged against absolute thresholds and against the stable colour
 * over the same window (the comparison plain threshold gates lack, as in Kayenta's canary judge).
 *
 * The series are podinfo's (6.7.1, `pkg/api/http/metrics.go`): the counter
 * `http_requests_total{status}` (status is the numeric HTTP code, e.g. `"200"`, `"503"`) and the
 * histogram `http_request_duration_seconds{method,path,status}` (client_golang default buckets).
 * A colour's series carry `<seriesLabel>="<app>-<colour>"`: the platform's ServiceMonitor per
 * colour makes Prometheus label them with the colour's Service name (`service="web-blue"`, see
 * `defaultColourValues` in `constructs/blue-green-release.ts`).
 */
import { durationMs, formatDuration } from "../../config/duration";
import type { AppConfig } from "../../config/schema";
import { httpQueries, type HttpQueries } from "../../constructs/private/http-queries";
import type { Colour } from "../../constructs/private/traffic";
import type { GateResult, PrometheusQuery } from "../types";
import type { Gate, GateContext } from "./gate";

/** The parsed `apps.<app>.gates.metrics` settings (when the gate is on). */
export type MetricsConfig = Exclude<AppConfig["gates"]["metrics"], false>;

/**
 * The shortest range `rate()`/`increase()` are given: 4 scrape intervals of the Prometheus
 * Operator's default 15 s (fewer than two samples in the range yield nothing).
 */
export const DEFAULT_MIN_RANGE_SECONDS = 60;

/** What the metric gate compares. */
export interface MetricGateOptions {
  /** App name: a colour's series are `<seriesLabel>="<app>-<colour>"`. */
  readonly app: string;
  /** The colour serving most traffic (the baseline). */
  readonly stableColour: Colour;
  /** The colour under test. */
  readonly canaryColour: Colour;
  /** The environment's Prometheus, undefined when none can be reached. */
  readonly prometheus: () => Promise<PrometheusQuery | undefined>;
  /** Shortest query range in seconds (see {@link DEFAULT_MIN_RANGE_SECONDS}). @default 60 */
  readonly minRangeSeconds?: number;
}

/** The three PromQL queries of one colour (the dashboards draw the same text). */
export type MetricQueries = HttpQueries;

/**
 * The queries for the series `<seriesLabel>="<series>"` over the last `rangeSeconds`: the shared
 * {@link httpQueries}, which the Grafana Release and Application dashboards draw too.
 */
export function metricQueries(
  seriesLabel: string,
  series: string,
  rangeSeconds: number,
): MetricQueries {
  return httpQueries(seriesLabel, series, `${rangeSeconds}s`);
}

/** What was measured for one colour. */
interface ColourMetrics {
  readonly series: string;
  readonly requests: number;
  /** Undefined without requests. */
  readonly errorRate?: number;
  /** Milliseconds; undefined when the histogram has no observations (NaN) or no series. */
  readonly p95Ms?: number;
}

const percent = (rate: number) => `${Number((rate * 100).toFixed(2))}%`;
const millis = (ms: number) => (Number.isFinite(ms) ? `${Math.round(ms)} ms` : `${ms} ms`);

/** The metric gate over the bake window (`context.window`, evaluated at its end). */
export function metricGate(config: MetricsConfig, options: MetricGateOptions): Gate {
  const maxP95Ms = durationMs(config.maxP95);
  const floor = options.minRangeSeconds ?? DEFAULT_MIN_RANGE_SECONDS;
  const mode = config.mode;
  const name = "metrics";
  return {
    name,
    kind: "window",
    mode,
    async check(context: GateContext): Promise<GateResult> {
      const started = Date.now();
      const endMs = context.window?.endMs ?? started;
      const startMs = context.window?.startMs ?? endMs;
      const rangeSeconds = Math.max(floor, Math.ceil((endMs - startMs) / 1000));
      const result = (
        verdict: GateResult["verdict"],
        detail: string,
        samples?: Record<string, number>,
      ): GateResult => ({
        gate: name,
        verdict,
        route: context.target.route,
        detail,
        durationMs: Date.now() - started,
        ...(samples ? { samples } : {}),
        ...(mode === "observe" ? { observed: true } : {}),
      });

      let prometheus: PrometheusQuery | undefined;
      try {
        prometheus = await options.prometheus();
      } catch (error) {
        return result(
          "inconclusive",
          `no Prometheus reachable: ${(error as Error).message}; the canary could not be judged on its metrics`,
        );
      }
      if (!prometheus) {
        return result(
          "inconclusive",
          "no Prometheus reachable (none configured: --prometheus-url, or a cluster to reach the in-cluster service through); the canary could not be judged on its metrics",
        );
      }

      const measure = async (role: string, colour: Colour): Promise<ColourMetrics> => {
        const series = `${options.app}-${colour}`;
        const queries = metricQueries(config.seriesLabel, series, rangeSeconds);
        const at = endMs / 1000;
        const scalar = async (promql: string): Promise<number | undefined> => {
          const samples = await prometheus.query(promql, at);
          const value = samples[0]?.value;
          return value === undefined || Number.isNaN(value) ? undefined : value;
        };
        const label = `metrics ${role} ${series}`;
        const requests = (await scalar(queries.requests)) ?? 0;
        context.progress(`${label}: ${Math.round(requests)} requests in ${rangeSeconds}s`);
        const errors = (await scalar(queries.errors)) ?? 0;
        const errorRate = requests > 0 ? Math.min(1, errors / requests) : undefined;
        context.progress(
          `${label}: ${Math.round(errors)} 5xx${errorRate === undefined ? "" : ` (${percent(errorRate)})`}`,
        );
        const p95Seconds = await scalar(queries.p95);
        const p95Ms = p95Seconds === undefined ? undefined : p95Seconds * 1000;
        context.progress(
          `${label}: p95 ${p95Ms === undefined ? "no latency observations" : millis(p95Ms)}`,
        );
        return { series, requests, errorRate, p95Ms };
      };

      let canary: ColourMetrics;
      let stable: ColourMetrics;
      try {
        canary = await measure("canary", options.canaryColour);
        stable = await measure("stable", options.stableColour);
      } catch (error) {
        return result(
          "inconclusive",
          `Prometheus at ${prometheus.location} could not be queried: ${(error as Error).message}; the canary could not be judged on its metrics`,
        );
      }

      const samples: Record<string, number> = {
        canaryRequests: Math.round(canary.requests),
        stableRequests: Math.round(stable.requests),
        rangeSeconds,
      };
      if (canary.errorRate !== undefined) samples.canaryErrorRate = canary.errorRate;
      if (canary.p95Ms !== undefined) samples.canaryP95Ms = canary.p95Ms;
      if (stable.errorRate !== undefined) samples.stableErrorRate = stable.errorRate;
      if (stable.p95Ms !== undefined) samples.stableP95Ms = stable.p95Ms;

      const comparable = stable.requests >= config.minRequests;
      const canaryText =
        `canary ${canary.series}: ${Math.round(canary.requests)} requests` +
        (canary.errorRate === undefined
          ? ""
          : `, ${percent(canary.errorRate)} errors (max ${percent(config.maxErrorRate)})`) +
        `, p95 ${canary.p95Ms === undefined ? "unknown" : millis(canary.p95Ms)} (max ${millis(maxP95Ms)})`;
      const stableText = comparable
        ? `stable ${stable.series}: ${Math.round(stable.requests)} requests, ` +
          `${percent(stable.errorRate ?? 0)} errors, p95 ${stable.p95Ms === undefined ? "unknown" : millis(stable.p95Ms)}`
        : `stable ${stable.series}: ${Math.round(stable.requests)} requests (fewer than ${config.minRequests}, not compared)`;
      const over = `over ${formatDuration(rangeSeconds * 1000)}`;
      const numbers = `${canaryText}; ${stableText} (${over})`;

      if (canary.requests < config.minRequests) {
        return result(
          "inconclusive",
          `too little traffic to judge: canary ${canary.series} had ${Math.round(canary.requests)} requests ${over}, fewer than the ${config.minRequests} needed; ${stableText}`,
          samples,
        );
      }

      const broken: string[] = [];
      const errorRate = canary.errorRate ?? 0;
      if (errorRate > config.maxErrorRate)
        broken.push(
          `error rate ${percent(errorRate)} above the ${percent(config.maxErrorRate)} maximum`,
        );
      if (canary.p95Ms !== undefined && canary.p95Ms > maxP95Ms)
        broken.push(`p95 ${millis(canary.p95Ms)} above the ${millis(maxP95Ms)} maximum`);
      if (comparable) {
        const stableRate = stable.errorRate ?? 0;
        if (errorRate > stableRate + config.relative.errorRate)
          broken.push(
            `error rate ${percent(errorRate)} more than ${percent(config.relative.errorRate)} above stable's ${percent(stableRate)}`,
          );
        if (
          canary.p95Ms !== undefined &&
          stable.p95Ms !== undefined &&
          canary.p95Ms > stable.p95Ms * config.relative.p95
        )
          broken.push(
            `p95 ${millis(canary.p95Ms)} above ${config.relative.p95}x stable's ${millis(stable.p95Ms)} (${millis(stable.p95Ms * config.relative.p95)})`,
          );
      }
      if (broken.length > 0) {
        return result("fail", `canary ${broken.join("; ")}: ${numbers}`, samples);
      }
      if (canary.p95Ms === undefined) {
        return result(
          "inconclusive",
          `no latency observations for canary ${canary.series} (http_request_duration_seconds_bucket with ${config.seriesLabel}="${canary.series}"): ${numbers}`,
          samples,
        );
      }
      return result("pass", numbers, samples);
    },
  };
}
