import { Construct } from "constructs";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { LOAD_BALANCER_CONTROLLER_POLICY_VERSION } from "./private/addon-policies";
import {
  addonRelease,
  checkChartVersion,
  checkPattern,
  EXACT_CHART_VERSION,
} from "./private/addon-release";
import {
  AWS_REGION,
  IAM_ROLE_ARN,
  EKS_CLUSTER_NAME,
  EKS_CLUSTER_NAME_EXPECTED,
} from "./private/patterns";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";

/** The pinned chart: 1.13.3 installs controller v2.13.3, whose published IAM policy we ship. */
export const LOAD_BALANCER_CONTROLLER_CHART_VERSION = "1.13.3";

/**
 * The CRDs the clusters have: `stable/aws-load-balancer-controller/crds/crds.yaml` of eks-charts
 * (IngressClassParams, TargetGroupBinding), by its sha256, and the chart versions that ship
 * exactly that file (checked at each version's commit in aws/eks-charts). Helm installs `crds/`
 * only on the first install and never upgrades it, so the chart may move only between these
 * versions; another version's CRDs are applied first, then recorded here (README "Upgrading").
 */
export const LOAD_BALANCER_CONTROLLER_CRDS = {
  sha256: "ac851d9c697da3ce636aafea89233ab59f0e4d5457bf22570dbd83de84c6570d",
  chartVersions: ["1.13.0", "1.13.1", "1.13.2", "1.13.3", "1.13.4", "1.13.5"],
} as const;

/**
 * Where the controller's service account lives. The IRSA role's trust policy (infrastructure
 * stack) must name exactly this `system:serviceaccount:<namespace>:<name>` subject.
 */
export const LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = {
  namespace: "kube-system",
  name: "aws-load-balancer-controller",
} as const;

/** Props of {@link LoadBalancerController}. */
export interface LoadBalancerControllerProps {
  /** Name of the EKS cluster (the controller tags and discovers its AWS resources by it). */
  readonly clusterName: string;
  /** AWS region of the cluster, e.g. `eu-west-1`. */
  readonly region: string;
  /** Id of the cluster's VPC, e.g. `vpc-0123456789abcdef0`. */
  readonly vpcId: string;
  /**
   * ARN of the IRSA role the controller's service account assumes. Create it in the
   * infrastructure stack with `loadBalancerControllerPolicy()` and a trust policy for
   * {@link LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT}.
   */
  readonly roleArn: string;
  /**
   * Chart version; must stay on the 1.13 line the shipped IAM policy was published for, and ship
   * the CRDs the clusters have ({@link LOAD_BALANCER_CONTROLLER_CRDS}).
   * @default "1.13.3"
   */
  readonly chartVersion?: string;
}

/**
 * Every problem with load balancer controller props, with field paths named as the props. Shared
 * with the environment-file validation so both say the same thing.
 */
export function validateLoadBalancerControllerProps(props: LoadBalancerControllerProps): Problem[] {
  const p = new ProblemList();
  checkPattern(p, "clusterName", props.clusterName, EKS_CLUSTER_NAME, EKS_CLUSTER_NAME_EXPECTED);
  checkPattern(p, "region", props.region, AWS_REGION, "an AWS region such as eu-west-1");
  checkPattern(
    p,
    "vpcId",
    props.vpcId,
    /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/,
    "a VPC id such as vpc-0123456789abcdef0",
  );
  checkPattern(
    p,
    "roleArn",
    props.roleArn,
    IAM_ROLE_ARN,
    "an IAM role ARN such as arn:aws:iam::123456789012:role/aws-load-balancer-controller",
  );
  checkChartVersion(p, props.chartVersion);
  const version = props.chartVersion;
  if (version !== undefined && !isToken(version) && EXACT_CHART_VERSION.test(version)) {
    const line = LOAD_BALANCER_CONTROLLER_CHART_VERSION.split(".").slice(0, 2).join(".");
    p.check(
      version.startsWith(`${line}.`),
      "chartVersion",
      version,
      `a ${line}.x chart version: constructs/policies/aws-load-balancer-controller.json is the IAM policy published for controller ${LOAD_BALANCER_CONTROLLER_POLICY_VERSION}; replace it with the new release's policy before moving the chart to another line`,
    );
    const crds = LOAD_BALANCER_CONTROLLER_CRDS;
    p.check(
      (crds.chartVersions as readonly string[]).includes(version),
      "chartVersion",
      version,
      `a chart version whose crds/crds.yaml is the one the clusters have (sha256 ${crds.sha256}, shipped by charts ${crds.chartVersions.join(", ")}): Helm installs crds/ only on the first install; apply the new version's CRDs first and record them in LOAD_BALANCER_CONTROLLER_CRDS (README "Upgrading", "CRDs of charts")`,
    );
  }
  return [...p.problems];
}

/**
 * The AWS Load Balancer Controller (chart `aws-load-balancer-controller` from eks-charts) in
 * `kube-system`: two replicas with a disruption budget, cluster name, region and VPC id set
 * explicitly (nodes allow one IMDS hop, so pods cannot read them from instance metadata), an IRSA
 * service account, and the Service mutator webhook off so Services of type LoadBalancer are not
 * silently taken over from the in-tree controller.
 */
export class LoadBalancerController extends Construct {
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** Namespace the controller runs in. */
  readonly namespace: string;
  /** Name of the controller's service account (annotated with the IRSA role). */
  readonly serviceAccountName: string;
  /** The chart version installed. */
  readonly chartVersion: string;

  constructor(scope: Construct, id: string, props: LoadBalancerControllerProps) {
    super(scope, id);
    throwIfProblems(this, validateLoadBalancerControllerProps(props));
    this.chartVersion = props.chartVersion ?? LOAD_BALANCER_CONTROLLER_CHART_VERSION;
    this.namespace = LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.namespace;
    this.serviceAccountName = LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.name;
    this.releaseName = "aws-load-balancer-controller";
    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://aws.github.io/eks-charts",
      chart: "aws-load-balancer-controller",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 600,
      values: {
        clusterName: props.clusterName,
        region: props.region,
        vpcId: props.vpcId,
        replicaCount: 2,
        podDisruptionBudget: { maxUnavailable: 1 },
        serviceAccount: {
          create: true,
          name: this.serviceAccountName,
          annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
        },
        enableServiceMutatorWebhook: false,
        resources: {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { memory: "512Mi" },
        },
      },
    });
    suppressPolicy(this.release, {
      rule: "k8s-hpa-in-production",
      reason:
        "A leader-elected controller with a webhook: two fixed replicas give availability, and its work follows Ingress changes, not traffic.",
    });
  }
}
