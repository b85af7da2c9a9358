import { Construct } from "constructs";
import { DataAwsIamOpenidConnectProvider } from "@cdktf/provider-aws/lib/data-aws-iam-openid-connect-provider";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { MAX_ROLE_NAME_LENGTH, policyJson, type PolicyStatement } from "./private/iam";
import { IAM_ROLE_ARN } from "./private/patterns";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { partitionOf, type AwsEnvironment, type IKubernetesCluster } from "./types";

/** The issuer of GitHub Actions' OIDC tokens. */
export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";
/** The audience `aws-actions/configure-aws-credentials` asks GitHub for. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";
/**
 * The repository's OIDC subject template the trust policies are written for (set once with
 * `PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`, README, Pipeline): the subject then
 * names the job's context (environment, branch or pull request) and its ref together, so a
 * production trust can require both the GitHub Environment and a tag ref.
 */
export const GITHUB_SUBJECT_CLAIM_KEYS = ["repo", "context", "ref"] as const;

/** Where the deploy role may be used from: the GitHub Environment and the refs it accepts. */
export interface GithubDeployTarget {
  /** The GitHub Environment the deploy jobs name (`environment:`), e.g. `production`. */
  readonly environment: string;
  /**
   * Refs the deploy jobs may run from, as IAM `StringLike` patterns: `refs/heads/main`, or
   * `refs/tags/v*.*.*` for tag-gated releases.
   */
  readonly refs: readonly string[];
}

/** Props of {@link GithubDeployRoles}. */
export interface GithubDeployRolesProps {
  /** Account and region of the roles. */
  readonly environment: AwsEnvironment;
  /** Prefix of the role names: `<name>-github-plan` and `<name>-github-deploy`. */
  readonly name: string;
  /** The one repository whose workflows may assume the roles, `owner/name`. */
  readonly repository: string;
  /** The GitHub Environment and refs of the deploy jobs. */
  readonly deploy: GithubDeployTarget;
  /**
   * Refs plan jobs may run from besides pull requests of the repository (pushes to these refs plan
   * before deploying: `refs/heads/main`, `refs/tags/v*.*.*`). @default the deploy refs
   */
  readonly planRefs?: readonly string[];
  /** The Terraform state bucket: the plan role reads state and writes only the lock files. */
  readonly stateBucket: string;
  /**
   * The environment's deploy role (`deployRoleArn`), which Terraform's provider and backend, the
   * Kubernetes token and the release tool assume: the only thing the deploy role may do is
   * assume it.
   */
  readonly deployRoleArn: string;
  /**
   * The account's GitHub OIDC provider: `create` it here (once per account), or the ARN of the one
   * another environment's stack created. @default "create"
   */
  readonly oidcProvider?: "create" | string;
  /**
   * The environment's cluster: the plan role gets a read-only access entry
   * (`AmazonEKSAdminViewPolicy`, which includes the Secrets Helm keeps releases in) so plans of the
   * workloads stack can read the cluster. The deploy role needs none: it deploys as the deploy role.
   * @default no access entry
   */
  readonly cluster?: IKubernetesCluster;
  /** Longest session a role hands out, in seconds (3600 to 43200). @default 3600 */
  readonly maxSessionSeconds?: number;
}

/** What {@link validateGithubDeployRolesProps} checks (tokens are not checked). */
export type GithubDeployRolesValidationInput = Omit<
  GithubDeployRolesProps,
  "environment" | "cluster"
>;

/** A GitHub repository as `owner/name`. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const REF = /^refs\/(heads|tags)\/[A-Za-z0-9._\-/*]+$/;
const OIDC_PROVIDER_ARN =
  /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

/** Every problem with the props, field paths named as the props. */
export function validateGithubDeployRolesProps(props: GithubDeployRolesValidationInput): Problem[] {
  const p = new ProblemList();
  p.checkValue(
    props.repository,
    (v) => GITHUB_REPOSITORY.test(v),
    "repository",
    "a GitHub repository as owner/name, e.g. example-org/platform",
  );
  p.checkValue(
    props.deploy.environment,
    (v) => /^[A-Za-z0-9._-]{1,255}$/.test(v),
    "deploy.environment",
    "a GitHub Environment name (letters, digits, . _ -)",
  );
  p.check(props.deploy.refs.length > 0, "deploy.refs", props.deploy.refs, "at least one ref");
  const refs: [string, readonly string[]][] = [
    ["deploy.refs", props.deploy.refs],
    ["planRefs", props.planRefs ?? []],
  ];
  for (const [field, list] of refs)
    list.forEach((ref, i) =>
      p.checkValue(
        ref,
        (v) => REF.test(v) && v !== "refs/heads/*" && v !== "refs/tags/*",
        `${field}[${i}]`,
        "a branch or tag ref such as refs/heads/main or refs/tags/v*.*.* (not every branch or tag)",
      ),
    );
  p.checkValue(
    props.deployRoleArn,
    (v) => IAM_ROLE_ARN.test(v),
    "deployRoleArn",
    "an IAM role ARN",
  );
  if (props.oidcProvider !== undefined && props.oidcProvider !== "create")
    p.checkValue(
      props.oidcProvider,
      (v) => OIDC_PROVIDER_ARN.test(v),
      "oidcProvider",
      `"create", or the ARN of the account's ${GITHUB_OIDC_ISSUER} OIDC provider`,
    );
  for (const role of ["plan", "deploy"])
    p.checkValue(
      `${props.name}-github-${role}`,
      (v) => v.length <= MAX_ROLE_NAME_LENGTH,
      "name",
      `a name short enough for the role name ${props.name}-github-${role} (at most ${MAX_ROLE_NAME_LENGTH} characters)`,
    );
  const seconds = props.maxSessionSeconds ?? 3600;
  p.check(
    Number.isInteger(seconds) && seconds >= 3600 && seconds <= 43200,
    "maxSessionSeconds",
    props.maxSessionSeconds,
    "whole seconds from 3600 to 43200",
  );
  return [...p.problems];
}

/**
 * A trust policy for GitHub Actions' OIDC tokens: the audience pinned to STS, the subject to one
 * of `subjects` (IAM StringLike patterns).
 */
export function githubTrustPolicy(oidcProviderArn: string, subjects: readonly string[]): string {
  return policyJson([
    {
      Effect: "Allow",
      Principal: { Federated: oidcProviderArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE },
        StringLike: { [`${GITHUB_OIDC_ISSUER}:sub`]: [...subjects] },
      },
    },
  ]);
}

/** The OIDC subjects of a context for the {@link GITHUB_SUBJECT_CLAIM_KEYS} template. */
export function githubSubjects(
  repository: string,
  context: string,
  refs: readonly string[],
): string[] {
  return refs.map((ref) => `repo:${repository}:${context}:ref:${ref}`);
}

/**
 * The IAM roles GitHub Actions assumes through OIDC, without long-lived keys:
 *
 * - **plan**: `ReadOnlyAccess`, the state objects and only the state lock files to write; its
 *   trust accepts the repository's pull requests and pushes to `planRefs`;
 * - **deploy**: may only assume the environment's deploy role (which Terraform, the Kubernetes
 *   token and the release tool assume); its trust
 *   accepts only jobs that name the GitHub Environment `deploy.environment` **and** run from one
 *   of `deploy.refs` (tags only, for production).
 *
 * Both trusts pin the audience and the subject (the repository's subject template includes the
 * context and the ref, see {@link GITHUB_SUBJECT_CLAIM_KEYS}); a fork, another repository or a
 * branch that is not listed gets no credentials.
 */
export class GithubDeployRoles extends Construct {
  /** ARN of the account's GitHub OIDC provider (created here or given). */
  readonly oidcProviderArn: string;
  /** The role of plan jobs (read-only). */
  readonly planRole: IamRole;
  /** The role of deploy jobs (assumes the environment's deploy role). */
  readonly deployRole: IamRole;
  /** The subjects each role's trust accepts (for documentation and tests). */
  readonly subjects: { readonly plan: readonly string[]; readonly deploy: readonly string[] };

  constructor(scope: Construct, id: string, props: GithubDeployRolesProps) {
    super(scope, id);
    throwIfProblems(this, validateGithubDeployRolesProps(props));
    const partition = partitionOf(props.environment.region);

    if ((props.oidcProvider ?? "create") === "create") {
      const provider = new IamOpenidConnectProvider(this, "oidc-provider", {
        url: `https://${GITHUB_OIDC_ISSUER}`,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
        tags: { Name: "github-actions" },
      });
      this.oidcProviderArn = provider.arn;
    } else {
      this.oidcProviderArn = new DataAwsIamOpenidConnectProvider(this, "oidc-provider", {
        arn: props.oidcProvider,
      }).arn;
    }

    const repo = props.repository;
    const planRefs = props.planRefs ?? props.deploy.refs;
    this.subjects = {
      plan: [
        `repo:${repo}:pull_request:ref:refs/pull/*/merge`,
        ...planRefs.flatMap((ref) => githubSubjects(repo, `ref:${ref}`, [ref])),
      ],
      deploy: githubSubjects(repo, `environment:${props.deploy.environment}`, props.deploy.refs),
    };
    const trust = (subjects: readonly string[]) =>
      githubTrustPolicy(this.oidcProviderArn, subjects);
    const maxSessionDuration = props.maxSessionSeconds ?? 3600;

    const bucket = `arn:${partition}:s3:::${props.stateBucket}`;
    this.planRole = new IamRole(this, "plan-role", {
      name: `${props.name}-github-plan`,
      description: `GitHub Actions plan jobs of ${repo} (read-only, pull requests and ${planRefs.join(", ")})`,
      assumeRolePolicy: trust(this.subjects.plan),
      maxSessionDuration,
    });
    new IamRolePolicyAttachment(this, "plan-read-only", {
      role: this.planRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/ReadOnlyAccess`,
    });
    const planStatements: PolicyStatement[] = [
      { Sid: "ListState", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: `${bucket}/*` },
      {
        // terraform plan takes the S3-native lock (use_lockfile): a .tflock object next to the state
        Sid: "TakeStateLock",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:DeleteObject"],
        Resource: `${bucket}/*.tflock`,
      },
    ];
    new IamRolePolicy(this, "plan-policy", {
      name: "state",
      role: this.planRole.id,
      policy: policyJson(planStatements),
    });

    this.deployRole = new IamRole(this, "deploy-role", {
      name: `${props.name}-github-deploy`,
      description: `GitHub Actions deploy jobs of ${repo} in Environment ${props.deploy.environment} from ${props.deploy.refs.join(", ")}`,
      assumeRolePolicy: trust(this.subjects.deploy),
      maxSessionDuration,
    });
    const deployStatements: PolicyStatement[] = [
      {
        Sid: "AssumeEnvironmentDeployRole",
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Resource: props.deployRoleArn,
      },
    ];
    new IamRolePolicy(this, "deploy-policy", {
      name: "assume-deploy-role",
      role: this.deployRole.id,
      policy: policyJson(deployStatements),
    });
    if (props.cluster) {
      const entry = new EksAccessEntry(this, "plan-access-entry", {
        clusterName: props.cluster.clusterName,
        principalArn: this.planRole.arn,
        type: "STANDARD",
      });
      new EksAccessPolicyAssociation(this, "plan-access-policy", {
        clusterName: props.cluster.clusterName,
        principalArn: entry.principalArn,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy`,
        accessScope: { type: "cluster" },
      });
    }
  }
}
