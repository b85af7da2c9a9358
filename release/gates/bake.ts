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
  /** How many times an inconclusive window gate extends the bake before it fails. @default 0 */
  readonly extendWhenInconclusive?: number;
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

/**
 * Runs the bake. Each round: every probe gate on every route (any non-pass fails the bake), then
 * every window gate over the window so far, on the first route (a `fail` fails at once, an
 * `inconclusive` may still turn). When the time is up, a window gate still inconclusive extends
 * the bake by its duration (`extendWhenInconclusive` times), then fails it. Observe-mode gates
 * are logged and journalled, never acted on.
 */
export async function bake(options: BakeOptions): Promise<BakeOutcome> {
  const started = Date.now();
  let end = started + options.durationMs;
  let extensionsLeft = options.extendWhenInconclusive ?? 0;
  const probes = options.gates.filter((g) => g.kind === "probe");
  const windows = options.gates.filter((g) => g.kind === "window");
  const seen = new Map<string, GateResult[]>();
  const lastWindow = new Map<string, GateResult>();
  /** Records a result; returns it when it stops the bake now. */
  const judge = (gate: Gate, raw: GateResult): GateResult | undefined => {
    const observed = gate.mode === "observe";
    const result = observed ? { ...raw, observed: true } : raw;
    if (gate.kind === "window") lastWindow.set(`${result.gate}\u0000${result.route}`, result);
    else {
      const key = `${result.gate}\u0000${result.route}`;
      seen.set(key, [...(seen.get(key) ?? []), result]);
    }
    if (result.verdict === "pass") return undefined;
    if (observed) {
      options.progress(
        `observe mode: ${result.gate} would have ${result.verdict === "fail" ? "failed" : "been inconclusive"}: ${result.detail}`,
      );
      return undefined;
    }
    if (gate.kind === "window" && result.verdict === "inconclusive") return undefined;
    return result;
  };
  let rounds = 0;
  let failure: GateResult | undefined;
  for (;;) {
    rounds++;
    for (const context of options.contexts) {
      for (const gate of probes) {
        failure = judge(gate, await gate.check(context));
        if (failure) break;
      }
      if (failure) break;
    }
    if (!failure && options.contexts.length > 0) {
      const window = { startMs: started, endMs: Date.now() };
      for (const gate of windows) {
        failure = judge(gate, await gate.check({ ...options.contexts[0], window }));
        if (failure) break;
      }
    }
    if (failure) break;
    const left = Math.max(0, end - Date.now());
    const checks = [...seen.values()].reduce((n, list) => n + list.length, 0) + lastWindow.size;
    options.progress(
      `${options.label}: round ${rounds}, ${checks} checks passed, ${formatDuration(left)} left`,
    );
    if (left <= 0) {
      const undecided = windows.find(
        (g) =>
          g.mode !== "observe" &&
          [...lastWindow.values()].some((r) => r.gate === g.name && r.verdict === "inconclusive"),
      );
      if (!undecided) break;
      const result = [...lastWindow.values()].find((r) => r.gate === undecided.name)!;
      if (extensionsLeft <= 0) {
        failure = result;
        break;
      }
      extensionsLeft--;
      const extra = Math.max(options.durationMs, options.intervalMs);
      end = Date.now() + extra;
      options.progress(
        `${options.label}: ${result.gate} inconclusive (${result.detail}): bake extended by ${formatDuration(extra)}`,
      );
    }
    await options.onRound?.();
    await sleep(Math.min(options.intervalMs, Math.max(0, end - Date.now())));
  }
  const results = [...[...seen.values()].map(aggregate), ...lastWindow.values()];
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
