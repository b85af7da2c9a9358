import type { PolicyRule } from "../rule";
import { namespaces } from "../private/kubernetes";
import { block, blocks, referencedAddresses, strings } from "../private/values";

export const k8sNamespaceDefaultDeny: PolicyRule = {
  id: "k8s-namespace-default-deny",
  severity: "error",
  description: "Every namespace the stack creates has a default-deny ingress NetworkPolicy.",
  reason:
    "Kubernetes lets every pod reach every other pod by default; a default deny makes each allowed path an explicit, reviewed policy.",
  reference: "CIS EKS 4.3.2; CIS Kubernetes 5.3.2; Amazon EKS Best Practices Guide, Network policy",
  fix: 'Add a kubernetes_network_policy_v1 in the namespace with an empty pod_selector and policy_types ["Ingress"], then allow what must reach the pods (the BlueGreenRelease construct does).',
  *check(context) {
    // the default-deny policies, by the namespace they name and the namespaces they refer to
    const deniedNames = new Set<unknown>();
    const deniedAddresses = new Set<string>();
    for (const p of context.resources("kubernetes_network_policy_v1")) {
      const metadata = block(p.config.metadata);
      const spec = block(p.config.spec);
      const everyPod = Object.keys(block(spec.pod_selector)).length === 0;
      const denies =
        everyPod &&
        strings(spec.policy_types).includes("Ingress") &&
        blocks(spec.ingress).length === 0; // no rules (unset or []) admits nothing
      if (!denies) continue;
      deniedNames.add(metadata.namespace);
      for (const address of referencedAddresses(metadata.namespace)) deniedAddresses.add(address);
    }
    for (const namespace of namespaces(context)) {
      const name = block(namespace.config.metadata).name;
      if (!deniedAddresses.has(namespace.address) && !deniedNames.has(name))
        yield {
          resource: namespace,
          problem: `no NetworkPolicy selecting every pod of namespace ${JSON.stringify(name ?? null)} denies ingress by default`,
        };
    }
  },
};
