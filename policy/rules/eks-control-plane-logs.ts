import { resourceRule } from "../rule";
import { strings } from "../private/values";

const REQUIRED = ["api", "audit", "authenticator"];

export const eksControlPlaneLogs = resourceRule({
  id: "eks-control-plane-logs",
  severity: "error",
  description: "Every EKS cluster sends its api, audit and authenticator logs to CloudWatch Logs.",
  reason:
    "The audit log is the only record of who did what through the Kubernetes API; authenticator logs tie requests to IAM principals.",
  reference: "CIS EKS 2.1.1; AWS FSBP EKS.8; checkov CKV_AWS_37",
  fix: 'Set enabled_cluster_log_types to include "api", "audit" and "authenticator" (the KubernetesCluster construct does).',
  types: ["aws_eks_cluster"],
  check(cluster) {
    const enabled = strings(cluster.config.enabled_cluster_log_types);
    const missing = REQUIRED.filter((t) => !enabled.includes(t));
    if (missing.length > 0)
      return `enabled_cluster_log_types ${JSON.stringify(enabled)} lacks ${missing.join(", ")}`;
    return undefined;
  },
});
