import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsFinalSnapshot = resourceRule({
  id: "rds-final-snapshot",
  severity: "error",
  description: "Deleting a production RDS database takes a final snapshot first.",
  reason:
    "Automated backups are deleted with the instance (or expire); the final snapshot is the copy that survives a deletion.",
  reference: "AWS Well-Architected REL09-BP01; DESIGN.md section 7 (final snapshots in production)",
  fix: "Set skip_final_snapshot = false and a final_snapshot_identifier (the Database construct does for the production tier).",
  tiers: ["production"],
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database) {
    const problems: string[] = [];
    // the provider's default is false (take the snapshot); without an identifier the delete fails
    if (isTrue(database.config.skip_final_snapshot)) problems.push("skip_final_snapshot is true");
    else if (!database.config.final_snapshot_identifier)
      problems.push("no final_snapshot_identifier");
    return problems;
  },
});
