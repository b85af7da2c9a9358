import { resourceRule } from "../rule";

/** Days of automated backups each tier needs at least. */
const MINIMUM = { development: 1, production: 7 } as const;

export const rdsBackupRetention = resourceRule({
  id: "rds-backup-retention",
  severity: "error",
  description:
    "Automated backups are on for every RDS database, kept at least 7 days in production.",
  reason:
    "Automated backups are what point-in-time recovery restores from; 0 switches them off, and a short window loses the day a problem is noticed late.",
  reference: "AWS FSBP RDS.11; checkov CKV_AWS_133",
  fix: "Set backup_retention_period to at least 1 (7 in production); the Database construct's backupRetentionDays.",
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database, context) {
    if (database.config.replicate_source_db) return undefined;
    const days = Number(
      database.config.backup_retention_period ?? (database.type === "aws_rds_cluster" ? 1 : 0),
    );
    const minimum = MINIMUM[context.tier];
    if (!(days >= minimum))
      return `backup_retention_period is ${days}; the ${context.tier} tier needs at least ${minimum}`;
    return undefined;
  },
});
