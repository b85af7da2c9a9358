/**
 * An external smoke command (a k6 or Playwright run): passes on exit 0. It gets the preview route
 * in its environment: PREVIEW_URL, PREVIEW_HOST, PREVIEW_HEADER (`Name: value`), APP, VERSION,
 * COLOUR, ENVIRONMENT. Its output goes to stderr with the tool's progress.
 */
import { spawn } from "node:child_process";
import type { GateResult } from "../types";
import type { Gate, GateContext } from "./gate";

/** The command gate. */
export function commandGate(command: string, timeoutMs: number, cwd: string): Gate {
  return {
    name: "command",
    kind: "probe",
    check(context: GateContext): Promise<GateResult> {
      const started = Date.now();
      const header = Object.entries(context.target.headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join("\n");
      context.progress(`command: ${command}`);
      return new Promise((resolve) => {
        const child = spawn(command, {
          shell: true,
          cwd,
          stdio: ["ignore", "pipe", "pipe"],
          // its own process group: a timeout stops the shell and everything it started
          detached: true,
          env: {
            ...process.env,
            PREVIEW_URL: context.target.baseUrl,
            PREVIEW_HOST: context.target.host,
            PREVIEW_HEADER: header,
            APP: context.app,
            VERSION: context.version,
            COLOUR: context.colour,
            ENVIRONMENT: context.environment,
          },
        });
        const relay = (chunk: Buffer) =>
          chunk
            .toString("utf8")
            .split("\n")
            .filter((line) => line.trim() !== "")
            .forEach((line) => context.progress(`  | ${line}`));
        child.stdout.on("data", relay);
        child.stderr.on("data", relay);
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-(child.pid ?? 0), "SIGTERM");
          } catch {
            child.kill("SIGTERM");
          }
        }, timeoutMs);
        const finish = (verdict: "pass" | "fail", detail: string) => {
          clearTimeout(timer);
          resolve({
            gate: "command",
            verdict,
            route: context.target.route,
            detail,
            durationMs: Date.now() - started,
          });
        };
        child.on("error", (error) => finish("fail", `${command}: ${error.message}`));
        child.on("close", (code, signal) => {
          if (timedOut) return finish("fail", `${command}: no result within ${timeoutMs / 1000}s`);
          if (code === 0) return finish("pass", `${command}: exit 0`);
          finish("fail", `${command}: ${signal ? `killed by ${signal}` : `exit ${code}`}`);
        });
      });
    },
  };
}
