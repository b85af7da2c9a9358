/**
 * Cluster Autoscaler: the release, the chart conventions it relies on, its IRSA policy and its
 * place in the stacks.
 *
 * Chart conventions are read from kubernetes/autoscaler at tag `cluster-autoscaler-chart-9.59.0`,
 * `cluster-autoscaler/charts/cluster-autoscaler/`; each test below names the file it comes from.
 * (Rendered once by hand with Helm v3.17.2: `helm template cluster-autoscaler <chart> -n
 * kube-system -f <the synthesized values>` gives exactly the objects these tests describe.)
 */
import { TerraformVariable } from "cdktf";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import {
  CLUSTER_AUTOSCALER_CHART_VERSION,
  CLUSTER_AUTOSCALER_IMAGE_TAGS,
  CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
  ClusterAutoscaler,
  type ClusterAutoscalerProps,
} from "../../constructs/cluster-autoscaler";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../constructs/kubernetes-versions";
import { clusterAutoscalerPolicy } from "../../constructs/private/addon-policies";
import {
  environmentStacks,
  only,
  policy,
  rejectionLines,
  resources,
  synth,
  testStack,
} from "../helpers";

const ROLE = "arn:aws:iam::123456789012:role/prod-kube-system-cluster-autoscaler";
const PROPS: ClusterAutoscalerProps = {
  clusterName: "prod",
  region: "eu-west-1",
  kubernetesVersion: "1.35",
  roleArn: ROLE,
};

function clusterAutoscaler(props: Partial<ClusterAutoscalerProps> = {}) {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  const construct = new ClusterAutoscaler(stack, "cluster-autoscaler", { ...PROPS, ...props });
  const json = synth(stack);
  const release = only(json, "helm_release") as Record<string, any>;
  return { construct, json, release, values: JSON.parse(release.values[0]) as Record<string, any> };
}

describe("ClusterAutoscaler", () => {
  const { release, values, construct } = clusterAutoscaler();

  test("installs the kubernetes/autoscaler chart, pinned, atomic, in kube-system", () => {
    expect(release).toMatchObject({
      name: "cluster-autoscaler",
      repository: "https://kubernetes.github.io/autoscaler",
      chart: "cluster-autoscaler",
      version: "9.59.0",
      namespace: "kube-system",
      atomic: true,
      wait: true,
      cleanup_on_fail: true,
      max_history: 5,
      create_namespace: false,
    });
    expect(construct.chartVersion).toBe(CLUSTER_AUTOSCALER_CHART_VERSION);
  });

  // Chart.yaml 9.59.0: appVersion 1.35.0. The autoscaler supports the Kubernetes minor it is
  // built for, so the image follows the cluster's minor (git tags cluster-autoscaler-1.32.7,
  // -1.33.6, -1.34.5, -1.35.2).
  test("the image is the autoscaler release of the cluster's Kubernetes minor", () => {
    expect(values.image).toEqual({ tag: "v1.35.2" });
    expect(clusterAutoscaler({ kubernetesVersion: "1.32" }).values.image).toEqual({
      tag: "v1.32.7",
    });
  });

  test("every Kubernetes version the platform accepts has an image of the same minor", () => {
    expect(Object.keys(CLUSTER_AUTOSCALER_IMAGE_TAGS)).toEqual([...SUPPORTED_KUBERNETES_VERSIONS]);
    for (const [minor, tag] of Object.entries(CLUSTER_AUTOSCALER_IMAGE_TAGS))
      expect(tag).toMatch(new RegExp(`^v${minor.replace(".", "\\.")}\\.\\d+$`));
  });

  // templates/deployment.yaml: the Deployment renders only when autoDiscovery.clusterName (or
  // another discovery input) is set; for cloudProvider aws it passes
  // --node-group-auto-discovery=asg:tag=<autoDiscovery.tags>, whose default (values.yaml) is
  // k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{{ clusterName }}: the tags EKS
  // puts on every managed node group's ASG.
  test("chart convention: node groups are discovered by the ASG tags of the cluster's name", () => {
    expect(values.cloudProvider).toBe("aws");
    expect(values.autoDiscovery).toEqual({ clusterName: "prod" });
    expect(values.autoDiscovery.tags).toBeUndefined(); // the chart's default tag pair
  });

  // templates/deployment.yaml: AWS_REGION is set from awsRegion for cloudProvider aws.
  test("chart convention: the region is set explicitly (AWS_REGION from awsRegion)", () => {
    expect(values.awsRegion).toBe("eu-west-1");
  });

  // templates/serviceaccount.yaml and _helpers.tpl "cluster-autoscaler.serviceAccountName": with
  // rbac.serviceAccount.create the name is rbac.serviceAccount.name, in the release namespace,
  // annotated with rbac.serviceAccount.annotations. The IRSA trust subject depends on all three.
  test("chart convention: the service account is kube-system/cluster-autoscaler with the IRSA role", () => {
    expect(values.rbac).toEqual({
      serviceAccount: {
        create: true,
        name: "cluster-autoscaler",
        annotations: { "eks.amazonaws.com/role-arn": ROLE },
      },
    });
    expect(CLUSTER_AUTOSCALER_SERVICE_ACCOUNT).toEqual({
      namespace: release.namespace,
      name: values.rbac.serviceAccount.name,
    });
  });

  // templates/deployment.yaml renders each extraArgs entry as --<key>=<value> after the chart's
  // defaults (logtostderr, stderrthreshold, v).
  test("balances similar node groups, expands by least waste, may remove nodes with kube-system or emptyDir pods", () => {
    expect(values.extraArgs).toEqual({
      "balance-similar-node-groups": true,
      expander: "least-waste",
      "skip-nodes-with-system-pods": false,
      "skip-nodes-with-local-storage": false,
    });
  });

  // templates/pdb.yaml: a budget is rendered whenever podDisruptionBudget is set, selecting the
  // pod labels; it fails when both minAvailable and maxUnavailable are set, and values.yaml
  // already sets maxUnavailable: 1, so only maxUnavailable may be used.
  test("chart convention: two replicas with a budget of one unavailable (maxUnavailable only)", () => {
    expect(values.replicaCount).toBe(2);
    expect(values.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
    expect(clusterAutoscaler({ replicas: 3 }).values.replicaCount).toBe(3);
  });

  // _helpers.tpl "cluster-autoscaler.instance-name": pods are labelled
  // app.kubernetes.io/instance: <release> and app.kubernetes.io/name: "<cloudProvider>-<chart>"
  // (name "cluster-autoscaler.name"); deployment.yaml selects exactly those.
  test("chart convention: the replicas prefer different nodes, selected by the chart's pod labels", () => {
    const term =
      values.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]
        .podAffinityTerm;
    expect(term).toEqual({
      topologyKey: "kubernetes.io/hostname",
      labelSelector: {
        matchLabels: {
          "app.kubernetes.io/instance": release.name,
          "app.kubernetes.io/name": `${values.cloudProvider}-${release.chart}`,
        },
      },
    });
  });

  test("requests CPU and memory, limits memory", () => {
    expect(values.resources).toEqual({
      requests: { cpu: "100m", memory: "600Mi" },
      limits: { memory: "600Mi" },
    });
  });

  // templates/deployment.yaml: securityContext is the pod's, containerSecurityContext the
  // container's (both empty by default in values.yaml).
  test("pod and container security contexts pass the restricted Pod Security Standard", () => {
    expect(values.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(values.containerSecurityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  test("unresolved references (the cluster name from the infrastructure stack) are passed through", () => {
    const stack = testStack();
    new HelmProvider(stack, "helm", {});
    const name = new TerraformVariable(stack, "cluster_name", { type: "string" });
    new ClusterAutoscaler(stack, "cluster-autoscaler", { ...PROPS, clusterName: name.stringValue });
    const values = JSON.parse((only(synth(stack), "helm_release") as any).values[0]);
    expect(values.autoDiscovery.clusterName).toBe("${var.cluster_name}");
  });

  test("fails when every field is wrong, listing all problems", () => {
    expect(
      rejectionLines(() =>
        clusterAutoscaler({
          clusterName: "-prod",
          region: "europe",
          kubernetesVersion: "1.31",
          roleArn: "prod-kube-system-cluster-autoscaler",
          replicas: 0,
          chartVersion: "^9.59.0",
        }),
      ),
    ).toEqual([
      `test/cluster-autoscaler: clusterName: received "-prod"; expected an EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit`,
      'test/cluster-autoscaler: region: received "europe"; expected an AWS region such as eu-west-1',
      'test/cluster-autoscaler: kubernetesVersion: received "1.31"; expected a Kubernetes version EKS still creates clusters on: one of 1.32, 1.33, 1.34, 1.35 (1.31 reached the end of extended support on 2026-11-26)',
      'test/cluster-autoscaler: roleArn: received "prod-kube-system-cluster-autoscaler"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/prod-kube-system-cluster-autoscaler',
      "test/cluster-autoscaler: replicas: received 0; expected an integer >= 1",
      `test/cluster-autoscaler: chartVersion: received "^9.59.0"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')`,
    ]);
  });
});

describe("Cluster Autoscaler IAM policy", () => {
  const statements = policy(
    clusterAutoscalerPolicy({ clusterName: "prod", account: "123456789012", region: "eu-west-1" }),
  ).Statement;

  // kubernetes/autoscaler cluster-autoscaler/cloudprovider/aws/README.md, "Full Cluster
  // Autoscaler Features Policy", the same at tags cluster-autoscaler-1.32.7 to -1.35.2.
  test("grants exactly the documented actions", () => {
    expect(statements.flatMap((s) => s.Action as string[]).sort()).toEqual(
      [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        "eks:DescribeNodegroup",
      ].sort(),
    );
  });

  test("scales and terminates only in ASGs tagged k8s.io/cluster-autoscaler/<cluster>: owned", () => {
    expect(statements.find((s) => s.Sid === "ScaleOwnNodeGroups")).toEqual({
      Sid: "ScaleOwnNodeGroups",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      Condition: { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/prod": "owned" } },
    });
  });

  test("describes only this cluster's node groups", () => {
    expect(statements.find((s) => s.Sid === "DescribeOwnNodeGroups")?.Resource).toBe(
      "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/*",
    );
    expect(
      policy(
        clusterAutoscalerPolicy({
          clusterName: "gov",
          account: "123456789012",
          region: "us-gov-west-1",
          partition: "aws-us-gov",
        }),
      ).Statement.find((s) => s.Sid === "DescribeOwnNodeGroups")?.Resource,
    ).toBe("arn:aws-us-gov:eks:us-gov-west-1:123456789012:nodegroup/gov/*");
  });

  test("fails when the scope is not a cluster, an account and a region", () => {
    expect(() =>
      clusterAutoscalerPolicy({ clusterName: "", account: "42", region: "mars" }),
    ).toThrow(
      [
        `clusterName: received ""; expected an EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit`,
        'account: received "42"; expected a 12-digit AWS account id',
        'region: received "mars"; expected an AWS region such as eu-west-1',
      ].join("\n"),
    );
  });
});

describe("Cluster Autoscaler in the stacks", () => {
  const { infrastructure, workloads } = environmentStacks("prod");

  test("the infrastructure stack creates its IRSA role for kube-system/cluster-autoscaler", () => {
    const role = Object.values(resources(infrastructure, "aws_iam_role")).find(
      (r) => r.name === "prod-kube-system-cluster-autoscaler",
    )!;
    expect(String(role.assume_role_policy)).toContain(
      "system:serviceaccount:kube-system:cluster-autoscaler",
    );
  });

  test("the workloads stack installs it with that role and the file's Kubernetes minor", () => {
    const release = Object.values(resources(workloads, "helm_release")).find(
      (r) => r.name === "cluster-autoscaler",
    )!;
    const values = JSON.parse((release.values as string[])[0]);
    expect(values.image.tag).toBe("v1.35.2");
    expect(values.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-infrastructure\.outputs\.cross-stack-output-aws_iam_rolecluster_irsa-kube-system-cluster-autoscaler_[0-9A-F]+arn\}$/,
    );
    expect(values.autoDiscovery.clusterName).toMatch(/terraform_remote_state/);
  });
});
