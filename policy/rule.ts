/**
 * The shape of a policy rule: what it checks (over the synthesized Terraform JSON of one stack),
 * how bad a violation is, why it matters and which published control it mirrors.
 */

/** `error` fails synthesis; `warning` is printed and never fatal. */
export type Severity = "error" | "warning";

/** The tier a stack is checked as (DESIGN.md section 7): production adds the production-only rules. */
export type PolicyTier = "development" | "production";

/** One resource (or data source) of a synthesized stack, as Terraform JSON. */
export interface PolicyResource {
  /** Terraform type, e.g. `aws_s3_bucket`. */
  readonly type: string;
  /** Terraform name (cdktf's logical id), e.g. `site_content-bucket_CBC713C1`. */
  readonly name: string;
  /** Terraform address, e.g. `aws_s3_bucket.site_content-bucket_CBC713C1` (`data.` for data sources). */
  readonly address: string;
  /** Construct path, e.g. `prod-infrastructure/site/content-bucket`. */
  readonly path: string;
  /** The resource's arguments as synthesized (without cdktf's `//` metadata). */
  readonly config: Readonly<Record<string, unknown>>;
}

/** What a rule sees: one stack's resources and its tier. */
export interface RuleContext {
  /** The stack's name. */
  readonly stack: string;
  /** The tier the stack is checked as. */
  readonly tier: PolicyTier;
  /** Resources of one Terraform type (empty when there are none). */
  resources(type: string): readonly PolicyResource[];
  /** Data sources of one type. */
  dataSources(type: string): readonly PolicyResource[];
  /**
   * Resources of `type` whose `attribute` refers to `target` (e.g. the
   * `aws_s3_bucket_public_access_block` whose `bucket` is `${aws_s3_bucket.x.id}` or `.bucket`).
   */
  referencing(type: string, attribute: string, target: PolicyResource): readonly PolicyResource[];
}

/** One violation a rule found: on which resource, and what exactly is wrong with it. */
export interface Violation {
  readonly resource: PolicyResource;
  /** What is wrong, naming the attribute and the value found, e.g. `enable_key_rotation is false`. */
  readonly problem: string;
}

/** A rule of the pack. */
export interface PolicyRule {
  /** Stable id, used in suppressions and reports (kebab-case, e.g. `s3-bucket-kms-encryption`). */
  readonly id: string;
  /** `error` fails synthesis; `warning` is reported only. */
  readonly severity: Severity;
  /** One line: what must hold. */
  readonly description: string;
  /** Why it matters. */
  readonly reason: string;
  /** The published control(s) it mirrors: CIS AWS / CIS EKS / AWS FSBP ids, checkov or trivy ids. */
  readonly reference: string;
  /** What to change, in words a construct user can act on. */
  readonly fix: string;
  /** Tiers the rule applies to. @default both */
  readonly tiers?: readonly PolicyTier[];
  /** Every violation in one stack. */
  check(context: RuleContext): Iterable<Violation>;
}

/** The definition of a rule that looks at resources of some types one at a time. */
export interface ResourceRuleDefinition extends Omit<PolicyRule, "check"> {
  /** Terraform resource types the rule inspects. */
  readonly types: readonly string[];
  /**
   * The problems with one resource: a string (or several), or undefined/empty when it complies.
   */
  check(
    resource: PolicyResource,
    context: RuleContext,
  ): string | readonly string[] | undefined | void;
}

/** A rule from a per-resource check. */
export function resourceRule(definition: ResourceRuleDefinition): PolicyRule {
  const { types, check, ...rest } = definition;
  return {
    ...rest,
    *check(context) {
      for (const type of types) {
        for (const resource of context.resources(type)) {
          const problems = check(resource, context);
          if (problems === undefined) continue;
          for (const problem of typeof problems === "string" ? [problems] : problems)
            yield { resource, problem };
        }
      }
    },
  };
}
