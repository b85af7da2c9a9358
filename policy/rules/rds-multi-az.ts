import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsMultiAz = resourceRule({
  id: "rds-multi-az",
  severity: "error",
  description: "Production RDS instances are Multi-AZ.",
  reason:
    "A single-AZ instance is down for the whole of an AZ outage, a host failure or a maintenance reboot; Multi-AZ fails over in about a minute.",
  reference: "AWS FSBP RDS.5; checkov CKV_AWS_157",
  fix: "Set multi_az = true (the Database construct does for the production tier).",
  tiers: ["production"],
  types: ["aws_db_instance"],
  check(database) {
    if (database.config.replicate_source_db) return undefined;
    if (!isTrue(database.config.multi_az))
      return `multi_az is ${JSON.stringify(database.config.multi_az ?? false)}`;
    return undefined;
  },
});
