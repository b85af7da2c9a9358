import type { PolicyRule } from "../rule";
import { namespaces } from "../private/kubernetes";
import { block } from "../private/values";

const LABEL = "pod-security.kubernetes.io/enforce";
const ACCEPTED = ["restricted", "baseline"];

export const k8sNamespacePodSecurity: PolicyRule = {
  id: "k8s-namespace-pod-security",
  severity: "error",
  description:
    "Every namespace the stack creates enforces the baseline or restricted Pod Security Standard.",
  reason:
    "Pod Security admission is the cluster's built-in guard against privileged pods, host namespaces and hostPath mounts; without the label a namespace admits them.",
  reference:
    "CIS EKS 4.2 (Pod Security Standards); CIS Kubernetes 5.2.1; Kubernetes docs, Pod Security Admission",
  fix: `Label the namespace ${LABEL}: restricted (or baseline), with matching warn and audit labels.`,
  *check(context) {
    for (const namespace of namespaces(context)) {
      const labels = (block(namespace.config.metadata).labels ?? {}) as Record<string, unknown>;
      const level = labels[LABEL];
      if (!ACCEPTED.includes(String(level)))
        yield {
          resource: namespace,
          problem: `label ${LABEL} is ${JSON.stringify(level ?? null)}`,
        };
    }
  },
};
