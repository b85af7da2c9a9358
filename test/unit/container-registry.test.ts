import {
  ContainerRegistry,
  type ContainerRegistryProps,
} from "../../constructs/container-registry";
import { only, resources, synth, TEST_AWS, testStack } from "../helpers";

function registry(props: Partial<ContainerRegistryProps> = {}) {
  const stack = testStack();
  new ContainerRegistry(stack, "registry", {
    environment: TEST_AWS,
    prefix: "prod",
    repositories: ["web", "api"],
    ...props,
  });
  return synth(stack);
}

describe("ContainerRegistry", () => {
  const json = registry();
  const repos = Object.values(resources(json, "aws_ecr_repository"));

  test("one repository per app, keyed by name", () => {
    expect(Object.keys(resources(json, "aws_ecr_repository")).sort()).toEqual([
      expect.stringMatching(/^registry_repository-api_/),
      expect.stringMatching(/^registry_repository-web_/),
    ]);
    expect(repos.map((r) => r.name).sort()).toEqual(["prod/api", "prod/web"]);
  });

  test("immutable tags", () => {
    for (const r of repos) expect(r.image_tag_mutability).toBe("IMMUTABLE");
  });

  test("scan on push", () => {
    for (const r of repos) expect(r.image_scanning_configuration).toEqual({ scan_on_push: true });
  });

  test("KMS encryption with a rotating customer key", () => {
    for (const r of repos) {
      expect(r.encryption_configuration).toEqual([
        {
          encryption_type: "KMS",
          kms_key: expect.stringMatching(/aws_kms_key\.registry_key_.*\.arn/),
        },
      ]);
    }
    expect(only(json, "aws_kms_key").enable_key_rotation).toBe(true);
  });

  test("lifecycle policy keeps the last 30 images by default, N when configured", () => {
    const rules = (j: typeof json) =>
      Object.values(resources(j, "aws_ecr_lifecycle_policy")).map(
        (p) => JSON.parse(String(p.policy)).rules,
      );
    expect(rules(json)[0]).toEqual([
      {
        rulePriority: 1,
        description: "Keep the last 30 images",
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
        action: { type: "expire" },
      },
    ]);
    expect(rules(registry({ keepImages: 5 }))[0][0].selection.countNumber).toBe(5);
  });

  test("production protects repositories and their key; development does not", () => {
    for (const r of repos) expect(r.lifecycle).toEqual({ prevent_destroy: true });
    expect(only(json, "aws_kms_key").lifecycle).toEqual({ prevent_destroy: true });
    const dev = registry({ tier: "development" });
    for (const r of Object.values(resources(dev, "aws_ecr_repository")))
      expect(r.lifecycle).toBeUndefined();
  });

  test("development deletes repositories with their images on destroy (force_delete); production never", () => {
    // ECR refuses to delete a repository that still holds images (RepositoryNotEmptyException)
    const dev = Object.values(resources(registry({ tier: "development" }), "aws_ecr_repository"));
    expect(dev).toHaveLength(2);
    for (const r of dev) expect(r.force_delete).toBe(true);
    for (const r of repos) {
      expect(r.force_delete).toBe(false);
      expect(r.lifecycle).toEqual({ prevent_destroy: true });
    }
  });

  test("fails on bad names, duplicates and keepImages out of range, all at once", () => {
    expect(() => registry({ repositories: ["Web", "api", "api"], keepImages: 0 })).toThrow(
      [
        'test/registry: repositories[0]: received "Web"; expected an ECR repository name: lowercase letters, digits and . _ - / (full name "prod/Web", at most 256 characters)',
        'test/registry: repositories: received ["api"]; expected each repository once',
        "test/registry: keepImages: received 0; expected an integer from 1 to 10000",
      ].join("\n"),
    );
  });
});

test("fails when a pusher names an unknown repository or is not owner/name, or the OIDC provider is missing", () => {
  expect(
    () =>
      new ContainerRegistry(testStack(), "registry", {
        environment: TEST_AWS,
        repositories: ["web"],
        pushers: { api: "example-org/api", web: "web" },
      }),
  ).toThrow(
    [
      'test/registry: pushers.api: received "api"; expected one of the repositories (web)',
      'test/registry: pushers.web: received "web"; expected a GitHub repository as owner/name, e.g. example-org/web',
      "test/registry: githubOidcProviderArn: received nothing; expected the account's GitHub OIDC provider ARN when pushers are given",
    ].join("\n"),
  );
});
