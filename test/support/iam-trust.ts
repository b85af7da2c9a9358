/**
 * Evaluates a role trust policy for a web-identity token the way IAM does for the condition
 * operators our trust policies use (IAM User Guide, "IAM JSON policy elements: Condition
 * operators"): StringEquals is exact and case-sensitive; StringLike matches `*` (any characters,
 * none included) and `?` (one character); several values of one key match if any matches; several
 * keys and operators must all match. An explicit Deny wins. Any other operator fails the test.
 */

/** The claims of a web-identity token that the trust policy's conditions read. */
export interface TokenClaims {
  /** The OIDC provider the token comes from (the statement's Federated principal must be it). */
  readonly provider: string;
  /** Condition keys and values, e.g. `token.actions.githubusercontent.com:sub`. */
  readonly claims: Readonly<Record<string, string>>;
}

interface Statement {
  Effect: "Allow" | "Deny";
  Principal?: { Federated?: string | string[] };
  Action: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function like(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(value);
}

function conditionsHold(
  condition: Statement["Condition"],
  claims: Readonly<Record<string, string>>,
): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const value = claims[key];
      if (value === undefined) return false;
      const values = list(expected);
      if (operator === "StringEquals") {
        if (!values.includes(value)) return false;
      } else if (operator === "StringLike") {
        if (!values.some((pattern) => like(pattern, value))) return false;
      } else throw new Error(`iam-trust: condition operator ${operator} is not modelled`);
    }
  }
  return true;
}

/** Whether a token with these claims may `sts:AssumeRoleWithWebIdentity` under the trust policy. */
export function mayAssumeWithWebIdentity(trustPolicy: string, token: TokenClaims): boolean {
  const statements = (JSON.parse(trustPolicy) as { Statement: Statement[] }).Statement;
  const applies = (s: Statement) =>
    list(s.Action).includes("sts:AssumeRoleWithWebIdentity") &&
    list(s.Principal?.Federated).includes(token.provider) &&
    conditionsHold(s.Condition, token.claims);
  if (statements.some((s) => s.Effect === "Deny" && applies(s))) return false;
  return statements.some((s) => s.Effect === "Allow" && applies(s));
}
