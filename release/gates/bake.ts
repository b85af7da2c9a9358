/**
 * The bake: for its duration, every interval, each probe gate runs against every route given
 * (the live route, and the canary directly through the preview route while it is still the idle
 * colour); one failure ends the bake. Window gates then judge the whole window. A bake of 0s
 * is one round.
 */
import { formatDuration } from "../../config/duration";
import type { GateResult } from "../types";
import { latencySummary, sleep, type Gate, type GateContext } from "./gate";

/** What a bake watches. */
export interface BakeOptions {
  /** How long to watch. */
  readonly durationMs: number;
  /** Time between rounds. */
  readonly intervalMs: number;
  /** Gates, probe and window. */
  readonly gates: readonly Gate[];
  /** One context per route watched. */
  readonly contexts: readonly GateContext[];
  /** Label for progress lines, e.g. `bake 5% green 6.8.0`. */
  readonly label: string;
  /** Progress lines. */
  readonly progress: (line: string) => void;
  /** Called between rounds (the lock is renewed there). */
  readonly onRound?: () => Promise<void>;
}

/** The outcome of a bake. */
export interface BakeOutcome {
  readonly passed: boolean;
  /** One aggregated result per gate and route, failures first. */
  readonly results: GateResult[];
  /** The first failure, when there is one. */
  readonly failure?: GateResult;
  readonly rounds: number;
  readonly durationMs: number;
}

/** Runs the bake. */
export async function bake(options: BakeOptions): Promise<BakeOutcome> {
  const started = Date.now();
  const end = started + options.durationMs;
  const probes = options.gates.filter((g) => g.kind === "probe");
  const windows = options.gates.filter((g) => g.kind === "window");
  const seen = new Map<string, GateResult[]>();
  const record = (result: GateResult) => {
    const key = `${result.gate}\u0000${result.route}`;
    seen.set(key, [...(seen.get(key) ?? []), result]);
  };
  let rounds = 0;
  let failure: GateResult | undefined;
  do {
    rounds++;
    for (const context of options.contexts) {
      for (const gate of probes) {
        const result = await gate.check(context);
        record(result);
        if (result.verdict !== "pass") {
          failure = result;
          break;
        }
      }
      if (failure) break;
    }
    if (failure) break;
    const left = Math.max(0, end - Date.now());
    const checks = [...seen.values()].reduce((n, list) => n + list.length, 0);
    options.progress(
      `${options.label}: round ${rounds}, ${checks} checks passed, ${formatDuration(left)} left`,
    );
    if (left <= 0) break;
    await options.onRound?.();
    await sleep(Math.min(options.intervalMs, left));
  } while (Date.now() < end || rounds === 0);

  if (!failure) {
    for (const context of options.contexts) {
      for (const gate of windows) {
        const result = await gate.check({
          ...context,
          window: { startMs: started, endMs: Date.now() },
        });
        record(result);
        if (result.verdict !== "pass") failure ??= result;
      }
    }
  }
  const results = [...seen.values()].map(aggregate);
  results.sort((a, b) => Number(a.verdict === "pass") - Number(b.verdict === "pass"));
  return { passed: !failure, results, failure, rounds, durationMs: Date.now() - started };
}

/** Many results of one gate on one route as one: the failure if any, else counts and latencies. */
function aggregate(list: readonly GateResult[]): GateResult {
  const failed = list.find((r) => r.verdict !== "pass");
  const latencies = list.flatMap((r) => r.latenciesMs ?? []);
  const durationMs = list.reduce((sum, r) => sum + r.durationMs, 0);
  if (failed) {
    return {
      ...failed,
      detail: `${failed.detail} (check ${list.indexOf(failed) + 1} of ${list.length})`,
      durationMs,
    };
  }
  return {
    gate: list[0].gate,
    verdict: "pass",
    route: list[0].route,
    detail: `${list.length}/${list.length} passed${latencies.length ? `, ${latencySummary(latencies)}` : ""}`,
    durationMs,
    latenciesMs: latencies,
  };
}
