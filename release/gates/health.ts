/**
 * The health gate: `healthPath` must answer 2xx. In `verify` it probes until N consecutive
 * probes pass (connection errors and timeouts count as failures and reset the count) or the
 * timeout runs out; during a bake each round is one probe, and one failure fails the gate.
 */
import { durationMs as ms } from "../../config/duration";
import type { AppConfig } from "../../config/schema";
import type { GateResult } from "../types";
import { latencySummary, sleep, type Gate, type GateContext } from "./gate";
import { describeProbe, probe } from "./http";

type HealthConfig = AppConfig["gates"]["health"];

/** Health until N consecutive 2xx answers, within the timeout (verify). */
export function healthGate(healthPath: string, config: HealthConfig): Gate {
  const requestTimeout = ms(config.requestTimeout);
  const interval = ms(config.interval);
  const timeout = ms(config.timeout);
  return {
    name: "health",
    kind: "probe",
    async check(context: GateContext): Promise<GateResult> {
      const started = Date.now();
      const latencies: number[] = [];
      let consecutive = 0;
      let probes = 0;
      let last = "";
      for (;;) {
        const result = await probe(context.target, healthPath, requestTimeout);
        probes++;
        latencies.push(result.latencyMs);
        const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
        consecutive = ok ? consecutive + 1 : 0;
        last = describeProbe(result);
        context.progress(
          `health ${context.target.route} GET ${healthPath}: ${last} (${consecutive}/${config.consecutive} in a row)`,
        );
        const spent = Date.now() - started;
        if (consecutive >= config.consecutive) {
          return {
            gate: "health",
            verdict: "pass",
            route: context.target.route,
            detail: `${consecutive} consecutive 2xx on GET ${healthPath} after ${probes} probe(s), ${latencySummary(latencies)}`,
            durationMs: spent,
            latenciesMs: latencies,
          };
        }
        if (spent + interval > timeout) {
          return {
            gate: "health",
            verdict: "fail",
            route: context.target.route,
            detail: `GET ${healthPath}: not ${config.consecutive} consecutive 2xx within ${config.timeout} (${probes} probes, last: ${last})`,
            durationMs: spent,
            latenciesMs: latencies,
          };
        }
        await sleep(interval);
      }
    },
  };
}

/** One health probe (a bake round). */
export function healthProbe(healthPath: string, config: HealthConfig): Gate {
  const requestTimeout = ms(config.requestTimeout);
  return {
    name: "health",
    kind: "probe",
    async check(context: GateContext): Promise<GateResult> {
      const result = await probe(context.target, healthPath, requestTimeout);
      const ok = result.status !== undefined && result.status >= 200 && result.status < 300;
      return {
        gate: "health",
        verdict: ok ? "pass" : "fail",
        route: context.target.route,
        detail: `GET ${healthPath}: ${describeProbe(result)}${ok ? "" : " (expected 2xx)"}`,
        durationMs: result.latencyMs,
        latenciesMs: [result.latencyMs],
      };
    },
  };
}
