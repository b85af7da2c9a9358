/**
 * PipelineRunners (CodeBuild-hosted GitHub Actions runners inside the VPC) and ClusterApiAccess.
 *
 * Sources: AWS CodeBuild User Guide, "Tutorial: Configure a CodeBuild-hosted GitHub Actions runner"
 * and "Label overrides supported with the CodeBuild-hosted GitHub Actions runner" (the
 * `codebuild-<project-name>-${{ github.run_id }}-${{ github.run_attempt }}` label, the
 * WORKFLOW_JOB_QUEUED webhook filter), "GitHub App connections" (codeconnections:GetConnectionToken
 * and GetConnection on the connection), "Allow CodeBuild access to AWS services required to create
 * a VPC network interface" (the ec2 actions and the CreateNetworkInterfacePermission conditions);
 * hashicorp/aws 5.100.0 schemas of aws_codebuild_project (source.auth) and aws_codebuild_webhook
 * (filter_group.filter).
 */
import { Network } from "../../constructs/network";
import {
  PipelineRunners,
  RUNNER_IMAGE,
  type PipelineRunnersProps,
} from "../../constructs/pipeline-runners";
import { ClusterApiAccess } from "../../constructs/cluster-api-access";
import type { IKubernetesCluster, NatGatewayMode } from "../../constructs/types";
import { only, policy, rejectionLines, resources, synth, TEST_AWS, testStack } from "../helpers";

const CONNECTION =
  "arn:aws:codeconnections:eu-west-1:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab";
const DEPLOY_ROLE = "arn:aws:iam::123456789012:role/platform-deploy";
const CLUSTER: IKubernetesCluster = {
  clusterName: "prod",
  endpoint: "https://example.eks.amazonaws.com",
  certificateAuthorityData: "",
  nodeSecurityGroupId: "sg-0000000000000node",
  clusterSecurityGroupId: "sg-0123456789abcdef0",
  oidcProviderArn: "",
  oidcIssuer: "",
};

/** The runners' inline policy (the network has a flow-log role policy too). */
function runnerStatements(json: ReturnType<typeof synth>) {
  const found = Object.values(resources(json, "aws_iam_role_policy")).find(
    (p) => p.name === "pipeline-runner",
  );
  return policy(found?.policy).Statement;
}

function runners(props: Partial<PipelineRunnersProps> = {}, natGateways: NatGatewayMode = "perAz") {
  const stack = testStack();
  const network = new Network(stack, "network", {
    environment: TEST_AWS,
    cidr: "10.30.0.0/16",
    availabilityZones: ["eu-west-1a", "eu-west-1b"],
    name: "prod",
    natGateways,
    tier: natGateways === "perAz" ? "production" : "development",
    interfaceEndpoints: [],
  });
  const construct = new PipelineRunners(stack, "prod-runners", {
    environment: TEST_AWS,
    network,
    cluster: CLUSTER,
    repository: "https://github.com/example-org/platform",
    connectionArn: CONNECTION,
    deployRoleArn: DEPLOY_ROLE,
    ...props,
  });
  return { construct, json: synth(stack) };
}

describe("PipelineRunners", () => {
  const { json, construct } = runners();
  const project = only(json, "aws_codebuild_project") as Record<string, any>;
  const runnerGroup = only(json, "aws_security_group");
  const statements = runnerStatements(json);
  const statement = (sid: string) => statements.find((s) => s.Sid === sid);

  test("a CodeBuild project in Linux containers on a pinned managed image, unprivileged", () => {
    expect(project).toMatchObject({
      name: "prod-runners",
      build_timeout: 120,
      artifacts: { type: "NO_ARTIFACTS" },
      environment: {
        type: "LINUX_CONTAINER",
        compute_type: "BUILD_GENERAL1_MEDIUM",
        image: "aws/codebuild/amazonlinux-x86_64-standard:5.0",
        image_pull_credentials_type: "CODEBUILD",
        privileged_mode: false,
      },
    });
    expect(RUNNER_IMAGE).toBe(project.environment.image);
  });

  test("the source is the GitHub repository, authorized through the CodeConnections connection (no token)", () => {
    expect(project.source).toEqual({
      type: "GITHUB",
      location: "https://github.com/example-org/platform",
      auth: { type: "CODECONNECTIONS", resource: CONNECTION },
    });
  });

  test("a webhook starts a runner for each queued workflow job", () => {
    expect(only(json, "aws_codebuild_webhook")).toMatchObject({
      build_type: "BUILD",
      filter_group: [{ filter: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }],
    });
    expect(String(only(json, "aws_codebuild_webhook").project_name)).toMatch(
      /^\$\{aws_codebuild_project\.[\w-]+\.name\}$/,
    );
  });

  test("runs in the private subnets behind its own security group", () => {
    expect(project.vpc_config.subnets).toHaveLength(2);
    for (const subnet of project.vpc_config.subnets) {
      expect(subnet).toMatch(/^\$\{aws_subnet\.network_private-subnet-eu-west-1[ab]_\w+\.id\}$/);
    }
    expect(project.vpc_config.security_group_ids).toEqual([
      expect.stringMatching(/^\$\{aws_security_group\.prod-runners_security-group_\w+\.id\}$/),
    ]);
    expect(runnerGroup).toMatchObject({ name: "prod-runners" });
  });

  test("the runner security group has no ingress, and egress HTTPS anywhere and DNS inside the VPC only", () => {
    const ingressOnRunners = Object.values(
      resources(json, "aws_vpc_security_group_ingress_rule"),
    ).filter((r) => String(r.security_group_id).includes("prod-runners_security-group"));
    expect(ingressOnRunners).toEqual([]);
    const vpcCidr = expect.stringMatching(/^\$\{aws_vpc\.network_vpc_\w+\.cidr_block\}$/);
    const egress = Object.values(resources(json, "aws_vpc_security_group_egress_rule"));
    const rules = egress.map((r) => [r.ip_protocol, r.from_port, r.to_port, r.cidr_ipv4]);
    expect(rules).toHaveLength(3);
    expect(rules).toEqual(
      expect.arrayContaining([
        ["tcp", 443, 443, "0.0.0.0/0"],
        ["udp", 53, 53, vpcCidr],
        ["tcp", 53, 53, vpcCidr],
      ]),
    );
    for (const r of egress) {
      expect(r.security_group_id).toMatch(
        /^\$\{aws_security_group\.prod-runners_security-group_\w+\.id\}$/,
      );
    }
    // the inline rule lists are not used (rules are separate resources)
    expect(runnerGroup.ingress).toBeUndefined();
    expect(runnerGroup.egress).toBeUndefined();
  });

  test("the cluster security group admits the runner security group on 443 only", () => {
    const fromRunners = Object.values(resources(json, "aws_vpc_security_group_ingress_rule"));
    expect(fromRunners).toEqual([
      expect.objectContaining({
        security_group_id: CLUSTER.clusterSecurityGroupId,
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        referenced_security_group_id: expect.stringMatching(
          /^\$\{aws_security_group\.prod-runners_security-group_\w+\.id\}$/,
        ),
      }),
    ]);
    expect(fromRunners[0].cidr_ipv4).toBeUndefined();
  });

  test("logs go to a KMS-encrypted group of their own, never to S3", () => {
    const groups = Object.values(resources(json, "aws_cloudwatch_log_group"));
    const group = groups.find((g) => g.name === "/aws/codebuild/prod-runners")!;
    expect(group).toMatchObject({ retention_in_days: 365 });
    expect(group.kms_key_id).toMatch(/^\$\{aws_kms_key\.prod-runners_log-key_\w+\.arn\}$/);
    expect(project.logs_config).toEqual({
      cloudwatch_logs: {
        status: "ENABLED",
        group_name: expect.stringMatching(
          /^\$\{aws_cloudwatch_log_group\.prod-runners_log-group_\w+\.name\}$/,
        ),
      },
      s3_logs: { status: "DISABLED" },
    });
  });

  test("the service role trusts CodeBuild of this account only", () => {
    const role = Object.values(resources(json, "aws_iam_role")).find(
      (r) => r.name === "prod-runners",
    )!;
    expect(policy(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "codebuild.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    expect(project.service_role).toMatch(/^\$\{aws_iam_role\.prod-runners_role_\w+\.arn\}$/);
  });

  test("least privilege: logs to its group, network interfaces for CodeBuild in the private subnets, the connection, the deploy role", () => {
    expect(statements.map((s) => s.Sid)).toEqual([
      "WriteBuildLogs",
      "BuildNetworkInterfaces",
      "AttachBuildNetworkInterfaces",
      "UseGitHubConnection",
      "AssumeDeployRole",
    ]);
    const logGroup = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/codebuild/prod-runners";
    expect(statement("WriteBuildLogs")).toMatchObject({
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logGroup, `${logGroup}:*`],
    });
    expect(statement("AttachBuildNetworkInterfaces")).toEqual({
      Sid: "AttachBuildNetworkInterfaces",
      Effect: "Allow",
      Action: "ec2:CreateNetworkInterfacePermission",
      Resource: "arn:aws:ec2:eu-west-1:123456789012:network-interface/*",
      Condition: {
        StringEquals: {
          "ec2:Subnet": [
            expect.stringMatching(
              /^arn:aws:ec2:eu-west-1:123456789012:subnet\/\$\{aws_subnet\.network_private-subnet-eu-west-1a_\w+\.id\}$/,
            ),
            expect.stringMatching(/subnet\/\$\{aws_subnet\.network_private-subnet-eu-west-1b_/),
          ],
          "ec2:AuthorizedService": "codebuild.amazonaws.com",
        },
      },
    });
    expect(statement("UseGitHubConnection")).toMatchObject({
      Action: ["codeconnections:GetConnectionToken", "codeconnections:GetConnection"],
      Resource: CONNECTION,
    });
    expect(statement("AssumeDeployRole")).toMatchObject({
      Action: "sts:AssumeRole",
      Resource: DEPLOY_ROLE,
    });
    // Resource "*" only for the ec2 actions CodeBuild's VPC mode documents with "*"
    expect(statements.filter((s) => s.Resource === "*").map((s) => s.Sid)).toEqual([
      "BuildNetworkInterfaces",
    ]);
  });

  test("a connection under its former name (CodeStar Connections) gets that service's actions", () => {
    const old = CONNECTION.replace("codeconnections", "codestar-connections");
    const { json: oldJson } = runners({ connectionArn: old });
    const use = runnerStatements(oldJson).find((s) => s.Sid === "UseGitHubConnection");
    expect(use).toMatchObject({
      Action: ["codestar-connections:GetConnectionToken", "codestar-connections:GetConnection"],
      Resource: old,
    });
  });

  test("typed outputs: the runs-on label, the project name, the security group id and the role", () => {
    expect(construct.runsOn).toBe(
      "codebuild-prod-runners-${{ github.run_id }}-${{ github.run_attempt }}",
    );
    expect(construct.projectName).toBe("prod-runners");
    expect(construct.securityGroupId).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}$/);
    expect(construct.roleArn).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });

  test("compute type, timeout and log retention are configurable; development keeps logs 90 days", () => {
    const { json: dev } = runners(
      { computeType: "BUILD_GENERAL1_LARGE", timeoutMinutes: 30, tier: "development" },
      "single",
    );
    expect(only(dev, "aws_codebuild_project")).toMatchObject({
      build_timeout: 30,
      environment: { compute_type: "BUILD_GENERAL1_LARGE" },
    });
    const group = Object.values(resources(dev, "aws_cloudwatch_log_group")).find(
      (g) => g.name === "/aws/codebuild/prod-runners",
    );
    expect(group).toMatchObject({ retention_in_days: 90 });
  });

  test("fails when the repository, connection, deploy role, compute type or timeout are invalid, naming each", () => {
    expect(
      rejectionLines(() =>
        runners({
          repository: "git@github.com:example-org/platform.git",
          connectionArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:github-token",
          deployRoleArn: "platform-deploy",
          computeType: "BUILD_LAMBDA_1GB",
          timeoutMinutes: 4,
        }),
      ),
    ).toEqual([
      'test/prod-runners: repository: received "git@github.com:example-org/platform.git"; expected a GitHub repository URL https://github.com/<owner>/<repository> (no .git, no trailing slash)',
      'test/prod-runners: connectionArn: received "arn:aws:secretsmanager:eu-west-1:123456789012:secret:github-token"; expected a CodeConnections connection ARN such as arn:aws:codeconnections:eu-west-1:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab (create the GitHub connection once in the console; see README, Reaching a private cluster)',
      'test/prod-runners: deployRoleArn: received "platform-deploy"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/platform-deploy',
      'test/prod-runners: computeType: received "BUILD_LAMBDA_1GB"; expected a CodeBuild compute type: one of BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE',
      "test/prod-runners: timeoutMinutes: received 4; expected an integer from 5 to 2160 (CodeBuild's build timeout, minutes)",
    ]);
  });

  test("fails when the network has no NAT: the runners could not reach GitHub", () => {
    expect(rejectionLines(() => runners({ tier: "development" }, "none"))).toEqual([
      'test/prod-runners: natGateways: received "none"; expected "single" or "perAz" with in-VPC runners: they run in the private subnets and reach GitHub (and the registries their jobs download from) only through NAT',
    ]);
  });

  test("fails when the name is not a CodeBuild project name or too long for its role", () => {
    expect(rejectionLines(() => runners({ name: `-${"r".repeat(64)}` }))).toEqual([
      `test/prod-runners: name: received "-${"r".repeat(64)}"; expected a CodeBuild project name: 2-255 letters, digits, '-' and '_', starting with a letter or digit`,
      `test/prod-runners: name: received "-${"r".repeat(64)}"; expected a name of at most 64 characters (it is also the runners' IAM role name)`,
    ]);
  });
});

describe("ClusterApiAccess", () => {
  function access(securityGroupIds: string[], cidrs: string[] = []) {
    const stack = testStack();
    new ClusterApiAccess(stack, "cluster-api-access", {
      cluster: CLUSTER,
      securityGroupIds,
      cidrs,
    });
    return synth(stack);
  }

  test("one 443 rule on the cluster security group per security group and CIDR, keyed by it", () => {
    const rules = resources(
      access(["sg-0aaaaaaaaaaaaaaaa"], ["10.99.0.0/16"]),
      "aws_vpc_security_group_ingress_rule",
    );
    const byKey = (key: string) =>
      Object.entries(rules).find(([k]) => k.replace(/_[0-9A-F]{8}$/, "") === key)?.[1];
    expect(Object.keys(rules)).toHaveLength(2);
    expect([
      byKey("cluster-api-access_from-sg-0aaaaaaaaaaaaaaaa"),
      byKey("cluster-api-access_from-10-99-0-0-16"),
    ]).toEqual([
      expect.objectContaining({
        security_group_id: CLUSTER.clusterSecurityGroupId,
        referenced_security_group_id: "sg-0aaaaaaaaaaaaaaaa",
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
      }),
      expect.objectContaining({
        security_group_id: CLUSTER.clusterSecurityGroupId,
        cidr_ipv4: "10.99.0.0/16",
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
      }),
    ]);
  });

  test("fails when a security group id or CIDR is malformed, public, or listed twice", () => {
    expect(
      rejectionLines(() =>
        access(
          ["sg-123", "sg-0aaaaaaaaaaaaaaaa", "sg-0aaaaaaaaaaaaaaaa"],
          ["10.99.0.1/16", "203.0.113.0/24", "0.0.0.0/0"],
        ),
      ),
    ).toEqual([
      'test/cluster-api-access: securityGroupIds[0]: received "sg-123"; expected a security group id such as sg-0123456789abcdef0',
      'test/cluster-api-access: securityGroupIds[2]: received "sg-0aaaaaaaaaaaaaaaa"; expected each entry once (duplicate)',
      'test/cluster-api-access: cidrs[0]: received "10.99.0.1/16"; expected an IPv4 CIDR block with no host bits set, such as 10.99.0.0/16',
      'test/cluster-api-access: cidrs[1]: received "203.0.113.0/24"; expected a private CIDR (10/8, 172.16/12, 192.168/16, 100.64/10) that reaches the VPC; a public range reaches the public endpoint instead (cluster.endpointPublicAccessCidrs)',
      'test/cluster-api-access: cidrs[2]: received "0.0.0.0/0"; expected a private CIDR (10/8, 172.16/12, 192.168/16, 100.64/10) that reaches the VPC; a public range reaches the public endpoint instead (cluster.endpointPublicAccessCidrs)',
    ]);
  });
});
