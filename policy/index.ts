/**
 * The policy pack (DESIGN.md section 7): rules over synthesized stacks, suppressions with reasons,
 * and the synthesis gate that runs them.
 */
export type {
  PolicyRule,
  PolicyResource,
  PolicyTier,
  RuleContext,
  Severity,
  Violation,
} from "./rule";
export { resourceRule } from "./rule";
export { RULES } from "./rules";
export { suppressPolicy, setPolicyTier, type PolicySuppression } from "./suppressions";
export { checkStack, type PolicyFinding, type PolicyResult, type SuppressedFinding } from "./check";
export { synthesizeWithPolicy, type PolicySynthResult } from "./synth";
