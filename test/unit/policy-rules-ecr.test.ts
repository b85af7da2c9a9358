/** Policy rules on ECR repositories: each passes a compliant repository and names what is wrong with a bad one. */
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { problems } from "../support/policy";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/k";

describe("ecr-repository-kms-encryption", () => {
  test("passes a repository encrypted with a customer managed key", () => {
    expect(
      problems("ecr-repository-kms-encryption", (stack) => {
        new EcrRepository(stack, "repository", {
          name: "app",
          encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: KEY }],
        });
      }),
    ).toEqual([]);
  });

  test("fails AES256 by default or by choice, and KMS with the AWS managed key", () => {
    expect(
      problems("ecr-repository-kms-encryption", (stack) => {
        new EcrRepository(stack, "default", { name: "default" });
        new EcrRepository(stack, "aes", {
          name: "aes",
          encryptionConfiguration: [{ encryptionType: "AES256" }],
        });
        new EcrRepository(stack, "aws-managed", {
          name: "aws-managed",
          encryptionConfiguration: [{ encryptionType: "KMS" }],
        });
      }),
    ).toEqual([
      'aes: encryption_type is "AES256", not KMS',
      "aws-managed: no kms_key: the AWS managed aws/ecr key is used",
      'default: encryption_type is "AES256", not KMS',
    ]);
  });
});

describe("ecr-scan-on-push", () => {
  test("passes a repository that scans on push", () => {
    expect(
      problems("ecr-scan-on-push", (stack) => {
        new EcrRepository(stack, "repository", {
          name: "app",
          imageScanningConfiguration: { scanOnPush: true },
        });
      }),
    ).toEqual([]);
  });

  test("passes repositories the registry scanning configuration scans on push or continuously", () => {
    expect(
      problems("ecr-scan-on-push", (stack) => {
        new EcrRegistryScanningConfiguration(stack, "scanning", {
          scanType: "ENHANCED",
          rule: [
            {
              scanFrequency: "CONTINUOUS_SCAN",
              repositoryFilter: [{ filter: "prod-*", filterType: "WILDCARD" }],
            },
            {
              scanFrequency: "SCAN_ON_PUSH",
              repositoryFilter: [{ filter: "web", filterType: "WILDCARD" }],
            },
          ],
        });
        new EcrRepository(stack, "prod-api", { name: "prod-api" });
        new EcrRepository(stack, "team-web-app", { name: "team-web-app" });
      }),
    ).toEqual([]);
  });

  test("fails repositories that neither they nor the registry scan on push", () => {
    expect(
      problems("ecr-scan-on-push", (stack) => {
        new EcrRegistryScanningConfiguration(stack, "scanning", {
          scanType: "BASIC",
          rule: [
            {
              scanFrequency: "SCAN_ON_PUSH",
              repositoryFilter: [{ filter: "prod-*", filterType: "WILDCARD" }],
            },
            {
              scanFrequency: "MANUAL",
              repositoryFilter: [{ filter: "*", filterType: "WILDCARD" }],
            },
          ],
        });
        new EcrRepository(stack, "default", { name: "dev-api" });
        new EcrRepository(stack, "off", {
          name: "dev-web",
          imageScanningConfiguration: { scanOnPush: false },
        });
      }),
    ).toEqual([
      "default: image_scanning_configuration.scan_on_push is not true",
      "off: image_scanning_configuration.scan_on_push is not true",
    ]);
  });

  test("fails a repository when the registry scanning configuration has no rules", () => {
    expect(
      problems("ecr-scan-on-push", (stack) => {
        new EcrRegistryScanningConfiguration(stack, "scanning", { scanType: "ENHANCED" });
        new EcrRepository(stack, "repository", { name: "app" });
      }),
    ).toEqual(["repository: image_scanning_configuration.scan_on_push is not true"]);
  });
});

describe("ecr-immutable-tags", () => {
  test("passes immutable tags, with or without exclusions", () => {
    expect(
      problems("ecr-immutable-tags", (stack) => {
        new EcrRepository(stack, "immutable", { name: "a", imageTagMutability: "IMMUTABLE" });
        new EcrRepository(stack, "with-exclusion", {
          name: "b",
          imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        });
      }),
    ).toEqual([]);
  });

  test("fails mutable tags by default or by choice", () => {
    expect(
      problems("ecr-immutable-tags", (stack) => {
        new EcrRepository(stack, "default", { name: "a" });
        new EcrRepository(stack, "mutable", { name: "b", imageTagMutability: "MUTABLE" });
      }),
    ).toEqual([
      'default: image_tag_mutability is "MUTABLE"',
      'mutable: image_tag_mutability is "MUTABLE"',
    ]);
  });
});

describe("ecr-lifecycle-policy", () => {
  test("passes a repository with a lifecycle policy", () => {
    expect(
      problems("ecr-lifecycle-policy", (stack) => {
        const repository = new EcrRepository(stack, "repository", { name: "app" });
        new EcrLifecyclePolicy(stack, "lifecycle", {
          repository: repository.name,
          policy: JSON.stringify({
            rules: [
              {
                rulePriority: 1,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
                action: { type: "expire" },
              },
            ],
          }),
        });
      }),
    ).toEqual([]);
  });

  test("fails a repository without one", () => {
    expect(
      problems("ecr-lifecycle-policy", (stack) => {
        new EcrRepository(stack, "repository", { name: "app" });
      }),
    ).toEqual(["repository: no aws_ecr_lifecycle_policy refers to this repository"]);
  });
});
