import { resourceRule } from "../rule";
import {
  allowsEveryone,
  describeStatement,
  everyoneIn,
  hasConditions,
  statementsOf,
} from "../private/iam";

export const iamTrustNoWildcardPrincipal = resourceRule({
  id: "iam-trust-no-wildcard-principal",
  severity: "error",
  description: 'No role trust policy lets any principal ("*") assume the role without a condition.',
  reason: 'Principal "*" in a trust policy lets every AWS account in the world assume the role.',
  reference: "checkov CKV_AWS_60, CKV_AWS_61",
  fix: "Name the trusted principal (a service, an account's role, an OIDC provider) in the trust policy.",
  types: ["aws_iam_role"],
  check(role, context) {
    return statementsOf(role.config.assume_role_policy, context)
      .map((statement, index) => ({ statement, index }))
      .filter(
        ({ statement }) =>
          statement.effect === "Allow" && allowsEveryone(statement) && !hasConditions(statement),
      )
      .map(
        ({ statement, index }) =>
          `${describeStatement(statement, index)} trusts ${everyoneIn(statement)} without a condition`,
      );
  },
});
