import { resourceRule } from "../rule";
import { isFalse } from "../private/values";

export const rdsAutoMinorVersionUpgrade = resourceRule({
  id: "rds-auto-minor-version-upgrade",
  severity: "error",
  description: "RDS instances take minor engine upgrades automatically.",
  reason:
    "Minor versions carry the security fixes; pinned minors fall behind until RDS forces an upgrade at a time it picks.",
  reference: "AWS FSBP RDS.13; checkov CKV_AWS_226",
  fix: "Pin only the major engine version and leave auto_minor_version_upgrade true.",
  types: ["aws_db_instance", "aws_rds_cluster_instance"],
  check(database) {
    if (isFalse(database.config.auto_minor_version_upgrade))
      return "auto_minor_version_upgrade is false";
    return undefined;
  },
});
