import type { PolicyRule } from "../rule";
import {
  allowsEveryone,
  everyoneIn,
  describeStatement,
  hasConditions,
  RESOURCE_POLICIES,
  statementsOf,
} from "../private/iam";

export const resourcePolicyNoPublicPrincipal: PolicyRule = {
  id: "resource-policy-no-public-principal",
  severity: "error",
  description:
    'No bucket, topic, key, queue, repository, OpenSearch or logs policy allows Principal "*" unconditioned.',
  reason:
    'An Allow for Principal "*" makes the resource public to every AWS account (and, for S3, to anonymous requests) unless a condition narrows it.',
  reference:
    "AWS FSBP S3.2, S3.3; checkov CKV_AWS_70, CKV_AWS_33, CKV_AWS_169, CKV_AWS_72, CKV_AWS_32",
  fix: "Name the principals (a service with aws:SourceArn/aws:SourceAccount, or account roles), or add a condition such as aws:PrincipalOrgID.",
  *check(context) {
    for (const [type, attribute] of Object.entries(RESOURCE_POLICIES)) {
      for (const resource of context.resources(type)) {
        const statements = statementsOf(resource.config[attribute], context);
        for (const [index, statement] of statements.entries())
          if (
            statement.effect === "Allow" &&
            allowsEveryone(statement) &&
            !hasConditions(statement)
          )
            yield {
              resource,
              problem: `${describeStatement(statement, index)} allows ${everyoneIn(statement)} without a condition`,
            };
      }
    }
  },
};
