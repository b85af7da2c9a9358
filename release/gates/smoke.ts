/**
 * Smoke checks: per-app HTTP checks from the environment file (path, expected status, optional
 * body substring, optional latency ceiling). Each check is its own gate.
 */
import type { AppConfig } from "../../config/schema";
import type { GateResult } from "../types";
import type { Gate, GateContext } from "./gate";
import { describeProbe, probe } from "./http";
import { durationMs } from "../../config/duration";

type SmokeCheck = AppConfig["gates"]["smoke"][number];

/** One gate per smoke check. */
export function smokeGates(checks: readonly SmokeCheck[], requestTimeout: string): Gate[] {
  const timeout = durationMs(requestTimeout);
  return checks.map((check) => {
    const name = `smoke GET ${check.path}`;
    const maxLatency = check.maxLatency === undefined ? undefined : durationMs(check.maxLatency);
    return {
      name,
      kind: "probe",
      async check(context: GateContext): Promise<GateResult> {
        const result = await probe(context.target, check.path, Math.max(timeout, maxLatency ?? 0));
        const problems: string[] = [];
        if (result.status !== check.status) problems.push(`expected status ${check.status}`);
        if (check.body !== undefined && !result.body.includes(check.body)) {
          problems.push(`body without ${JSON.stringify(check.body)}`);
        }
        if (maxLatency !== undefined && result.latencyMs > maxLatency) {
          problems.push(`slower than ${check.maxLatency}`);
        }
        return {
          gate: name,
          verdict: problems.length === 0 ? "pass" : "fail",
          route: context.target.route,
          detail: `${describeProbe(result)}${problems.length ? `: ${problems.join(", ")}` : ""}`,
          durationMs: result.latencyMs,
          latenciesMs: [result.latencyMs],
        };
      },
    };
  });
}
