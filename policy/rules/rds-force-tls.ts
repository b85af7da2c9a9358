import type { PolicyResource, RuleContext } from "../rule";
import { resourceRule } from "../rule";
import { blocks, refersTo } from "../private/values";

function forcesTls(group: PolicyResource): boolean {
  return blocks(group.config.parameter).some(
    (p) => p.name === "rds.force_ssl" && String(p.value) === "1",
  );
}

function groupOf(database: PolicyResource, context: RuleContext): PolicyResource | undefined {
  const name = database.config.parameter_group_name;
  return context
    .resources("aws_db_parameter_group")
    .find((g) => refersTo(name, g) || (typeof name === "string" && name === g.config.name));
}

export const rdsForceTls = resourceRule({
  id: "rds-force-tls",
  severity: "error",
  description: "Every RDS PostgreSQL instance refuses connections without TLS (rds.force_ssl = 1).",
  reason:
    "PostgreSQL on RDS accepts plain-text connections unless the parameter group forces TLS; credentials and data would cross the VPC in clear text.",
  reference:
    "checkov CKV2_AWS_69; Amazon RDS User Guide, Requiring an SSL/TLS connection to a PostgreSQL DB instance",
  fix: "Attach a parameter group (aws_db_parameter_group) with parameter rds.force_ssl = 1 (the Database construct does).",
  types: ["aws_db_instance"],
  check(database, context) {
    if (!String(database.config.engine ?? "").startsWith("postgres")) return undefined;
    const group = groupOf(database, context);
    if (!group)
      return `parameter_group_name ${JSON.stringify(database.config.parameter_group_name ?? null)} is not a parameter group of this stack, so rds.force_ssl is the engine default (0 before PostgreSQL 15)`;
    if (!forcesTls(group)) return `${group.address} does not set rds.force_ssl = 1`;
    return undefined;
  },
});
