import { Token } from "cdktf";
import type { IConstruct } from "constructs";

/** One thing wrong with an input: which field, what was received, what was expected. */
export interface Problem {
  /** Dotted path of the field, e.g. `nodeGroups.general.minSize`. */
  readonly field: string;
  /** The value received (rendered as JSON in messages). */
  readonly received: unknown;
  /** What would have been accepted, in words. */
  readonly expected: string;
}

/** Renders a received value for an error message. */
export function formatReceived(value: unknown): string {
  if (value === undefined) return "nothing";
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/** `field: received X; expected Y` */
export function formatProblem(problem: Problem): string {
  return `${problem.field}: received ${formatReceived(problem.received)}; expected ${problem.expected}`;
}

/** Thrown by a construct constructor whose props are invalid; lists every problem at once. */
export class ValidationError extends Error {
  constructor(
    /** The construct path, e.g. `prod-infrastructure/network`. */
    readonly constructPath: string,
    /** Every problem found. */
    readonly problems: readonly Problem[],
  ) {
    super(problems.map((p) => `${constructPath}: ${formatProblem(p)}`).join("\n"));
    this.name = "ValidationError";
  }
}

/** Throws a {@link ValidationError} naming the construct when there is any problem. */
export function throwIfProblems(scope: IConstruct, problems: readonly Problem[]): void {
  if (problems.length > 0) throw new ValidationError(scope.node.path, problems);
}

/** True when the value is an unresolved cdktf token (string or number): such values are not validated. */
export function isToken(value: unknown): boolean {
  return (typeof value === "string" || typeof value === "number") && Token.isUnresolved(value);
}

/**
 * Collects problems; each `check` adds one when its condition is false. Token values are skipped
 * by the callers (they cannot be known before Terraform runs).
 */
export class ProblemList {
  private readonly items: Problem[] = [];

  /** Adds a problem unless `ok` holds. */
  check(ok: boolean, field: string, received: unknown, expected: string): void {
    if (!ok) this.items.push({ field, received, expected });
  }

  /**
   * Adds a problem unless `value` passes `test`; a value Terraform only knows later (a token)
   * is skipped, since it cannot be checked before Terraform runs.
   */
  checkValue<T>(value: T, test: (value: T) => boolean, field: string, expected: string): void {
    if (!isToken(value)) this.check(test(value), field, value, expected);
  }

  /** Adds problems found elsewhere, with a prefix on their field paths. */
  addAll(problems: readonly Problem[], prefix = ""): void {
    for (const p of problems) this.items.push({ ...p, field: prefix + p.field });
  }

  get problems(): readonly Problem[] {
    return this.items;
  }
}
