/** The pack's findings as a console report, as JSON and as SARIF 2.1.0 for code-scanning tools. */
import type { PolicyFinding, PolicyResult } from "./check";
import type { PolicyRule } from "./rule";
import { RULES } from "./rules";

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function describe(finding: PolicyFinding): string {
  return [
    `${finding.severity.toUpperCase()} ${finding.rule}: ${finding.description}`,
    `  at ${finding.path} (${finding.address})`,
    `  found: ${finding.problem}`,
    `  fix: ${finding.fix}`,
    `  reference: ${finding.reference}`,
  ].join("\n");
}

/** One report for the console: every error and warning, unused suppressions, then a count line. */
export function formatPolicyReport(result: PolicyResult): string {
  const errors = result.findings.filter((f) => f.severity === "error");
  const warnings = result.findings.filter((f) => f.severity === "warning");
  const lines: string[] = [];
  for (const finding of [...errors, ...warnings]) lines.push(describe(finding), "");
  for (const s of result.unusedSuppressions)
    lines.push(
      `WARNING unused suppression of ${s.rule} at ${s.path} (${s.stack}): nothing below it breaks the rule any more; remove it`,
      "",
    );
  lines.push(
    `Policy: ${plural(errors.length, "error")}, ${plural(warnings.length, "warning")}, ${result.suppressed.length} suppressed (${RULES.length} rules)` +
      (errors.length > 0
        ? ": fix the errors above or suppress them with a reason (README, Policy)"
        : ""),
  );
  return lines.join("\n");
}

/** The findings as JSON: the same data as the console report, plus the suppressed findings. */
export function policyJson(result: PolicyResult): string {
  return `${JSON.stringify(
    {
      summary: {
        errors: result.findings.filter((f) => f.severity === "error").length,
        warnings: result.findings.filter((f) => f.severity === "warning").length,
        suppressed: result.suppressed.length,
        rules: RULES.length,
      },
      findings: result.findings,
      suppressed: result.suppressed,
      unusedSuppressions: result.unusedSuppressions,
    },
    null,
    2,
  )}\n`;
}

function sarifRule(rule: PolicyRule): Record<string, unknown> {
  return {
    id: rule.id,
    name: rule.id,
    shortDescription: { text: rule.description },
    fullDescription: { text: rule.reason },
    help: { text: `${rule.fix}\nReference: ${rule.reference}` },
    defaultConfiguration: { level: rule.severity === "error" ? "error" : "warning" },
    properties: { reference: rule.reference, ...(rule.tiers ? { tiers: rule.tiers } : {}) },
  };
}

/**
 * SARIF 2.1.0: one run, the pack as the tool's rules, one result per finding located at the stack's
 * synthesized file with the construct path and Terraform address as logical locations; suppressed
 * findings carry their justification.
 */
export function policySarif(result: PolicyResult, options: { readonly version: string }): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const toResult = (finding: PolicyFinding, justification?: string) => ({
    ruleId: finding.rule,
    ruleIndex: index.get(finding.rule),
    level: finding.severity === "error" ? "error" : "warning",
    message: { text: `${finding.problem}. ${finding.fix}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: `cdktf.out/stacks/${finding.stack}/cdk.tf.json` },
        },
        logicalLocations: [
          { fullyQualifiedName: finding.path, kind: "module" },
          { fullyQualifiedName: finding.address, kind: "resource" },
        ],
      },
    ],
    partialFingerprints: {
      "platformPolicy/v1": `${finding.rule}|${finding.address}|${finding.stack}`,
    },
    ...(justification !== undefined ? { suppressions: [{ kind: "inSource", justification }] } : {}),
  });
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "platform-policy",
            version: options.version,
            rules: RULES.map(sarifRule),
          },
        },
        results: [
          ...result.findings.map((f) => toResult(f)),
          ...result.suppressed.map((f) =>
            toResult(f, `${f.suppressedBy.reason} (at ${f.suppressedBy.path})`),
          ),
        ],
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
