/**
 * External Secrets Operator: the release and the chart conventions it relies on.
 *
 * Chart conventions are read from external-secrets/external-secrets at tag `helm-chart-2.8.0`
 * (chart 2.8.0, appVersion v2.8.0), `deploy/charts/external-secrets/`; each test below names the
 * file it comes from. The tested Kubernetes minors come from `docs/introduction/stability-support.md`
 * at tag v2.9.0.
 */
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import {
  EXTERNAL_SECRETS_API_VERSION,
  EXTERNAL_SECRETS_CHART_VERSION,
  EXTERNAL_SECRETS_SERVICE_ACCOUNT,
  EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS,
  ExternalSecretsOperator,
  testedKubernetesVersions,
  type ExternalSecretsOperatorProps,
} from "../../constructs/external-secrets-operator";
import { SUPPORTED_KUBERNETES_VERSIONS } from "../../constructs/kubernetes-versions";
import { restrictedProblems } from "../../constructs/private/pod-security";
import { setPolicyTier } from "../../policy/suppressions";
import { checkBuilt } from "../support/policy";
import { only, rejectionLines, synth, testStack } from "../helpers";

function operator(props: Partial<ExternalSecretsOperatorProps> = {}) {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const construct = new ExternalSecretsOperator(stack, "external-secrets", {
    kubernetesVersion: "1.35",
    ...props,
  });
  const json = synth(stack);
  const release = only(json, "helm_release") as Record<string, any>;
  return { construct, json, release, values: JSON.parse(release.values[0]) as Record<string, any> };
}

const COMPONENTS = ["controller", "webhook", "certController"] as const;
const of = (values: Record<string, any>, component: (typeof COMPONENTS)[number]) =>
  component === "controller" ? values : values[component];

describe("ExternalSecretsOperator", () => {
  const { release, values, json, construct } = operator();

  test("installs the external-secrets chart, pinned, atomic, in its own namespace", () => {
    expect(release).toMatchObject({
      name: "external-secrets",
      repository: "https://charts.external-secrets.io",
      chart: "external-secrets",
      version: "2.8.0",
      atomic: true,
      wait: true,
      cleanup_on_fail: true,
      max_history: 5,
      create_namespace: false,
    });
    expect(construct.chartVersion).toBe(EXTERNAL_SECRETS_CHART_VERSION);
    expect(release.namespace).toMatch(
      /^\$\{kubernetes_namespace_v1\.[\w-]+\.metadata\[0\]\.name\}$/,
    );
  });

  test("the namespace enforces the restricted Pod Security Standard", () => {
    expect(only(json, "kubernetes_namespace_v1").metadata).toMatchObject({
      name: "external-secrets",
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    });
  });

  // values.yaml: "installCRDs: true ... install and upgrade CRDs through helm chart";
  // templates/crds/README.md: the CRDs are generated into the packaged chart's templates.
  test("chart convention: the CRDs are installed and upgraded by the release (installCRDs)", () => {
    expect(values.installCRDs).toBe(true);
  });

  // values.yaml crds.unsafeServeV1Beta1 (default false): only v1 is served, which the
  // namespace-secrets chart renders.
  test("chart convention: only external-secrets.io/v1 is served, the version NamespaceSecrets renders", () => {
    expect(values.crds.unsafeServeV1Beta1).toBe(false);
    expect(construct.apiVersion).toBe("external-secrets.io/v1");
    expect(EXTERNAL_SECRETS_API_VERSION).toBe("external-secrets.io/v1");
  });

  // _helpers.tpl "external-secrets.serviceAccountName": with serviceAccount.create the name is
  // serviceAccount.name; serviceaccount.yaml renders serviceAccount.annotations (an IRSA role
  // would be one of them).
  test("chart convention: the controller's service account has no AWS rights (no IRSA annotation)", () => {
    expect(values.serviceAccount).toEqual({
      create: true,
      name: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name,
      annotations: {},
    });
    expect(JSON.stringify(values)).not.toContain("eks.amazonaws.com/role-arn");
    expect(construct.serviceAccountName).toBe("external-secrets");
  });

  // values.yaml rbac.serviceAccountTokenCreate: the controller may create tokens of the
  // SecretStores' service accounts (the jwt auth of NamespaceSecrets).
  test("chart convention: the controller may request service account tokens (SecretStore jwt auth)", () => {
    expect(values.rbac).toEqual({ create: true, serviceAccountTokenCreate: true });
  });

  // values.yaml webhook.create, certController.create (the cert controller issues the webhook's
  // certificate unless webhook.certManager.enabled: cert-controller-deployment.yaml).
  test("chart convention: the webhook and the cert controller are kept, without cert-manager", () => {
    expect(values.webhook).toMatchObject({
      create: true,
      failurePolicy: "Fail",
      certManager: { enabled: false },
    });
    expect(values.certController.create).toBe(true);
  });

  // _helpers.tpl "external-secrets.reconciler-sanity-test": disabling PushSecrets while
  // ClusterPushSecrets stay on fails the install.
  test("chart convention: only namespaced SecretStores are reconciled; push secrets off together", () => {
    expect(values).toMatchObject({
      processSecretStore: true,
      processClusterStore: false,
      processClusterExternalSecret: false,
      processPushSecret: false,
      processClusterPushSecret: false,
    });
  });

  // deployment.yaml, webhook-deployment.yaml, cert-controller-deployment.yaml render
  // `securityContext` from podSecurityContext only when it has more keys than `enabled`, and the
  // container's from securityContext without `enabled` (_helpers.tpl renderSecurityContext).
  test.each(COMPONENTS)(
    "chart convention: %s pods pass Pod Security restricted (pod and container contexts rendered)",
    (component) => {
      const v = of(values, component);
      expect(v.podSecurityContext.enabled).toBe(true);
      expect(Object.keys(v.podSecurityContext).length).toBeGreaterThan(1);
      expect(v.securityContext.enabled).toBe(true);
      const withoutEnabled = (context: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(context).filter(([key]) => key !== "enabled"));
      const pod = withoutEnabled(v.podSecurityContext);
      const container = withoutEnabled(v.securityContext);
      expect(restrictedProblems(container, pod)).toEqual([]);
      expect(container.readOnlyRootFilesystem).toBe(true);
      expect(v.hostNetwork).toBe(false);
    },
  );

  // values.yaml: `resources: {}` for all three (the chart sets none).
  test.each(COMPONENTS)("%s requests CPU and memory, with a memory limit", (component) => {
    const resources = of(values, component).resources;
    expect(resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(resources.limits.memory).toEqual(expect.any(String));
  });

  // values.yaml leaderElect (deployment.yaml and cert-controller-deployment.yaml add
  // --enable-leader-election=true), replicaCount and podDisruptionBudget per component.
  test("production: two replicas of each with leader election and disruption budgets", () => {
    expect(values.leaderElect).toBe(true);
    for (const component of COMPONENTS) {
      expect(of(values, component).replicaCount).toBe(2);
      expect(of(values, component).podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    }
  });

  test("development: one replica of each, no leader election, no budgets", () => {
    const dev = operator({ tier: "development" }).values;
    expect(dev.leaderElect).toBe(false);
    for (const component of COMPONENTS) {
      expect(of(dev, component).replicaCount).toBe(1);
      expect(of(dev, component).podDisruptionBudget.enabled).toBe(false);
    }
  });

  test("passes the policy pack in both tiers (suppressions carry reasons)", () => {
    for (const tier of ["production", "development"] as const) {
      const result = checkBuilt(
        (stack) => {
          setPolicyTier(stack, tier);
          new HelmProvider(stack, "helm", {});
          new KubernetesProvider(stack, "kubernetes", {});
          new ExternalSecretsOperator(stack, "eso", { kubernetesVersion: "1.35", tier });
        },
        { tier },
      );
      expect(result.findings.map((f) => `${f.rule}: ${f.problem}`)).toEqual([]);
      expect(result.suppressed.map((s) => s.rule).sort()).toEqual(
        tier === "production"
          ? ["k8s-hpa-in-production", "k8s-namespace-default-deny"]
          : ["k8s-namespace-default-deny"],
      );
    }
  });
});

describe("ExternalSecretsOperator: the tested Kubernetes versions", () => {
  // docs/introduction/stability-support.md at v2.9.0: "| 2.8 | 1.35-1.36 |", "| 2.9 | 1.36 |".
  test("the pinned release is the newest tested on 1.35, and 1.35 is the newest minor EKS creates", () => {
    expect(testedKubernetesVersions(EXTERNAL_SECRETS_CHART_VERSION)).toEqual(["1.35", "1.36"]);
    const newer = Object.entries(EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS).filter(
      ([minor, kubernetes]) =>
        Number(minor.split(".")[1]) > 8 && minor.startsWith("2.") && kubernetes.includes("1.35"),
    );
    expect(newer).toEqual([]);
    expect(SUPPORTED_KUBERNETES_VERSIONS.at(-1)).toBe("1.35");
  });

  test("fails when the cluster's Kubernetes minor is not one the chart version is tested on", () => {
    expect(rejectionLines(() => operator({ kubernetesVersion: "1.34" }))).toEqual([
      'test/external-secrets: kubernetesVersion: received "1.34"; expected a Kubernetes minor external-secrets 2.8.0 is tested on: 1.35, 1.36 (external-secrets docs/introduction/stability-support.md); for another minor pick a chart version tested on it',
    ]);
  });

  test("an older chart version from the table is accepted on a minor it is tested on", () => {
    expect(operator({ kubernetesVersion: "1.34", chartVersion: "2.6.0" }).release.version).toBe(
      "2.6.0",
    );
  });

  test("fails when the chart version is not exact, or has no known tested versions", () => {
    expect(rejectionLines(() => operator({ chartVersion: "~2.8" }))).toEqual([
      `test/external-secrets: chartVersion: received "~2.8"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')`,
      `test/external-secrets: chartVersion: received "~2.8"; expected an external-secrets chart version whose tested Kubernetes versions are known: 2.9, 2.8, 2.7, 2.6, 2.5, 2.4, 2.3, 2.2, 2.1, 2.0 (EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS, from external-secrets docs/introduction/stability-support.md)`,
    ]);
    expect(rejectionLines(() => operator({ chartVersion: "0.19.2" }))).toHaveLength(1);
  });
});
