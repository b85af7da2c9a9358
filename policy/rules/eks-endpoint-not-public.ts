import { resourceRule } from "../rule";
import { block, isFalse, strings } from "../private/values";

const WORLD = ["0.0.0.0/0", "::/0"];

export const eksEndpointNotPublic = resourceRule({
  id: "eks-endpoint-not-public",
  severity: "error",
  description: "No EKS API endpoint is open to the whole internet.",
  reason:
    "The Kubernetes API is the cluster's control plane; open to 0.0.0.0/0 it is one leaked credential or API-server CVE away from takeover.",
  reference: "CIS EKS 5.4.2; AWS FSBP EKS.1; checkov CKV_AWS_38, CKV_AWS_39",
  fix: "Set vpc_config.endpoint_public_access = false, or list the few CIDRs that need it in public_access_cidrs (never 0.0.0.0/0).",
  types: ["aws_eks_cluster"],
  check(cluster) {
    const vpc = block(cluster.config.vpc_config);
    if (isFalse(vpc.endpoint_public_access)) return undefined;
    const cidrs = strings(vpc.public_access_cidrs);
    if (cidrs.length === 0)
      return "endpoint_public_access is on (the provider's default) and public_access_cidrs is unset, which means 0.0.0.0/0";
    const open = cidrs.filter((c) => WORLD.includes(c));
    if (open.length > 0) return `public_access_cidrs includes ${open.join(", ")}`;
    return undefined;
  },
});
