import { Construct } from "constructs";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { GITHUB_REPOSITORY, githubTrustPolicy } from "./github-deploy-roles";
import { MAX_ROLE_NAME_LENGTH, policyJson } from "./private/iam";
import { EncryptionKey } from "./encryption-key";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { type AwsEnvironment, type Tier } from "./types";

/** Props of {@link ContainerRegistry}. */
export interface ContainerRegistryProps {
  /** Account and region of the repositories. */
  readonly environment: AwsEnvironment;
  /** Repository names (one per application), e.g. `["web", "api"]`. */
  readonly repositories: readonly string[];
  /** Path prefix of every repository name (`<prefix>/<repository>`). @default the construct id */
  readonly prefix?: string;
  /** Images kept per repository; older ones expire. @default 30 */
  readonly keepImages?: number;
  /** Tier: production protects repositories and their key from destroy; development deletes repositories with their images on destroy (`force_delete`). @default "production" */
  readonly tier?: Tier;
  /**
   * The GitHub repository (`owner/name`) whose workflows push each repository's images, by
   * repository name: each gets a push role `<prefix>-push-<repository>` that GitHub Actions
   * assumes through OIDC from that repository's `main` branch or tags (the image-build workflow),
   * allowed to push to that one repository only. Requires `githubOidcProviderArn`. @default none
   */
  readonly pushers?: Readonly<Record<string, string>>;
  /** ARN of the account's GitHub OIDC provider (GithubDeployRoles.oidcProviderArn). @default none */
  readonly githubOidcProviderArn?: string;
}

/** The ECR actions of an image push (docker push), besides GetAuthorizationToken. */
export const IMAGE_PUSH_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
  "ecr:BatchGetImage",
];

const REPOSITORY_NAME = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** Every problem with registry props, fields named as the props. */
export function validateContainerRegistryProps(
  props: ContainerRegistryProps & { readonly prefix: string },
): Problem[] {
  const p = new ProblemList();
  props.repositories.forEach((repo, i) => {
    if (isToken(repo)) return;
    const full = `${props.prefix}/${repo}`;
    p.check(
      REPOSITORY_NAME.test(full) && full.length <= 256,
      `repositories[${i}]`,
      repo,
      `an ECR repository name: lowercase letters, digits and . _ - / (full name "${full}", at most 256 characters)`,
    );
  });
  for (const [repository, github] of Object.entries(props.pushers ?? {})) {
    p.check(
      props.repositories.includes(repository),
      `pushers.${repository}`,
      repository,
      `one of the repositories (${props.repositories.join(", ")})`,
    );
    p.checkValue(
      github,
      (v) => GITHUB_REPOSITORY.test(v),
      `pushers.${repository}`,
      "a GitHub repository as owner/name, e.g. example-org/web",
    );
    const role = `${props.prefix}-push-${repository}`;
    p.check(
      role.length <= MAX_ROLE_NAME_LENGTH,
      `pushers.${repository}`,
      role,
      `a push role name of at most ${MAX_ROLE_NAME_LENGTH} characters`,
    );
  }
  if (Object.keys(props.pushers ?? {}).length > 0)
    p.check(
      props.githubOidcProviderArn !== undefined,
      "githubOidcProviderArn",
      undefined,
      "the account's GitHub OIDC provider ARN when pushers are given",
    );
  const duplicates = props.repositories.filter((r, i) => props.repositories.indexOf(r) !== i);
  p.check(duplicates.length === 0, "repositories", duplicates, "each repository once");
  const keep = props.keepImages ?? 30;
  p.check(
    Number.isInteger(keep) && keep >= 1 && keep <= 10000,
    "keepImages",
    keep,
    "an integer from 1 to 10000",
  );
  return [...p.problems];
}

/**
 * ECR repositories for the application images: immutable tags, scan on push, KMS encryption with a
 * customer key, and a lifecycle policy that keeps the last `keepImages` images. Production: the
 * repositories and key have `prevent_destroy`; development: `force_delete`, so a destroy removes a
 * repository with its images.
 */
export class ContainerRegistry extends Construct {
  /** Repositories by name. */
  readonly repositories: Record<string, EcrRepository>;
  /** Repository URLs by name (`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<name>`). */
  readonly repositoryUrls: Record<string, string>;
  /** The key encrypting the images. */
  readonly encryptionKey: EncryptionKey;
  /** The push roles of the repositories that have pushers, by repository name. */
  readonly pushRoles: Record<string, IamRole> = {};

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    const prefix = props.prefix ?? id;
    throwIfProblems(this, validateContainerRegistryProps({ ...props, prefix }));
    const production = (props.tier ?? "production") === "production";
    const keep = props.keepImages ?? 30;
    this.encryptionKey = new EncryptionKey(this, "key", {
      environment: props.environment,
      description: `Container images of ${prefix}`,
      alias: `ecr/${prefix}`,
      preventDestroy: production,
    });
    this.repositories = {};
    this.repositoryUrls = {};
    for (const name of props.repositories) {
      const repository = new EcrRepository(this, `repository-${name}`, {
        name: `${prefix}/${name}`,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: "KMS", kmsKey: this.encryptionKey.keyArn }],
        // A repository that still holds images cannot be deleted: development environments are
        // torn down whole (npm run destroy), production repositories never go with their images.
        forceDelete: !production,
        lifecycle: production ? { preventDestroy: true } : undefined,
      });
      new EcrLifecyclePolicy(this, `repository-${name}-lifecycle`, {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `Keep the last ${keep} images`,
              selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
              action: { type: "expire" },
            },
          ],
        }),
      });
      this.repositories[name] = repository;
      this.repositoryUrls[name] = repository.repositoryUrl;
      const github = props.pushers?.[name];
      if (github && props.githubOidcProviderArn) {
        const role = new IamRole(this, `repository-${name}-push-role`, {
          name: `${prefix}-push-${name}`,
          description: `GitHub Actions of ${github} pushing images to ${prefix}/${name}`,
          // GitHub's default subject of a job without an environment: main, or a tag
          assumeRolePolicy: githubTrustPolicy(props.githubOidcProviderArn, [
            `repo:${github}:ref:refs/heads/main`,
            `repo:${github}:ref:refs/tags/*`,
          ]),
        });
        new IamRolePolicy(this, `repository-${name}-push-policy`, {
          name: "push",
          role: role.id,
          policy: policyJson([
            // GetAuthorizationToken has no resource type: "*" is its only resource
            {
              Sid: "RegistryLogin",
              Effect: "Allow",
              Action: "ecr:GetAuthorizationToken",
              Resource: "*",
            },
            {
              Sid: "PushToRepository",
              Effect: "Allow",
              Action: IMAGE_PUSH_ACTIONS,
              Resource: repository.arn,
            },
          ]),
        });
        this.pushRoles[name] = role;
      }
    }
  }
}
