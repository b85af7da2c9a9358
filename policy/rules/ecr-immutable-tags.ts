import { resourceRule } from "../rule";

export const ecrImmutableTags = resourceRule({
  id: "ecr-immutable-tags",
  severity: "error",
  description: "Every ECR repository has immutable image tags.",
  reason:
    "A release pins an image by tag; with mutable tags the same tag can later mean different code, so a rollback or a re-deploy is not what was reviewed.",
  reference: "AWS FSBP ECR.2; checkov CKV_AWS_51",
  fix: 'Set image_tag_mutability = "IMMUTABLE".',
  types: ["aws_ecr_repository"],
  check(repository) {
    const mutability = repository.config.image_tag_mutability ?? "MUTABLE";
    if (mutability !== "IMMUTABLE" && mutability !== "IMMUTABLE_WITH_EXCLUSION")
      return `image_tag_mutability is ${JSON.stringify(mutability)}`;
    return undefined;
  },
});
