import { resourceRule } from "../rule";
import { block, isTrue } from "../private/values";

export const ecrScanOnPush = resourceRule({
  id: "ecr-scan-on-push",
  severity: "error",
  description: "Every ECR repository scans images on push.",
  reason: "A scan at push time finds known vulnerable packages before the image is released.",
  reference: "AWS FSBP ECR.1; checkov CKV_AWS_163",
  fix: "Set image_scanning_configuration.scan_on_push = true (or configure enhanced scanning for the registry).",
  types: ["aws_ecr_repository"],
  check(repository, context) {
    if (context.resources("aws_ecr_registry_scanning_configuration").length > 0) return undefined;
    if (!isTrue(block(repository.config.image_scanning_configuration).scan_on_push))
      return "image_scanning_configuration.scan_on_push is not true";
    return undefined;
  },
});
