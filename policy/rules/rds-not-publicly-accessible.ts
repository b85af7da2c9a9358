import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsNotPubliclyAccessible = resourceRule({
  id: "rds-not-publicly-accessible",
  severity: "error",
  description: "No RDS instance is publicly accessible.",
  reason:
    "A public instance gets an internet-resolvable address; one security group rule away from being reachable by anyone.",
  reference: "AWS FSBP RDS.2; CIS AWS 2.3.3; checkov CKV_AWS_17",
  fix: "Set publicly_accessible = false and place the instance in database subnets without a route to an internet gateway.",
  types: ["aws_db_instance", "aws_rds_cluster_instance"],
  check(database) {
    if (isTrue(database.config.publicly_accessible)) return "publicly_accessible is true";
    return undefined;
  },
});
