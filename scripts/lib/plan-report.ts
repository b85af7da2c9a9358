/**
 * The plan report for reviewers: from `terraform show -json` of each stack's saved plan, per stack
 * the counts to create / update / replace / destroy, every replace and destroy with the attributes
 * that force it, stateful resources highlighted, the full resource list collapsed, and one line at
 * the top saying whether the change is safe to apply (the plan guard's verdict). Rendered as
 * Markdown for one pull-request comment and as JSON with the same data.
 */
import type { Tier } from "../../constructs/types";
import type { GuardFinding, GuardResult } from "./plan-guard";
import { statefulReason } from "./stateful";
import type { AttributePath, PlanJson, PlanResourceChange } from "./terraform";

/** What a resource change does, in the report's words. */
export type ChangeKind = "create" | "update" | "replace" | "destroy" | "forget";

/** One resource that changes. */
export interface ReportedChange {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  /** Terraform's actions, e.g. `["delete","create"]`. */
  readonly actions: readonly string[];
  /** The attributes forcing a replacement, as dotted paths (`engine`, `ingress[0].cidr_blocks`). */
  readonly replacePaths: readonly string[];
  /** Terraform's `action_reason` (e.g. `replace_because_cannot_update`), when it gives one. */
  readonly actionReason?: string;
  /** Why the resource is stateful, when it is (see `stateful.ts`). */
  readonly stateful?: string;
  /** The address before a `moved` block renamed it. */
  readonly previousAddress?: string;
}

/** Counts of one stack's plan. */
export interface ChangeCounts {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly destroy: number;
}

/** One stack's plan, summarized. */
export interface StackPlanSummary {
  readonly stack: string;
  readonly tier: Tier;
  readonly counts: ChangeCounts;
  /** Every managed resource that changes (no-ops and data reads left out), by address. */
  readonly changes: readonly ReportedChange[];
}

/** A policy finding to show in the report (from the synth-time rule pack, when it runs). */
export interface PolicyFinding {
  readonly ruleId: string;
  readonly severity: "error" | "warning";
  /** Where: the construct path or resource address. */
  readonly resource: string;
  readonly message: string;
  /** When a suppression switched the finding off: its written reason. */
  readonly suppressed?: string;
}

/** The whole report: what the Markdown and JSON renderings both hold. */
export interface PlanReport {
  /** `true` unless the guard blocks the change (its verdict is `fail`). */
  readonly safe: boolean;
  /** The one line at the top. */
  readonly headline: string;
  readonly totals: ChangeCounts;
  readonly stacks: readonly StackPlanSummary[];
  readonly guard: GuardResult;
  /** Stacks not planned, with why (e.g. providers missing offline). */
  readonly skipped: readonly { readonly stack: string; readonly reason: string }[];
  /** Present only when policy findings were given. */
  readonly policy?: readonly PolicyFinding[];
}

/** `["ingress", 0, "cidr_blocks"]` -> `ingress[0].cidr_blocks`. */
export function dottedPath(path: AttributePath): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    "",
  );
}

/** The report's kind of a Terraform change, or undefined for no-op and read. */
export function changeKind(actions: readonly string[]): ChangeKind | undefined {
  const key = actions.join(",");
  if (key === "create") return "create";
  if (key === "update") return "update";
  if (key === "delete") return "destroy";
  if (key === "delete,create" || key === "create,delete") return "replace";
  if (key === "forget") return "forget";
  return undefined;
}

const REASONS: Record<string, string> = {
  replace_because_cannot_update: "an attribute cannot be updated in place",
  replace_because_tainted: "the resource is tainted",
  replace_by_request: "replacement requested (-replace)",
  replace_by_triggers: "replace_triggered_by",
  delete_because_no_resource_config: "removed from the configuration (or renamed)",
  delete_because_no_module: "its module was removed",
  delete_because_wrong_repetition: "count/for_each changed",
  delete_because_count_index: "count index out of range",
  delete_because_each_key: "for_each key removed",
  delete_because_no_move_target: "moved to an address that does not exist",
  read_because_config_unknown: "the data source depends on values known after apply",
  read_because_dependency_pending: "a dependency has changes",
};

/** Terraform's `action_reason` in words (unknown reasons are shown as Terraform writes them). */
export function describeReason(reason: string | undefined): string {
  if (!reason) return "";
  return REASONS[reason] ?? reason;
}

/** Summarizes one stack's `terraform show -json` plan. */
export function summarizePlan(stack: string, tier: Tier, plan: PlanJson): StackPlanSummary {
  const changes: ReportedChange[] = [];
  for (const change of plan.resource_changes ?? []) {
    if (change.mode === "data" || change.address.startsWith("data.")) continue;
    const reported = reportedChange(change);
    if (reported) changes.push(reported);
  }
  changes.sort((a, b) => a.address.localeCompare(b.address));
  const count = (kind: ChangeKind) => changes.filter((c) => c.kind === kind).length;
  return {
    stack,
    tier,
    counts: {
      create: count("create"),
      update: count("update"),
      replace: count("replace"),
      destroy: count("destroy"),
    },
    changes,
  };
}

function reportedChange(change: PlanResourceChange): ReportedChange | undefined {
  const kind = changeKind(change.change.actions);
  if (!kind) return undefined;
  const address = change.deposed ? `${change.address} (deposed ${change.deposed})` : change.address;
  return {
    address,
    type: change.type,
    kind,
    actions: change.change.actions,
    replacePaths: (change.change.replace_paths ?? []).map(dottedPath),
    ...(change.action_reason ? { actionReason: change.action_reason } : {}),
    ...(statefulReason(change.type) ? { stateful: statefulReason(change.type) } : {}),
    ...(change.previous_address ? { previousAddress: change.previous_address } : {}),
  };
}

function addCounts(all: readonly ChangeCounts[]): ChangeCounts {
  return all.reduce(
    (t, c) => ({
      create: t.create + c.create,
      update: t.update + c.update,
      replace: t.replace + c.replace,
      destroy: t.destroy + c.destroy,
    }),
    { create: 0, update: 0, replace: 0, destroy: 0 },
  );
}

/** `3 to create, 1 to update` (only the non-zero counts; "no changes" when all are zero). */
export function formatCounts(counts: ChangeCounts): string {
  const parts = (
    [
      ["create", counts.create],
      ["update", counts.update],
      ["replace", counts.replace],
      ["destroy", counts.destroy],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([word, n]) => `${n} to ${word}`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

/** `prod-infrastructure replaces aws_db_instance.database (engine)` */
export function describeFinding(finding: GuardFinding): string {
  return `${finding.stack} ${finding.summary}`;
}

function headline(totals: ChangeCounts, guard: GuardResult): string {
  const blocking = guard.findings.filter((f) => f.outcome === "blocked");
  if (blocking.length > 0) {
    const shown = blocking.slice(0, 3).map(describeFinding).join("; ");
    const more = blocking.length > 3 ? `; and ${blocking.length - 3} more` : "";
    return `⛔ Not safe: ${shown}${more}`;
  }
  const counts = formatCounts(totals);
  const warned = guard.findings.filter((f) => f.outcome === "warning");
  const allowed = guard.findings.filter((f) => f.outcome === "allowed");
  if (warned.length > 0 || allowed.length > 0) {
    const notes = [
      warned.length > 0 ? `${warned.length} destructive change(s) in development (warnings)` : "",
      allowed.length > 0 ? `${allowed.length} destructive change(s) allowed by an allowance` : "",
    ].filter(Boolean);
    return `⚠️ Safe to apply with care: ${counts}; ${notes.join("; ")}`;
  }
  const untouched =
    totals.replace === 0 && totals.destroy === 0 ? ", nothing replaced or destroyed" : "";
  return `✅ Safe to apply: ${counts}${untouched}`;
}

/** Builds the report from the stacks' summaries, the guard's result and (optional) policy findings. */
export function buildReport(options: {
  readonly stacks: readonly StackPlanSummary[];
  readonly guard: GuardResult;
  readonly skipped?: readonly { readonly stack: string; readonly reason: string }[];
  readonly policy?: readonly PolicyFinding[];
}): PlanReport {
  const totals = addCounts(options.stacks.map((s) => s.counts));
  return {
    safe: options.guard.verdict !== "fail",
    headline: headline(totals, options.guard),
    totals,
    stacks: options.stacks,
    guard: options.guard,
    skipped: options.skipped ?? [],
    ...(options.policy ? { policy: options.policy } : {}),
  };
}

/** The report as JSON (the same data as the Markdown). */
export function renderJson(report: PlanReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

const KIND_ICON: Record<ChangeKind, string> = {
  create: "+",
  update: "~",
  replace: "-/+",
  destroy: "-",
  forget: "forget",
};

/** GitHub refuses comments over 65,536 characters; the full lists are dropped above this. */
export const MAX_COMMENT_CHARS = 60_000;

/**
 * The report as Markdown for one pull-request comment. When the full resource lists would make it
 * longer than {@link MAX_COMMENT_CHARS}, they are left out (with a note; the JSON has them).
 */
export function renderMarkdown(report: PlanReport): string {
  const full = renderMarkdownParts(report, true);
  if (full.length <= MAX_COMMENT_CHARS) return full;
  return renderMarkdownParts(report, false);
}

function renderMarkdownParts(report: PlanReport, details: boolean): string {
  const lines: string[] = [`**${report.headline}**`, ""];
  lines.push("| stack | tier | create | update | replace | destroy |");
  lines.push("| --- | --- | ---: | ---: | ---: | ---: |");
  for (const s of report.stacks) {
    const { create, update, replace, destroy } = s.counts;
    lines.push(
      `| ${cell(s.stack)} | ${s.tier} | ${create} | ${update} | ${replace ? `**${replace}**` : 0} | ${destroy ? `**${destroy}**` : 0} |`,
    );
  }
  for (const s of report.skipped) lines.push("", `_${cell(s.stack)} not planned: ${s.reason}_`);

  const findings = report.guard.findings;
  if (findings.length > 0) {
    lines.push("", "### Plan guard", "");
    lines.push("| outcome | stack | resource | finding | allowance |");
    lines.push("| --- | --- | --- | --- | --- |");
    const outcome = { blocked: "⛔ blocked", warning: "⚠️ warning", allowed: "✅ allowed" };
    for (const f of findings) {
      const allowance = f.allowance
        ? `${cell(f.allowance.reason)} (${cell(f.allowance.who)}, until ${f.allowance.expires})`
        : "";
      lines.push(
        `| ${outcome[f.outcome]} | ${cell(f.stack)} | ${code(f.address)} | ${cell(f.detail)} | ${allowance} |`,
      );
    }
  }
  const allowanceNotes = [
    ...report.guard.expiredAllowances.map(
      (a) =>
        `- expired allowance for ${code(a.allowance.address)} in ${a.file} (expired ${a.allowance.expires}; it allows nothing)`,
    ),
    ...report.guard.unusedAllowances.map(
      (a) =>
        `- unused allowance for ${code(a.allowance.address)} in ${a.file} (no planned change needs it; remove it)`,
    ),
  ];
  if (allowanceNotes.length > 0) lines.push("", "### Allowances", "", ...allowanceNotes);
  if (report.guard.notes.length > 0) {
    lines.push("", ...report.guard.notes.map((n) => `_${n}_`));
  }

  const destructive = report.stacks.flatMap((s) =>
    s.changes
      .filter((c) => c.kind === "replace" || c.kind === "destroy")
      .map((c) => ({ stack: s.stack, change: c })),
  );
  if (destructive.length > 0) {
    lines.push("", "### Replaced and destroyed", "");
    lines.push("| stack | action | resource | forced by | reason |");
    lines.push("| --- | --- | --- | --- | --- |");
    for (const { stack, change } of destructive) {
      const name = change.stateful
        ? `**${code(change.address)}** 🗄️ ${cell(change.stateful)}`
        : code(change.address);
      const forcedBy = change.replacePaths.map(code).join(", ");
      lines.push(
        `| ${cell(stack)} | ${change.kind} | ${name} | ${forcedBy} | ${cell(describeReason(change.actionReason))} |`,
      );
    }
  }

  if (report.policy) {
    const active = report.policy.filter((p) => p.suppressed === undefined);
    const suppressed = report.policy.filter((p) => p.suppressed !== undefined);
    lines.push("", "### Policy findings", "");
    if (active.length === 0) lines.push("_None: every rule of the policy pack passes._");
    else {
      lines.push("| severity | rule | resource | finding |");
      lines.push("| --- | --- | --- | --- |");
      for (const p of active)
        lines.push(
          `| ${p.severity} | ${code(p.ruleId)} | ${code(p.resource)} | ${cell(p.message)} |`,
        );
    }
    if (suppressed.length > 0) {
      lines.push(
        "",
        "<details>",
        `<summary>${suppressed.length} suppressed with a reason</summary>`,
        "",
        "| rule | resource | reason |",
        "| --- | --- | --- |",
      );
      for (const p of suppressed)
        lines.push(`| ${code(p.ruleId)} | ${code(p.resource)} | ${cell(p.suppressed ?? "")} |`);
      lines.push("", "</details>");
    }
  }

  if (!details) {
    lines.push("", "_The full resource lists are too long for one comment: see plan-report.json._");
  }
  for (const s of details ? report.stacks : []) {
    if (s.changes.length === 0) continue;
    lines.push(
      "",
      "<details>",
      `<summary>${s.stack}: ${formatCounts(s.counts)} (${s.changes.length} resources)</summary>`,
      "",
      "```",
    );
    for (const c of s.changes) {
      const moved = c.previousAddress ? ` (moved from ${c.previousAddress})` : "";
      const stateful = c.stateful ? "  [stateful]" : "";
      lines.push(`${KIND_ICON[c.kind].padEnd(6)} ${c.address}${moved}${stateful}`);
    }
    lines.push("```", "", "</details>");
  }
  return `${lines.join("\n")}\n`;
}
