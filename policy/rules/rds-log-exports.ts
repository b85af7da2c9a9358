import { resourceRule } from "../rule";
import { strings } from "../private/values";

/** Log types every engine family must export to CloudWatch Logs. */
const REQUIRED: Record<string, readonly string[]> = {
  postgres: ["postgresql"],
  "aurora-postgresql": ["postgresql"],
  mysql: ["error", "slowquery"],
  "aurora-mysql": ["error", "slowquery"],
  mariadb: ["error", "slowquery"],
};

export const rdsLogExports = resourceRule({
  id: "rds-log-exports",
  severity: "error",
  description: "Every RDS instance exports its engine logs to CloudWatch Logs.",
  reason:
    "Engine logs on the instance rotate away within days and cannot be searched or alarmed on; exported, they outlive the instance.",
  reference: "AWS FSBP RDS.9; checkov CKV_AWS_129",
  fix: "Set enabled_cloudwatch_logs_exports to include the engine's log types (postgresql for PostgreSQL) and create the log groups first, encrypted.",
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database) {
    const engine = String(database.config.engine ?? "");
    const required = REQUIRED[engine];
    if (!required) return undefined;
    const exported = strings(database.config.enabled_cloudwatch_logs_exports);
    const missing = required.filter((type) => !exported.includes(type));
    if (missing.length > 0)
      return `enabled_cloudwatch_logs_exports ${JSON.stringify(exported)} lacks ${missing.join(", ")}`;
    return undefined;
  },
});
