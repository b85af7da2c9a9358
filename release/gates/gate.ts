/**
 * The gate interface. A gate judges one colour of an app on one route and returns a verdict.
 * `probe` gates are quick checks (health, smoke): run once each in `verify` (health until it
 * passes N times in a row) and every bake interval on both routes; `window` gates judge the
 * whole bake window at its end (metric gates: error rate and latency over the window).
 */
import type { Colour } from "../../constructs/private/traffic";
import type { GateResult } from "../types";
import type { HttpTarget } from "./http";

/** What a gate checks and where. */
export interface GateContext {
  readonly environment: string;
  readonly app: string;
  /** The version under test (the idle colour's). */
  readonly version: string;
  /** The colour under test. */
  readonly colour: Colour;
  /** The route the check runs against. */
  readonly target: HttpTarget;
  /** Progress lines (stderr). */
  readonly progress: (line: string) => void;
  /** The bake window so far (window gates). */
  readonly window?: { readonly startMs: number; readonly endMs: number };
}

/** One gate. */
export interface Gate {
  /** Name in progress lines and the journal, e.g. `health`, `smoke GET /version`. */
  readonly name: string;
  /** `probe`: repeated during a bake; `window`: judged over the bake window so far. */
  readonly kind: "probe" | "window";
  /** `observe`: the verdict is logged and journalled, never acted on. @default "enforce" */
  readonly mode?: "enforce" | "observe";
  /** Runs the check; never throws for a failing app (that is a `fail` verdict). */
  check(context: GateContext): Promise<GateResult>;
}

/** Median and maximum of latencies, for details: `p50 12 ms, max 40 ms`. */
export function latencySummary(latencies: readonly number[]): string {
  if (latencies.length === 0) return "no latencies";
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${sorted[Math.floor((sorted.length - 1) / 2)]} ms, max ${sorted[sorted.length - 1]} ms`;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
