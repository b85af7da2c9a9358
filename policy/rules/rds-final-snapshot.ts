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
    if (
      isTrue(database.config.skip_final_snapshot) ||
      database.config.skip_final_snapshot === undefined
    )
      problems.push(
        `skip_final_snapshot is ${JSON.stringify(database.config.skip_final_snapshot ?? null)} (the provider's default skips it)`,
      );
    else if (!database.config.final_snapshot_identifier)
      problems.push("no final_snapshot_identifier");
    return problems;
  },
});
