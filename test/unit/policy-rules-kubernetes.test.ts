/** Policy rules on Kubernetes objects and Helm releases: each passes a compliant object and names what is wrong with a bad one. */
import { TerraformVariable, type TerraformStack } from "cdktf";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release, type ReleaseConfig } from "@cdktf/provider-helm/lib/release";
import {
  DeploymentV1,
  type DeploymentV1SpecTemplateSpec,
} from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { HorizontalPodAutoscalerV2 } from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StorageClassV1 } from "@cdktf/provider-kubernetes/lib/storage-class-v1";
import { problems } from "../support/policy";

/** Adds the Kubernetes and Helm providers the resources below belong to. */
function providers(stack: TerraformStack): void {
  new KubernetesProvider(stack, "k8s", {});
  new HelmProvider(stack, "helm", {});
}

/** A pinned chart from a repository, in namespace `app` (override what a test is about). */
function release(stack: TerraformStack, id: string, config: Partial<ReleaseConfig> = {}): Release {
  return new Release(stack, id, {
    name: id,
    chart: "podinfo",
    repository: "https://stefanprodan.github.io/podinfo",
    version: "6.5.0",
    namespace: "app",
    ...config,
  });
}

/** A Deployment running the given pod spec, in namespace `app` (null: no namespace). */
function deployment(
  stack: TerraformStack,
  id: string,
  pod: DeploymentV1SpecTemplateSpec,
  namespace: string | null = "app",
): DeploymentV1 {
  return new DeploymentV1(stack, id, {
    metadata: { name: id, namespace: namespace ?? undefined },
    spec: {
      selector: { matchLabels: { app: id } },
      template: { metadata: { labels: { app: id } }, spec: pod },
    },
  });
}

const REQUESTS = { requests: { cpu: "100m", memory: "128Mi" } };

describe("k8s-no-default-namespace", () => {
  test("passes releases and objects in a named namespace, literal or a reference", () => {
    expect(
      problems("k8s-no-default-namespace", (stack) => {
        providers(stack);
        const ns = new NamespaceV1(stack, "ns", { metadata: { name: "web" } });
        release(stack, "literal", { namespace: "app" });
        release(stack, "referenced", { namespace: ns.metadata.name });
        deployment(
          stack,
          "api",
          { container: [{ name: "api", image: "api:1.0.0" }] },
          ns.metadata.name,
        );
        new ServiceV1(stack, "api-service", {
          metadata: { name: "api", namespace: "app" },
          spec: { selector: { app: "api" }, port: [{ port: 80 }] },
        });
      }),
    ).toEqual([]);
  });

  test("fails a release and objects with no namespace or the default namespace", () => {
    expect(
      problems("k8s-no-default-namespace", (stack) => {
        providers(stack);
        const ns = new NamespaceV1(stack, "ns", { metadata: { name: "default" } });
        release(stack, "unset", { namespace: undefined });
        release(stack, "explicit", { namespace: "default" });
        release(stack, "referenced", { namespace: ns.metadata.name });
        deployment(stack, "api", { container: [{ name: "api", image: "api:1.0.0" }] }, null);
        new ServiceV1(stack, "api-service", {
          metadata: { name: "api", namespace: "default" },
          spec: { selector: { app: "api" }, port: [{ port: 80 }] },
        });
      }),
    ).toEqual([
      'explicit: namespace is "default"',
      'referenced: namespace is "default"',
      "unset: namespace is unset (Helm's default is default)",
      'api-service: metadata.namespace is "default"',
      "api: metadata.namespace is unset (the provider uses default)",
    ]);
  });
});

describe("helm-chart-pinned", () => {
  test("passes exact versions from a repository, OCI charts and charts in this repository", () => {
    expect(
      problems("helm-chart-pinned", (stack) => {
        providers(stack);
        release(stack, "exact", { version: "1.13.3" });
        release(stack, "prerelease", { version: "2.0.0-rc.1+build.5" });
        release(stack, "oci", {
          chart: "oci://ghcr.io/stefanprodan/charts/podinfo",
          repository: undefined,
          version: "6.5.0",
        });
        release(stack, "local", {
          chart: "./charts/app",
          repository: undefined,
          version: undefined,
        });
      }),
    ).toEqual([]);
  });

  test("fails a missing or inexact version, and a chart without a repository", () => {
    expect(
      problems("helm-chart-pinned", (stack) => {
        providers(stack);
        release(stack, "no-version", { version: undefined });
        release(stack, "range", { version: "~1.13.0" });
        release(stack, "short", { version: "1.13" });
        release(stack, "latest", { version: "latest" });
        release(stack, "no-repository", { repository: undefined });
      }),
    ).toEqual([
      'latest: version is "latest", not an exact chart version',
      "no-repository: no repository: the chart comes from whatever repository the machine has configured",
      "no-version: version is null, not an exact chart version",
      'range: version is "~1.13.0", not an exact chart version',
      'short: version is "1.13", not an exact chart version',
    ]);
  });
});

describe("k8s-no-privileged", () => {
  test("passes values, set entries and containers that keep privileges off", () => {
    expect(
      problems("k8s-no-privileged", (stack) => {
        providers(stack);
        release(stack, "json", {
          values: [
            JSON.stringify({
              securityContext: { privileged: false, allowPrivilegeEscalation: false },
            }),
          ],
        });
        release(stack, "yaml", {
          values: [
            "controller:\n  containerSecurityContext:\n    allowPrivilegeEscalation: false\n",
          ],
          set: [{ name: "securityContext.privileged", value: "false" }],
        });
        deployment(stack, "api", {
          container: [
            {
              name: "api",
              image: "api:1.0.0",
              securityContext: { privileged: false, allowPrivilegeEscalation: false },
            },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("fails privileged and allowPrivilegeEscalation in values, set entries and containers", () => {
    expect(
      problems("k8s-no-privileged", (stack) => {
        providers(stack);
        release(stack, "json", {
          values: [JSON.stringify({ securityContext: { privileged: true } })],
        });
        release(stack, "yaml", {
          values: [
            "controller:\n  containerSecurityContext:\n    allowPrivilegeEscalation: true\n",
          ],
        });
        release(stack, "set", {
          set: [{ name: "agent.securityContext.privileged", value: "true" }],
        });
        deployment(stack, "api", {
          initContainer: [
            {
              name: "setup",
              image: "setup:1.0.0",
              securityContext: { allowPrivilegeEscalation: true },
            },
          ],
          container: [{ name: "api", image: "api:1.0.0", securityContext: { privileged: true } }],
        });
      }),
    ).toEqual([
      "json: values set securityContext.privileged to true",
      "set: values set agent.securityContext.privileged to true",
      "yaml: values set controller.containerSecurityContext.allowPrivilegeEscalation to true",
      'api: container "setup" sets security_context.allow_privilege_escalation (allowPrivilegeEscalation) to true',
      'api: container "api" sets security_context.privileged (privileged) to true',
    ]);
  });
});

describe("k8s-no-host-namespaces", () => {
  test("passes values and pod specs that keep the node's namespaces", () => {
    expect(
      problems("k8s-no-host-namespaces", (stack) => {
        providers(stack);
        release(stack, "values", {
          values: [JSON.stringify({ hostNetwork: false, hostPID: false })],
          set: [{ name: "hostIPC", value: "false" }],
        });
        deployment(stack, "api", {
          hostNetwork: false,
          hostPid: false,
          hostIpc: false,
          container: [{ name: "api", image: "api:1.0.0" }],
        });
      }),
    ).toEqual([]);
  });

  test("fails hostNetwork, hostPID and hostIPC in values, set entries and pod specs", () => {
    expect(
      problems("k8s-no-host-namespaces", (stack) => {
        providers(stack);
        release(stack, "json", { values: [JSON.stringify({ hostNetwork: true })] });
        release(stack, "yaml", { values: ["daemonset:\n  hostPID: true\n"] });
        release(stack, "set", { set: [{ name: "hostIPC", value: "true" }] });
        deployment(stack, "api", {
          hostNetwork: true,
          hostPid: true,
          hostIpc: true,
          container: [{ name: "api", image: "api:1.0.0" }],
        });
      }),
    ).toEqual([
      "json: values set hostNetwork to true",
      "set: values set hostIPC to true",
      "yaml: values set daemonset.hostPID to true",
      "api: the pod spec sets host_network to true",
      "api: the pod spec sets host_pid to true",
      "api: the pod spec sets host_ipc to true",
    ]);
  });
});

describe("k8s-resource-requests", () => {
  test("passes CPU and memory requests in values, set entries (merged with values) and containers", () => {
    expect(
      problems("k8s-resource-requests", (stack) => {
        providers(stack);
        release(stack, "json", { values: [JSON.stringify({ resources: REQUESTS })] });
        release(stack, "yaml", {
          values: [
            [
              "controller:",
              "  resources:",
              "    requests: { cpu: 100m, memory: 128Mi }",
              "persistence:",
              "  resources:",
              "    requests: { storage: 10Gi }",
            ].join("\n"),
          ],
        });
        release(stack, "set", {
          set: [
            { name: "resources.requests.cpu", value: "100m" },
            { name: "resources.requests.memory", value: "128Mi" },
          ],
        });
        release(stack, "values-and-set", {
          values: [JSON.stringify({ resources: { requests: { cpu: "100m" } } })],
          set: [{ name: "resources.requests.memory", value: "128Mi" }],
        });
        deployment(stack, "api", {
          initContainer: [{ name: "setup", image: "setup:1.0.0", resources: REQUESTS }],
          container: [{ name: "api", image: "api:1.0.0", resources: REQUESTS }],
        });
      }),
    ).toEqual([]);
  });

  test("fails releases without compute requests and containers missing cpu or memory", () => {
    expect(
      problems("k8s-resource-requests", (stack) => {
        providers(stack);
        release(stack, "none", { values: [JSON.stringify({ replicaCount: 2 })] });
        release(stack, "storage-only", {
          values: [
            JSON.stringify({ persistence: { resources: { requests: { storage: "10Gi" } } } }),
          ],
        });
        release(stack, "limits-only", {
          values: [JSON.stringify({ resources: { limits: { cpu: "1", memory: "1Gi" } } })],
        });
        release(stack, "no-memory", {
          values: ["controller:\n  resources:\n    requests:\n      cpu: 100m\n"],
        });
        release(stack, "set-cpu-only", {
          set: [{ name: "resources.requests.cpu", value: "100m" }],
        });
        deployment(stack, "api", {
          initContainer: [{ name: "setup", image: "setup:1.0.0" }],
          container: [
            { name: "api", image: "api:1.0.0", resources: { requests: { cpu: "100m" } } },
          ],
        });
      }),
    ).toEqual([
      "limits-only: values resources.requests lacks cpu and memory",
      "no-memory: values controller.resources.requests lacks memory",
      "none: the values set no resources (the chart's defaults, often none, apply)",
      "set-cpu-only: values resources.requests lacks memory",
      "storage-only: the values set no resources (the chart's defaults, often none, apply)",
      'api: container "setup" has no cpu or memory request',
      'api: container "api" has no memory request',
    ]);
  });
});

describe("k8s-namespace-pod-security", () => {
  test("passes namespaces enforcing restricted or baseline", () => {
    expect(
      problems("k8s-namespace-pod-security", (stack) => {
        providers(stack);
        new NamespaceV1(stack, "restricted", {
          metadata: { name: "app", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
        });
        new NamespaceV1(stack, "baseline", {
          metadata: {
            name: "ingress",
            labels: { "pod-security.kubernetes.io/enforce": "baseline" },
          },
        });
      }),
    ).toEqual([]);
  });

  test("fails a namespace without the enforce label and one enforcing privileged", () => {
    expect(
      problems("k8s-namespace-pod-security", (stack) => {
        providers(stack);
        new NamespaceV1(stack, "unlabelled", {
          metadata: { name: "app", labels: { "pod-security.kubernetes.io/warn": "restricted" } },
        });
        new NamespaceV1(stack, "privileged", {
          metadata: {
            name: "agents",
            labels: { "pod-security.kubernetes.io/enforce": "privileged" },
          },
        });
      }),
    ).toEqual([
      'privileged: label pod-security.kubernetes.io/enforce is "privileged"',
      "unlabelled: label pod-security.kubernetes.io/enforce is null",
    ]);
  });
});

describe("k8s-namespace-default-deny", () => {
  test("passes namespaces with a default-deny ingress policy, by reference or by name", () => {
    expect(
      problems("k8s-namespace-default-deny", (stack) => {
        providers(stack);
        const app = new NamespaceV1(stack, "app", { metadata: { name: "app" } });
        new NetworkPolicyV1(stack, "app-deny", {
          metadata: { name: "default-deny", namespace: app.metadata.name },
          spec: { podSelector: {}, policyTypes: ["Ingress"] },
        });
        new NamespaceV1(stack, "web", { metadata: { name: "web" } });
        new NetworkPolicyV1(stack, "web-deny", {
          metadata: { name: "default-deny", namespace: "web" },
          spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [] },
        });
      }),
    ).toEqual([]);
  });

  test("fails namespaces whose policies select some pods, allow ingress, only cover egress or live elsewhere", () => {
    expect(
      problems("k8s-namespace-default-deny", (stack) => {
        providers(stack);
        new NamespaceV1(stack, "none", { metadata: { name: "none" } });
        const some = new NamespaceV1(stack, "some", { metadata: { name: "some" } });
        new NetworkPolicyV1(stack, "some-pods", {
          metadata: { name: "deny-api", namespace: some.metadata.name },
          spec: { podSelector: { matchLabels: { app: "api" } }, policyTypes: ["Ingress"] },
        });
        const open = new NamespaceV1(stack, "open", { metadata: { name: "open" } });
        new NetworkPolicyV1(stack, "allow-all", {
          metadata: { name: "allow-all", namespace: open.metadata.name },
          spec: { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] },
        });
        const egress = new NamespaceV1(stack, "egress", { metadata: { name: "egress" } });
        new NetworkPolicyV1(stack, "egress-only", {
          metadata: { name: "deny-egress", namespace: egress.metadata.name },
          spec: { podSelector: {}, policyTypes: ["Egress"] },
        });
        new NamespaceV1(stack, "elsewhere", { metadata: { name: "elsewhere" } });
        new NetworkPolicyV1(stack, "other-namespace", {
          metadata: { name: "default-deny", namespace: "another" },
          spec: { podSelector: {}, policyTypes: ["Ingress"] },
        });
      }),
    ).toEqual([
      'egress: no NetworkPolicy selecting every pod of namespace "egress" denies ingress by default',
      'elsewhere: no NetworkPolicy selecting every pod of namespace "elsewhere" denies ingress by default',
      'none: no NetworkPolicy selecting every pod of namespace "none" denies ingress by default',
      'open: no NetworkPolicy selecting every pod of namespace "open" denies ingress by default',
      'some: no NetworkPolicy selecting every pod of namespace "some" denies ingress by default',
    ]);
  });
});

describe("k8s-pdb-in-production", () => {
  test("passes budgets from values, set entries and PodDisruptionBudget objects", () => {
    expect(
      problems("k8s-pdb-in-production", (stack) => {
        providers(stack);
        const ns = new NamespaceV1(stack, "ns", { metadata: { name: "app" } });
        release(stack, "enabled", {
          values: [JSON.stringify({ podDisruptionBudget: { enabled: true } })],
        });
        release(stack, "min-available", { values: ["pdb:\n  minAvailable: 1\n"] });
        release(stack, "set", { set: [{ name: "podDisruptionBudget.enabled", value: "true" }] });
        release(stack, "object", { namespace: ns.metadata.name });
        new PodDisruptionBudgetV1(stack, "object-pdb", {
          metadata: { name: "object", namespace: "app" },
          spec: {
            minAvailable: "1",
            selector: { matchLabels: { "app.kubernetes.io/instance": "object" } },
          },
        });
        release(stack, "renamed", { values: [JSON.stringify({ fullnameOverride: "web" })] });
        new PodDisruptionBudgetV1(stack, "renamed-pdb", {
          metadata: { name: "web", namespace: ns.metadata.name },
          spec: {
            maxUnavailable: "1",
            selector: { matchLabels: { "app.kubernetes.io/name": "web" } },
          },
        });
      }),
    ).toEqual([]);
  });

  function withoutBudgets(stack: TerraformStack): void {
    providers(stack);
    release(stack, "none");
    release(stack, "disabled", {
      values: [JSON.stringify({ podDisruptionBudget: { enabled: false, minAvailable: 1 } })],
    });
    release(stack, "set-disabled", {
      values: [JSON.stringify({ podDisruptionBudget: { enabled: true } })],
      set: [{ name: "podDisruptionBudget.enabled", value: "false" }],
    });
    release(stack, "renamed", { values: [JSON.stringify({ fullnameOverride: "web" })] });
    release(stack, "elsewhere");
    new PodDisruptionBudgetV1(stack, "elsewhere-pdb", {
      metadata: { name: "elsewhere", namespace: "other" },
      spec: { minAvailable: "1", selector: { matchLabels: { app: "elsewhere" } } },
    });
  }

  test("fails releases with no budget, a disabled one, or one in another namespace", () => {
    expect(problems("k8s-pdb-in-production", withoutBudgets)).toEqual([
      'disabled: no podDisruptionBudget value and no PodDisruptionBudget selecting "disabled"',
      'elsewhere: no podDisruptionBudget value and no PodDisruptionBudget selecting "elsewhere"',
      'none: no podDisruptionBudget value and no PodDisruptionBudget selecting "none"',
      'renamed: no podDisruptionBudget value and no PodDisruptionBudget selecting "renamed" or "web"',
      'set-disabled: no podDisruptionBudget value and no PodDisruptionBudget selecting "set-disabled"',
    ]);
  });

  test("does not apply to development", () => {
    expect(problems("k8s-pdb-in-production", withoutBudgets, "development")).toEqual([]);
  });
});

describe("k8s-hpa-in-production", () => {
  test("passes autoscaling from values, set entries and HorizontalPodAutoscaler objects", () => {
    expect(
      problems("k8s-hpa-in-production", (stack) => {
        providers(stack);
        const ns = new NamespaceV1(stack, "ns", { metadata: { name: "app" } });
        release(stack, "autoscaling", {
          values: [JSON.stringify({ autoscaling: { enabled: true } })],
        });
        release(stack, "hpa", { values: ["hpa:\n  enabled: true\n  maxReplicas: 10\n"] });
        release(stack, "set", { set: [{ name: "autoscaling.enabled", value: "true" }] });
        release(stack, "object", { namespace: ns.metadata.name });
        new HorizontalPodAutoscalerV2(stack, "object-hpa", {
          metadata: { name: "object", namespace: "app" },
          spec: {
            maxReplicas: 10,
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "object" },
          },
        });
        release(stack, "renamed", { values: [JSON.stringify({ fullnameOverride: "web" })] });
        new HorizontalPodAutoscalerV2(stack, "renamed-hpa", {
          metadata: { name: "web", namespace: ns.metadata.name },
          spec: { maxReplicas: 10, scaleTargetRef: { kind: "Deployment", name: "web" } },
        });
      }),
    ).toEqual([]);
  });

  function withoutAutoscaling(stack: TerraformStack): void {
    providers(stack);
    release(stack, "none");
    release(stack, "disabled", { values: [JSON.stringify({ autoscaling: { enabled: false } })] });
    release(stack, "set-disabled", {
      values: [JSON.stringify({ autoscaling: { enabled: true } })],
      set: [{ name: "autoscaling.enabled", value: "false" }],
    });
    release(stack, "renamed", { values: [JSON.stringify({ fullnameOverride: "web" })] });
    new HorizontalPodAutoscalerV2(stack, "other-target", {
      metadata: { name: "api", namespace: "app" },
      spec: { maxReplicas: 10, scaleTargetRef: { kind: "Deployment", name: "api" } },
    });
    release(stack, "elsewhere");
    new HorizontalPodAutoscalerV2(stack, "elsewhere-hpa", {
      metadata: { name: "elsewhere", namespace: "other" },
      spec: { maxReplicas: 10, scaleTargetRef: { kind: "Deployment", name: "elsewhere" } },
    });
  }

  test("fails releases with no autoscaling, disabled autoscaling, or an HPA on something else", () => {
    expect(problems("k8s-hpa-in-production", withoutAutoscaling)).toEqual([
      'disabled: no autoscaling value and no HorizontalPodAutoscaler targeting "disabled"',
      'elsewhere: no autoscaling value and no HorizontalPodAutoscaler targeting "elsewhere"',
      'none: no autoscaling value and no HorizontalPodAutoscaler targeting "none"',
      'renamed: no autoscaling value and no HorizontalPodAutoscaler targeting "renamed" or "web"',
      'set-disabled: no autoscaling value and no HorizontalPodAutoscaler targeting "set-disabled"',
    ]);
  });

  test("does not apply to development", () => {
    expect(problems("k8s-hpa-in-production", withoutAutoscaling, "development")).toEqual([]);
  });
});

describe("k8s-storage-class-encrypted", () => {
  test("passes an encrypted EBS class and a class of another provisioner", () => {
    expect(
      problems("k8s-storage-class-encrypted", (stack) => {
        providers(stack);
        new StorageClassV1(stack, "gp3", {
          metadata: { name: "gp3" },
          storageProvisioner: "ebs.csi.aws.com",
          parameters: { type: "gp3", encrypted: "true", kmsKeyId: "arn:aws:kms:eu-west-1:1:key/k" },
        });
        new StorageClassV1(stack, "efs", {
          metadata: { name: "efs" },
          storageProvisioner: "efs.csi.aws.com",
          parameters: { provisioningMode: "efs-ap" },
        });
      }),
    ).toEqual([]);
  });

  test("fails EBS classes without encryption or with it turned off", () => {
    expect(
      problems("k8s-storage-class-encrypted", (stack) => {
        providers(stack);
        new StorageClassV1(stack, "csi", {
          metadata: { name: "gp3" },
          storageProvisioner: "ebs.csi.aws.com",
        });
        new StorageClassV1(stack, "in-tree", {
          metadata: { name: "gp2" },
          storageProvisioner: "kubernetes.io/aws-ebs",
          parameters: { type: "gp2", encrypted: "false" },
        });
      }),
    ).toEqual([
      'csi: parameters.encrypted is null, not "true"',
      'in-tree: parameters.encrypted is "false", not "true"',
    ]);
  });
});

describe("k8s-image-tag-pinned", () => {
  test("passes released tags, digests and images known only at apply time", () => {
    expect(
      problems("k8s-image-tag-pinned", (stack) => {
        providers(stack);
        release(stack, "json", { values: [JSON.stringify({ image: { tag: "6.5.0" } })] });
        release(stack, "yaml", { values: ["controller:\n  image:\n    tag: v1.10.0\n"] });
        release(stack, "set", { set: [{ name: "image.tag", value: "6.5.0" }] });
        const image = new TerraformVariable(stack, "worker-image", { type: "string" });
        deployment(stack, "api", {
          initContainer: [
            {
              name: "setup",
              image:
                "busybox@sha256:9ae97d36d26566ff84e8893c64a6dc4fe8ca6d1144bf5b87b2b85a32def253c7",
            },
          ],
          container: [
            { name: "api", image: "ghcr.io/acme/api:1.2.3" },
            { name: "proxy", image: "registry.internal:5000/proxy:2.0.1" },
            { name: "worker", image: image.stringValue },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("fails latest tags in values and set entries, and untagged or latest container images", () => {
    expect(
      problems("k8s-image-tag-pinned", (stack) => {
        providers(stack);
        release(stack, "json", { values: [JSON.stringify({ image: { tag: "latest" } })] });
        release(stack, "yaml", { values: ["controller:\n  image:\n    tag: latest\n"] });
        release(stack, "set", { set: [{ name: "sidecar.image.tag", value: "latest" }] });
        deployment(stack, "api", {
          initContainer: [{ name: "setup", image: "busybox" }],
          container: [
            { name: "api", image: "ghcr.io/acme/api:latest" },
            { name: "proxy", image: "registry.internal:5000/proxy" },
          ],
        });
      }),
    ).toEqual([
      'json: values set image.tag to "latest"',
      'set: values set sidecar.image.tag to "latest"',
      'yaml: values set controller.image.tag to "latest"',
      'api: container "setup" image "busybox" is not pinned to a tag other than latest',
      'api: container "api" image "ghcr.io/acme/api:latest" is not pinned to a tag other than latest',
      'api: container "proxy" image "registry.internal:5000/proxy" is not pinned to a tag other than latest',
    ]);
  });
});
