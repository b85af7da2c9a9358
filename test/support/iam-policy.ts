/**
 * Evaluates an identity policy for one request the way IAM does for what our policies use (IAM
 * User Guide, "Policy evaluation logic"): an Allow statement applies when an Action and a
 * Resource match (`*` any characters, `?` one, case-sensitive for resources) and every condition
 * holds (StringEquals exact, StringLike with wildcards); an explicit Deny wins; nothing else allows.
 * Any other condition operator fails the test.
 */
interface Statement {
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function like(pattern: string, value: string, ignoreCase = false): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, ignoreCase ? "i" : "").test(value);
}

/** One request: the action, the resource ARN and the request's condition keys. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

function applies(s: Statement, request: PolicyRequest): boolean {
  if (!list(s.Action).some((a) => like(a, request.action, true))) return false;
  if (!list(s.Resource).some((r) => like(r, request.resource))) return false;
  for (const [operator, keys] of Object.entries(s.Condition ?? {}))
    for (const [key, expected] of Object.entries(keys)) {
      const value = request.context?.[key];
      if (value === undefined) return false;
      if (operator === "StringEquals") {
        if (!list(expected).includes(value)) return false;
      } else if (operator === "StringLike") {
        if (!list(expected).some((p) => like(p, value))) return false;
      } else throw new Error(`iam-policy: condition operator ${operator} is not modelled`);
    }
  return true;
}

/** Whether the identity policy (JSON text or statements) allows the request. */
export function isAllowed(policy: string | readonly object[], request: PolicyRequest): boolean {
  const statements = (
    typeof policy === "string"
      ? (JSON.parse(policy) as { Statement: Statement[] }).Statement
      : policy
  ) as Statement[];
  if (statements.some((s) => s.Effect === "Deny" && applies(s, request))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s, request));
}
