/**
 * Issue 15, item 1: the workloads deployer needs a network path to the cluster's API endpoint.
 * Environment-file rules (pipeline section, cluster.apiAccess) and what the stacks make of them.
 */
import { EnvironmentConfigError, loadEnvironments } from "../../config/load";
import {
  ENVIRONMENTS_DIR,
  environmentFolder,
  environmentStacks,
  rawEnvironment,
  resources,
  type StackJson,
} from "../helpers";

/** Loads one edited copy of a shipped file and returns the problem lines (without the file). */
function problemsFor(edit: (raw: Record<string, any>) => void, name = "prod"): string[] {
  const raw = rawEnvironment(name);
  edit(raw);
  try {
    loadEnvironments(environmentFolder({ [name]: raw }));
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((line) => line.trim().replace(/^\S*\/(\w+\.yaml)/, "$1"));
  }
  throw new Error("expected the environment file to be rejected");
}

function accepted(edit: (raw: Record<string, any>) => void, name = "prod") {
  const raw = rawEnvironment(name);
  edit(raw);
  return () => loadEnvironments(environmentFolder({ [name]: raw }));
}

const NO_PATH =
  "pipeline: received nothing; expected a network path from the workloads deployer to the private API endpoint: cluster.endpointPublicAccessCidrs is empty, so only the VPC reaches the cluster and every resource of prod-workloads would time out; add a pipeline section (repository, connectionArn: CodeBuild-hosted GitHub Actions runners in the private subnets), or list the security groups (cluster.apiAccess.securityGroupIds) or private CIDRs (cluster.apiAccess.cidrs) of the runners that deploy prod-workloads";

describe("a network path from the pipeline to the cluster", () => {
  test("every shipped environment runs its cluster-facing jobs on in-VPC runners behind a private-only endpoint", () => {
    for (const { config } of loadEnvironments(ENVIRONMENTS_DIR)) {
      expect(config.pipeline).toMatchObject({
        repository: expect.stringMatching(/^https:\/\/github\.com\//),
        connectionArn: expect.stringMatching(/^arn:aws:codeconnections:/),
      });
      expect(config.cluster.endpointPublicAccessCidrs).toEqual([]);
    }
  });

  test("fails when the endpoint is private and there is neither a pipeline section nor cluster.apiAccess", () => {
    expect(problemsFor((raw) => delete raw.pipeline)).toEqual([`prod.yaml: ${NO_PATH}`]);
    // empty apiAccess lists are no path either
    expect(
      problemsFor((raw) => {
        delete raw.pipeline;
        raw.cluster.apiAccess = { securityGroupIds: [], cidrs: [] };
      }),
    ).toEqual([`prod.yaml: ${NO_PATH}`]);
  });

  test("runner security groups, private CIDRs or (development) a public CIDR are a path too", () => {
    expect(
      accepted((raw) => {
        delete raw.pipeline;
        raw.cluster.apiAccess = { securityGroupIds: ["sg-0123456789abcdef0"] };
      }),
    ).not.toThrow();
    expect(
      accepted((raw) => {
        delete raw.pipeline;
        raw.cluster.apiAccess = { cidrs: ["10.99.0.0/16"] };
      }),
    ).not.toThrow();
    expect(
      accepted((raw) => {
        delete raw.pipeline;
        raw.cluster.endpointPublicAccessCidrs = ["198.51.100.0/24"];
      }, "dev"),
    ).not.toThrow();
  });

  test("fails when runners are asked for with natGateways none: they could not reach GitHub", () => {
    expect(problemsFor((raw) => (raw.network.natGateways = "none"), "dev")).toEqual([
      'dev.yaml: network.natGateways: received "none"; expected "single" or "perAz" with in-VPC runners: they run in the private subnets and reach GitHub (and the registries their jobs download from) only through NAT',
    ]);
  });

  test("fails when the pipeline section has no deployRoleArn for the runners to assume", () => {
    expect(
      problemsFor((raw) => {
        delete raw.deployRoleArn;
        delete raw.github; // the github section's own need for a deploy role is tested with it
        delete raw.apps.web.imageRepository; // its push role needs the github section's OIDC provider
      }),
    ).toEqual([
      "prod.yaml: deployRoleArn: received nothing; expected the IAM role the runners assume to deploy (the runners' own role may only assume it)",
    ]);
  });

  test("fails when a pipeline field is invalid or unknown, naming each", () => {
    expect(
      problemsFor((raw) => {
        raw.pipeline.repository = "https://gitlab.com/example-org/platform";
        raw.pipeline.connectionArn = "ghp_notatoken";
        raw.pipeline.computeType = "BUILD_GENERAL1_HUGE";
        raw.pipeline.timeoutMinutes = 3000;
      }),
    ).toEqual([
      'prod.yaml: pipeline.repository: received "https://gitlab.com/example-org/platform"; expected a GitHub repository URL https://github.com/<owner>/<repository> (no .git, no trailing slash)',
      'prod.yaml: pipeline.connectionArn: received "ghp_notatoken"; expected a CodeConnections connection ARN such as arn:aws:codeconnections:eu-west-1:123456789012:connection/0123abcd-0123-4567-89ab-0123456789ab (create the GitHub connection once in the console; see README, Reaching a private cluster)',
      'prod.yaml: pipeline.computeType: received "BUILD_GENERAL1_HUGE"; expected a CodeBuild compute type: one of BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE',
      "prod.yaml: pipeline.timeoutMinutes: received 3000; expected an integer from 5 to 2160 (CodeBuild's build timeout, minutes)",
    ]);
    expect(problemsFor((raw) => (raw.pipeline.token = "ghp_x"))).toEqual([
      'prod.yaml: pipeline.token: received "ghp_x"; expected no field named "token" here (unknown field; allowed: repository, connectionArn, computeType, timeoutMinutes)',
    ]);
  });

  test("fails when a cluster.apiAccess entry is malformed or public", () => {
    expect(
      problemsFor(
        (raw) =>
          (raw.cluster.apiAccess = { securityGroupIds: ["sg-1"], cidrs: ["203.0.113.0/24"] }),
      ),
    ).toEqual([
      'prod.yaml: cluster.apiAccess.securityGroupIds[0]: received "sg-1"; expected a security group id such as sg-0123456789abcdef0',
      'prod.yaml: cluster.apiAccess.cidrs[0]: received "203.0.113.0/24"; expected a private CIDR (10/8, 172.16/12, 192.168/16, 100.64/10) that reaches the VPC; a public range reaches the public endpoint instead (cluster.endpointPublicAccessCidrs)',
    ]);
  });
});

describe("the infrastructure stack", () => {
  const ingress = (json: StackJson) =>
    Object.entries(resources(json, "aws_vpc_security_group_ingress_rule")).filter(([, r]) =>
      /aws_eks_cluster\.cluster_\w+\.vpc_config\[0\]\.cluster_security_group_id/.test(
        String(r.security_group_id),
      ),
    );

  test("prod: the runners, and the cluster security group admits them on 443 only", () => {
    const { infrastructure } = environmentStacks("prod");
    const [project] = Object.values(resources(infrastructure, "aws_codebuild_project"));
    expect(project).toMatchObject({
      name: "prod-runners",
      source: {
        type: "GITHUB",
        location: "https://github.com/example-org/platform",
        auth: {
          type: "CODECONNECTIONS",
          resource: (rawEnvironment("prod") as any).pipeline.connectionArn,
        },
      },
    });
    expect(Object.keys(resources(infrastructure, "aws_codebuild_webhook"))).toHaveLength(1);
    const rules = ingress(infrastructure);
    expect(rules.map(([, r]) => [r.from_port, r.to_port, r.ip_protocol])).toEqual([
      [443, 443, "tcp"],
    ]);
    expect(rules[0][1].referenced_security_group_id).toMatch(
      /^\$\{aws_security_group\.pipeline-runners_security-group_\w+\.id\}$/,
    );
    // the runners assume the deploy role, nothing else
    const runnerPolicy = Object.values(resources(infrastructure, "aws_iam_role_policy")).find(
      (p) => p.name === "pipeline-runner",
    )!;
    expect(String(runnerPolicy.policy)).toContain(
      '"Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/platform-deploy"',
    );
  });

  test("outputs what a workflow needs: the runs-on label (escaped for Terraform), project, security group and role", () => {
    const { infrastructure } = environmentStacks("prod");
    expect(infrastructure.output?.pipeline_runners?.value).toEqual({
      runs_on: "codebuild-prod-runners-$${{ github.run_id }}-$${{ github.run_attempt }}",
      project_name: expect.stringMatching(/^\$\{aws_codebuild_project\.[\w-]+\.name\}$/),
      security_group_id: expect.stringMatching(/^\$\{aws_security_group\.[\w-]+\.id\}$/),
      role_arn: expect.stringMatching(/^\$\{aws_iam_role\.[\w-]+\.arn\}$/),
    });
  });

  test("cluster.apiAccess entries each get their own 443 rule, keyed by the group id or CIDR", () => {
    const { infrastructure } = environmentStacks("prod", false, (raw) => {
      delete raw.pipeline;
      raw.cluster.apiAccess = {
        securityGroupIds: ["sg-0123456789abcdef0"],
        cidrs: ["10.99.0.0/16"],
      };
    });
    expect(resources(infrastructure, "aws_codebuild_project")).toEqual({});
    expect(infrastructure.output?.pipeline_runners).toBeUndefined();
    const rules = ingress(infrastructure);
    expect(rules.map(([key]) => key.replace(/_[0-9A-F]{8}$/, "")).sort()).toEqual([
      "cluster-api-access_from-10-99-0-0-16",
      "cluster-api-access_from-sg-0123456789abcdef0",
    ]);
  });
});
