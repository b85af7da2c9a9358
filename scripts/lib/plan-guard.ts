/**
 * The plan guard: a plan of a production-tier stack must not destroy or replace a stateful
 * resource, nor remove its protection (`prevent_destroy` in the configuration, or an attribute
 * such as `deletion_protection` turned off), unless an entry of the environment's reviewed
 * allowance file (`environments/<env>.allow.yaml`) allows that resource. Development tier: the
 * same findings, as warnings. Expired allowances allow nothing and are reported; so are unused ones.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { fieldPath, valueAt, yamlProblems } from "../../config/problems";
import { formatProblem, type Problem } from "../../constructs/private/validation";
import type { Tier } from "../../constructs/types";
import { summarizePlan } from "./plan-report";
import { protectionAttributes, statefulReason } from "./stateful";
import type { PlanJson } from "./terraform";

/** Exit code of `npm run plan` when the guard blocks a plan. */
export const GUARD_EXIT_CODE = 4;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ADDRESS =
  /^(module\.[A-Za-z_][\w-]*(\[[^\]]+\])?\.)*[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*(\[[^\]]+\])?$/;

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

const allowanceSchema = z
  .object({
    address: z
      .string()
      .regex(ADDRESS, "a resource address such as aws_db_instance.database (type.name)"),
    stack: z.string().min(1, "a stack name such as prod-infrastructure").optional(),
    reason: z.string().trim().min(1, "a written reason (why this destructive change is wanted)"),
    who: z.string().trim().min(1, "who approved it (a name or handle)"),
    expires: z
      .string()
      .regex(DATE, "a date YYYY-MM-DD")
      .refine((t) => !DATE.test(t) || isCalendarDate(t), "a real calendar date YYYY-MM-DD"),
  })
  .strict();

const allowanceFileSchema = z.object({ allow: z.array(allowanceSchema) }).strict();

/** One reviewed allowance of a destructive change. */
export type Allowance = z.infer<typeof allowanceSchema>;

/** An allowance and the file it came from. */
export interface FiledAllowance {
  readonly file: string;
  readonly environment: string;
  readonly allowance: Allowance;
}

/** An invalid allowance file: every problem, `field: received X; expected Y` each. */
export class AllowanceFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      [
        `Invalid allowance file ${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`,
        ...problems.map((p) => `  ${formatProblem(p)}`),
      ].join("\n"),
    );
    this.name = "AllowanceFileError";
  }
}

const ALLOWANCE_FIELDS = Object.keys(allowanceSchema.shape);

function describeIssue(issue: z.ZodIssue, raw: unknown): Problem[] {
  const field = fieldPath(issue.path);
  const received = valueAt(raw, issue.path);
  if (issue.code === "unrecognized_keys") {
    const allowed = issue.path.length === 0 ? "allow" : ALLOWANCE_FIELDS.join(", ");
    return issue.keys.map((key) => ({
      field: fieldPath([...issue.path, key]),
      received: valueAt(raw, [...issue.path, key]),
      expected: `no field named "${key}" here (allowed: ${allowed})`,
    }));
  }
  if (issue.code === "invalid_type") {
    const what =
      issue.path.length === 0
        ? 'a mapping with an "allow" list'
        : issue.expected === "array"
          ? "a list of allowances"
          : issue.expected === "object"
            ? "an allowance { address, reason, who, expires }"
            : `a ${issue.expected}`;
    return [
      {
        field,
        received,
        expected: received === undefined ? `${what} (required field is missing)` : what,
      },
    ];
  }
  return [{ field, received, expected: issue.message }];
}

/** Parses an allowance file's text; `environment` is the file's environment name. */
export function parseAllowances(text: string, file: string, environment: string): FiledAllowance[] {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new AllowanceFileError(file, yamlProblems(doc));
  const raw: unknown = doc.toJS();
  // an empty file (or one of comments only) allows nothing
  if (raw === null || raw === undefined) return [];
  const parsed = allowanceFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AllowanceFileError(
      file,
      parsed.error.issues.flatMap((issue) => describeIssue(issue, raw)),
    );
  }
  return parsed.data.allow.map((allowance) => ({ file, environment, allowance }));
}

/** The path of an environment's allowance file. */
export function allowanceFile(environmentDirectory: string, environment: string): string {
  return join(environmentDirectory, `${environment}.allow.yaml`);
}

/** Reads `<env>.allow.yaml` of an environment; none when the file does not exist. */
export function loadAllowances(
  environmentDirectory: string,
  environment: string,
  display = allowanceFile(environmentDirectory, environment),
): FiledAllowance[] {
  const path = allowanceFile(environmentDirectory, environment);
  if (!existsSync(path)) return [];
  return parseAllowances(readFileSync(path, "utf8"), display, environment);
}

/** Addresses with `lifecycle.prevent_destroy = true` in a synthesized Terraform JSON configuration. */
export function preventDestroyAddresses(config: {
  resource?: Record<string, Record<string, { lifecycle?: { prevent_destroy?: unknown } }>>;
}): string[] {
  const out: string[] = [];
  for (const [type, byName] of Object.entries(config.resource ?? {})) {
    for (const [name, resource] of Object.entries(byName)) {
      if (resource.lifecycle?.prevent_destroy === true) out.push(`${type}.${name}`);
    }
  }
  return out.sort();
}

/** One stack's plan, as the guard reads it. */
export interface GuardStack {
  readonly stack: string;
  /** The environment the stack belongs to (its allowances apply). */
  readonly environment: string;
  readonly tier: Tier;
  readonly plan: PlanJson;
  /**
   * `prevent_destroy` addresses of the configuration last applied (`before`) and of the planned
   * one (`after`), from the synthesized `cdk.tf.json` files. Terraform's plan JSON does not record
   * lifecycle settings, so without `before` the removal of a `prevent_destroy` is not checked.
   */
  readonly preventDestroy?: {
    readonly before?: readonly string[];
    readonly after: readonly string[];
  };
}

/** What a finding is about. */
export type FindingKind = "destroy" | "replace" | "protection-removed";

/** One destructive change the guard found. */
export interface GuardFinding {
  readonly stack: string;
  readonly environment: string;
  readonly tier: Tier;
  readonly address: string;
  readonly type: string;
  readonly kind: FindingKind;
  /** Short form for the headline: `replaces aws_db_instance.database (engine)`. */
  readonly summary: string;
  /** What happens and why it matters. */
  readonly detail: string;
  /** `blocked` (production, no valid allowance), `warning` (development) or `allowed`. */
  readonly outcome: "blocked" | "warning" | "allowed";
  /** The allowance that allowed it. */
  readonly allowance?: Allowance;
}

/** The guard's verdict over every planned stack. */
export interface GuardResult {
  /** `fail`: something is blocked; `warn`: findings in development or allowed ones; `pass`: none. */
  readonly verdict: "pass" | "warn" | "fail";
  /** 0, or {@link GUARD_EXIT_CODE} when the verdict is `fail`. */
  readonly exitCode: number;
  readonly findings: readonly GuardFinding[];
  /** Allowances past their expiry date: they allow nothing. */
  readonly expiredAllowances: readonly FiledAllowance[];
  /** Valid allowances no finding of a planned stack used. */
  readonly unusedAllowances: readonly FiledAllowance[];
  /** What the guard could not check, in words. */
  readonly notes: readonly string[];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

interface RawFinding {
  readonly address: string;
  readonly type: string;
  readonly kind: FindingKind;
  readonly summary: string;
  readonly detail: string;
}

function findingsOf(stack: GuardStack): RawFinding[] {
  const out: RawFinding[] = [];
  const summary = summarizePlan(stack.stack, stack.tier, stack.plan);
  for (const change of summary.changes) {
    if ((change.kind === "destroy" || change.kind === "replace") && change.stateful) {
      const forcedBy =
        change.kind === "replace" && change.replacePaths.length > 0
          ? ` (${change.replacePaths.join(", ")})`
          : "";
      const verb = change.kind === "replace" ? "replaces" : "destroys";
      out.push({
        address: change.address,
        type: change.type,
        kind: change.kind,
        summary: `${verb} ${change.address}${forcedBy}`,
        detail: `${change.kind === "replace" ? "replaced" : "destroyed"}${forcedBy}: ${change.stateful}`,
      });
    }
  }
  for (const change of stack.plan.resource_changes ?? []) {
    if (change.mode === "data" || !change.change.before || !change.change.after) continue;
    for (const { attribute, protectedValue } of protectionAttributes(change.type)) {
      const before = change.change.before[attribute];
      const after = change.change.after[attribute];
      if (!same(before, protectedValue) || same(after, protectedValue)) continue;
      if (after === undefined && change.change.after_unknown?.[attribute] === true) continue;
      out.push({
        address: change.address,
        type: change.type,
        kind: "protection-removed",
        summary: `turns off ${attribute} on ${change.address}`,
        detail: `${attribute} ${JSON.stringify(before)} → ${JSON.stringify(after ?? null)}: the resource loses its protection against deletion`,
      });
    }
  }
  const { before, after } = stack.preventDestroy ?? { after: [] };
  if (before) {
    const kept = new Set(after);
    for (const address of before) {
      if (kept.has(address)) continue;
      const type = address.split(".")[0];
      out.push({
        address,
        type,
        kind: "protection-removed",
        summary: `removes prevent_destroy from ${address}`,
        detail: `prevent_destroy removed${statefulReason(type) ? `: ${statefulReason(type)}` : ""}`,
      });
    }
  }
  return out;
}

function matches(filed: FiledAllowance, stack: GuardStack, address: string): boolean {
  return (
    filed.environment === stack.environment &&
    filed.allowance.address === address &&
    (filed.allowance.stack === undefined || filed.allowance.stack === stack.stack)
  );
}

/**
 * Checks every planned stack against the allowances (of the planned stacks' environments) on a
 * given day (YYYY-MM-DD, UTC): an allowance is valid through its `expires` day.
 */
export function guardPlans(
  stacks: readonly GuardStack[],
  allowances: readonly FiledAllowance[],
  today: string,
): GuardResult {
  const expired = allowances.filter((a) => a.allowance.expires < today);
  const valid = allowances.filter((a) => a.allowance.expires >= today);
  const used = new Set<FiledAllowance>();
  const findings: GuardFinding[] = [];
  for (const stack of stacks) {
    for (const raw of findingsOf(stack)) {
      const allowance = valid.find((a) => matches(a, stack, raw.address));
      if (allowance) used.add(allowance);
      const outcome = allowance ? "allowed" : stack.tier === "production" ? "blocked" : "warning";
      findings.push({
        ...raw,
        stack: stack.stack,
        environment: stack.environment,
        tier: stack.tier,
        outcome,
        ...(allowance ? { allowance: allowance.allowance } : {}),
      });
    }
  }
  const planned = new Set(stacks.map((s) => s.environment));
  const unused = valid.filter(
    (a) =>
      !used.has(a) &&
      planned.has(a.environment) &&
      (a.allowance.stack === undefined || stacks.some((s) => s.stack === a.allowance.stack)),
  );
  const notes = stacks.filter((s) => !s.preventDestroy?.before).map((s) => s.stack);
  const blocked = findings.some((f) => f.outcome === "blocked");
  return {
    verdict: blocked ? "fail" : findings.length > 0 ? "warn" : "pass",
    exitCode: blocked ? GUARD_EXIT_CODE : 0,
    findings,
    expiredAllowances: expired.filter((a) => planned.has(a.environment)),
    unusedAllowances: unused,
    notes:
      notes.length > 0
        ? [
            `prevent_destroy removal not checked for ${notes.join(", ")}: no base configuration (npm run plan -- --base <cdktf.out of the base branch>)`,
          ]
        : [],
  };
}

/** The guard's verdict in a few lines for the terminal. */
export function formatVerdict(result: GuardResult): string {
  const lines: string[] = [];
  const blocked = result.findings.filter((f) => f.outcome === "blocked");
  if (result.verdict === "fail") {
    lines.push(
      `plan guard: BLOCKED (exit ${GUARD_EXIT_CODE}): ${blocked.length} destructive change(s) in production without a valid allowance`,
    );
  } else if (result.verdict === "warn") {
    lines.push(`plan guard: passed with ${result.findings.length} finding(s)`);
  } else {
    lines.push("plan guard: passed (nothing stateful destroyed, replaced or unprotected)");
  }
  for (const f of result.findings) {
    const by = f.allowance ? ` (allowed: ${f.allowance.reason}; ${f.allowance.who})` : "";
    lines.push(`  ${f.outcome}: ${f.stack} ${f.summary}${by}`);
  }
  for (const a of result.expiredAllowances) {
    lines.push(
      `  expired allowance: ${a.file}: ${a.allowance.address} expired ${a.allowance.expires} (allows nothing)`,
    );
  }
  for (const a of result.unusedAllowances) {
    lines.push(
      `  unused allowance: ${a.file}: ${a.allowance.address} (no planned change needs it)`,
    );
  }
  for (const n of result.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}
