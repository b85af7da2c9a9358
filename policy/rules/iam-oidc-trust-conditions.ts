import { resourceRule } from "../rule";
import { describeStatement, statementsOf, type Statement } from "../private/iam";

/** Condition values per key (`<issuer>:sub` -> values) across StringEquals and StringLike. */
function conditionValues(
  statement: Statement,
  suffix: string,
): { key: string; values: readonly string[] }[] {
  const found: { key: string; values: readonly string[] }[] = [];
  for (const [operator, keys] of Object.entries(statement.conditions)) {
    if (
      !/^(StringEquals|StringLike|ForAnyValue:StringLike|ForAnyValue:StringEquals)$/.test(operator)
    )
      continue;
    for (const [key, values] of Object.entries(keys))
      if (key.endsWith(suffix)) found.push({ key, values });
  }
  return found;
}

export const iamOidcTrustConditions = resourceRule({
  id: "iam-oidc-trust-conditions",
  severity: "error",
  description:
    "Roles trusted through an OIDC provider (IRSA, GitHub Actions) pin both the audience and the subject.",
  reason:
    "Without a sub condition, every service account of the cluster (or every repository on GitHub) can assume the role; without aud, tokens minted for another client are accepted.",
  reference:
    "checkov CKV_AWS_358; Amazon EKS User Guide, IAM roles for service accounts; GitHub Docs, Configuring OpenID Connect in Amazon Web Services",
  fix: 'Add StringEquals conditions on "<issuer>:aud" (sts.amazonaws.com) and "<issuer>:sub" (system:serviceaccount:<namespace>:<name>, or repo:<owner>/<repo>:environment:<env>).',
  types: ["aws_iam_role"],
  check(role, context) {
    const problems: string[] = [];
    statementsOf(role.config.assume_role_policy, context).forEach((statement, index) => {
      if (
        statement.effect !== "Allow" ||
        !statement.actions.includes("sts:AssumeRoleWithWebIdentity")
      )
        return;
      const where = describeStatement(statement, index);
      const sub = conditionValues(statement, ":sub");
      const aud = conditionValues(statement, ":aud");
      if (aud.length === 0) problems.push(`${where} has no :aud condition`);
      if (sub.length === 0) problems.push(`${where} has no :sub condition`);
      const broad = sub
        .flatMap((s) => s.values)
        .filter((v) => v === "*" || /^repo:\*|^repo:[^/]+\/\*$|^system:serviceaccount:\*/.test(v));
      if (broad.length > 0)
        problems.push(`${where} allows any subject matching ${broad.join(", ")}`);
    });
    return problems;
  },
});
