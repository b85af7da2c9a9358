import { resourceRule } from "../rule";
import { valuesOf } from "../private/helm";
import { inSameNamespace, releaseNames } from "../private/kubernetes";
import { block, isTrue } from "../private/values";

export const k8sHpaInProduction = resourceRule({
  id: "k8s-hpa-in-production",
  severity: "error",
  description:
    "Every production Helm release scales horizontally (a HorizontalPodAutoscaler from its values or an object).",
  reason:
    "A fixed replica count is either too small for a traffic peak or paid for all night; the HPA follows load, and Cluster Autoscaler adds the nodes.",
  reference:
    "Amazon EKS Best Practices Guide (reliability), Horizontal Pod Autoscaler; DESIGN.md section 7 (PDB/HPA in production)",
  fix: "Enable the chart's autoscaling (hpa.enabled or autoscaling.enabled), or add a kubernetes_horizontal_pod_autoscaler_v2 whose scale_target_ref names the release's Deployment; suppress for controllers that run one active replica.",
  tiers: ["production"],
  types: ["helm_release"],
  check(release, context) {
    const values = [...valuesOf(release)];
    // the last value of a path wins (later values documents, then `set` entries, whose "true" is a string)
    const enabled = (path: string) => values.filter((v) => v.path === path).pop()?.value;
    if (["hpa.enabled", "autoscaling.enabled"].some((path) => isTrue(enabled(path))))
      return undefined;
    const names = releaseNames(release, values);
    const scalers = inSameNamespace(
      context.resources("kubernetes_horizontal_pod_autoscaler_v2"),
      (hpa) => block(hpa.config.metadata).namespace,
      release.config.namespace,
      context,
    ).filter((hpa) => names.includes(String(block(block(hpa.config.spec).scale_target_ref).name)));
    if (scalers.length === 0)
      return `no autoscaling value and no HorizontalPodAutoscaler targeting ${names.map((n) => JSON.stringify(n)).join(" or ")}`;
    return undefined;
  },
});
