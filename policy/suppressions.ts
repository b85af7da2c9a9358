/**
 * Suppressions and the tier a stack is checked as, both recorded on constructs.
 *
 * A suppression names one rule and carries a written reason; it applies to the construct it is
 * added to and to everything below it. A suppression naming an unknown rule, or without a reason,
 * is refused at once (a {@link ValidationError} naming the construct).
 */
import type { IConstruct } from "constructs";
import { ProblemList, throwIfProblems } from "../constructs/private/validation";
import type { PolicyTier } from "./rule";
import { RULES } from "./rules";

/** One rule switched off below a construct, and why. */
export interface PolicySuppression {
  /** The rule id, e.g. `iam-no-wildcard-resource`. */
  readonly rule: string;
  /** Why the finding is acceptable here: read by reviewers, printed in reports. At least 10 characters. */
  readonly reason: string;
}

/** A suppression as recorded, with the construct it was added to. */
export interface RecordedSuppression extends PolicySuppression {
  /** Construct path the suppression applies to (and below). */
  readonly path: string;
}

export const SUPPRESSIONS_METADATA = "platform:policy-suppressions";
export const TIER_METADATA = "platform:policy-tier";
const MIN_REASON = 10;

/**
 * Suppresses rules for a construct and everything below it. Throws when a rule id is unknown or a
 * reason is missing or shorter than 10 characters.
 */
export function suppressPolicy(scope: IConstruct, ...suppressions: PolicySuppression[]): void {
  const problems = new ProblemList();
  const known = new Set(RULES.map((r) => r.id));
  suppressions.forEach((s, i) => {
    problems.check(
      known.has(s.rule),
      `policySuppressions[${i}].rule`,
      s.rule,
      "the id of a rule of the policy pack (README, Policy)",
    );
    problems.check(
      typeof s.reason === "string" && s.reason.trim().length >= MIN_REASON,
      `policySuppressions[${i}].reason`,
      s.reason,
      `a written reason of at least ${MIN_REASON} characters`,
    );
  });
  throwIfProblems(scope, problems.problems);
  for (const s of suppressions)
    scope.node.addMetadata(
      SUPPRESSIONS_METADATA,
      { rule: s.rule, reason: s.reason.trim() },
      {
        stackTrace: false,
      },
    );
}

/** Records the tier a stack (or every stack below a scope) is checked as. */
export function setPolicyTier(scope: IConstruct, tier: PolicyTier): void {
  scope.node.addMetadata(TIER_METADATA, tier, { stackTrace: false });
}

/** The tier recorded on the construct or its nearest ancestor. @default "production" */
export function policyTierOf(scope: IConstruct): PolicyTier {
  for (const node of [...scope.node.scopes].reverse()) {
    const entry = node.node.metadata.filter((m) => m.type === TIER_METADATA).pop();
    if (entry) return entry.data as PolicyTier;
  }
  return "production";
}

/**
 * Every suppression that applies within a stack: on its ancestors and on constructs below it
 * (`nodes`: the stack's constructs, when the caller has walked them already).
 */
export function suppressionsWithin(
  stack: IConstruct,
  nodes: readonly IConstruct[] = stack.node.findAll(),
): RecordedSuppression[] {
  const found: RecordedSuppression[] = [];
  const ancestors = stack.node.scopes.slice(0, -1);
  for (const node of [...ancestors, ...nodes]) {
    for (const entry of node.node.metadata) {
      if (entry.type !== SUPPRESSIONS_METADATA) continue;
      const data = entry.data as PolicySuppression;
      found.push({ path: node.node.path, rule: data.rule, reason: data.reason });
    }
  }
  return found;
}
