import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsIamAuthentication = resourceRule({
  id: "rds-iam-authentication",
  severity: "warning",
  description: "RDS databases accept IAM authentication.",
  reason:
    "IAM authentication gives apps short-lived tokens tied to their role instead of shared long-lived passwords.",
  reference: "AWS FSBP RDS.10, RDS.12; checkov CKV_AWS_161",
  fix: "Set iam_database_authentication_enabled = true.",
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database) {
    if (database.config.replicate_source_db) return undefined;
    if (!isTrue(database.config.iam_database_authentication_enabled))
      return "iam_database_authentication_enabled is not true";
    return undefined;
  },
});
