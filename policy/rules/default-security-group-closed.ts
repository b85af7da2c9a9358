import { resourceRule } from "../rule";
import { blocks } from "../private/values";

export const defaultSecurityGroupClosed = resourceRule({
  id: "default-security-group-closed",
  severity: "error",
  description: "Every VPC's default security group is managed and allows no traffic.",
  reason:
    "Anything launched without a security group lands in the default group, which by default lets its members reach each other and the internet.",
  reference: "CIS AWS 5.4; AWS FSBP EC2.2; checkov CKV2_AWS_12",
  fix: "Add an aws_default_security_group for the VPC with ingress = [] and egress = [] (the Network construct does).",
  types: ["aws_vpc"],
  check(vpc, context) {
    const groups = context.referencing("aws_default_security_group", "vpc_id", vpc);
    if (groups.length === 0)
      return "no aws_default_security_group manages this VPC's default group";
    return groups.flatMap((g) =>
      (["ingress", "egress"] as const)
        .filter(
          (direction) =>
            g.config[direction] === undefined || blocks(g.config[direction]).length > 0,
        )
        .map((direction) =>
          g.config[direction] === undefined
            ? `${g.address}: ${direction} is not set to [] (Terraform then leaves existing rules in place)`
            : `${g.address}: ${direction} has rules`,
        ),
    );
    return undefined;
  },
});
