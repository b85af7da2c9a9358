import type { PolicyRule } from "../rule";
import { valuesOf } from "../private/helm";
import { containersOf, workloads } from "../private/kubernetes";

export const k8sImageTagPinned: PolicyRule = {
  id: "k8s-image-tag-pinned",
  severity: "error",
  description: 'No Helm value or container uses the "latest" image tag or an untagged image.',
  reason:
    "latest means whatever was pushed last: pods started on different days run different code and a rollback restores nothing.",
  reference: "checkov CKV_K8S_14; Kubernetes docs, Configuration best practices (avoid :latest)",
  fix: "Set the image tag to a released version (or a digest); the release tool pins versions per colour.",
  *check(context) {
    for (const release of context.resources("helm_release"))
      for (const value of valuesOf(release))
        if (
          value.key === "tag" &&
          /(^|\.)image\.tag$/.test(value.path) &&
          String(value.value) === "latest"
        )
          yield { resource: release, problem: `values set ${value.path} to "latest"` };
    for (const { resource, pod } of workloads(context))
      for (const container of containersOf(pod)) {
        const image = String(container.image ?? "");
        if (image.includes("${")) continue;
        const last = image.split("/").pop() ?? "";
        if (!image.includes("@") && (!last.includes(":") || last.endsWith(":latest")))
          yield {
            resource,
            problem: `container ${JSON.stringify(container.name ?? null)} image ${JSON.stringify(image)} is not pinned to a tag other than latest`,
          };
      }
  },
};
