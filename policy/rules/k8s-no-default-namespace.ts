import type { PolicyRule } from "../rule";
import { block } from "../private/values";
import { CLUSTER_SCOPED, namespaceName } from "../private/kubernetes";

export const k8sNoDefaultNamespace: PolicyRule = {
  id: "k8s-no-default-namespace",
  severity: "error",
  description: "No Kubernetes object or Helm release goes into the default namespace.",
  reason:
    "The default namespace has no Pod Security labels, network policies or quotas of its own, and everything in it shares one blast radius.",
  reference: "CIS Kubernetes 5.7.4; CIS EKS 4.6.3; checkov CKV_K8S_21",
  fix: "Create a namespace for the workload (kubernetes_namespace_v1) and set metadata.namespace, or the helm_release namespace, to it.",
  *check(context) {
    for (const release of context.resources("helm_release")) {
      const name =
        release.config.namespace === undefined
          ? "default"
          : namespaceName(release.config.namespace, context);
      if (name === "default")
        yield {
          resource: release,
          problem:
            release.config.namespace === undefined
              ? "namespace is unset (Helm's default is default)"
              : 'namespace is "default"',
        };
    }
    for (const type of [
      "kubernetes_service_v1",
      "kubernetes_ingress_v1",
      "kubernetes_network_policy_v1",
      "kubernetes_pod_disruption_budget_v1",
      "kubernetes_horizontal_pod_autoscaler_v2",
      "kubernetes_config_map_v1",
      "kubernetes_secret_v1",
      "kubernetes_service_account_v1",
      "kubernetes_role_v1",
      "kubernetes_role_binding_v1",
      "kubernetes_deployment_v1",
      "kubernetes_daemon_set_v1",
      "kubernetes_stateful_set_v1",
      "kubernetes_job_v1",
      "kubernetes_cron_job_v1",
      "kubernetes_pod_v1",
      "kubernetes_persistent_volume_claim_v1",
    ]) {
      if (CLUSTER_SCOPED.has(type)) continue;
      for (const resource of context.resources(type)) {
        const value = block(resource.config.metadata).namespace;
        const name = value === undefined ? "default" : namespaceName(value, context);
        if (name === "default")
          yield {
            resource,
            problem:
              value === undefined
                ? "metadata.namespace is unset (the provider uses default)"
                : 'metadata.namespace is "default"',
          };
      }
    }
  },
};
