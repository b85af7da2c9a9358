import type { PolicyRule } from "../rule";
import { valuesOf } from "../private/helm";
import { workloads } from "../private/kubernetes";
import { isTrue } from "../private/values";

const VALUES = ["hostNetwork", "hostPID", "hostIPC"];
const ATTRIBUTES = ["host_network", "host_pid", "host_ipc"];

export const k8sNoHostNamespaces: PolicyRule = {
  id: "k8s-no-host-namespaces",
  severity: "error",
  description: "No Helm value or pod spec shares the node's network, PID or IPC namespace.",
  reason:
    "hostNetwork bypasses network policies and security groups for pods and reaches the node's IMDS and kubelet; hostPID/hostIPC expose every process on the node.",
  reference:
    "CIS Kubernetes 5.2.3, 5.2.4, 5.2.5; CIS EKS 4.2.2, 4.2.3, 4.2.4; checkov CKV_K8S_17, CKV_K8S_18, CKV_K8S_19",
  fix: "Leave hostNetwork, hostPID and hostIPC unset or false; a component that truly needs them belongs in a namespace of its own with a suppression explaining why.",
  *check(context) {
    for (const release of context.resources("helm_release"))
      for (const value of valuesOf(release))
        if (VALUES.includes(value.key) && isTrue(value.value))
          yield { resource: release, problem: `values set ${value.path} to true` };
    for (const { resource, pod } of workloads(context))
      for (const attribute of ATTRIBUTES)
        if (isTrue(pod[attribute]))
          yield { resource, problem: `the pod spec sets ${attribute} to true` };
  },
};
