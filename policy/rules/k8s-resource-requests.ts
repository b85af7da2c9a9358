import type { PolicyRule } from "../rule";
import { valuesOf } from "../private/helm";
import { containersOf, workloads } from "../private/kubernetes";
import { block } from "../private/values";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const k8sResourceRequests: PolicyRule = {
  id: "k8s-resource-requests",
  severity: "error",
  description: "Every Helm release and container declares CPU and memory requests.",
  reason:
    "Without requests the scheduler packs pods blindly and the autoscalers cannot size the cluster; under memory pressure such pods are evicted first.",
  reference:
    "checkov CKV_K8S_10, CKV_K8S_12; Amazon EKS Best Practices Guide, Set requests and limits",
  fix: "Set resources.requests.cpu and resources.requests.memory in the release values (for every component the chart runs) or on each container.",
  *check(context) {
    for (const release of context.resources("helm_release")) {
      // requests per `resources` object (by its values path), merging what the values documents
      // hold with `set` entries such as `resources.requests.cpu` (which come as single leaves)
      const found = new Map<string, Record<string, unknown>>();
      for (const v of valuesOf(release)) {
        if (v.key === "resources" && isObject(v.value)) {
          const requests = v.value.requests;
          found.set(v.path, { ...found.get(v.path), ...(isObject(requests) ? requests : {}) });
        }
        const leaf = /^((?:.*\.)?resources)\.requests\.([^.]+)$/.exec(v.path);
        if (leaf) found.set(leaf[1], { ...found.get(leaf[1]), [leaf[2]]: v.value });
      }
      const compute = [...found].filter(([, requests]) => !("storage" in requests));
      if (compute.length === 0) {
        yield {
          resource: release,
          problem: "the values set no resources (the chart's defaults, often none, apply)",
        };
        continue;
      }
      for (const [path, requests] of compute) {
        const missing = ["cpu", "memory"].filter((k) => requests[k] === undefined);
        if (missing.length > 0)
          yield {
            resource: release,
            problem: `values ${path}.requests lacks ${missing.join(" and ")}`,
          };
      }
    }
    for (const { resource, pod } of workloads(context))
      for (const container of containersOf(pod)) {
        const requests = block(block(container.resources).requests) as Record<string, unknown>;
        const missing = ["cpu", "memory"].filter((k) => requests[k] === undefined);
        if (missing.length > 0)
          yield {
            resource,
            problem: `container ${JSON.stringify(container.name ?? null)} has no ${missing.join(" or ")} request`,
          };
      }
  },
};
