import { Construct } from "constructs";
import { CodebuildProject } from "@cdktf/provider-aws/lib/codebuild-project";
import { CodebuildWebhook } from "@cdktf/provider-aws/lib/codebuild-webhook";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { Network } from "./network";
import { encryptedLogGroup } from "./private/encrypted-log-group";
import {
  MAX_ROLE_NAME_LENGTH,
  policyJson,
  serviceTrustPolicy,
  type PolicyStatement,
} from "./private/iam";
import { IAM_ROLE_ARN } from "./private/patterns";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import {
  partitionOf,
  type AwsEnvironment,
  type IKubernetesCluster,
  type NatGatewayMode,
  type Tier,
} from "./types";

/** CodeBuild compute types the runners can use (LINUX_CONTAINER, on-demand). */
export const RUNNER_COMPUTE_TYPES = [
  "BUILD_GENERAL1_SMALL",
  "BUILD_GENERAL1_MEDIUM",
  "BUILD_GENERAL1_LARGE",
] as const;
/** A CodeBuild compute type the runners can use. */
export type RunnerComputeType = (typeof RUNNER_COMPUTE_TYPES)[number];

/** The pinned CodeBuild managed image of the runners (Amazon Linux 2023, x86_64). */
export const RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";

/** The webhook event that starts a runner: GitHub queued a workflow job. */
export const RUNNER_WEBHOOK_EVENT = "WORKFLOW_JOB_QUEUED";

/** Props of {@link PipelineRunners}. */
export interface PipelineRunnersProps {
  /** Account and region of the runners. */
  readonly environment: AwsEnvironment;
  /** The network: the runners get a network interface in its private subnets (egress through its NAT). */
  readonly network: Network;
  /** The cluster whose private API endpoint the runners reach: its cluster security group admits them on 443. */
  readonly cluster: IKubernetesCluster;
  /** The GitHub repository whose workflow jobs run on these runners, e.g. `https://github.com/example-org/platform`. */
  readonly repository: string;
  /**
   * ARN of an AWS CodeConnections connection to GitHub (created once in the console, where the
   * GitHub App is installed): CodeBuild registers the webhook and the runners through it.
   */
  readonly connectionArn: string;
  /** The role the runners assume to deploy (Terraform's provider, backend and `aws eks get-token --role-arn`). */
  readonly deployRoleArn: string;
  /** CodeBuild project name (the `codebuild-<name>-...` runner label), also the role, security group and log group name. @default the construct id */
  readonly name?: string;
  /** Tier: production keeps the logs a year and protects their key with `prevent_destroy`. @default "production" */
  readonly tier?: Tier;
  /** Compute type of a runner. @default "BUILD_GENERAL1_MEDIUM" (4 vCPU, 7 GiB) */
  readonly computeType?: RunnerComputeType | string;
  /** Longest a job may run, minutes (CodeBuild allows 5-2160). @default 120 */
  readonly timeoutMinutes?: number;
  /** Retention of the runners' log group, days. @default 365 in production, 90 in development */
  readonly logRetentionDays?: number;
}

/** The fields of {@link PipelineRunnersProps} that are validated (`natGateways`: the network's mode, when known). */
export type PipelineRunnersValidationInput = Pick<
  PipelineRunnersProps,
  "repository" | "connectionArn" | "computeType" | "timeoutMinutes"
> & {
  readonly name: string;
  readonly deployRoleArn?: string;
  readonly natGateways?: NatGatewayMode;
};

/** A github.com repository URL (GitHub Enterprise Server would need another source type). */
const GITHUB_REPOSITORY =
  /^https:\/\/github\.com\/[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
/** A CodeConnections (or its former name, CodeStar Connections) connection ARN; group 2 is the service. */
const CONNECTION_ARN =
  /^arn:aws(-cn|-us-gov)?:(codeconnections|codestar-connections):[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:connection\/[0-9a-f-]{36}$/;
/** CodeBuild project names: 2-255 letters, digits, '-' and '_', starting with a letter or digit. */
const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;

/** Every problem with runner props, fields named as the props (shared with the environment file). */
export function validatePipelineRunnersProps(props: PipelineRunnersValidationInput): Problem[] {
  const p = new ProblemList();
  p.checkValue(
    props.name,
    (v) => PROJECT_NAME.test(v),
    "name",
    "a CodeBuild project name: 2-255 letters, digits, '-' and '_', starting with a letter or digit",
  );
  p.checkValue(
    props.name,
    (v) => v.length <= MAX_ROLE_NAME_LENGTH,
    "name",
    `a name of at most ${MAX_ROLE_NAME_LENGTH} characters (it is also the runners' IAM role name)`,
  );
  p.checkValue(
    props.repository,
    (v) => GITHUB_REPOSITORY.test(v),
    "repository",
    "a GitHub repository URL https://github.com/<owner>/<repository> (no .git, no trailing slash)",
  );
  p.checkValue(
    props.connectionArn,
    (v) => CONNECTION_ARN.test(v),
    "connectionArn",
    "a CodeConnections connection ARN such as arn:aws:codeconnections:eu-west-1:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab (create the GitHub connection once in the console; see README, Reaching a private cluster)",
  );
  if (props.deployRoleArn === undefined) {
    p.check(
      false,
      "deployRoleArn",
      undefined,
      "the IAM role the runners assume to deploy (the runners' own role may only assume it)",
    );
  } else {
    p.checkValue(
      props.deployRoleArn,
      (v) => IAM_ROLE_ARN.test(v),
      "deployRoleArn",
      "an IAM role ARN such as arn:aws:iam::123456789012:role/platform-deploy",
    );
  }
  if (props.computeType !== undefined) {
    p.checkValue(
      props.computeType,
      (v) => (RUNNER_COMPUTE_TYPES as readonly string[]).includes(v),
      "computeType",
      `a CodeBuild compute type: one of ${RUNNER_COMPUTE_TYPES.join(", ")}`,
    );
  }
  if (props.timeoutMinutes !== undefined) {
    p.checkValue(
      props.timeoutMinutes,
      (v) => Number.isInteger(v) && v >= 5 && v <= 2160,
      "timeoutMinutes",
      "an integer from 5 to 2160 (CodeBuild's build timeout, minutes)",
    );
  }
  if (props.natGateways !== undefined) {
    p.check(
      props.natGateways !== "none",
      "natGateways",
      props.natGateways,
      `"single" or "perAz" with in-VPC runners: they run in the private subnets and reach GitHub (and the registries their jobs download from) only through NAT`,
    );
  }
  return [...p.problems];
}

/**
 * Ephemeral GitHub Actions runners inside the VPC: a CodeBuild project whose webhook starts one
 * build per queued workflow job (`runs-on: codebuild-<name>-${{ github.run_id }}-${{ github.run_attempt }}`),
 * with a network interface in the private subnets behind a security group of its own (egress
 * HTTPS and DNS only, no ingress), logs to a KMS-encrypted group, and a service role that may only
 * write those logs, manage the build's network interfaces, use the GitHub connection and assume
 * the deploy role. The cluster security group admits the runners on 443, so the cluster-facing
 * jobs reach a private-only API endpoint.
 */
export class PipelineRunners extends Construct {
  /** The CodeBuild project. */
  readonly project: CodebuildProject;
  /** The webhook that starts a runner per queued workflow job. */
  readonly webhook: CodebuildWebhook;
  /** The runners' security group. */
  readonly securityGroup: SecurityGroup;
  /** The runners' service role (the deploy role must trust it). */
  readonly role: IamRole;
  /** The runners' log group. */
  readonly logGroup: CloudwatchLogGroup;
  /** The rule admitting the runners to the cluster's API endpoint. */
  readonly clusterApiRule: VpcSecurityGroupIngressRule;
  /** The CodeBuild project name (a plain string, known at synth). */
  readonly projectName: string;
  /** The runs-on label of a job on these runners (GitHub Actions expressions, unescaped). */
  readonly runsOn: string;
  /** The runners' security group id. */
  readonly securityGroupId: string;
  /** ARN of the runners' service role. */
  readonly roleArn: string;

  constructor(scope: Construct, id: string, props: PipelineRunnersProps) {
    super(scope, id);
    const name = props.name ?? id;
    const natGateways: NatGatewayMode | undefined =
      Object.keys(props.network.natGateways).length === 0 ? "none" : undefined;
    throwIfProblems(this, validatePipelineRunnersProps({ ...props, name, natGateways }));
    const production = (props.tier ?? "production") === "production";
    const { account, region } = props.environment;
    const partition = partitionOf(region);
    this.projectName = name;
    this.runsOn = `codebuild-${name}-\${{ github.run_id }}-\${{ github.run_attempt }}`;

    const logs = encryptedLogGroup(this, "log", {
      environment: props.environment,
      name: `/aws/codebuild/${name}`,
      retentionDays: props.logRetentionDays ?? (production ? 365 : 90),
      description: `Logs of the pipeline runners ${name}`,
      keyAlias: `codebuild/${name}/logs`,
      preventDestroy: production,
    });
    this.logGroup = logs.group;

    // No ingress at all; egress HTTPS (GitHub, AWS APIs, the cluster endpoint) and DNS only.
    // The Amazon-provided resolver is not filtered by security groups; the DNS rules cover a
    // resolver inside the VPC.
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name,
      description: `Pipeline runners ${name}: no ingress, HTTPS and DNS out`,
      vpcId: props.network.vpcId,
      tags: { Name: name },
    });
    this.securityGroupId = this.securityGroup.id;
    new VpcSecurityGroupEgressRule(this, "egress-https", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS: GitHub, AWS APIs, the Kubernetes API",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
    for (const protocol of ["udp", "tcp"]) {
      new VpcSecurityGroupEgressRule(this, `egress-dns-${protocol}`, {
        securityGroupId: this.securityGroup.id,
        description: `DNS (${protocol}) inside the VPC`,
        ipProtocol: protocol,
        fromPort: 53,
        toPort: 53,
        cidrIpv4: props.network.vpcCidr,
      });
    }
    this.clusterApiRule = new VpcSecurityGroupIngressRule(this, "cluster-api-from-runners", {
      securityGroupId: props.cluster.clusterSecurityGroupId,
      description: `Kubernetes API (private endpoint) from the pipeline runners ${name}`,
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: this.securityGroup.id,
    });

    this.role = new IamRole(this, "role", {
      name,
      description: `Service role of the pipeline runners ${name} (CodeBuild); deploys by assuming the deploy role`,
      assumeRolePolicy: serviceTrustPolicy("codebuild.amazonaws.com", account),
    });
    this.roleArn = this.role.arn;
    const ec2 = (type: string, resource: string) =>
      `arn:${partition}:ec2:${region}:${account}:${type}/${resource}`;
    const connectionService = props.connectionArn.split(":")[2];
    const statements: PolicyStatement[] = [
      {
        Sid: "WriteBuildLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [logs.arn, `${logs.arn}:*`],
      },
      {
        // CodeBuild's documented VPC permissions: the Describe actions have no resource type.
        Sid: "BuildNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DeleteNetworkInterface",
          "ec2:DescribeSubnets",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeVpcs",
        ],
        Resource: "*",
      },
      {
        Sid: "AttachBuildNetworkInterfaces",
        Effect: "Allow",
        Action: "ec2:CreateNetworkInterfacePermission",
        Resource: ec2("network-interface", "*"),
        Condition: {
          StringEquals: {
            "ec2:Subnet": props.network.privateSubnetIds.map((subnet) => ec2("subnet", subnet)),
            "ec2:AuthorizedService": "codebuild.amazonaws.com",
          },
        },
      },
      {
        Sid: "UseGitHubConnection",
        Effect: "Allow",
        Action: [`${connectionService}:GetConnectionToken`, `${connectionService}:GetConnection`],
        Resource: props.connectionArn,
      },
      {
        Sid: "AssumeDeployRole",
        Effect: "Allow",
        Action: "sts:AssumeRole",
        Resource: props.deployRoleArn,
      },
    ];
    const permissions = new IamRolePolicy(this, "role-policy", {
      name: "pipeline-runner",
      role: this.role.id,
      policy: policyJson(statements),
    });
    suppressPolicy(permissions, {
      rule: "iam-no-wildcard-resource",
      reason:
        "CodeBuild's documented VPC policy (CodeBuild User Guide, Allow CodeBuild access to AWS services required to create a VPC network interface): CodeBuild creates and deletes the build's network interface before it exists, so it cannot be named; attaching it is scoped to the private subnets by AttachBuildNetworkInterfaces.",
    });

    this.project = new CodebuildProject(this, "project", {
      name,
      description: `GitHub Actions runners of ${props.repository} inside the VPC`,
      serviceRole: this.role.arn,
      buildTimeout: props.timeoutMinutes ?? 120,
      artifacts: { type: "NO_ARTIFACTS" },
      environment: {
        type: "LINUX_CONTAINER",
        computeType: props.computeType ?? "BUILD_GENERAL1_MEDIUM",
        image: RUNNER_IMAGE,
        imagePullCredentialsType: "CODEBUILD",
        privilegedMode: false,
      },
      source: {
        type: "GITHUB",
        location: props.repository,
        auth: { type: "CODECONNECTIONS", resource: props.connectionArn },
      },
      vpcConfig: {
        vpcId: props.network.vpcId,
        subnets: props.network.privateSubnetIds,
        securityGroupIds: [this.securityGroup.id],
      },
      logsConfig: {
        cloudwatchLogs: { status: "ENABLED", groupName: this.logGroup.name },
        s3Logs: { status: "DISABLED" },
      },
      // CodeBuild checks the role's VPC permissions when the project is created
      dependsOn: [permissions],
    });

    this.webhook = new CodebuildWebhook(this, "webhook", {
      projectName: this.project.name,
      buildType: "BUILD",
      filterGroup: [{ filter: [{ type: "EVENT", pattern: RUNNER_WEBHOOK_EVENT }] }],
    });
  }
}
