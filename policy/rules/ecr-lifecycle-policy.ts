import { resourceRule } from "../rule";

export const ecrLifecyclePolicy = resourceRule({
  id: "ecr-lifecycle-policy",
  severity: "warning",
  description: "Every ECR repository has a lifecycle policy.",
  reason:
    "Without one, every image ever pushed is kept: storage grows without bound and old vulnerable images stay pullable.",
  reference: "AWS FSBP ECR.3",
  fix: "Add an aws_ecr_lifecycle_policy for the repository (the ContainerRegistry construct keeps registry.keepImages images).",
  types: ["aws_ecr_repository"],
  check(repository, context) {
    if (context.referencing("aws_ecr_lifecycle_policy", "repository", repository).length === 0)
      return "no aws_ecr_lifecycle_policy refers to this repository";
    return undefined;
  },
});
