import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const subnetNoAutoPublicIp = resourceRule({
  id: "subnet-no-auto-public-ip",
  severity: "error",
  description: "No subnet gives instances a public IP address automatically.",
  reason:
    "An automatic public IP makes any instance started in the subnet reachable from the internet, whatever its owner intended; load balancers and NAT gateways get their own addresses.",
  reference: "AWS FSBP EC2.15; checkov CKV_AWS_130",
  fix: "Leave map_public_ip_on_launch unset or false (the Network construct does, public subnets included).",
  types: ["aws_subnet"],
  check(subnet) {
    if (isTrue(subnet.config.map_public_ip_on_launch)) return "map_public_ip_on_launch is true";
    return undefined;
  },
});
