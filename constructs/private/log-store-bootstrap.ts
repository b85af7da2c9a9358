/**
 * What the log store's bootstrap Job applies to the OpenSearch domain, as data: the ISM retention
 * policy, the index template of the log indexes, the security plugin's roles and role mappings of
 * the platform's IAM roles, and OpenSearch Dashboards' saved objects. The Job's script
 * (`constructs/jobs/log-store-bootstrap.cjs`) applies each item idempotently. Pure functions.
 */
import type { Tier } from "../types";
import type { Problem } from "./validation";

/** Days a daily log index is kept when `retentionDays` is not given. */
export function defaultLogIndexRetentionDays(tier: Tier): number {
  return tier === "production" ? 30 : 7;
}

/** The bounds of `retentionDays`. */
export const LOG_INDEX_RETENTION_LIMITS = { min: 1, max: 3650 } as const;

/** Every problem with the bootstrap's settings (fields as in the `logs` section). */
export function logStoreBootstrapProblems(settings: {
  readonly retentionDays?: number;
}): Problem[] {
  const problems: Problem[] = [];
  const days = settings.retentionDays;
  if (
    days !== undefined &&
    !(
      Number.isInteger(days) &&
      days >= LOG_INDEX_RETENTION_LIMITS.min &&
      days <= LOG_INDEX_RETENTION_LIMITS.max
    )
  ) {
    problems.push({
      field: "retentionDays",
      received: days,
      expected: `an integer number of days from ${LOG_INDEX_RETENTION_LIMITS.min} to ${LOG_INDEX_RETENTION_LIMITS.max} (how long a daily log index is kept)`,
    });
  }
  return problems;
}
