import { writeFileSync } from "node:fs";
import type { App } from "cdktf";
import { PLATFORM_VERSION } from "../version";
import { EnvironmentConfigError } from "../config/load";
import { ValidationError } from "../constructs/private/validation";
import { formatPolicyReport, policyJson, policySarif } from "../policy/report";
import { synthesizeWithPolicy, type PolicySynthResult } from "../policy/synth";
import { buildApp, type PlatformAppOptions } from "./app";

/** Options of {@link runMain}. */
export interface RunOptions extends PlatformAppOptions {
  /**
   * Where to write the policy findings as JSON; the SARIF file goes next to it (`.sarif`).
   * @default PLATFORM_POLICY_REPORT, else no files
   */
  readonly policyReport?: string;
}

/** `policy.json` -> `policy.sarif` (any other name gets `.sarif` appended). */
export function sarifPath(jsonPath: string): string {
  return jsonPath.endsWith(".json") ? `${jsonPath.slice(0, -5)}.sarif` : `${jsonPath}.sarif`;
}

/**
 * Synthesizes an app through the policy pack: writes the JSON and SARIF reports when asked, prints
 * the findings to stderr, and on an `error` finding sets exit code 1 and returns undefined (the
 * output folder is left as it was).
 */
export function synthesizeAndReport(
  app: App,
  policyReport?: string,
): PolicySynthResult | undefined {
  const policy = synthesizeWithPolicy(app);
  const report = policyReport ?? (process.env.PLATFORM_POLICY_REPORT || undefined);
  if (report) {
    writeFileSync(report, policyJson(policy));
    writeFileSync(sarifPath(report), policySarif(policy, { version: PLATFORM_VERSION }));
  }
  if (policy.findings.length > 0 || policy.unusedSuppressions.length > 0)
    process.stderr.write(`${formatPolicyReport(policy)}\n`);
  if (!policy.written) {
    process.exitCode = 1;
    return undefined;
  }
  return policy;
}

/**
 * Builds the app, synthesizes it through the policy pack and prints its warnings to stderr (they
 * never fail synthesis). A configuration or construct validation error prints its one complete
 * message and exits 1 before any stack is written; so does a policy error, with one report of
 * every finding.
 */
export function runMain(
  options: RunOptions = {},
): (ReturnType<typeof buildApp> & { policy: PolicySynthResult }) | undefined {
  try {
    const built = buildApp(options);
    const policy = synthesizeAndReport(built.app, options.policyReport);
    if (!policy) return undefined;
    for (const warning of built.warnings) process.stderr.write(`${warning}\n`);
    return { ...built, policy };
  } catch (error) {
    if (error instanceof EnvironmentConfigError || error instanceof ValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return undefined;
    }
    throw error;
  }
}
