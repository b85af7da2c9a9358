import type { PolicyRule } from "../rule";
import { describeStatement, identityStatements } from "../private/iam";

/** `*`, `service:*` and `service:Verb*`-less full wildcards. */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}

export const iamNoWildcardAction: PolicyRule = {
  id: "iam-no-wildcard-action",
  severity: "error",
  description:
    'No identity policy allows "*" or "service:*" actions, or uses NotAction in an Allow.',
  reason:
    "A wildcard action grants every present and future API of the service, including the ones that change permissions; it is how least privilege is lost.",
  reference: "CIS AWS 1.16; AWS FSBP IAM.1, IAM.21; checkov CKV_AWS_62, CKV_AWS_63, CKV_AWS_355",
  fix: "List the actions the role needs (the service authorization reference names them), or attach the AWS managed policy written for the job.",
  *check(context) {
    for (const { resource, statement, index } of identityStatements(context)) {
      if (statement.effect !== "Allow") continue;
      const wild = statement.actions.filter(isWildcardAction);
      if (wild.length > 0)
        yield {
          resource,
          problem: `${describeStatement(statement, index)} allows ${wild.join(", ")}`,
        };
      if (statement.notActions.length > 0)
        yield {
          resource,
          problem: `${describeStatement(statement, index)} allows everything except ${statement.notActions.join(", ")} (NotAction)`,
        };
    }
  },
};
