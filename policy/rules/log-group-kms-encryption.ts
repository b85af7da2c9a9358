import { resourceRule } from "../rule";

export const logGroupKmsEncryption = resourceRule({
  id: "log-group-kms-encryption",
  severity: "error",
  description: "Every CloudWatch Logs group is encrypted with a customer managed KMS key.",
  reason:
    "Logs carry request paths, error messages and sometimes tokens; a key policy decides who can read them, beyond logs:GetLogEvents.",
  reference: "checkov CKV_AWS_158",
  fix: "Set kms_key_id to a customer managed key whose policy lets logs.<region>.amazonaws.com use it for this log group.",
  types: ["aws_cloudwatch_log_group"],
  check(group) {
    if (!group.config.kms_key_id) return "no kms_key_id";
    return undefined;
  },
});
