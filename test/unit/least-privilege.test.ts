/**
 * Issue 3, item 3, checked over everything the project synthesizes: no Allow statement grants
 * "*" or "service:*", and Resource "*" appears only where the action cannot be scoped.
 */
import { Testing } from "cdktf";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { environment, policy, type StackJson } from "../helpers";

/** Resource types whose attribute holds a policy document, and that attribute. */
const POLICY_ATTRIBUTES: Record<string, string> = {
  aws_iam_role_policy: "policy",
  aws_iam_role: "assume_role_policy",
  aws_kms_key: "policy",
  aws_s3_bucket_policy: "policy",
  aws_sns_topic_policy: "policy",
};

interface Found {
  readonly where: string;
  readonly statement: Record<string, unknown>;
}

function statements(json: StackJson): Found[] {
  const found: Found[] = [];
  for (const [type, attribute] of Object.entries(POLICY_ATTRIBUTES)) {
    for (const [name, resource] of Object.entries(json.resource?.[type] ?? {})) {
      if (resource[attribute] === undefined) continue;
      for (const statement of policy(resource[attribute]).Statement)
        found.push({ where: `${type}.${name}`, statement });
    }
  }
  return found;
}

const list = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [String(value)];

describe.each(["dev", "staging", "prod"])("%s-infrastructure IAM", (name) => {
  const json = JSON.parse(
    Testing.synth(
      new InfrastructureStack(Testing.app(), `${name}-infrastructure`, {
        environment: environment(name),
      }),
    ),
  ) as StackJson;
  const all = statements(json);
  const allows = all.filter((f) => f.statement.Effect === "Allow");

  test("finds the policies it checks", () => {
    expect(new Set(all.map((f) => f.where.split(".")[0]))).toEqual(
      new Set(Object.keys(POLICY_ATTRIBUTES)),
    );
  });

  test('no Allow statement grants "*" or "service:*"', () => {
    const wildcards = allows.flatMap((f) =>
      list(f.statement.Action)
        .filter((a) => a === "*" || /^[a-z0-9-]+:\*$/.test(a))
        .map((a) => `${f.where}: ${a}`),
    );
    expect(wildcards).toEqual([]);
  });

  test("Resource \"*\" only in key policies (meaning \"this key\"), the load balancer controller's published policy, ExternalDNS's zone listing, the runners' VPC interfaces, the image push roles' registry login, Cluster Autoscaler's describe and tag-scoped scaling calls and Grafana's region-scoped CloudWatch metric reads", () => {
    const unscoped = allows
      .filter((f) => list(f.statement.Resource).includes("*"))
      .map(
        (f) =>
          f.where.split(".")[0] +
          (f.where.includes("aws-load-balancer-controller") ? " (load balancer controller)" : "") +
          (f.where.includes("irsa-external-dns")
            ? ` (external-dns: ${list(f.statement.Action).join(", ")})`
            : "") +
          (f.where.startsWith("aws_iam_role_policy.pipeline-runners")
            ? ` (pipeline runners: ${list(f.statement.Action).join(", ")})`
            : "") +
          (f.where.includes("push-policy")
            ? ` (image push: ${list(f.statement.Action).join(", ")})`
            : "") +
          (f.where.includes("irsa-monitoring-grafana")
            ? ` (grafana: ${list(f.statement.Action).join(", ")}${f.statement.Condition ? ", region condition" : ""})`
            : "") +
          (f.where.includes("irsa-kube-system-cluster-autoscaler")
            ? ` (cluster-autoscaler: ${f.statement.Sid}${f.statement.Condition ? ", tag condition" : ""})`
            : ""),
      );
    expect(new Set(unscoped)).toEqual(
      new Set([
        "aws_kms_key",
        "aws_iam_role_policy (load balancer controller)",
        // ListHostedZones has no resource type; every record action is scoped to the zones
        ...(environment(name).dns
          ? ["aws_iam_role_policy (external-dns: route53:ListHostedZones)"]
          : []),
        // CodeBuild's documented VPC permissions (the Describe actions have no resource type);
        // CreateNetworkInterfacePermission is scoped to the private subnets and CodeBuild
        ...(environment(name).pipeline
          ? [
              "aws_iam_role_policy (pipeline runners: ec2:CreateNetworkInterface, ec2:DescribeDhcpOptions, ec2:DescribeNetworkInterfaces, ec2:DeleteNetworkInterface, ec2:DescribeSubnets, ec2:DescribeSecurityGroups, ec2:DescribeVpcs)",
            ]
          : []),
        // the image push role's registry login (GetAuthorizationToken has no resource type)
        "aws_iam_role_policy (image push: ecr:GetAuthorizationToken)",
        // Describe* calls with no resource-level permissions, and scaling limited by the ASG tag
        "aws_iam_role_policy (cluster-autoscaler: DescribeScalingTargets)",
        "aws_iam_role_policy (cluster-autoscaler: ScaleOwnNodeGroups, tag condition)",
        // GetMetricData and ListMetrics have no resource type; the environment's region only
        "aws_iam_role_policy (grafana: cloudwatch:GetMetricData, cloudwatch:ListMetrics, region condition)",
      ]),
    );
  });

  test("Route 53 record changes only in the environment's declared zones", () => {
    const zones = (environment(name).dns?.zones ?? []).map(
      (z) => `arn:aws:route53:::hostedzone/${z.id}`,
    );
    const route53 = allows.filter((f) =>
      list(f.statement.Action).some(
        (a) => a.startsWith("route53:") && a !== "route53:ListHostedZones",
      ),
    );
    expect(route53.flatMap((f) => list(f.statement.Resource)).sort()).toEqual(zones.sort());
  });

  // kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md at cluster-autoscaler-1.35.2
  // ("Full Cluster Autoscaler Features Policy"), scaling limited by the tag EKS puts on the ASGs of
  // the cluster's managed node groups.
  test("Cluster Autoscaler scales only the ASGs tagged as owned by this cluster", () => {
    const cluster = environment(name).cluster.name ?? name;
    const autoscaler = allows.filter((f) =>
      f.where.includes("irsa-kube-system-cluster-autoscaler"),
    );
    const scaling = allows.filter((f) =>
      list(f.statement.Action).some((a) =>
        [
          "autoscaling:SetDesiredCapacity",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
        ].includes(a),
      ),
    );
    expect(scaling).toEqual(autoscaler.filter((f) => f.statement.Sid === "ScaleOwnNodeGroups"));
    expect(scaling.map((f) => f.statement)).toEqual([
      {
        Sid: "ScaleOwnNodeGroups",
        Effect: "Allow",
        Action: [
          "autoscaling:SetDesiredCapacity",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
        ],
        Resource: "*",
        Condition: {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: "owned" },
        },
      },
    ]);
    expect(autoscaler.map((f) => f.statement.Sid).sort()).toEqual([
      "DescribeOwnNodeGroups",
      "DescribeScalingTargets",
      "ScaleOwnNodeGroups",
    ]);
    const nodegroups = autoscaler.find((f) => f.statement.Sid === "DescribeOwnNodeGroups")!;
    expect(nodegroups.statement.Resource).toBe(
      `arn:aws:eks:${environment(name).region}:${environment(name).account}:nodegroup/${cluster}/*`,
    );
  });
});
