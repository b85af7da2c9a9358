import type { PolicyResource, PolicyRule } from "../rule";
import { strings } from "../private/values";

/** AWS managed policies that amount to administrator access (or the power to grant it). */
export const ADMIN_POLICIES = [
  "arn:aws:iam::aws:policy/AdministratorAccess",
  "arn:aws:iam::aws:policy/PowerUserAccess",
  "arn:aws:iam::aws:policy/IAMFullAccess",
];

const ATTACHMENTS = [
  "aws_iam_role_policy_attachment",
  "aws_iam_user_policy_attachment",
  "aws_iam_group_policy_attachment",
  "aws_iam_policy_attachment",
];

export const iamNoAdminManagedPolicy: PolicyRule = {
  id: "iam-no-admin-managed-policy",
  severity: "error",
  description: "No role, user or group gets AdministratorAccess, PowerUserAccess or IAMFullAccess.",
  reason:
    "These grant (or can grant themselves) every permission in the account; a workload or pipeline role with them turns any compromise into an account takeover.",
  reference: "CIS AWS 1.16; AWS FSBP IAM.1; checkov CKV_AWS_274",
  fix: "Attach the narrow AWS managed policy for the job, or an inline policy with the listed actions and resources.",
  *check(context) {
    const found: { resource: PolicyResource; arn: string }[] = [];
    for (const type of ATTACHMENTS)
      for (const attachment of context.resources(type))
        for (const arn of strings(attachment.config.policy_arn))
          if (ADMIN_POLICIES.includes(arn)) found.push({ resource: attachment, arn });
    for (const role of context.resources("aws_iam_role"))
      for (const arn of strings(role.config.managed_policy_arns))
        if (ADMIN_POLICIES.includes(arn)) found.push({ resource: role, arn });
    for (const { resource, arn } of found) yield { resource, problem: `attaches ${arn}` };
  },
};
