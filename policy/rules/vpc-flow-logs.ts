import { resourceRule } from "../rule";

export const vpcFlowLogs = resourceRule({
  id: "vpc-flow-logs",
  severity: "error",
  description: "Every VPC has a flow log of all (or at least rejected) traffic.",
  reason:
    "Flow logs are the only record of which addresses talked to which inside the VPC: the evidence for an incident and for tightening security groups.",
  reference: "CIS AWS 3.7; AWS FSBP EC2.6; checkov CKV2_AWS_11",
  fix: "Add an aws_flow_log with vpc_id of the VPC and traffic_type ALL (the Network construct does).",
  types: ["aws_vpc"],
  check(vpc, context) {
    const logs = context.referencing("aws_flow_log", "vpc_id", vpc);
    if (logs.length === 0) return "no aws_flow_log refers to this VPC";
    if (!logs.some((l) => l.config.traffic_type === "ALL" || l.config.traffic_type === "REJECT"))
      return `traffic_type is ${logs.map((l) => JSON.stringify(l.config.traffic_type ?? null)).join(", ")}, not ALL or REJECT`;
    return undefined;
  },
});
