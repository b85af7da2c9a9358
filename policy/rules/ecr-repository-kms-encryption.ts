import { resourceRule } from "../rule";
import { blocks } from "../private/values";

export const ecrRepositoryKmsEncryption = resourceRule({
  id: "ecr-repository-kms-encryption",
  severity: "error",
  description: "Every ECR repository encrypts images with a customer managed KMS key.",
  reason:
    "Images hold the application code and its bundled configuration; a customer key keeps who can pull them under one key policy.",
  reference: "checkov CKV_AWS_136",
  fix: "Set encryption_configuration with encryption_type KMS and kms_key (the ContainerRegistry construct does). It cannot change after creation.",
  types: ["aws_ecr_repository"],
  check(repository) {
    const config = blocks(repository.config.encryption_configuration)[0];
    if (!config || config.encryption_type !== "KMS")
      return `encryption_type is ${JSON.stringify(config?.encryption_type ?? "AES256")}, not KMS`;
    if (!config.kms_key) return "no kms_key: the AWS managed aws/ecr key is used";
    return undefined;
  },
});
