import { Construct } from "constructs";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { addonRelease, checkChartVersion, checkPattern } from "./private/addon-release";
import {
  AWS_REGION,
  IAM_ROLE_ARN,
  EKS_CLUSTER_NAME,
  EKS_CLUSTER_NAME_EXPECTED,
} from "./private/patterns";
import {
  restrictedPodSecurityContext,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
} from "./private/pod-security";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import { checkKubernetesVersion, type KubernetesVersion } from "./kubernetes-versions";

/**
 * The pinned chart: kubernetes/autoscaler `cluster-autoscaler` 9.59.0 (tag
 * `cluster-autoscaler-chart-9.59.0`; its default image is v1.35.0, replaced by
 * {@link CLUSTER_AUTOSCALER_IMAGE_TAGS}).
 */
export const CLUSTER_AUTOSCALER_CHART_VERSION = "9.59.0";

/**
 * The Cluster Autoscaler release for each Kubernetes minor version EKS creates: the autoscaler
 * supports the Kubernetes minor it is built for, so its minor follows the cluster's. The latest
 * patch of each line, as tagged in kubernetes/autoscaler (`cluster-autoscaler-<version>`) and
 * published as `registry.k8s.io/autoscaling/cluster-autoscaler:v<version>`.
 */
export const CLUSTER_AUTOSCALER_IMAGE_TAGS: Readonly<Record<KubernetesVersion, string>> = {
  "1.32": "v1.32.7",
  "1.33": "v1.33.6",
  "1.34": "v1.34.5",
  "1.35": "v1.35.2",
};

/**
 * Where Cluster Autoscaler's service account lives. The IRSA role's trust policy (infrastructure
 * stack) must name exactly this `system:serviceaccount:<namespace>:<name>` subject.
 */
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = {
  namespace: "kube-system",
  name: "cluster-autoscaler",
} as const;

/**
 * The autoscaler's flags. `balance-similar-node-groups` keeps node groups of equal shape (one
 * per AZ, for EBS-backed pods) the same size; `least-waste` picks the group that leaves the least
 * CPU and memory idle when groups of different instance types could take the pending pods;
 * nodes running kube-system pods or pods with emptyDir volumes may be scaled down (the platform's
 * kube-system add-ons have disruption budgets, emptyDir holds scratch data only), otherwise
 * almost no node would ever be removed.
 */
export const CLUSTER_AUTOSCALER_ARGS = {
  "balance-similar-node-groups": true,
  expander: "least-waste",
  "skip-nodes-with-system-pods": false,
  "skip-nodes-with-local-storage": false,
} as const;

/** Props of {@link ClusterAutoscaler}. */
export interface ClusterAutoscalerProps {
  /** Name of the EKS cluster: node groups are discovered by their ASG tags `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<name>`. */
  readonly clusterName: string;
  /** AWS region of the cluster, e.g. `eu-west-1`. */
  readonly region: string;
  /** The cluster's Kubernetes minor version: picks the autoscaler release of the same minor. */
  readonly kubernetesVersion: KubernetesVersion | string;
  /**
   * ARN of the IRSA role the autoscaler's service account assumes. Create it in the
   * infrastructure stack with `clusterAutoscalerPolicy()` and a trust policy for
   * {@link CLUSTER_AUTOSCALER_SERVICE_ACCOUNT}.
   */
  readonly roleArn: string;
  /** Replicas (one leads, the others stand by through leader election). @default 2 */
  readonly replicas?: number;
  /** Chart version (exact). @default "9.59.0" */
  readonly chartVersion?: string;
}

/**
 * Every problem with Cluster Autoscaler props, with field paths named as the props. Shared with
 * the environment-file validation so both say the same thing.
 */
export function validateClusterAutoscalerProps(props: ClusterAutoscalerProps): Problem[] {
  const p = new ProblemList();
  checkPattern(p, "clusterName", props.clusterName, EKS_CLUSTER_NAME, EKS_CLUSTER_NAME_EXPECTED);
  checkPattern(p, "region", props.region, AWS_REGION, "an AWS region such as eu-west-1");
  checkKubernetesVersion(p, props.kubernetesVersion);
  checkPattern(
    p,
    "roleArn",
    props.roleArn,
    IAM_ROLE_ARN,
    "an IAM role ARN such as arn:aws:iam::123456789012:role/prod-kube-system-cluster-autoscaler",
  );
  if (props.replicas !== undefined) {
    p.check(
      Number.isInteger(props.replicas) && props.replicas >= 1,
      "replicas",
      props.replicas,
      "an integer >= 1",
    );
  }
  checkChartVersion(p, props.chartVersion);
  return [...p.problems];
}

/**
 * Cluster Autoscaler (kubernetes/autoscaler chart `cluster-autoscaler`) in `kube-system`: owns
 * the size of every managed node group of the cluster, which it discovers by the ASG tags EKS
 * sets. It adds nodes for pods that stay Pending and removes nodes whose pods fit elsewhere.
 * Its image minor follows the cluster's Kubernetes minor; it authenticates through IRSA, runs
 * two replicas (leader election) spread over nodes with a disruption budget, and passes the
 * `restricted` Pod Security Standard.
 */
export class ClusterAutoscaler extends Construct {
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** Namespace the autoscaler runs in. */
  readonly namespace: string;
  /** Name of its service account (annotated with the IRSA role). */
  readonly serviceAccountName: string;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** The autoscaler image tag installed (the cluster's minor). */
  readonly imageTag: string;

  constructor(scope: Construct, id: string, props: ClusterAutoscalerProps) {
    super(scope, id);
    throwIfProblems(this, validateClusterAutoscalerProps(props));
    this.chartVersion = props.chartVersion ?? CLUSTER_AUTOSCALER_CHART_VERSION;
    this.imageTag = CLUSTER_AUTOSCALER_IMAGE_TAGS[props.kubernetesVersion as KubernetesVersion];
    this.namespace = CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.namespace;
    this.serviceAccountName = CLUSTER_AUTOSCALER_SERVICE_ACCOUNT.name;
    this.releaseName = "cluster-autoscaler";
    // The chart's pod labels (_helpers.tpl "cluster-autoscaler.instance-name"): the release name,
    // and "<cloudProvider>-<chart name>" as the name.
    const podLabels = {
      "app.kubernetes.io/instance": this.releaseName,
      "app.kubernetes.io/name": "aws-cluster-autoscaler",
    };
    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://kubernetes.github.io/autoscaler",
      chart: "cluster-autoscaler",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 300,
      values: {
        cloudProvider: "aws",
        awsRegion: props.region,
        autoDiscovery: { clusterName: props.clusterName },
        image: { tag: this.imageTag },
        replicaCount: props.replicas ?? 2,
        rbac: {
          serviceAccount: {
            create: true,
            name: this.serviceAccountName,
            annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
          },
        },
        extraArgs: { ...CLUSTER_AUTOSCALER_ARGS },
        // One replica may be down at a time: a drain never takes both.
        podDisruptionBudget: { maxUnavailable: 1 },
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: { matchLabels: podLabels },
                },
              },
            ],
          },
        },
        resources: {
          requests: { cpu: "100m", memory: "600Mi" },
          limits: { memory: "600Mi" },
        },
        // The image is distroless `nonroot` (UID 65532); restricted-compliant contexts.
        securityContext: restrictedPodSecurityContext(65532),
        containerSecurityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      },
    });
    suppressPolicy(this.release, {
      rule: "k8s-hpa-in-production",
      reason:
        "A leader-elected controller: one replica works at a time, so more replicas add no capacity; load does not follow traffic.",
    });
  }
}
