/**
 * IAM policy documents as rules see them: the JSON string of an `aws_iam_*policy*`, `aws_kms_key`,
 * `aws_s3_bucket_policy` or `aws_sns_topic_policy` attribute (Terraform expressions inside strings
 * are fine), or a reference to a `data.aws_iam_policy_document`, normalized to one statement shape.
 */
import type { PolicyResource, RuleContext } from "../rule";
import { blocks, strings } from "./values";

/** One statement, normalized. */
export interface Statement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** Principals by kind (`AWS`, `Service`, `Federated`, `*` for `"Principal": "*"`). */
  readonly principals: Readonly<Record<string, readonly string[]>>;
  /** `NotPrincipal` (any kind): an Allow with it grants everyone else. */
  readonly notPrincipals: readonly string[];
  /** Condition operator -> key -> values. */
  readonly conditions: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/** Parses a policy JSON string whose `${...}` expressions may hold unescaped quotes. */
function parseJson(text: string): unknown {
  const escaped = text.replace(/\$\{[^}]*\}/g, (expression) =>
    expression.replace(/(?<!\\)"/g, '\\"'),
  );
  return JSON.parse(escaped);
}

function principalsOf(value: unknown): Record<string, string[]> {
  if (value === undefined) return {};
  if (value === "*") return { "*": ["*"] };
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([kind, list]) => [kind, strings(list)]));
}

function conditionsOf(value: unknown): Record<string, Record<string, string[]>> {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(
    Object.entries(value).map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries((keys ?? {}) as Record<string, unknown>).map(([k, v]) => [k, strings(v)]),
      ),
    ]),
  );
}

function fromJson(document: unknown): Statement[] {
  const raw = (document as { Statement?: unknown })?.Statement;
  return blocks(raw).map((s) => ({
    sid: typeof s.Sid === "string" ? s.Sid : undefined,
    effect: s.Effect === "Deny" ? "Deny" : "Allow",
    actions: strings(s.Action),
    notActions: strings(s.NotAction),
    resources: strings(s.Resource),
    notResources: strings(s.NotResource),
    principals: principalsOf(s.Principal),
    notPrincipals: Object.values(principalsOf(s.NotPrincipal)).flat(),
    conditions: conditionsOf(s.Condition),
  }));
}

function fromDataSource(source: PolicyResource): Statement[] {
  return blocks(source.config.statement).map((s) => {
    const principals: Record<string, string[]> = {};
    for (const p of blocks(s.principals)) {
      const kind = String(p.type);
      principals[kind] = [...(principals[kind] ?? []), ...strings(p.identifiers)];
    }
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const c of blocks(s.condition)) {
      const operator = String(c.test);
      conditions[operator] = { ...conditions[operator], [String(c.variable)]: strings(c.values) };
    }
    return {
      sid: typeof s.sid === "string" ? s.sid : undefined,
      effect: s.effect === "Deny" ? "Deny" : "Allow",
      actions: strings(s.actions),
      notActions: strings(s.not_actions),
      resources: strings(s.resources),
      notResources: strings(s.not_resources),
      principals,
      notPrincipals: blocks(s.not_principals).flatMap((p) => strings(p.identifiers)),
      conditions,
    };
  });
}

/**
 * The statements of a policy attribute. Unknown shapes (a policy computed at apply time from
 * something other than a policy document) give no statements: the rules cannot see them.
 */
export function statementsOf(value: unknown, context: RuleContext): Statement[] {
  if (typeof value !== "string" || value.trim() === "") return [];
  const reference = /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(value.trim());
  if (reference) {
    const source = context
      .dataSources("aws_iam_policy_document")
      .find((d) => d.name === reference[1]);
    return source ? fromDataSource(source) : [];
  }
  try {
    return fromJson(parseJson(value));
  } catch {
    return [];
  }
}

/** Whether a statement denies requests not sent over TLS (`Bool aws:SecureTransport "false"`). */
export function deniesInsecureTransport(statement: Statement): boolean {
  return (
    statement.effect === "Deny" &&
    (statement.conditions.Bool?.["aws:SecureTransport"] ?? []).includes("false")
  );
}

/** Whether a statement has any condition. */
export function hasConditions(statement: Statement): boolean {
  return Object.values(statement.conditions).some((keys) => Object.keys(keys).length > 0);
}

/** How a statement names everyone, for messages: `Principal "*"` or `NotPrincipal (everyone but X)`. */
export function everyoneIn(statement: Statement): string {
  return statement.notPrincipals.length > 0 && statement.principals["*"] === undefined
    ? `NotPrincipal (everyone but ${statement.notPrincipals.join(", ")})`
    : 'Principal "*"';
}

/** Whether the statement's principal is everyone (`"*"`, `AWS: "*"` or an Allow with `NotPrincipal`). */
export function allowsEveryone(statement: Statement): boolean {
  return (
    statement.principals["*"] !== undefined ||
    (statement.principals.AWS ?? []).includes("*") ||
    statement.notPrincipals.length > 0
  );
}

/** Identity-based policy attributes: resource type -> attribute holding the document. */
export const IDENTITY_POLICIES: Readonly<Record<string, string>> = {
  aws_iam_role_policy: "policy",
  aws_iam_policy: "policy",
  aws_iam_user_policy: "policy",
  aws_iam_group_policy: "policy",
};

/** Resource-based policy attributes: resource type -> attribute holding the document. */
export const RESOURCE_POLICIES: Readonly<Record<string, string>> = {
  aws_s3_bucket_policy: "policy",
  aws_sns_topic_policy: "policy",
  aws_kms_key: "policy",
  aws_sqs_queue_policy: "policy",
  aws_ecr_repository_policy: "policy",
  // the same documents given inline on the resource itself
  aws_s3_bucket: "policy",
  aws_sns_topic: "policy",
  aws_sqs_queue: "policy",
  // OpenSearch domain access policies and CloudWatch Logs resource policies
  aws_opensearch_domain: "access_policies",
  aws_opensearch_domain_policy: "access_policies",
  aws_cloudwatch_log_resource_policy: "policy_document",
};

/** Every statement of the identity-based policies of a stack, with the resource holding it. */
export function* identityStatements(
  context: RuleContext,
): Generator<{ resource: PolicyResource; statement: Statement; index: number }> {
  for (const [type, attribute] of Object.entries(IDENTITY_POLICIES)) {
    for (const resource of context.resources(type)) {
      const statements = statementsOf(resource.config[attribute], context);
      for (const [index, statement] of statements.entries()) yield { resource, statement, index };
    }
  }
  // inline_policy blocks of aws_iam_role: statements numbered across the role's blocks
  for (const role of context.resources("aws_iam_role")) {
    const statements = blocks(role.config.inline_policy).flatMap((p) =>
      statementsOf(p.policy, context),
    );
    for (const [index, statement] of statements.entries())
      yield { resource: role, statement, index };
  }
}

/** `statement 2 (Sid "Describe")` for messages. */
export function describeStatement(statement: Statement, index: number): string {
  return `statement ${index + 1}${statement.sid ? ` (Sid "${statement.sid}")` : ""}`;
}
