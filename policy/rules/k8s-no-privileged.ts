import type { PolicyRule } from "../rule";
import { valuesOf } from "../private/helm";
import { containersOf, workloads } from "../private/kubernetes";
import { block, isTrue } from "../private/values";

/** Value keys that make a container privileged or let it gain privileges. */
const KEYS = ["privileged", "allowPrivilegeEscalation"];

export const k8sNoPrivileged: PolicyRule = {
  id: "k8s-no-privileged",
  severity: "error",
  description:
    "No Helm value or pod spec makes a container privileged or lets it escalate privileges.",
  reason:
    "A privileged container is root on the node: it can read every pod's secrets and the node role's credentials.",
  reference: "CIS Kubernetes 5.2.2, 5.2.6; CIS EKS 4.2.1, 4.2.5; checkov CKV_K8S_16, CKV_K8S_20",
  fix: "Set privileged and allowPrivilegeEscalation to false (or leave them unset with the chart's safe default), and run under the restricted Pod Security level.",
  *check(context) {
    for (const release of context.resources("helm_release"))
      for (const value of valuesOf(release))
        if (KEYS.includes(value.key) && isTrue(value.value))
          yield { resource: release, problem: `values set ${value.path} to true` };
    for (const { resource, pod } of workloads(context))
      for (const container of containersOf(pod)) {
        const security = block(container.security_context);
        for (const [attribute, key] of [
          ["privileged", "privileged"],
          ["allow_privilege_escalation", "allowPrivilegeEscalation"],
        ])
          if (isTrue(security[attribute]))
            yield {
              resource,
              problem: `container ${JSON.stringify(container.name ?? null)} sets security_context.${attribute} (${key}) to true`,
            };
      }
  },
};
