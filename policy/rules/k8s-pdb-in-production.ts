import { resourceRule } from "../rule";
import { valuesOf, type FoundValue } from "../private/helm";
import { inSameNamespace, releaseNames } from "../private/kubernetes";
import { block, isFalse, isTrue } from "../private/values";

/** Whether a values object configures a disruption budget (`{ enabled: true }`, `{ minAvailable }`, ...). */
function enablesBudget(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.enabled === false || v.create === false) return false;
  return (
    v.enabled === true ||
    v.create === true ||
    v.minAvailable !== undefined ||
    v.maxUnavailable !== undefined
  );
}

/**
 * The settings of each `podDisruptionBudget`/`pdb` object of the values, from its leaves so that
 * `set` entries (`podDisruptionBudget.enabled` = "true") count and override the values documents.
 */
function budgetSettings(values: readonly FoundValue[]): Record<string, unknown>[] {
  const settings = new Map<string, Record<string, unknown>>();
  for (const v of values) {
    const match =
      /^((?:.*\.)?(?:podDisruptionBudget|pdb))\.(enabled|create|minAvailable|maxUnavailable)$/.exec(
        v.path,
      );
    if (!match) continue;
    const value = isTrue(v.value) ? true : isFalse(v.value) ? false : v.value;
    settings.set(match[1], { ...settings.get(match[1]), [match[2]]: value });
  }
  return [...settings.values()];
}

export const k8sPdbInProduction = resourceRule({
  id: "k8s-pdb-in-production",
  severity: "error",
  description:
    "Every production Helm release has a PodDisruptionBudget (from its values or a PodDisruptionBudget object).",
  reason:
    "Node upgrades, Cluster Autoscaler scale-downs and spot interruptions drain nodes; without a budget every replica can be evicted at once.",
  reference:
    "Amazon EKS Best Practices Guide (reliability), Pod Disruption Budgets; DESIGN.md section 7 (PDB/HPA in production)",
  fix: "Enable the chart's podDisruptionBudget value, or add a kubernetes_pod_disruption_budget_v1 in the release's namespace selecting its pods (the BlueGreenRelease construct does).",
  tiers: ["production"],
  types: ["helm_release"],
  check(release, context) {
    const values = [...valuesOf(release)];
    if (budgetSettings(values).some(enablesBudget)) return undefined;
    const names = releaseNames(release, values);
    const budgets = inSameNamespace(
      context.resources("kubernetes_pod_disruption_budget_v1"),
      (pdb) => block(pdb.config.metadata).namespace,
      release.config.namespace,
      context,
    ).filter((pdb) => {
      const selector = block(block(pdb.config.spec).selector);
      const labels = Object.values((selector.match_labels ?? {}) as Record<string, unknown>).map(
        String,
      );
      return labels.some((l) => names.includes(l));
    });
    if (budgets.length === 0)
      return `no podDisruptionBudget value and no PodDisruptionBudget selecting ${names.map((n) => JSON.stringify(n)).join(" or ")}`;
    return undefined;
  },
});
