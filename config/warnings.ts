/**
 * What synthesis warns about (printed, never fatal): environment files that are valid but need
 * attention soon, such as a Kubernetes version leaving EKS standard support.
 */
import { kubernetesVersionWarning } from "../constructs/kubernetes-versions";
import type { LoadedEnvironment } from "./load";
import type { EnvironmentConfig } from "./schema";

/** One warning about a field of an environment file. */
export interface EnvironmentWarning {
  /** Dotted path of the field, e.g. `cluster.kubernetesVersion`. */
  readonly field: string;
  /** What needs attention and what to do. */
  readonly message: string;
}

/** The warnings of one validated environment file on day `today` (YYYY-MM-DD, UTC). */
export function environmentWarnings(env: EnvironmentConfig, today: string): EnvironmentWarning[] {
  const warnings: EnvironmentWarning[] = [];
  const version = kubernetesVersionWarning(
    env.cluster.kubernetesVersion,
    env.cluster.supportType ?? "STANDARD",
    today,
  );
  if (version) warnings.push({ field: "cluster.kubernetesVersion", message: version });
  return warnings;
}

/** Every warning of every file, one line each: `Warning: <file>: <field>: <message>`. */
export function formatEnvironmentWarnings(
  environments: readonly LoadedEnvironment[],
  today: string,
): string[] {
  return environments.flatMap(({ file, config }) =>
    environmentWarnings(config, today).map((w) => `Warning: ${file}: ${w.field}: ${w.message}`),
  );
}
