/**
 * GitHub Actions' roles: who can assume them (the trust policies evaluated for the tokens GitHub
 * issues to a fork's pull request, another repository, a branch, a tag without the Environment),
 * what they may do, and the validation of their props and of the environment file's section.
 */
import {
  GithubDeployRoles,
  validateGithubDeployRolesProps,
} from "../../constructs/github-deploy-roles";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { loadEnvironments, parseEnvironment } from "../../config/load";
import { stringify } from "yaml";
import {
  TEST_AWS,
  environment,
  environmentFolder,
  rawEnvironment,
  resources,
  synth,
  testStack,
  type StackJson,
} from "../helpers";
import { mayAssumeWithWebIdentity } from "../support/iam-trust";

const ISSUER = "token.actions.githubusercontent.com";
/** The Terraform reference to the stack's GitHub OIDC provider (the Federated principal). */
function providerOf(json: StackJson): string {
  const [name] = Object.entries(resources(json, "aws_iam_openid_connect_provider")).find(([, p]) =>
    String(p.url).includes(ISSUER),
  )!;
  return `\${aws_iam_openid_connect_provider.${name}.arn}`;
}
let PROVIDER = "";

function roles(json: StackJson) {
  const all = resources(json, "aws_iam_role");
  const byName = (name: string) => Object.values(all).find((r) => r.name === name)!;
  return { all, byName };
}

/** The token GitHub issues a job, with the repository's subject template [repo, context, ref]. */
function token(options: { repo?: string; context: string; ref: string; aud?: string }) {
  const repo = options.repo ?? "example-org/platform";
  return {
    provider: PROVIDER,
    claims: {
      [`${ISSUER}:aud`]: options.aud ?? "sts.amazonaws.com",
      [`${ISSUER}:sub`]: `repo:${repo}:${options.context}:ref:${options.ref}`,
    },
  };
}

describe("prod: who can assume the roles", () => {
  const json = synth(
    new InfrastructureStack(testStack("x").node.scope!, "prod-infrastructure", {
      environment: environment("prod"),
    }),
  );
  const { byName } = roles(json);
  beforeAll(() => (PROVIDER = providerOf(json)));
  const deploy = String(byName("prod-github-deploy").assume_role_policy);
  const plan = String(byName("prod-github-plan").assume_role_policy);
  const tag = { context: "environment:production", ref: "refs/tags/v1.4.0" };

  test("a job of this repository in the production Environment on a v*.*.* tag may deploy", () => {
    expect(mayAssumeWithWebIdentity(deploy, token(tag))).toBe(true);
  });

  test.each([
    ["a pull request (a fork's included)", { context: "pull_request", ref: "refs/pull/7/merge" }],
    [
      "a pull request whose workflow names the production Environment",
      { context: "environment:production", ref: "refs/pull/7/merge" },
    ],
    ["another repository on a tag", { ...tag, repo: "evil-org/platform" }],
    ["a fork's repository name", { ...tag, repo: "someone/platform" }],
    [
      "the main branch in the production Environment",
      { context: "environment:production", ref: "refs/heads/main" },
    ],
    [
      "a tag without the production Environment",
      { context: "ref:refs/tags/v1.4.0", ref: "refs/tags/v1.4.0" },
    ],
    ["a tag in another Environment", { context: "environment:staging", ref: "refs/tags/v1.4.0" }],
    [
      "a tag that is not a version",
      { context: "environment:production", ref: "refs/tags/nightly" },
    ],
    ["a token for another audience", { ...tag, aud: "https://github.com/example-org" }],
  ])("%s cannot assume the production deploy role", (_case, options) => {
    expect(mayAssumeWithWebIdentity(deploy, token(options))).toBe(false);
  });

  test("without the repository's subject template (GitHub's default subject) nothing matches: it fails closed", () => {
    const defaultSubject = {
      provider: PROVIDER,
      claims: {
        [`${ISSUER}:aud`]: "sts.amazonaws.com",
        [`${ISSUER}:sub`]: "repo:example-org/platform:environment:production",
      },
    };
    expect(mayAssumeWithWebIdentity(deploy, defaultSubject)).toBe(false);
  });

  test("the plan role takes the repository's pull requests and the tag's plan job, not other repositories", () => {
    expect(
      mayAssumeWithWebIdentity(plan, token({ context: "pull_request", ref: "refs/pull/7/merge" })),
    ).toBe(true);
    expect(
      mayAssumeWithWebIdentity(
        plan,
        token({ context: "ref:refs/tags/v1.4.0", ref: "refs/tags/v1.4.0" }),
      ),
    ).toBe(true);
    expect(
      mayAssumeWithWebIdentity(
        plan,
        token({ context: "pull_request", ref: "refs/pull/7/merge", repo: "evil-org/platform" }),
      ),
    ).toBe(false);
    expect(
      mayAssumeWithWebIdentity(
        plan,
        token({ context: "ref:refs/heads/feature", ref: "refs/heads/feature" }),
      ),
    ).toBe(false);
  });

  test("the deploy role may only assume the environment's deploy role", () => {
    const policies = Object.values(resources(json, "aws_iam_role_policy")).filter((p) =>
      String(p.role).includes("github_deploy-role"),
    );
    expect(policies.map((p) => JSON.parse(String(p.policy)))).toEqual([
      {
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AssumeEnvironmentDeployRole",
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Resource: environment("prod").deployRoleArn,
          },
        ],
      },
    ]);
    const attachments = Object.values(resources(json, "aws_iam_role_policy_attachment")).filter(
      (a) => String(a.role).includes("github_"),
    );
    expect(
      attachments.map((a) => [String(a.role).includes("plan") ? "plan" : "deploy", a.policy_arn]),
    ).toEqual([["plan", "arn:aws:iam::aws:policy/ReadOnlyAccess"]]);
  });

  test("the plan role reads the state and writes only the state lock files", () => {
    const policy = Object.values(resources(json, "aws_iam_role_policy")).find((p) =>
      String(p.role).includes("github_plan-role"),
    )!;
    const bucket = `arn:aws:s3:::${environment("prod").state.bucket}`;
    expect(JSON.parse(String(policy.policy)).Statement).toEqual([
      { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucket}/*` },
      {
        Sid: "TakeStateLock",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:DeleteObject"],
        Resource: `${bucket}/*.tflock`,
      },
    ]);
  });

  test("the plan role views the cluster (AmazonEKSAdminViewPolicy); the deploy role gets no entry of its own", () => {
    const entries = Object.values(resources(json, "aws_eks_access_entry")).filter((e) =>
      String(e.principal_arn).includes("github"),
    );
    const [planName] = Object.entries(resources(json, "aws_iam_role")).find(
      ([, r]) => r.name === "prod-github-plan",
    )!;
    expect(entries.map((e) => e.principal_arn)).toEqual([`\${aws_iam_role.${planName}.arn}`]);
    const associations = Object.values(resources(json, "aws_eks_access_policy_association")).filter(
      (a) => String(a.principal_arn).includes("github"),
    );
    expect(associations.map((a) => [a.policy_arn, a.access_scope])).toEqual([
      ["arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy", { type: "cluster" }],
    ]);
  });

  test("the account's OIDC provider: GitHub's issuer and the STS audience", () => {
    expect(
      Object.values(resources(json, "aws_iam_openid_connect_provider")).filter((p) =>
        String(p.url).includes("githubusercontent"),
      ),
    ).toEqual([
      expect.objectContaining({ url: `https://${ISSUER}`, client_id_list: ["sts.amazonaws.com"] }),
    ]);
  });
});

describe("dev: deploys from main", () => {
  const json = synth(
    new InfrastructureStack(testStack("x").node.scope!, "dev-infrastructure", {
      environment: environment("dev"),
    }),
  );
  const deploy = String(roles(json).byName("dev-github-deploy").assume_role_policy);
  beforeAll(() => (PROVIDER = providerOf(json)));

  test("a main-branch job in the dev Environment may deploy; a feature branch or a tag may not", () => {
    expect(
      mayAssumeWithWebIdentity(
        deploy,
        token({ context: "environment:dev", ref: "refs/heads/main" }),
      ),
    ).toBe(true);
    expect(
      mayAssumeWithWebIdentity(
        deploy,
        token({ context: "environment:dev", ref: "refs/heads/feature" }),
      ),
    ).toBe(false);
    expect(
      mayAssumeWithWebIdentity(
        deploy,
        token({ context: "environment:production", ref: "refs/heads/main" }),
      ),
    ).toBe(false);
  });
});

describe("GithubDeployRoles", () => {
  const base = {
    environment: TEST_AWS,
    name: "prod",
    repository: "example-org/platform",
    deploy: { environment: "production", refs: ["refs/tags/v*.*.*"] },
    stateBucket: "state",
    deployRoleArn: "arn:aws:iam::123456789012:role/platform-deploy",
  };

  test("an existing OIDC provider is looked up by ARN, not created", () => {
    const stack = testStack();
    const arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    new GithubDeployRoles(stack, "github", { ...base, oidcProvider: arn });
    const json = synth(stack);
    expect(resources(json, "aws_iam_openid_connect_provider")).toEqual({});
    expect(Object.values(json.data?.aws_iam_openid_connect_provider ?? {})).toEqual([
      expect.objectContaining({ arn }),
    ]);
  });

  test("fails with every problem at once, naming the field, the value and what is expected", () => {
    expect(
      () =>
        new GithubDeployRoles(testStack(), "github", {
          ...base,
          name: "a-very-long-environment-name-that-makes-role-names-too-long-x",
          repository: "https://github.com/example-org/platform",
          deploy: { environment: "prod env", refs: ["refs/heads/*", "main"] },
          planRefs: ["refs/tags/*"],
          deployRoleArn: "platform-deploy",
          oidcProvider: "arn:aws:iam::123456789012:oidc-provider/example.com",
          maxSessionSeconds: 60,
        }),
    ).toThrow(
      [
        'test/github: repository: received "https://github.com/example-org/platform"; expected a GitHub repository as owner/name, e.g. example-org/platform',
        'test/github: deploy.environment: received "prod env"; expected a GitHub Environment name (letters, digits, . _ -)',
        'test/github: deploy.refs[0]: received "refs/heads/*"; expected a branch or tag ref such as refs/heads/main or refs/tags/v*.*.* (not every branch or tag)',
        'test/github: deploy.refs[1]: received "main"; expected a branch or tag ref such as refs/heads/main or refs/tags/v*.*.* (not every branch or tag)',
        'test/github: planRefs[0]: received "refs/tags/*"; expected a branch or tag ref such as refs/heads/main or refs/tags/v*.*.* (not every branch or tag)',
        'test/github: deployRoleArn: received "platform-deploy"; expected an IAM role ARN',
        'test/github: oidcProvider: received "arn:aws:iam::123456789012:oidc-provider/example.com"; expected "create", or the ARN of the account\'s token.actions.githubusercontent.com OIDC provider',
        'test/github: name: received "a-very-long-environment-name-that-makes-role-names-too-long-x-github-plan"; expected a name short enough for the role name a-very-long-environment-name-that-makes-role-names-too-long-x-github-plan (at most 64 characters)',
        'test/github: name: received "a-very-long-environment-name-that-makes-role-names-too-long-x-github-deploy"; expected a name short enough for the role name a-very-long-environment-name-that-makes-role-names-too-long-x-github-deploy (at most 64 characters)',
        "test/github: maxSessionSeconds: received 60; expected whole seconds from 3600 to 43200",
      ].join("\n"),
    );
  });

  test("fails when no deploy ref is given", () => {
    expect(
      validateGithubDeployRolesProps({ ...base, deploy: { environment: "production", refs: [] } }),
    ).toEqual([{ field: "deploy.refs", received: [], expected: "at least one ref" }]);
  });
});

describe("the environment file's github section", () => {
  const parse = (edit: (raw: Record<string, any>) => void) => {
    const raw = rawEnvironment("prod");
    edit(raw);
    return parseEnvironment(stringify(raw), "prod").problems.map(
      (p) => `${p.field}: ${p.expected}`,
    );
  };

  test("fails without a deployRoleArn, naming why", () => {
    expect(parse((raw) => delete raw.deployRoleArn)).toContain(
      "deployRoleArn: the environment's deploy role ARN when a github section is set: the GitHub deploy role may only assume it (README, Pipeline)",
    );
  });

  test("fails when it names another repository than the pipeline's runners", () => {
    expect(parse((raw) => (raw.github.repository = "example-org/other"))).toEqual([
      "github.repository: the repository of pipeline.repository (example-org/platform): the runners and the roles serve one repository",
    ]);
  });

  test("fails with the file's field names for bad refs and a bad repository", () => {
    expect(
      parse((raw) => {
        raw.github.deployRefs = ["refs/heads/*"];
        raw.github.repository = "platform";
      }),
    ).toEqual([
      "github.repository: a GitHub repository as owner/name, e.g. example-org/platform",
      "github.deployRefs[0]: a branch or tag ref such as refs/heads/main or refs/tags/v*.*.* (not every branch or tag)",
      "github.repository: the repository of pipeline.repository (example-org/platform): the runners and the roles serve one repository",
    ]);
  });

  test("fails when two environments of one account both create the account's OIDC provider", () => {
    const dev = rawEnvironment("dev");
    const staging: any = rawEnvironment("staging");
    staging.account = dev.account;
    staging.deployRoleArn = String(staging.deployRoleArn).replace(/\d{12}/, String(dev.account));
    expect(() => loadEnvironments(environmentFolder({ dev, staging }))).toThrow(
      `github.oidcProvider: received "create"; expected the ARN of the GitHub OIDC provider that `,
    );
  });
});

describe("image push roles (apps.<app>.imageRepository)", () => {
  const json = synth(
    new InfrastructureStack(testStack("x").node.scope!, "prod-infrastructure", {
      environment: environment("prod"),
    }),
  );
  const role = Object.values(resources(json, "aws_iam_role")).find(
    (r) => r.name === "prod-push-web",
  )!;
  const trust = String(role.assume_role_policy);
  beforeAll(() => (PROVIDER = providerOf(json)));
  /** GitHub's default subject (no custom template in the app's repository). */
  const pushToken = (sub: string) => ({
    provider: PROVIDER,
    claims: { [`${ISSUER}:aud`]: "sts.amazonaws.com", [`${ISSUER}:sub`]: sub },
  });

  test("the app's repository pushes from main or a tag; a pull request, a branch or another repository cannot", () => {
    expect(
      mayAssumeWithWebIdentity(trust, pushToken("repo:example-org/web:ref:refs/heads/main")),
    ).toBe(true);
    expect(
      mayAssumeWithWebIdentity(trust, pushToken("repo:example-org/web:ref:refs/tags/1.4.2")),
    ).toBe(true);
    expect(mayAssumeWithWebIdentity(trust, pushToken("repo:example-org/web:pull_request"))).toBe(
      false,
    );
    expect(
      mayAssumeWithWebIdentity(trust, pushToken("repo:example-org/web:ref:refs/heads/feature")),
    ).toBe(false);
    expect(
      mayAssumeWithWebIdentity(trust, pushToken("repo:example-org/platform:ref:refs/heads/main")),
    ).toBe(false);
  });

  test("it may log in to the registry and push to its app's repository only", () => {
    const policy = Object.values(resources(json, "aws_iam_role_policy")).find((p) =>
      String(p.role).includes("registry_repository-web-push-role"),
    )!;
    const [repository] = Object.keys(resources(json, "aws_ecr_repository"));
    expect(JSON.parse(String(policy.policy)).Statement).toEqual([
      { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PushToRepository",
        Effect: "Allow",
        Action: [
          "ecr:BatchCheckLayerAvailability",
          "ecr:InitiateLayerUpload",
          "ecr:UploadLayerPart",
          "ecr:CompleteLayerUpload",
          "ecr:PutImage",
          "ecr:BatchGetImage",
        ],
        Resource: `\${aws_ecr_repository.${repository}.arn}`,
      },
    ]);
  });

  test("fails when imageRepository is not owner/name, or there is no github section for the OIDC provider", () => {
    const raw: any = rawEnvironment("dev");
    raw.apps.web.imageRepository = "https://github.com/example-org/web";
    delete raw.github;
    expect(
      parseEnvironment(stringify(raw), "dev").problems.map((p) => `${p.field}: ${p.expected}`),
    ).toEqual([
      "apps.web.imageRepository: a GitHub repository as owner/name, e.g. example-org/web",
      "apps.web.imageRepository: a github section too: the push role is trusted through the account's GitHub OIDC provider (README, Pipeline)",
    ]);
  });
});
