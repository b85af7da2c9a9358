import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsManagedMasterPassword = resourceRule({
  id: "rds-managed-master-password",
  severity: "error",
  description:
    "RDS master passwords are managed by RDS in Secrets Manager, never set in Terraform.",
  reason:
    "A password argument is stored in plain text in the Terraform state and in every plan; RDS-managed passwords never leave Secrets Manager and rotate.",
  reference:
    "cdk-nag AwsSolutions-SMG4; Amazon RDS User Guide, Password management with Amazon RDS and AWS Secrets Manager",
  fix: "Remove password and set manage_master_user_password = true (with master_user_secret_kms_key_id for a customer key).",
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database) {
    const problems: string[] = [];
    if (database.config.password !== undefined || database.config.master_password !== undefined)
      problems.push("a master password is set in the configuration (it lands in the state)");
    if (
      !isTrue(database.config.manage_master_user_password) &&
      !database.config.replicate_source_db &&
      !database.config.snapshot_identifier
    )
      problems.push("manage_master_user_password is not true");
    return problems;
  },
});
