import type { PolicyRule, Violation } from "../rule";
import { blocks, strings } from "../private/values";

const WORLD = ["0.0.0.0/0", "::/0"];

function ports(rule: Record<string, unknown>): string {
  const protocol = String(rule.ip_protocol ?? rule.protocol ?? "");
  if (protocol === "-1" || protocol === "all") return "all ports";
  return rule.from_port === rule.to_port
    ? `port ${String(rule.from_port)}`
    : `ports ${String(rule.from_port)}-${String(rule.to_port)}`;
}

export const securityGroupNoWorldIngress: PolicyRule = {
  id: "security-group-no-world-ingress",
  severity: "error",
  description: "No security group admits traffic from 0.0.0.0/0 or ::/0.",
  reason:
    "An ingress rule open to the world exposes whatever listens on those ports to every scanner on the internet; public entry goes through load balancers the Kubernetes controller manages.",
  reference:
    "CIS AWS 5.2, 5.3; AWS FSBP EC2.18, EC2.19, EC2.53, EC2.54; checkov CKV_AWS_24, CKV_AWS_25, CKV_AWS_260",
  fix: "Admit a referenced security group or the narrow CIDRs that need access instead of 0.0.0.0/0 and ::/0.",
  *check(context) {
    const found: Violation[] = [];
    for (const rule of context.resources("aws_vpc_security_group_ingress_rule")) {
      const cidr = [rule.config.cidr_ipv4, rule.config.cidr_ipv6].find((c) =>
        WORLD.includes(String(c)),
      );
      if (cidr)
        found.push({ resource: rule, problem: `admits ${String(cidr)} on ${ports(rule.config)}` });
    }
    for (const rule of context.resources("aws_security_group_rule")) {
      if (rule.config.type !== "ingress") continue;
      const open = [
        ...strings(rule.config.cidr_blocks),
        ...strings(rule.config.ipv6_cidr_blocks),
      ].filter((c) => WORLD.includes(c));
      if (open.length > 0)
        found.push({
          resource: rule,
          problem: `admits ${open.join(", ")} on ${ports(rule.config)}`,
        });
    }
    for (const group of context.resources("aws_security_group")) {
      for (const ingress of blocks(group.config.ingress)) {
        const open = [...strings(ingress.cidr_blocks), ...strings(ingress.ipv6_cidr_blocks)].filter(
          (c) => WORLD.includes(c),
        );
        if (open.length > 0)
          found.push({
            resource: group,
            problem: `an ingress block admits ${open.join(", ")} on ${ports(ingress)}`,
          });
      }
    }
    yield* found;
  },
};
