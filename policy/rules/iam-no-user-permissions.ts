import type { PolicyRule } from "../rule";
import { strings } from "../private/values";

const TYPES = ["aws_iam_user_policy", "aws_iam_user_policy_attachment", "aws_iam_access_key"];

export const iamNoUserPermissions: PolicyRule = {
  id: "iam-no-user-permissions",
  severity: "error",
  description: "No IAM user gets policies or access keys: people and pipelines assume roles.",
  reason:
    "Access keys are long-lived secrets that leak through laptops, logs and CI settings; roles give short-lived credentials through SSO or OIDC.",
  reference: "CIS AWS 1.15, 1.14; AWS FSBP IAM.2; checkov CKV_AWS_40, CKV_AWS_273",
  fix: "Replace the user with a role assumed through IAM Identity Center, IRSA or GitHub OIDC (see GithubDeployRoles).",
  *check(context) {
    for (const type of TYPES)
      for (const resource of context.resources(type))
        yield {
          resource,
          problem: `${type} gives an IAM user ${type === "aws_iam_access_key" ? "a long-lived access key" : "permissions directly"}`,
        };
    // the shared attachment resource can attach a managed policy to users as well as roles/groups
    for (const resource of context.resources("aws_iam_policy_attachment"))
      if (strings(resource.config.users).length > 0)
        yield {
          resource,
          problem: "aws_iam_policy_attachment gives an IAM user permissions directly",
        };
  },
};
