import { Construct } from "constructs";
import { Annotations, Fn } from "cdktf";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EKS_CLUSTER_NAME, EKS_CLUSTER_NAME_EXPECTED } from "./private/patterns";
import { encryptedLogGroup } from "./private/encrypted-log-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AutoscalingGroupTagA as AutoscalingGroupTag } from "@cdktf/provider-aws/lib/autoscaling-group-tag";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { EncryptionKey } from "./encryption-key";
import {
  checkKubernetesVersion,
  KUBERNETES_SUPPORT_TYPES,
  kubernetesVersionWarning,
  todayUtc,
  type KubernetesSupportType,
  type KubernetesVersion,
} from "./kubernetes-versions";
import type { Network } from "./network";
import { isPrivateCidr, parseCidr } from "./private/cidr";
import { MAX_ROLE_NAME_LENGTH, policyJson, type PolicyStatement } from "./private/iam";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy, type PolicySuppression } from "../policy/suppressions";
import { partitionOf, type AwsEnvironment, type IKubernetesCluster, type Tier } from "./types";

/** A managed node group. */
export interface NodeGroupOptions {
  /** EC2 instance types, all of one architecture (x86_64 or arm64/Graviton). */
  readonly instanceTypes: readonly string[];
  /** Minimum number of nodes. */
  readonly minSize: number;
  /** Maximum number of nodes. */
  readonly maxSize: number;
  /** Initial number of nodes (later owned by Cluster Autoscaler: Terraform ignores drift). */
  readonly desiredSize: number;
  /** ON_DEMAND or SPOT. @default "ON_DEMAND" */
  readonly capacityType?: "ON_DEMAND" | "SPOT";
  /** Root volume size (encrypted gp3), GiB. @default 50 */
  readonly diskSizeGb?: number;
  /**
   * Kubernetes labels of the nodes; each is also tagged on the group's Auto Scaling group
   * (`k8s.io/cluster-autoscaler/node-template/label/<key>`), so Cluster Autoscaler can scale a
   * group from zero for pods that select it by label. @default none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** EKS managed add-ons the cluster installs. */
export const MANAGED_ADDONS = ["vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"] as const;
/** An EKS managed add-on the cluster installs (`addonVersions` may pin its version). */
export type ManagedAddon = (typeof MANAGED_ADDONS)[number];

/**
 * Configuration of the vpc-cni add-on: the network policy agent on, so NetworkPolicies are
 * enforced (without it every NetworkPolicy is accepted and ignored). The add-on schema takes the
 * value as the string "true".
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" } as const;

/** The oldest vpc-cni add-on with the network policy agent (Kubernetes >= 1.25 holds for every supported version). */
export const MIN_VPC_CNI_VERSION = "v1.14.0";

/**
 * False only when `version` is an add-on version (`v<major>.<minor>...`) whose major.minor is
 * older than `minimum`'s; other strings are left to EKS.
 */
function notOlderThan(version: string, minimum: string): boolean {
  const parse = (v: string) => /^v(\d+)\.(\d+)(\.|-|$)/.exec(v)?.slice(1, 3).map(Number);
  const [major, minor] = parse(version) ?? [];
  const [minMajor, minMinor] = parse(minimum)!;
  if (major === undefined || minor === undefined) return true;
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

/** ASG tag prefix that tells Cluster Autoscaler a group's node labels while it has no nodes. */
export const CLUSTER_AUTOSCALER_LABEL_TAG_PREFIX = "k8s.io/cluster-autoscaler/node-template/label/";

/** The five control-plane log types. */
export const CONTROL_PLANE_LOG_TYPES = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
] as const;

/** Props of {@link KubernetesCluster}. */
export interface KubernetesClusterProps {
  /** Account and region of the cluster. */
  readonly environment: AwsEnvironment;
  /** The network: the cluster and its nodes use its private subnets. */
  readonly network: Network;
  /** Kubernetes minor version, one EKS still creates clusters on (e.g. "1.35"). */
  readonly kubernetesVersion: KubernetesVersion | string;
  /**
   * The cluster's upgrade policy (`upgrade_policy.support_type`), set explicitly (EKS defaults to
   * EXTENDED): `STANDARD` lets EKS upgrade the control plane automatically at the end of standard
   * support and never bills extended support; `EXTENDED` keeps the version up to 12 more months
   * at the extended support price. Synthesis warns before and after the end of standard support
   * either way. @default "STANDARD"
   */
  readonly supportType?: KubernetesSupportType;
  /**
   * The day (YYYY-MM-DD, UTC) the version's support status is checked against for the synthesis
   * warning (a construct warning annotation). @default the day of synthesis
   */
  readonly supportStatusDate?: string;
  /** Cluster name, 1-100 characters. @default the construct id */
  readonly name?: string;
  /** Tier: production adds all control-plane log types and forbids a public endpoint. @default "production" */
  readonly tier?: Tier;
  /** CIDRs allowed to reach the public API endpoint; empty means private endpoint only. @default [] */
  readonly endpointPublicAccessCidrs?: readonly string[];
  /** IAM role or user ARNs given cluster-admin access entries, each once. @default none */
  readonly admins?: readonly string[];
  /**
   * IAM role or user ARNs that deploy workloads to the cluster: the identity the Kubernetes and
   * Helm providers of a workloads stack authenticate as (`aws eks get-token --role-arn`), such as
   * the pipeline's deploy role. Each gets an access entry with `AmazonEKSClusterAdminPolicy` at
   * cluster scope, because Helm installs cluster-scoped objects (CRDs, ClusterRoles and their
   * bindings, admission webhooks, StorageClasses) that no narrower access policy allows. A
   * deployer also listed in `admins` keeps its one admin entry (EKS allows one access entry per
   * principal). @default none
   */
  readonly deployers?: readonly string[];
  /** Managed node groups by name. @default { general: m6i.large, 2 to 6 nodes } */
  readonly nodeGroups?: Readonly<Record<string, NodeGroupOptions>>;
  /**
   * Pinned versions of managed add-ons (e.g. `v1.19.2-eksbuild.1`); vpc-cni at least v1.14.0, the
   * first with the network policy agent. @default the EKS default version for the cluster
   */
  readonly addonVersions?: Partial<Readonly<Record<ManagedAddon, string>>>;
  /** Retention of the control-plane log group, days. @default 365 in production, 90 in development */
  readonly logRetentionDays?: number;
}

const DEFAULT_NODE_GROUPS: Record<string, NodeGroupOptions> = {
  general: { instanceTypes: ["m6i.large"], minSize: 2, maxSize: 6, desiredSize: 2 },
};

/** Role names the cluster creates, for the length check. */
function roleNames(name: string): Record<string, string> {
  return {
    cluster: `${name}-cluster`,
    node: `${name}-node`,
    "vpc-cni": `${name}-vpc-cni`,
    "aws-ebs-csi-driver": `${name}-ebs-csi-driver`,
  };
}

/** Graviton instance families end their generation digit with `g` (m7g, c6gn, t4g, r8g). */
function isArm(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

/** EKS node group names: letters, digits, - and _, starting with a letter or digit. */
const EKS_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
const PRINCIPAL_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,128}$/;

/** The part of a principal ARN that keys its access entry's construct id: `<account>-role-<name>`. */
function principalKey(arn: string): string {
  return arn
    .split(":")
    .slice(4)
    .join("-")
    .replace(/[^A-Za-z0-9-]/g, "-");
}

/** Every problem with cluster props, fields named as the props. */
export function validateKubernetesClusterProps(
  props: Omit<KubernetesClusterProps, "environment" | "network"> & { readonly name: string },
): Problem[] {
  const p = new ProblemList();
  const tier = props.tier ?? "production";
  const name = props.name;
  if (!isToken(name)) {
    p.check(EKS_CLUSTER_NAME.test(name), "name", name, EKS_CLUSTER_NAME_EXPECTED);
    for (const [role, roleName] of Object.entries(roleNames(name))) {
      p.check(
        roleName.length <= MAX_ROLE_NAME_LENGTH,
        "name",
        name,
        `a shorter name: the ${role} IAM role name "${roleName}" has ${roleName.length} characters, at most ${MAX_ROLE_NAME_LENGTH} allowed`,
      );
    }
  }
  checkKubernetesVersion(p, props.kubernetesVersion);
  if (props.supportType !== undefined) {
    p.check(
      (KUBERNETES_SUPPORT_TYPES as readonly string[]).includes(props.supportType),
      "supportType",
      props.supportType,
      `one of ${KUBERNETES_SUPPORT_TYPES.join(", ")}`,
    );
  }
  if (props.supportStatusDate !== undefined) {
    p.check(
      /^\d{4}-\d{2}-\d{2}$/.test(props.supportStatusDate) &&
        !Number.isNaN(Date.parse(props.supportStatusDate)),
      "supportStatusDate",
      props.supportStatusDate,
      "a date as YYYY-MM-DD",
    );
  }
  (props.endpointPublicAccessCidrs ?? []).forEach((text, i) => {
    if (isToken(text)) return;
    const field = `endpointPublicAccessCidrs[${i}]`;
    const cidr = parseCidr(text);
    if (!cidr) {
      p.check(
        false,
        field,
        text,
        "an IPv4 CIDR block with no host bits set, such as 203.0.113.0/24",
      );
      return;
    }
    p.check(
      cidr.prefix !== 0,
      field,
      text,
      "a narrow range: 0.0.0.0/0 opens the API endpoint to the internet",
    );
    p.check(
      cidr.prefix === 0 || !isPrivateCidr(cidr),
      field,
      text,
      "a public CIDR (private ranges reach the private endpoint instead)",
    );
    p.check(
      tier !== "production",
      field,
      text,
      "no public CIDR in the production tier (private endpoint only: leave endpointPublicAccessCidrs empty)",
    );
  });
  const principals = (field: "admins" | "deployers", example: string) => {
    const seen = new Set<string>();
    (props[field] ?? []).forEach((arn, i) => {
      p.checkValue(
        arn,
        (v) => PRINCIPAL_ARN.test(v),
        `${field}[${i}]`,
        `an IAM role or user ARN such as arn:aws:iam::123456789012:role/${example}`,
      );
      p.checkValue(
        arn,
        (v) => !seen.has(v),
        `${field}[${i}]`,
        "each principal once (duplicate: EKS allows one access entry per principal)",
      );
      seen.add(arn);
    });
  };
  principals("admins", "platform-admin");
  principals("deployers", "platform-deploy");
  const cniVersion = props.addonVersions?.["vpc-cni"];
  if (cniVersion !== undefined) {
    p.checkValue(
      cniVersion,
      (v) => notOlderThan(v, MIN_VPC_CNI_VERSION),
      "addonVersions.vpc-cni",
      `a vpc-cni version ${MIN_VPC_CNI_VERSION} or newer (enableNetworkPolicy needs the network policy agent of VPC CNI 1.14)`,
    );
  }
  const groups = props.nodeGroups ?? DEFAULT_NODE_GROUPS;
  p.check(Object.keys(groups).length > 0, "nodeGroups", groups, "at least one node group");
  for (const [group, options] of Object.entries(groups)) {
    const field = `nodeGroups.${group}`;
    p.check(
      group.length <= 63 && EKS_NAME.test(group),
      field,
      group,
      "a node group name of 1-63 letters, digits, '-' and '_', starting with a letter or digit",
    );
    p.check(
      options.instanceTypes.length > 0,
      `${field}.instanceTypes`,
      options.instanceTypes,
      "at least one instance type",
    );
    const arches = new Set(options.instanceTypes.map(isArm));
    p.check(
      arches.size <= 1,
      `${field}.instanceTypes`,
      options.instanceTypes,
      "instance types of one architecture (all Graviton or none)",
    );
    const { minSize, desiredSize, maxSize } = options;
    p.check(
      Number.isInteger(minSize) && minSize >= 0,
      `${field}.minSize`,
      minSize,
      "an integer >= 0",
    );
    p.check(
      Number.isInteger(maxSize) && maxSize >= 1,
      `${field}.maxSize`,
      maxSize,
      "an integer >= 1",
    );
    p.check(
      minSize <= desiredSize && desiredSize <= maxSize,
      field,
      { minSize, desiredSize, maxSize },
      "minSize <= desiredSize <= maxSize",
    );
  }
  return [...p.problems];
}

/**
 * An EKS cluster in the network's private subnets: secrets envelope-encrypted with its own KMS key,
 * control-plane logs to a KMS-encrypted group we own, API authentication with access entries only,
 * managed node groups on AL2023 with IMDSv2 (hop limit 1) and encrypted gp3 root volumes, an OIDC
 * provider for IAM roles for service accounts, and the core managed add-ons (CNI and EBS CSI with
 * roles of their own, not on the node role).
 */
export class KubernetesCluster extends Construct implements IKubernetesCluster {
  /** The EKS cluster resource. */
  readonly cluster: EksCluster;
  readonly clusterName: string;
  readonly endpoint: string;
  readonly certificateAuthorityData: string;
  readonly nodeSecurityGroupId: string;
  readonly clusterSecurityGroupId: string;
  readonly oidcProviderArn: string;
  readonly oidcIssuer: string;
  /** The IAM OIDC provider (IRSA). */
  readonly oidcProvider: IamOpenidConnectProvider;
  /** The security group attached to every node (a marker for "pods of this cluster"). */
  readonly nodeSecurityGroup: SecurityGroup;
  /** The node IAM role. */
  readonly nodeRole: IamRole;
  /** The cluster IAM role. */
  readonly clusterRole: IamRole;
  /** Node groups by name. */
  readonly nodeGroups: Record<string, EksNodeGroup>;
  /** Managed add-ons by name. */
  readonly addons: Record<ManagedAddon, EksAddon>;
  /** The key encrypting Kubernetes secrets. */
  readonly secretsKey: EncryptionKey;
  /** The control-plane log group. */
  readonly logGroup: CloudwatchLogGroup;
  /** Access entries by principal ARN: one per admin and deployer. */
  readonly accessEntries: Record<string, EksAccessEntry> = {};
  private readonly name: string;
  private readonly serviceAccountRoles = new Map<string, IamRole>();

  constructor(scope: Construct, id: string, props: KubernetesClusterProps) {
    super(scope, id);
    const name = props.name ?? id;
    throwIfProblems(this, validateKubernetesClusterProps({ ...props, name }));
    const tier = props.tier ?? "production";
    const production = tier === "production";
    const { region } = props.environment;
    const partition = partitionOf(region);
    const supportType = props.supportType ?? "STANDARD";
    const versionWarning = kubernetesVersionWarning(
      props.kubernetesVersion,
      supportType,
      props.supportStatusDate ?? todayUtc(),
    );
    if (versionWarning) Annotations.of(this).addWarning(`kubernetesVersion: ${versionWarning}`);
    const managedPolicy = (policy: string) => `arn:${partition}:iam::aws:policy/${policy}`;
    const roles = roleNames(name);
    this.name = name;

    // Secrets envelope encryption: a key for this cluster only; the cluster role may use it.
    this.secretsKey = new EncryptionKey(this, "secrets-key", {
      environment: props.environment,
      description: `Kubernetes secrets of EKS cluster ${name}`,
      alias: `eks/${name}/secrets`,
      preventDestroy: production,
    });

    // Control-plane logs: we create the group EKS writes to, so it has retention and KMS.
    this.logGroup = encryptedLogGroup(this, "log", {
      environment: props.environment,
      name: `/aws/eks/${name}/cluster`,
      retentionDays: props.logRetentionDays ?? (production ? 365 : 90),
      description: `Control-plane logs of EKS cluster ${name}`,
      keyAlias: `eks/${name}/logs`,
      preventDestroy: production,
    }).group;

    this.clusterRole = new IamRole(this, "cluster-role", {
      name: roles.cluster,
      description: `EKS control plane of ${name}`,
      assumeRolePolicy: policyJson([
        {
          Effect: "Allow",
          Principal: { Service: "eks.amazonaws.com" },
          Action: ["sts:AssumeRole", "sts:TagSession"],
        },
      ]),
    });
    const clusterPolicy = new IamRolePolicyAttachment(this, "cluster-role-eks-policy", {
      role: this.clusterRole.name,
      policyArn: managedPolicy("AmazonEKSClusterPolicy"),
    });
    const clusterEncryption = new IamRolePolicy(this, "cluster-role-encryption", {
      name: "secrets-encryption",
      role: this.clusterRole.id,
      policy: policyJson([
        {
          Sid: "UseSecretsKey",
          Effect: "Allow",
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
          Resource: this.secretsKey.keyArn,
        },
      ]),
    });

    const publicCidrs = props.endpointPublicAccessCidrs ?? [];
    this.cluster = new EksCluster(this, "cluster", {
      name,
      version: props.kubernetesVersion,
      roleArn: this.clusterRole.arn,
      vpcConfig: {
        subnetIds: props.network.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicCidrs.length > 0,
        publicAccessCidrs: publicCidrs.length > 0 ? [...publicCidrs] : undefined,
      },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: this.secretsKey.keyArn } },
      enabledClusterLogTypes: production
        ? [...CONTROL_PLANE_LOG_TYPES]
        : ["api", "audit", "authenticator"],
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      // Explicit: without it EKS enrols the cluster in (paid) extended support.
      upgradePolicy: { supportType },
      // The CNI, kube-proxy and CoreDNS come as managed add-ons below, not as unmanaged manifests.
      bootstrapSelfManagedAddons: false,
      lifecycle: production ? { preventDestroy: true } : undefined,
      dependsOn: [this.logGroup, clusterPolicy, clusterEncryption],
    });
    this.clusterName = this.cluster.name;
    this.endpoint = this.cluster.endpoint;
    this.certificateAuthorityData = this.cluster.certificateAuthority.get(0).data;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;

    // Access entries, nothing implicit (no creator admin): cluster admin for each admin and each
    // deployer. Deployers need it too: Helm installs cluster-scoped objects (the CRDs, ClusterRoles,
    // ClusterRoleBindings and admission webhooks of kube-prometheus-stack and the load balancer
    // controller, metrics-server's APIService, the monitoring StorageClass). AmazonEKSAdminPolicy
    // does not suffice: it mirrors the Kubernetes "admin" role (namespaced objects), and RBAC
    // forbids binding permissions one does not hold. A narrower identity bound through Kubernetes
    // RBAC (kubernetesGroups) cannot be bootstrapped either: before this entry exists nothing can
    // create its bindings. EKS allows one entry per principal: an admin who deploys keeps the
    // admin entry, whose construct id (keyed by the ARN) stays as it was.
    const admins = props.admins ?? [];
    const principals = [
      ...admins.map((arn) => ({ arn, id: `admin-${principalKey(arn)}` })),
      ...(props.deployers ?? [])
        .filter((arn) => !admins.includes(arn))
        .map((arn) => ({ arn, id: `deployer-${principalKey(arn)}` })),
    ];
    for (const { arn, id: entryId } of principals) {
      const entry = new EksAccessEntry(this, entryId, {
        clusterName: this.cluster.name,
        principalArn: arn,
        type: "STANDARD",
      });
      new EksAccessPolicyAssociation(this, `${entryId}-policy`, {
        clusterName: this.cluster.name,
        principalArn: entry.principalArn,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
        accessScope: { type: "cluster" },
      });
      this.accessEntries[arn] = entry;
    }

    // IRSA.
    this.oidcProvider = new IamOpenidConnectProvider(this, "oidc-provider", {
      url: this.cluster.identity.get(0).oidc.get(0).issuer,
      clientIdList: ["sts.amazonaws.com"],
      tags: { Name: `${name}-irsa` },
    });
    this.oidcProviderArn = this.oidcProvider.arn;
    this.oidcIssuer = Fn.replace(this.cluster.identity.get(0).oidc.get(0).issuer, "https://", "");

    // Nodes: a marker security group next to the EKS cluster security group.
    this.nodeSecurityGroup = new SecurityGroup(this, "node-security-group", {
      name: `${name}-nodes`,
      description: `Worker nodes of EKS cluster ${name}; admit pod traffic from this group`,
      vpcId: props.network.vpcId,
      tags: { Name: `${name}-nodes` },
    });
    this.nodeSecurityGroupId = this.nodeSecurityGroup.id;

    this.nodeRole = new IamRole(this, "node-role", {
      name: roles.node,
      description: `Worker nodes of EKS cluster ${name}`,
      // AWS's documented EKS node role trust (create-node-role.html), with no condition: EC2
      // assumes the role for the instance profile without aws:SourceAccount in the request, so a
      // condition on that key denies every node its credentials (NodeCreationFailure).
      assumeRolePolicy: policyJson([
        { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]),
    });
    // Worker and image pull only: CNI permissions belong to the vpc-cni add-on's own role.
    const nodePolicies = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"].map(
      (policy) =>
        new IamRolePolicyAttachment(this, `node-role-${policy}`, {
          role: this.nodeRole.name,
          policyArn: managedPolicy(policy),
        }),
    );

    // Add-ons the nodes need to become ready come first; the others need nodes to schedule on.
    this.addons = {} as Record<ManagedAddon, EksAddon>;
    const addonRole = (
      addon: ManagedAddon,
      namespace: string,
      serviceAccount: string,
      policy: string,
    ) => {
      const role = this.createServiceAccountRole(roles[addon], namespace, serviceAccount);
      new IamRolePolicyAttachment(this, `${addon}-role-policy`, {
        role: role.name,
        policyArn: managedPolicy(policy),
      });
      return role;
    };
    const addon = (
      addonName: ManagedAddon,
      extra: {
        serviceAccountRoleArn?: string;
        configurationValues?: string;
        dependsOn?: EksNodeGroup[];
      } = {},
    ) =>
      (this.addons[addonName] = new EksAddon(this, `addon-${addonName}`, {
        clusterName: this.cluster.name,
        addonName,
        addonVersion: props.addonVersions?.[addonName],
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        serviceAccountRoleArn: extra.serviceAccountRoleArn,
        configurationValues: extra.configurationValues,
        dependsOn: extra.dependsOn,
      }));
    addon("vpc-cni", {
      serviceAccountRoleArn: addonRole("vpc-cni", "kube-system", "aws-node", "AmazonEKS_CNI_Policy")
        .arn,
      // NetworkPolicies (e.g. each app's default deny) are only enforced with the policy agent on.
      configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION),
    });
    addon("kube-proxy");

    this.nodeGroups = {};
    for (const [group, options] of Object.entries(props.nodeGroups ?? DEFAULT_NODE_GROUPS)) {
      const template = new LaunchTemplate(this, `node-group-${group}-launch-template`, {
        name: `${name}-${group}`,
        description: `Nodes of ${name}/${group}: IMDSv2 only, encrypted gp3 root volume, no SSH key`,
        updateDefaultVersion: true,
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          httpPutResponseHopLimit: 1,
          instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: {
              volumeSize: options.diskSizeGb ?? 50,
              volumeType: "gp3",
              encrypted: "true",
              deleteOnTermination: "true",
            },
          },
        ],
        vpcSecurityGroupIds: [this.clusterSecurityGroupId, this.nodeSecurityGroup.id],
        tagSpecifications: [
          { resourceType: "instance", tags: { Name: `${name}-${group}` } },
          { resourceType: "volume", tags: { Name: `${name}-${group}` } },
        ],
      });
      this.nodeGroups[group] = new EksNodeGroup(this, `node-group-${group}`, {
        clusterName: this.cluster.name,
        nodeGroupName: group,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: props.network.privateSubnetIds,
        // The nodes follow the control plane: a kubernetesVersion bump upgrades the cluster, then
        // (the group depends on it) rolls the nodes onto the new minor's AMI, as terraform-aws-eks
        // does. Without it a node group stays on the minor it was created with.
        version: this.cluster.version,
        amiType: options.instanceTypes.some(isArm)
          ? "AL2023_ARM_64_STANDARD"
          : "AL2023_x86_64_STANDARD",
        capacityType: options.capacityType ?? "ON_DEMAND",
        instanceTypes: [...options.instanceTypes],
        scalingConfig: {
          minSize: options.minSize,
          maxSize: options.maxSize,
          desiredSize: options.desiredSize,
        },
        updateConfig: { maxUnavailablePercentage: 33 },
        launchTemplate: { id: template.id, version: template.latestVersion.toString() },
        labels: options.labels ? { ...options.labels } : undefined,
        // The cluster autoscaler owns the node count once the group exists.
        lifecycle: { ignoreChanges: ["scaling_config[0].desired_size"] },
        dependsOn: [...nodePolicies, this.addons["vpc-cni"], this.addons["kube-proxy"]],
      });
      // EKS copies neither the node group's labels nor its tags to the group's Auto Scaling
      // group. At zero nodes Cluster Autoscaler only knows a group's labels from these ASG tags
      // (kubernetes/autoscaler cloudprovider/aws/README.md, "Auto-Discovery Setup"), so a pod
      // selecting a label could otherwise never scale its group up from zero.
      for (const [key, value] of Object.entries(options.labels ?? {})) {
        new AutoscalingGroupTag(this, `node-group-${group}-asg-label-${key.replace(/\//g, "--")}`, {
          autoscalingGroupName: this.nodeGroups[group].resources.get(0).autoscalingGroups.get(0)
            .name,
          tag: {
            key: `${CLUSTER_AUTOSCALER_LABEL_TAG_PREFIX}${key}`,
            value,
            propagateAtLaunch: false,
          },
        });
      }
    }
    const nodes = Object.values(this.nodeGroups);
    addon("coredns", { dependsOn: nodes });
    addon("aws-ebs-csi-driver", {
      serviceAccountRoleArn: addonRole(
        "aws-ebs-csi-driver",
        "kube-system",
        "ebs-csi-controller-sa",
        "service-role/AmazonEBSCSIDriverPolicy",
      ).arn,
      dependsOn: nodes,
    });
  }

  /**
   * An IAM role that exactly one Kubernetes service account can assume through the cluster's OIDC
   * provider (IRSA): the trust policy pins both `sub` (namespace and name) and `aud`.
   * Returns the role; annotate the service account with `eks.amazonaws.com/role-arn: role.arn`.
   *
   * @param namespace  namespace of the service account
   * @param serviceAccount  name of the service account
   * @param policy  inline policy: statements, or a policy JSON string (e.g. a published policy file)
   * @param options.name  role name @default `<cluster>-<namespace>-<serviceAccount>` (at most 64 characters)
   * @param options.policySuppressions  policy-pack rules the inline policy is exempt from, each with its reason @default none
   */
  addServiceAccountRole(
    namespace: string,
    serviceAccount: string,
    policy: readonly PolicyStatement[] | string,
    options: {
      readonly name?: string;
      readonly policySuppressions?: readonly PolicySuppression[];
    } = {},
  ): IamRole {
    const roleName = options.name ?? `${this.name}-${namespace}-${serviceAccount}`;
    const problems = new ProblemList();
    problems.check(
      roleName.length <= MAX_ROLE_NAME_LENGTH && /^[\w+=,.@-]+$/.test(roleName),
      `serviceAccountRole(${namespace}/${serviceAccount}).name`,
      roleName,
      `an IAM role name of at most ${MAX_ROLE_NAME_LENGTH} characters (pass options.name)`,
    );
    problems.check(
      !this.serviceAccountRoles.has(`${namespace}/${serviceAccount}`),
      `serviceAccountRole(${namespace}/${serviceAccount})`,
      `${namespace}/${serviceAccount}`,
      "one role per service account",
    );
    throwIfProblems(this, problems.problems);
    const role = this.createServiceAccountRole(roleName, namespace, serviceAccount);
    const inline = new IamRolePolicy(this, `irsa-${namespace}-${serviceAccount}-policy`, {
      name: serviceAccount,
      role: role.id,
      policy: typeof policy === "string" ? policy : policyJson(policy),
    });
    suppressPolicy(inline, ...(options.policySuppressions ?? []));
    return role;
  }

  private createServiceAccountRole(
    roleName: string,
    namespace: string,
    serviceAccount: string,
  ): IamRole {
    const role = new IamRole(this, `irsa-${namespace}-${serviceAccount}`, {
      name: roleName,
      description: `Kubernetes service account ${namespace}/${serviceAccount} of ${this.name} (IRSA)`,
      assumeRolePolicy: policyJson([
        {
          Effect: "Allow",
          Principal: { Federated: this.oidcProviderArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${this.oidcIssuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
              [`${this.oidcIssuer}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ]),
    });
    this.serviceAccountRoles.set(`${namespace}/${serviceAccount}`, role);
    return role;
  }
}
