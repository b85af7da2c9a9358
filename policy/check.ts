/**
 * Runs the rule pack over one synthesized stack: builds what rules see from the stack's Terraform
 * JSON, collects their violations, and applies the suppressions recorded on its constructs.
 */
import { TerraformElement } from "cdktf";
import type { IConstruct } from "constructs";
import type { PolicyResource, PolicyRule, PolicyTier, RuleContext, Severity } from "./rule";
import { RULES } from "./rules";
import { policyTierOf, suppressionsWithin, type RecordedSuppression } from "./suppressions";
import { referencedAddresses } from "./private/values";

/** One violation as reported. */
export interface PolicyFinding {
  readonly rule: string;
  readonly severity: Severity;
  /** The rule's one-line description. */
  readonly description: string;
  /** The control(s) the rule mirrors. */
  readonly reference: string;
  readonly stack: string;
  /** Construct path of the resource. */
  readonly path: string;
  /** Terraform address of the resource. */
  readonly address: string;
  /** What is wrong with this resource. */
  readonly problem: string;
  /** What to change. */
  readonly fix: string;
}

/** A finding a suppression switched off, with the suppression's reason and where it was added. */
export interface SuppressedFinding extends PolicyFinding {
  readonly suppressedBy: { readonly path: string; readonly reason: string };
}

/** What one check of one or more stacks found. */
export interface PolicyResult {
  /** Findings that count (errors fail synthesis; warnings are printed). */
  readonly findings: readonly PolicyFinding[];
  /** Findings switched off by a suppression. */
  readonly suppressed: readonly SuppressedFinding[];
  /** Suppressions of rules that apply to the stack but matched nothing below their construct. */
  readonly unusedSuppressions: readonly (RecordedSuppression & { readonly stack: string })[];
}

/** Options for a check. */
export interface CheckOptions {
  /** The rules to run. @default the whole pack ({@link RULES}) */
  readonly rules?: readonly PolicyRule[];
  /** The tier to check as. @default the tier recorded on the stack ({@link setPolicyTier}), else production */
  readonly tier?: PolicyTier;
}

/** A synthesized stack: `resource` and `data` maps of Terraform JSON. */
export interface StackDocument {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
}

function collect(
  map: StackDocument["resource"],
  prefix: string,
  stackName: string,
  paths: ReadonlyMap<string, string>,
): Map<string, PolicyResource[]> {
  const byType = new Map<string, PolicyResource[]>();
  for (const [type, named] of Object.entries(map ?? {})) {
    const list: PolicyResource[] = [];
    for (const [name, raw] of Object.entries(named)) {
      const { "//": meta, ...config } = raw;
      const path =
        paths.get(name) ?? (meta as { metadata?: { path?: string } } | undefined)?.metadata?.path;
      list.push({
        type,
        name,
        address: `${prefix}${type}.${name}`,
        path: path ?? `${stackName}/${name}`,
        config,
      });
    }
    byType.set(type, list);
  }
  return byType;
}

/**
 * The context rules see for one stack document. `paths` maps Terraform names (logical ids) to
 * construct paths; without an entry, cdktf's `//` metadata is used.
 */
export function ruleContext(
  stackName: string,
  document: StackDocument,
  tier: PolicyTier,
  paths: ReadonlyMap<string, string> = new Map(),
): RuleContext {
  const resources = collect(document.resource, "", stackName, paths);
  const data = collect(document.data, "data.", stackName, paths);
  const references = new Map<string, Map<string, PolicyResource[]>>();
  return {
    stack: stackName,
    tier,
    resources: (type) => resources.get(type) ?? [],
    dataSources: (type) => data.get(type) ?? [],
    referencing: (type, attribute, target) => {
      // resources by the addresses their attribute refers to, indexed once per type and attribute
      const key = `${type}\0${attribute}`;
      let index = references.get(key);
      if (!index) {
        index = new Map();
        for (const r of resources.get(type) ?? [])
          for (const address of referencedAddresses(r.config[attribute])) {
            const list = index.get(address);
            if (list) list.push(r);
            else index.set(address, [r]);
          }
        references.set(key, index);
      }
      return index.get(target.address) ?? [];
    },
  };
}

function covers(suppressionPath: string, path: string): boolean {
  return (
    suppressionPath === "" || path === suppressionPath || path.startsWith(`${suppressionPath}/`)
  );
}

/** Whether a rule applies to a tier. */
export function appliesTo(rule: PolicyRule, tier: PolicyTier): boolean {
  return rule.tiers === undefined || rule.tiers.includes(tier);
}

/** Checks one synthesized stack (its construct and its Terraform JSON). */
export function checkStack(
  stack: IConstruct,
  document: StackDocument,
  options: CheckOptions = {},
): PolicyResult {
  const tier = options.tier ?? policyTierOf(stack);
  const rules = (options.rules ?? RULES).filter((r) => appliesTo(r, tier));
  // one walk of the construct tree: construct paths of the resources, and the suppressions
  const nodes = stack.node.findAll();
  const paths = new Map<string, string>();
  for (const node of nodes)
    if (TerraformElement.isTerraformElement(node)) paths.set(node.friendlyUniqueId, node.node.path);
  const context = ruleContext(stack.node.id, document, tier, paths);
  const suppressions = suppressionsWithin(stack, nodes);
  const used = new Set<RecordedSuppression>();
  const findings: PolicyFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const rule of rules) {
    for (const violation of rule.check(context)) {
      const finding: PolicyFinding = {
        rule: rule.id,
        severity: rule.severity,
        description: rule.description,
        reference: rule.reference,
        stack: context.stack,
        path: violation.resource.path,
        address: violation.resource.address,
        problem: violation.problem,
        fix: rule.fix,
      };
      // the nearest suppression wins (its reason is the most specific)
      const by = suppressions
        .filter((s) => s.rule === rule.id && covers(s.path, finding.path))
        .sort((a, b) => b.path.length - a.path.length)[0];
      if (by) {
        used.add(by);
        suppressed.push({ ...finding, suppressedBy: { path: by.path, reason: by.reason } });
      } else findings.push(finding);
    }
  }
  const applying = new Set(rules.map((r) => r.id));
  const unusedSuppressions = suppressions
    .filter((s) => applying.has(s.rule) && !used.has(s) && covers(stack.node.path, s.path))
    .map((s) => ({ ...s, stack: context.stack }));
  return { findings, suppressed, unusedSuppressions };
}

/** Several results as one. */
export function mergeResults(results: readonly PolicyResult[]): PolicyResult {
  return {
    findings: results.flatMap((r) => r.findings),
    suppressed: results.flatMap((r) => r.suppressed),
    unusedSuppressions: results.flatMap((r) => r.unusedSuppressions),
  };
}
