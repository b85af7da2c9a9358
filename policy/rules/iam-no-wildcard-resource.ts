import type { PolicyRule } from "../rule";
import { describeStatement, hasConditions, identityStatements } from "../private/iam";

/**
 * Actions that have no resource type in the Service Authorization Reference, so `Resource: "*"` is
 * the only possible value for them (checkov CKV_AWS_355 keeps the same kind of list).
 */
export const ACTIONS_WITHOUT_RESOURCE_TYPES: readonly RegExp[] = [
  /^ec2:Describe[A-Za-z]+$/,
  /^ec2:GetInstanceTypesFromInstanceRequirements$/,
  /^autoscaling:Describe[A-Za-z]+$/,
  /^elasticloadbalancing:Describe[A-Za-z]+$/,
  /^route53:ListHostedZones(ByName)?$/,
  /^sts:GetCallerIdentity$/,
  /^ecr:GetAuthorizationToken$/,
  /^logs:DescribeLogGroups$/,
  /^cloudwatch:(PutMetricData|ListMetrics|GetMetricData)$/,
  /^kms:(ListKeys|ListAliases)$/,
  /^s3:ListAllMyBuckets$/,
  /^iam:ListRoles$/,
  /^eks:(ListClusters|DescribeAddonVersions)$/,
];

export const iamNoWildcardResource: PolicyRule = {
  id: "iam-no-wildcard-resource",
  severity: "error",
  description:
    'No identity policy allows actions on Resource "*" without a condition, unless the actions have no resource type.',
  reason:
    'Resource "*" turns a narrow permission (read this bucket) into the same permission on every resource of the account, including other teams\' data.',
  reference: "checkov CKV_AWS_355, CKV_AWS_290; AWS FSBP IAM.21; CIS AWS 1.16",
  fix: 'Name the resources (ARNs or ARN patterns) the actions apply to, or add a condition (e.g. aws:ResourceTag) that scopes them; keep "*" only for actions without a resource type.',
  *check(context) {
    for (const { resource, statement, index } of identityStatements(context)) {
      if (statement.effect !== "Allow" || hasConditions(statement)) continue;
      if (!statement.resources.includes("*") && statement.notResources.length === 0) continue;
      const scopable = statement.actions.filter(
        (a) => !ACTIONS_WITHOUT_RESOURCE_TYPES.some((pattern) => pattern.test(a)),
      );
      if (scopable.length === 0 && statement.notResources.length === 0) continue;
      const shown =
        scopable.length > 4
          ? `${scopable.slice(0, 4).join(", ")} and ${scopable.length - 4} more`
          : scopable.join(", ");
      yield {
        resource,
        problem:
          statement.notResources.length > 0
            ? `${describeStatement(statement, index)} uses NotResource`
            : `${describeStatement(statement, index)} allows ${shown} on Resource "*" without a condition`,
      };
    }
  },
};
