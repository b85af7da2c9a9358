/**
 * Running policy rules over small stacks in tests: build resources with the real provider classes
 * (so attribute names are the provider's), synthesize, and check with one rule or the whole pack.
 */
import { Testing, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkStack, type PolicyFinding, type PolicyResult } from "../../policy/check";
import type { PolicyRule, PolicyTier } from "../../policy/rule";
import { RULES } from "../../policy/rules";

/** A rule of the pack by id (fails the test when there is none). */
export function rule(id: string): PolicyRule {
  const found = RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
}

/** Synthesizes a stack built by `build` and checks it with the given rules (default: all). */
export function checkBuilt(
  build: (stack: TerraformStack) => void,
  options: { readonly rules?: readonly PolicyRule[]; readonly tier?: PolicyTier } = {},
): PolicyResult {
  const stack = new TerraformStack(Testing.app(), "policy-test");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  build(stack);
  return checkStack(stack, JSON.parse(Testing.synth(stack)), options);
}

/** The problems one rule finds in a stack built by `build`, as `<construct path>: <problem>`. */
export function problems(
  id: string,
  build: (stack: TerraformStack) => void,
  tier: PolicyTier = "production",
): string[] {
  return checkBuilt(build, { rules: [rule(id)], tier }).findings.map(
    (f: PolicyFinding) => `${f.path.replace(/^policy-test\//, "")}: ${f.problem}`,
  );
}
