import { resourceRule } from "../rule";
import { block, isFalse } from "../private/values";

export const eksEndpointPrivateInProduction = resourceRule({
  id: "eks-endpoint-private-in-production",
  severity: "error",
  description: "Production EKS clusters have a private API endpoint only.",
  reason:
    "A production control plane reachable from the internet, even through an allow-list, is exposed to stolen laptops and allow-list drift; private access goes through the VPC.",
  reference: "CIS EKS 5.4.2; AWS FSBP EKS.1; checkov CKV_AWS_39",
  fix: "Set vpc_config.endpoint_public_access = false and endpoint_private_access = true (cluster.endpointPublicAccessCidrs: [] in the environment file).",
  tiers: ["production"],
  types: ["aws_eks_cluster"],
  check(cluster) {
    const vpc = block(cluster.config.vpc_config);
    if (!isFalse(vpc.endpoint_public_access))
      return `endpoint_public_access is ${JSON.stringify(vpc.endpoint_public_access ?? true)}`;
    if (vpc.endpoint_private_access !== true && vpc.endpoint_private_access !== "true")
      return "endpoint_private_access is not true (the cluster would have no reachable endpoint)";
    return undefined;
  },
});
