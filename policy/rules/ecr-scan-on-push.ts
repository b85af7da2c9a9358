import { resourceRule } from "../rule";
import { block, blocks, isExpression, isTrue } from "../private/values";

/** Registry scan frequencies that scan an image when it is pushed. */
const AT_PUSH = ["SCAN_ON_PUSH", "CONTINUOUS_SCAN"];

/**
 * Whether an ECR repository filter matches a repository name: a filter without `*` matches names
 * that contain it, `*` stands for any characters (ECR user guide, Filter wildcards). A name known
 * only at apply time counts as matched.
 */
function filterMatches(filter: unknown, name: unknown): boolean {
  if (typeof name !== "string" || isExpression(name)) return true;
  const text = String(filter ?? "");
  if (!text.includes("*")) return name.includes(text);
  const pattern = text
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${pattern}$`).test(name);
}

export const ecrScanOnPush = resourceRule({
  id: "ecr-scan-on-push",
  severity: "error",
  description: "Every ECR repository scans images on push.",
  reason: "A scan at push time finds known vulnerable packages before the image is released.",
  reference: "AWS FSBP ECR.1; checkov CKV_AWS_163",
  fix: "Set image_scanning_configuration.scan_on_push = true (or configure enhanced scanning for the registry).",
  types: ["aws_ecr_repository"],
  check(repository, context) {
    // a registry scanning configuration scans a repository only through a rule whose filters match it
    const registryScans = context
      .resources("aws_ecr_registry_scanning_configuration")
      .some((configuration) =>
        blocks(configuration.config.rule).some(
          (rule) =>
            AT_PUSH.includes(String(rule.scan_frequency)) &&
            blocks(rule.repository_filter).some((f) =>
              filterMatches(f.filter, repository.config.name),
            ),
        ),
      );
    if (registryScans) return undefined;
    if (!isTrue(block(repository.config.image_scanning_configuration).scan_on_push))
      return "image_scanning_configuration.scan_on_push is not true";
    return undefined;
  },
});
