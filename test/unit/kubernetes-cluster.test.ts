import {
  KubernetesCluster,
  type KubernetesClusterProps,
} from "../../constructs/kubernetes-cluster";
import { Network } from "../../constructs/network";
import {
  allowedActions,
  only,
  policy,
  resources,
  synth,
  TEST_AWS,
  testStack,
  rejectionLines,
  type StackJson,
} from "../helpers";

const AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

function cluster(
  props: Partial<KubernetesClusterProps> = {},
  extra?: (c: KubernetesCluster) => void,
) {
  const stack = testStack();
  const network = new Network(stack, "network", {
    environment: TEST_AWS,
    cidr: "10.30.0.0/16",
    availabilityZones: AZS,
    name: "prod",
  });
  const construct = new KubernetesCluster(stack, "cluster", {
    environment: TEST_AWS,
    network,
    kubernetesVersion: "1.35",
    name: "prod",
    supportStatusDate: "2026-12-01",
    admins: ["arn:aws:iam::123456789012:role/platform-admin"],
    nodeGroups: {
      general: { instanceTypes: ["m6i.large"], minSize: 3, maxSize: 9, desiredSize: 3 },
    },
    ...props,
  });
  extra?.(construct);
  return { construct, json: synth(stack) };
}

const roleNamed = (json: StackJson, name: string) =>
  Object.values(resources(json, "aws_iam_role")).find((r) => r.name === name)!;
const attachedTo = (json: StackJson, roleKey: string) =>
  Object.values(resources(json, "aws_iam_role_policy_attachment"))
    .filter((a) => String(a.role).includes(roleKey))
    .map((a) => String(a.policy_arn).replace("arn:aws:iam::aws:policy/", ""));

describe("KubernetesCluster secure defaults", () => {
  const { json } = cluster();
  const eks = only(json, "aws_eks_cluster");
  const vpc = (eks.vpc_config as Record<string, unknown>[])[0] ?? eks.vpc_config;

  test("runs in the private subnets with the required version", () => {
    expect(eks.version).toBe("1.35");
    expect(vpc.subnet_ids).toEqual(
      expect.arrayContaining([expect.stringContaining("private-subnet-eu-west-1a")]),
    );
    expect(JSON.stringify(vpc.subnet_ids)).not.toContain("public-subnet");
  });

  // provider 5.100.0 internal/service/eks/cluster.go: upgrade_policy { support_type } (STANDARD |
  // EXTENDED); left out, EKS enrols the cluster in paid extended support.
  test("sets the upgrade policy explicitly: STANDARD support by default", () => {
    expect(eks.upgrade_policy).toEqual({ support_type: "STANDARD" });
  });

  test("the upgrade policy can choose paid extended support", () => {
    expect(
      only(cluster({ supportType: "EXTENDED" }).json, "aws_eks_cluster").upgrade_policy,
    ).toEqual({ support_type: "EXTENDED" });
  });

  test("private endpoint only when no public CIDR is given", () => {
    expect(vpc).toMatchObject({ endpoint_private_access: true, endpoint_public_access: false });
    expect(vpc.public_access_cidrs).toBeUndefined();
  });

  test("public endpoint limited to the given CIDRs in the development tier", () => {
    const dev = only(
      cluster({ tier: "development", endpointPublicAccessCidrs: ["203.0.113.0/24"] }).json,
      "aws_eks_cluster",
    );
    expect(dev.vpc_config).toMatchObject({
      endpoint_private_access: true,
      endpoint_public_access: true,
      public_access_cidrs: ["203.0.113.0/24"],
    });
  });

  test("secrets envelope encryption with a dedicated rotating key", () => {
    expect(eks.encryption_config).toEqual({
      resources: ["secrets"],
      provider: { key_arn: expect.stringMatching(/aws_kms_key\.cluster_secrets-key_.*\.arn/) },
    });
    const keys = Object.entries(resources(json, "aws_kms_key")).filter(([k]) =>
      k.startsWith("cluster_"),
    );
    expect(keys).toHaveLength(2);
    for (const [, key] of keys) {
      expect(key.enable_key_rotation).toBe(true);
      expect(policy(key.policy).Statement.length).toBeGreaterThanOrEqual(2);
    }
  });

  test("all five control-plane log types in production, to a group we own with retention and KMS", () => {
    expect(eks.enabled_cluster_log_types).toEqual([
      "api",
      "audit",
      "authenticator",
      "controllerManager",
      "scheduler",
    ]);
    const group = Object.values(resources(json, "aws_cloudwatch_log_group")).find(
      (g) => g.name === "/aws/eks/prod/cluster",
    )!;
    expect(group.retention_in_days).toBe(365);
    expect(String(group.kms_key_id)).toMatch(/aws_kms_key\.cluster_log-key/);
    expect(eks.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_cloudwatch_log_group\.cluster_log-group/),
      ]),
    );
  });

  test("api, audit and authenticator logs in the development tier", () => {
    expect(
      only(cluster({ tier: "development" }).json, "aws_eks_cluster").enabled_cluster_log_types,
    ).toEqual(["api", "audit", "authenticator"]);
  });

  test("API authentication mode, no implicit creator admin", () => {
    expect(eks.access_config).toEqual({
      authentication_mode: "API",
      bootstrap_cluster_creator_admin_permissions: false,
    });
  });

  test("each admin gets an access entry with the cluster-admin policy at cluster scope", () => {
    expect(Object.values(resources(json, "aws_eks_access_entry"))).toEqual([
      expect.objectContaining({
        principal_arn: "arn:aws:iam::123456789012:role/platform-admin",
        type: "STANDARD",
      }),
    ]);
    expect(Object.values(resources(json, "aws_eks_access_policy_association"))).toEqual([
      expect.objectContaining({
        policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
        access_scope: { type: "cluster" },
      }),
    ]);
  });

  test("admin access entry ids are keyed by the ARN", () => {
    const { construct } = cluster();
    expect(construct.accessEntries["arn:aws:iam::123456789012:role/platform-admin"].node.id).toBe(
      "admin-123456789012-role-platform-admin",
    );
  });

  test("cluster role: only AmazonEKSClusterPolicy plus use of the secrets key", () => {
    const role = roleNamed(json, "prod-cluster");
    expect(policy(role.assume_role_policy).Statement[0].Principal).toEqual({
      Service: "eks.amazonaws.com",
    });
    expect(attachedTo(json, "cluster-role")).toEqual(["AmazonEKSClusterPolicy"]);
    const inline = Object.values(resources(json, "aws_iam_role_policy")).find(
      (p) => p.name === "secrets-encryption",
    )!;
    expect(allowedActions(inline.policy)).toEqual([
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ListGrants",
      "kms:DescribeKey",
    ]);
    expect(policy(inline.policy).Statement[0].Resource).toMatch(/aws_kms_key\.cluster_secrets-key/);
  });

  test("node role trust: AWS's documented EKS node role trust, ec2.amazonaws.com with no condition", () => {
    // docs.aws.amazon.com/eks/latest/userguide/create-node-role.html: EC2 assumes the role for the
    // instance profile without sending aws:SourceAccount, so a condition on it fails node launches.
    const role = roleNamed(json, "prod-node");
    expect(policy(role.assume_role_policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ],
    });
  });

  test("node role: worker and ECR pull policies only, no CNI policy", () => {
    expect(attachedTo(json, "node-role").sort()).toEqual([
      "AmazonEC2ContainerRegistryPullOnly",
      "AmazonEKSWorkerNodePolicy",
    ]);
  });

  test("launch template: IMDSv2 required with hop limit 1, encrypted gp3 root volume, no SSH key", () => {
    const template = only(json, "aws_launch_template");
    expect(template.metadata_options).toEqual({
      http_endpoint: "enabled",
      http_tokens: "required",
      http_put_response_hop_limit: 1,
      instance_metadata_tags: "disabled",
    });
    expect(template.block_device_mappings).toEqual([
      {
        device_name: "/dev/xvda",
        ebs: {
          volume_size: 50,
          volume_type: "gp3",
          encrypted: "true",
          delete_on_termination: "true",
        },
      },
    ]);
    expect(template.key_name).toBeUndefined();
    expect(template.vpc_security_group_ids).toEqual([
      expect.stringMatching(/cluster_security_group_id/),
      expect.stringMatching(/aws_security_group\.cluster_node-security-group/),
    ]);
  });

  test("node groups keyed by name: AL2023, private subnets, sizes, update config, no remote access", () => {
    const groups = resources(json, "aws_eks_node_group");
    expect(Object.keys(groups)).toEqual([expect.stringMatching(/^cluster_node-group-general_/)]);
    const group = Object.values(groups)[0];
    expect(group).toMatchObject({
      node_group_name: "general",
      ami_type: "AL2023_x86_64_STANDARD",
      capacity_type: "ON_DEMAND",
      instance_types: ["m6i.large"],
      scaling_config: { min_size: 3, max_size: 9, desired_size: 3 },
      update_config: { max_unavailable_percentage: 33 },
    });
    expect(JSON.stringify(group.subnet_ids)).not.toContain("public");
    expect(group.remote_access).toBeUndefined();
  });

  test("node groups follow the control plane's Kubernetes version (a minor upgrade rolls the nodes)", () => {
    const [name] = Object.keys(resources(json, "aws_eks_cluster"));
    const group = Object.values(resources(json, "aws_eks_node_group"))[0];
    expect(group.version).toBe(`\${aws_eks_cluster.${name}.version}`);
  });

  test("Graviton instance types get the ARM AMI", () => {
    const { json: arm } = cluster({
      nodeGroups: { arm: { instanceTypes: ["m7g.large"], minSize: 1, maxSize: 2, desiredSize: 1 } },
    });
    expect(only(arm, "aws_eks_node_group").ami_type).toBe("AL2023_ARM_64_STANDARD");
  });

  test("OIDC provider for IRSA with the sts audience", () => {
    const oidc = only(json, "aws_iam_openid_connect_provider");
    expect(oidc.client_id_list).toEqual(["sts.amazonaws.com"]);
    expect(oidc.url).toMatch(/aws_eks_cluster\.cluster_.*\.identity\[0\]\.oidc\[0\]\.issuer/);
  });

  test("managed add-ons; CNI and EBS CSI run with their own IRSA roles", () => {
    const addons = Object.values(resources(json, "aws_eks_addon"));
    expect(addons.map((a) => a.addon_name).sort()).toEqual([
      "aws-ebs-csi-driver",
      "coredns",
      "kube-proxy",
      "vpc-cni",
    ]);
    const cni = addons.find((a) => a.addon_name === "vpc-cni")!;
    expect(String(cni.service_account_role_arn)).toMatch(
      /aws_iam_role\.cluster_irsa-kube-system-aws-node/,
    );
    expect(attachedTo(json, "irsa-kube-system-aws-node")).toEqual(["AmazonEKS_CNI_Policy"]);
    expect(attachedTo(json, "irsa-kube-system-ebs-csi-controller-sa")).toEqual([
      "service-role/AmazonEBSCSIDriverPolicy",
    ]);
    expect(roleNamed(json, "prod-vpc-cni")).toBeDefined();
  });

  test("the VPC CNI runs its network policy agent, so NetworkPolicies are enforced", () => {
    const cni = Object.values(resources(json, "aws_eks_addon")).find(
      (a) => a.addon_name === "vpc-cni",
    )!;
    expect(cni.configuration_values).toBe('{"enableNetworkPolicy":"true"}');
    for (const other of Object.values(resources(json, "aws_eks_addon")).filter(
      (a) => a.addon_name !== "vpc-cni",
    ))
      expect(other.configuration_values).toBeUndefined();
  });

  test("add-on versions are pinnable", () => {
    const pinned = cluster({ addonVersions: { coredns: "v1.11.4-eksbuild.2" } }).json;
    const addons = Object.values(resources(pinned, "aws_eks_addon"));
    expect(addons.find((a) => a.addon_name === "coredns")!.addon_version).toBe(
      "v1.11.4-eksbuild.2",
    );
    expect(addons.find((a) => a.addon_name === "kube-proxy")!.addon_version).toBeUndefined();
  });

  test("production protects the cluster from destroy; development does not", () => {
    expect(eks.lifecycle).toEqual({ prevent_destroy: true });
    expect(
      only(cluster({ tier: "development" }).json, "aws_eks_cluster").lifecycle,
    ).toBeUndefined();
  });

  test("the node security group has no rules of its own", () => {
    const nodeSg = Object.values(resources(json, "aws_security_group")).find(
      (g) => g.name === "prod-nodes",
    )!;
    expect(nodeSg.ingress).toBeUndefined();
    expect(nodeSg.egress).toBeUndefined();
  });
});

describe("KubernetesCluster deployers", () => {
  const ADMIN = "arn:aws:iam::123456789012:role/platform-admin";
  const DEPLOYER = "arn:aws:iam::123456789012:role/platform-deploy";
  const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
  const entriesOf = (json: StackJson) =>
    Object.values(resources(json, "aws_eks_access_entry")).map((e) => e.principal_arn);

  test("a deployer gets a STANDARD access entry with the cluster-admin policy at cluster scope", () => {
    const { construct, json } = cluster({ deployers: [DEPLOYER] });
    expect(entriesOf(json)).toEqual([ADMIN, DEPLOYER]);
    const entries = resources(json, "aws_eks_access_entry");
    const [entryName, entry] = Object.entries(entries).find(
      ([, e]) => e.principal_arn === DEPLOYER,
    )!;
    expect(entry).toMatchObject({
      cluster_name: expect.stringMatching(/^\$\{aws_eks_cluster\.cluster_\w+\.name\}$/),
      principal_arn: DEPLOYER,
      type: "STANDARD",
    });
    expect(entry.kubernetes_groups).toBeUndefined();
    const associations = Object.values(resources(json, "aws_eks_access_policy_association"));
    expect(associations).toHaveLength(2);
    expect(
      associations.find(
        (a) => a.principal_arn === `\${aws_eks_access_entry.${entryName}.principal_arn}`,
      ),
    ).toMatchObject({
      policy_arn: CLUSTER_ADMIN_POLICY,
      access_scope: { type: "cluster" },
    });
    expect(construct.accessEntries[DEPLOYER].node.id).toBe(
      "deployer-123456789012-role-platform-deploy",
    );
    expect(construct.accessEntries[ADMIN].node.id).toBe("admin-123456789012-role-platform-admin");
  });

  test("a deployer that is also an admin gets one access entry, the admin's (EKS allows one per principal)", () => {
    const { construct, json } = cluster({ deployers: [ADMIN] });
    expect(entriesOf(json)).toEqual([ADMIN]);
    expect(Object.values(resources(json, "aws_eks_access_policy_association"))).toHaveLength(1);
    expect(construct.accessEntries[ADMIN].node.id).toBe("admin-123456789012-role-platform-admin");
  });

  test("deployers without admins", () => {
    const { json } = cluster({ admins: [], deployers: [DEPLOYER] });
    expect(entriesOf(json)).toEqual([DEPLOYER]);
  });
});

describe("KubernetesCluster.addServiceAccountRole", () => {
  test("trust is pinned to exactly one service account and the sts audience", () => {
    const { json } = cluster({}, (c) =>
      c.addServiceAccountRole("kube-system", "aws-load-balancer-controller", [
        { Effect: "Allow", Action: ["elasticloadbalancing:DescribeLoadBalancers"], Resource: "*" },
      ]),
    );
    const role = roleNamed(json, "prod-kube-system-aws-load-balancer-controller");
    const [statement] = policy(role.assume_role_policy).Statement;
    expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(statement.Principal).toEqual({
      Federated: expect.stringMatching(/aws_iam_openid_connect_provider\..*\.arn/),
    });
    const conditions = (statement.Condition as Record<string, Record<string, string>>).StringEquals;
    const entries = Object.entries(conditions).map(([k, v]) => [
      k.replace(
        /^\$\{replace\(aws_eks_cluster\.cluster_\w+\.identity\[0\]\.oidc\[0\]\.issuer, "https:\/\/", ""\)\}/,
        "ISSUER",
      ),
      v,
    ]);
    expect(entries).toEqual([
      ["ISSUER:sub", "system:serviceaccount:kube-system:aws-load-balancer-controller"],
      ["ISSUER:aud", "sts.amazonaws.com"],
    ]);
    const inline = Object.values(resources(json, "aws_iam_role_policy")).find(
      (p) => p.name === "aws-load-balancer-controller",
    )!;
    expect(allowedActions(inline.policy)).toEqual(["elasticloadbalancing:DescribeLoadBalancers"]);
  });

  test("fails when the role name would exceed 64 characters", () => {
    expect(() =>
      cluster({}, (c) =>
        c.addServiceAccountRole(
          "a-very-long-namespace-name",
          "a-very-long-service-account-name-x",
          [],
        ),
      ),
    ).toThrow(
      'test/cluster: serviceAccountRole(a-very-long-namespace-name/a-very-long-service-account-name-x).name: received "prod-a-very-long-namespace-name-a-very-long-service-account-name-x"; expected an IAM role name of at most 64 characters (pass options.name)',
    );
  });

  test("fails when a service account gets a second role", () => {
    expect(() =>
      cluster({}, (c) => {
        c.addServiceAccountRole("monitoring", "alertmanager", []);
        c.addServiceAccountRole("monitoring", "alertmanager", []);
      }),
    ).toThrow(
      'test/cluster: serviceAccountRole(monitoring/alertmanager): received "monitoring/alertmanager"; expected one role per service account',
    );
  });
});

describe("KubernetesCluster validation", () => {
  const fails = (props: Partial<KubernetesClusterProps>) => rejectionLines(() => cluster(props));

  test("fails when the Kubernetes version is not supported", () => {
    expect(fails({ kubernetesVersion: "1.25" })).toEqual([
      'test/cluster: kubernetesVersion: received "1.25"; expected a Kubernetes version EKS still creates clusters on: one of 1.32, 1.33, 1.34, 1.35',
    ]);
  });

  // EKS release calendar: 1.31's extended support ended on 2026-11-26; EKS no longer creates it.
  test("fails when the Kubernetes version is one EKS no longer creates, saying since when", () => {
    expect(fails({ kubernetesVersion: "1.31" })).toEqual([
      'test/cluster: kubernetesVersion: received "1.31"; expected a Kubernetes version EKS still creates clusters on: one of 1.32, 1.33, 1.34, 1.35 (1.31 reached the end of extended support on 2026-11-26)',
    ]);
  });

  test("fails when the support type or the status date is not one EKS or the calendar knows", () => {
    expect(
      fails({ supportType: "LONG" as unknown as "STANDARD", supportStatusDate: "1 Dec 2026" }),
    ).toEqual([
      'test/cluster: supportType: received "LONG"; expected one of STANDARD, EXTENDED',
      'test/cluster: supportStatusDate: received "1 Dec 2026"; expected a date as YYYY-MM-DD',
    ]);
  });

  test("fails when node group sizes are out of order", () => {
    expect(
      fails({
        nodeGroups: {
          general: { instanceTypes: ["m6i.large"], minSize: 3, maxSize: 2, desiredSize: 4 },
        },
      }),
    ).toEqual([
      'test/cluster: nodeGroups.general: received {"minSize":3,"desiredSize":4,"maxSize":2}; expected minSize <= desiredSize <= maxSize',
    ]);
  });

  test("fails when a node group has no instance types", () => {
    expect(
      fails({
        nodeGroups: { general: { instanceTypes: [], minSize: 1, maxSize: 2, desiredSize: 1 } },
      }),
    ).toEqual([
      "test/cluster: nodeGroups.general.instanceTypes: received []; expected at least one instance type",
    ]);
  });

  test("fails when a node group name is over 63 characters", () => {
    const long = "g".repeat(64);
    expect(
      fails({
        nodeGroups: {
          [long]: { instanceTypes: ["m6i.large"], minSize: 1, maxSize: 2, desiredSize: 1 },
        },
      }),
    ).toEqual([
      `test/cluster: nodeGroups.${long}: received "${long}"; expected a node group name of 1-63 letters, digits, '-' and '_', starting with a letter or digit`,
    ]);
  });

  test("fails when the cluster name is over 100 characters (and its role names over 64)", () => {
    const long = "c".repeat(101);
    const lines = fails({ name: long });
    expect(lines[0]).toBe(
      `test/cluster: name: received "${long}"; expected an EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit`,
    );
    expect(lines[1]).toBe(
      `test/cluster: name: received "${long}"; expected a shorter name: the cluster IAM role name "${long}-cluster" has 109 characters, at most 64 allowed`,
    );
  });

  test("fails when an IAM role name would be over 64 characters", () => {
    const name = "n".repeat(50);
    expect(fails({ name })).toContain(
      `test/cluster: name: received "${name}"; expected a shorter name: the aws-ebs-csi-driver IAM role name "${name}-ebs-csi-driver" has 65 characters, at most 64 allowed`,
    );
  });

  test("fails when a public CIDR is invalid, 0.0.0.0/0, private, or set in production", () => {
    expect(
      fails({
        tier: "development",
        endpointPublicAccessCidrs: ["203.0.113.0/33", "0.0.0.0/0", "10.0.0.0/8"],
      }),
    ).toEqual([
      'test/cluster: endpointPublicAccessCidrs[0]: received "203.0.113.0/33"; expected an IPv4 CIDR block with no host bits set, such as 203.0.113.0/24',
      'test/cluster: endpointPublicAccessCidrs[1]: received "0.0.0.0/0"; expected a narrow range: 0.0.0.0/0 opens the API endpoint to the internet',
      'test/cluster: endpointPublicAccessCidrs[2]: received "10.0.0.0/8"; expected a public CIDR (private ranges reach the private endpoint instead)',
    ]);
    expect(fails({ endpointPublicAccessCidrs: ["203.0.113.0/24"] })).toEqual([
      'test/cluster: endpointPublicAccessCidrs[0]: received "203.0.113.0/24"; expected no public CIDR in the production tier (private endpoint only: leave endpointPublicAccessCidrs empty)',
    ]);
  });

  test("fails when an admin is not an IAM ARN", () => {
    expect(fails({ admins: ["platform-admin"] })).toEqual([
      'test/cluster: admins[0]: received "platform-admin"; expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-admin',
    ]);
  });

  test("fails when vpc-cni is pinned older than v1.14.0 (no network policy agent)", () => {
    expect(fails({ addonVersions: { "vpc-cni": "v1.13.4-eksbuild.1" } })).toEqual([
      'test/cluster: addonVersions.vpc-cni: received "v1.13.4-eksbuild.1"; expected a vpc-cni version v1.14.0 or newer (enableNetworkPolicy needs the network policy agent of VPC CNI 1.14)',
    ]);
    for (const version of ["v1.14.0-eksbuild.3", "v1.19.2-eksbuild.1", "v2.0.0-eksbuild.1"])
      expect(() => cluster({ addonVersions: { "vpc-cni": version } })).not.toThrow();
  });

  test("fails when an admin is listed twice", () => {
    const admin = "arn:aws:iam::123456789012:role/platform-admin";
    expect(fails({ admins: [admin, "arn:aws:iam::123456789012:user/alice", admin] })).toEqual([
      `test/cluster: admins[2]: received "${admin}"; expected each principal once (duplicate: EKS allows one access entry per principal)`,
    ]);
  });

  test("fails when a deployer is not an IAM ARN or is listed twice", () => {
    const deployer = "arn:aws:iam::123456789012:role/platform-deploy";
    expect(fails({ deployers: ["platform-deploy", deployer, deployer] })).toEqual([
      'test/cluster: deployers[0]: received "platform-deploy"; expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/platform-deploy',
      `test/cluster: deployers[2]: received "${deployer}"; expected each principal once (duplicate: EKS allows one access entry per principal)`,
    ]);
  });

  test("fails when instance types mix architectures", () => {
    expect(
      fails({
        nodeGroups: {
          mixed: {
            instanceTypes: ["m6i.large", "m7g.large"],
            minSize: 1,
            maxSize: 2,
            desiredSize: 1,
          },
        },
      }),
    ).toEqual([
      'test/cluster: nodeGroups.mixed.instanceTypes: received ["m6i.large","m7g.large"]; expected instance types of one architecture (all Graviton or none)',
    ]);
  });
});

describe("KubernetesCluster version warnings", () => {
  const warnings = (props: Partial<KubernetesClusterProps>) =>
    cluster(props)
      .construct.node.metadata.filter((m) => m.type === "@cdktf/warn")
      .map((m) => m.data);

  test("no warning while the version is in standard support", () => {
    expect(warnings({ kubernetesVersion: "1.35", supportStatusDate: "2026-12-01" })).toEqual([]);
  });

  test("warns (a construct annotation, not an error) when the version is out of standard support", () => {
    expect(warnings({ kubernetesVersion: "1.32", supportStatusDate: "2026-12-01" })).toEqual([
      'kubernetesVersion: "1.32" is out of EKS standard support since 2026-03-23: with supportType STANDARD EKS upgrades the control plane automatically, and the next plan tries to move it back to 1.32, which EKS refuses; upgrade one minor version at a time, next 1.33 (newest in standard support: 1.35, until 2027-03-27)',
    ]);
  });
});

// kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md (1.35.2), "Auto-Discovery
// Setup": at zero nodes the autoscaler reads a group's labels from
// k8s.io/cluster-autoscaler/node-template/label/<key> ASG tags; EKS does not put a managed node
// group's labels on its ASG (aws/containers-roadmap#724).
describe("KubernetesCluster node labels for scale from zero", () => {
  const { json } = cluster({
    nodeGroups: {
      general: { instanceTypes: ["m6i.large"], minSize: 2, maxSize: 6, desiredSize: 2 },
      batch: {
        instanceTypes: ["c6i.large"],
        minSize: 0,
        maxSize: 4,
        desiredSize: 0,
        labels: { workload: "batch", "example.com/team": "data" },
      },
    },
  });
  const tags = resources(json, "aws_autoscaling_group_tag");

  test("tags the labelled group's Auto Scaling group with each label, not propagated to instances", () => {
    const byKey = (a: any, b: any) => String(a.key).localeCompare(String(b.key));
    expect(
      Object.values(tags)
        .map((t) => t.tag)
        .sort(byKey),
    ).toEqual([
      {
        key: "k8s.io/cluster-autoscaler/node-template/label/example.com/team",
        value: "data",
        propagate_at_launch: false,
      },
      {
        key: "k8s.io/cluster-autoscaler/node-template/label/workload",
        value: "batch",
        propagate_at_launch: false,
      },
    ]);
    for (const t of Object.values(tags)) {
      expect(t.autoscaling_group_name).toMatch(
        /^\$\{aws_eks_node_group\.cluster_node-group-batch_[0-9A-F]+\.resources\[0\]\.autoscaling_groups\[0\]\.name\}$/,
      );
    }
  });

  test("ids are keyed by group and label key", () => {
    expect(
      Object.keys(tags)
        .map((k) => k.replace(/_[0-9A-F]+$/, ""))
        .sort(),
    ).toEqual([
      "cluster_node-group-batch-asg-label-examplecom--team",
      "cluster_node-group-batch-asg-label-workload",
    ]);
  });
});
