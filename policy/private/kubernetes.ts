/** Kubernetes objects in synthesized stacks: namespaces, pod specs and containers. */
import type { PolicyResource, RuleContext } from "../rule";
import { block, blocks, referencedAddresses } from "./values";

/** Kubernetes provider types whose objects are cluster-scoped (no namespace). */
export const CLUSTER_SCOPED = new Set([
  "kubernetes_namespace",
  "kubernetes_namespace_v1",
  "kubernetes_storage_class",
  "kubernetes_storage_class_v1",
  "kubernetes_cluster_role",
  "kubernetes_cluster_role_v1",
  "kubernetes_cluster_role_binding",
  "kubernetes_cluster_role_binding_v1",
  "kubernetes_priority_class",
  "kubernetes_priority_class_v1",
  "kubernetes_persistent_volume",
  "kubernetes_persistent_volume_v1",
  "kubernetes_mutating_webhook_configuration",
  "kubernetes_mutating_webhook_configuration_v1",
  "kubernetes_validating_webhook_configuration",
  "kubernetes_validating_webhook_configuration_v1",
  "kubernetes_csi_driver",
  "kubernetes_csi_driver_v1",
  "kubernetes_runtime_class_v1",
  "kubernetes_api_service",
  "kubernetes_api_service_v1",
  "kubernetes_certificate_signing_request",
  "kubernetes_certificate_signing_request_v1",
  "kubernetes_labels",
  "kubernetes_annotations",
  "kubernetes_env",
  "kubernetes_node_taint",
  "kubernetes_manifest",
  "kubernetes_config_map_v1_data",
  "kubernetes_secret_v1_data",
]);

/** Kubernetes provider types that hold a pod template, and where it is. */
export const WORKLOAD_TYPES: Readonly<Record<string, "template" | "pod" | "job" | "cron">> = {
  kubernetes_deployment: "template",
  kubernetes_deployment_v1: "template",
  kubernetes_daemonset: "template",
  kubernetes_daemon_set_v1: "template",
  kubernetes_stateful_set: "template",
  kubernetes_stateful_set_v1: "template",
  kubernetes_replication_controller_v1: "template",
  kubernetes_job: "template",
  kubernetes_job_v1: "template",
  kubernetes_pod: "pod",
  kubernetes_pod_v1: "pod",
  kubernetes_cron_job: "cron",
  kubernetes_cron_job_v1: "cron",
};

/** The pod spec of a workload resource. */
export function podSpecOf(resource: PolicyResource): Record<string, unknown> {
  const spec = block(resource.config.spec);
  switch (WORKLOAD_TYPES[resource.type]) {
    case "pod":
      return spec;
    case "template":
      return block(block(spec.template).spec);
    case "cron":
      return block(block(block(block(spec.job_template).spec).template).spec);
    default:
      return {};
  }
}

/** Every workload resource of the stack with its pod spec. */
export function* workloads(
  context: RuleContext,
): Generator<{ resource: PolicyResource; pod: Record<string, unknown> }> {
  for (const type of Object.keys(WORKLOAD_TYPES))
    for (const resource of context.resources(type)) yield { resource, pod: podSpecOf(resource) };
}

/** The containers (init containers included) of a pod spec. */
export function containersOf(pod: Record<string, unknown>): Record<string, unknown>[] {
  return [...blocks(pod.init_container), ...blocks(pod.container)];
}

/** Every namespace-creating resource of the stack. */
export function namespaces(context: RuleContext): PolicyResource[] {
  return [
    ...context.resources("kubernetes_namespace_v1"),
    ...context.resources("kubernetes_namespace"),
  ];
}

/**
 * The namespace name a value means: a literal, or a reference to a namespace resource of the
 * stack (`${kubernetes_namespace_v1.x.metadata[0].name}`). Undefined when it cannot be known.
 */
export function namespaceName(value: unknown, context: RuleContext): string | undefined {
  if (typeof value !== "string") return undefined;
  if (!value.includes("${")) return value;
  // the first namespace of namespaces(context) the value refers to (refersTo), found through an
  // index of their addresses instead of testing each one: every object of every app asks
  const index = namespaceIndex(context);
  let first: number | undefined;
  for (const address of referencedAddresses(value)) {
    const at = index.positions.get(address);
    if (at !== undefined && (first === undefined || at < first)) first = at;
  }
  const name = first === undefined ? undefined : block(index.list[first].config.metadata).name;
  return typeof name === "string" ? name : undefined;
}

const namespaceIndexes = new WeakMap<
  RuleContext,
  { list: PolicyResource[]; positions: Map<string, number> }
>();

/** The stack's namespaces, and the position of each address among them (built once per stack). */
function namespaceIndex(context: RuleContext) {
  let index = namespaceIndexes.get(context);
  if (!index) {
    const list = namespaces(context);
    const positions = new Map<string, number>();
    list.forEach((n, i) => {
      if (!positions.has(n.address)) positions.set(n.address, i);
    });
    namespaceIndexes.set(context, (index = { list, positions }));
  }
  return index;
}

/**
 * What two namespace values are compared by: the namespace name when it is known (a literal, or a
 * reference to a namespace of the stack), else the value itself (two unknown references are the
 * same namespace only when they are the same text).
 */
function namespaceKey(value: unknown, context: RuleContext): unknown {
  const name = namespaceName(value, context);
  return name === undefined ? value : `\0namespace:${name}`;
}

const inNamespaceIndexes = new WeakMap<readonly PolicyResource[], Map<unknown, PolicyResource[]>>();

/**
 * The resources of a list (`context.resources(type)`) in the namespace a value means: those whose
 * `namespaceOf` means the same namespace as it, in list order. The list is indexed once, so a rule
 * asking for every release does not test every pair.
 */
export function inSameNamespace(
  resources: readonly PolicyResource[],
  namespaceOf: (resource: PolicyResource) => unknown,
  value: unknown,
  context: RuleContext,
): PolicyResource[] {
  let index = inNamespaceIndexes.get(resources);
  if (!index) {
    index = new Map();
    for (const resource of resources) {
      const key = namespaceKey(namespaceOf(resource), context);
      const list = index.get(key);
      if (list) list.push(resource);
      else index.set(key, [resource]);
    }
    inNamespaceIndexes.set(resources, index);
  }
  return index.get(namespaceKey(value, context)) ?? [];
}

/** The names a release's objects get: its `fullnameOverride` value if set, and its release name. */
export function releaseNames(
  release: PolicyResource,
  values: Iterable<{ path: string; value: unknown }>,
): string[] {
  const names = [String(release.config.name ?? "")];
  for (const v of values)
    if (v.path === "fullnameOverride" && typeof v.value === "string") names.push(v.value);
  return names.filter(Boolean);
}
