import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsDeletionProtection = resourceRule({
  id: "rds-deletion-protection",
  severity: "error",
  description: "Production RDS databases have deletion protection on.",
  reason:
    "Deletion protection makes the API refuse to delete the database, whatever a plan, a console user or a script asks.",
  reference: "AWS FSBP RDS.7, RDS.8; checkov CKV_AWS_293",
  fix: "Set deletion_protection = true (the Database construct does for the production tier).",
  tiers: ["production"],
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database) {
    if (!isTrue(database.config.deletion_protection))
      return `deletion_protection is ${JSON.stringify(database.config.deletion_protection ?? false)}`;
    return undefined;
  },
});
