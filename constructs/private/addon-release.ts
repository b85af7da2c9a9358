/** What the platform add-on constructs share: the pinned Helm release shape and input patterns. */
import type { Construct } from "constructs";
import { Release } from "@cdktf/provider-helm/lib/release";
import { renderValues, type HelmValues } from "./helm-values";
import type { ProblemList } from "./validation";
import { DNS_LABEL } from "./patterns";

/** An exact chart version: no ranges, no `latest`, no leading `v` (Helm chart versions are bare semver). */
export const EXACT_CHART_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** Adds a problem when `value` is a resolved string that does not match `pattern`. */
export function checkPattern(
  p: ProblemList,
  field: string,
  value: unknown,
  pattern: RegExp,
  expected: string,
): void {
  p.checkValue(value, (v) => typeof v === "string" && pattern.test(v), field, expected);
}

/** Adds a problem when an explicit `namespace` of an add-on is not a DNS-1123 label. */
export function checkNamespace(p: ProblemList, value: string | undefined): void {
  if (value === undefined) return;
  checkPattern(
    p,
    "namespace",
    value,
    DNS_LABEL,
    "a DNS-1123 label: 1-63 lowercase letters, digits and '-'",
  );
}

/** Adds a problem when an explicit chart version is not an exact version. */
export function checkChartVersion(p: ProblemList, value: string | undefined): void {
  if (value === undefined) return;
  checkPattern(
    p,
    "chartVersion",
    value,
    EXACT_CHART_VERSION,
    "an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
  );
}

export interface AddonReleaseOptions {
  /** Helm release name. */
  readonly name: string;
  /** Chart repository URL. */
  readonly repository: string;
  /** Chart name. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Namespace of the release (must exist). */
  readonly namespace: string;
  /** Helm values, rendered with {@link renderValues}. */
  readonly values: HelmValues;
  /** Seconds Helm waits for the release to become ready before rolling back. */
  readonly timeoutSeconds: number;
}

/**
 * A pinned, atomic Helm release: waits for readiness, rolls back and cleans up on failure, keeps a
 * bounded history, never creates its namespace implicitly.
 */
export function addonRelease(scope: Construct, id: string, options: AddonReleaseOptions): Release {
  return new Release(scope, id, {
    name: options.name,
    repository: options.repository,
    chart: options.chart,
    version: options.version,
    namespace: options.namespace,
    createNamespace: false,
    values: [renderValues(options.values)],
    atomic: true,
    wait: true,
    cleanupOnFail: true,
    maxHistory: 5,
    timeout: options.timeoutSeconds,
  });
}
