import { Construct } from "constructs";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { addonRelease, checkChartVersion } from "./private/addon-release";
import { RESTRICTED_CONTAINER_SECURITY_CONTEXT } from "./private/pod-security";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import type { Tier } from "./types";

/**
 * The pinned chart: `external-secrets` 2.8.0 from https://charts.external-secrets.io (tag
 * `helm-chart-2.8.0` of external-secrets/external-secrets, appVersion v2.8.0). The newest release
 * tested on Kubernetes 1.35: see {@link EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS}.
 */
export const EXTERNAL_SECRETS_CHART_VERSION = "2.8.0";

/**
 * The Kubernetes minors each External Secrets Operator minor release is tested on, from the
 * "Supported Versions" table of `docs/introduction/stability-support.md` in
 * external-secrets/external-secrets at tag v2.9.0 (the newest release, whose copy of the table
 * also updates the 2.8 row: "2.8 | 1.35-1.36"). 2.9 is tested on 1.36 only, which EKS does not
 * create yet, so 2.8 is the newest release for the platform's 1.35 clusters. ESO supports only
 * its newest minor and "do[es] not do test coverage for any other kubernetes version than the
 * ones running on our test suites": a cluster on an untested minor is refused, not guessed at.
 * Chart versions equal the operator's version. Every 2.x release serves `external-secrets.io/v1`.
 */
export const EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS: Readonly<
  Record<string, readonly string[]>
> = {
  "2.9": ["1.36"],
  "2.8": ["1.35", "1.36"],
  "2.7": ["1.35"],
  "2.6": ["1.34", "1.35"],
  "2.5": ["1.34", "1.35"],
  "2.4": ["1.34", "1.35"],
  "2.3": ["1.34", "1.35"],
  "2.2": ["1.34", "1.35"],
  "2.1": ["1.34", "1.35"],
  "2.0": ["1.34", "1.35"],
};

/** The API version of SecretStore and ExternalSecret the pinned operator serves (its only one: `crds.unsafeServeV1Beta1` stays off). */
export const EXTERNAL_SECRETS_API_VERSION = "external-secrets.io/v1";

/**
 * The operator's namespace and controller service account. The controller has no AWS rights:
 * every SecretStore names its own service account, whose IRSA role the controller assumes with a
 * token it requests for that account (TokenRequest).
 */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = {
  namespace: "external-secrets",
  name: "external-secrets",
} as const;

/** The Kubernetes minors a chart version is tested on, or undefined for a version outside the table. */
export function testedKubernetesVersions(chartVersion: string): readonly string[] | undefined {
  const minor = /^(\d+\.\d+)\./.exec(chartVersion)?.[1];
  return minor === undefined ? undefined : EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS[minor];
}

/** Props of {@link ExternalSecretsOperator}. */
export interface ExternalSecretsOperatorProps {
  /** The cluster's Kubernetes minor version (e.g. "1.35"): the chart version must be tested on it. */
  readonly kubernetesVersion: string;
  /**
   * Tier: production runs two replicas of the controller, the webhook and the cert controller
   * (leader election for the two controllers) with disruption budgets. @default "production"
   */
  readonly tier?: Tier;
  /**
   * Chart version (exact), one whose operator minor is in
   * {@link EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS}. The values are checked against 2.8.0's
   * chart only. @default "2.8.0"
   */
  readonly chartVersion?: string;
}

/**
 * Every problem with the operator's props, field paths named as the props. Shared with the
 * environment-file validation (`cluster.kubernetesVersion` of a file that uses secrets).
 */
export function validateExternalSecretsOperatorProps(
  props: ExternalSecretsOperatorProps,
): Problem[] {
  const p = new ProblemList();
  checkChartVersion(p, props.chartVersion);
  const chartVersion = props.chartVersion ?? EXTERNAL_SECRETS_CHART_VERSION;
  const tested = testedKubernetesVersions(chartVersion);
  if (tested === undefined) {
    p.checkValue(
      chartVersion,
      () => false,
      "chartVersion",
      `an external-secrets chart version whose tested Kubernetes versions are known: ${Object.keys(EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS).join(", ")} (EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS, from external-secrets docs/introduction/stability-support.md)`,
    );
  } else {
    p.checkValue(
      props.kubernetesVersion,
      (v) => tested.includes(v),
      "kubernetesVersion",
      `a Kubernetes minor external-secrets ${chartVersion} is tested on: ${tested.join(", ")} (external-secrets docs/introduction/stability-support.md); for another minor pick a chart version tested on it`,
    );
  }
  return [...p.problems];
}

/**
 * External Secrets Operator (chart `external-secrets`) in its own namespace, which enforces the
 * `restricted` Pod Security Standard: the controller, the validating webhook and the cert
 * controller that issues the webhook's certificate, with the CRDs installed and upgraded by the
 * chart. Only namespaced SecretStores are reconciled (the cluster-wide store and push reconcilers
 * are off), and the controller's own service account has no AWS rights (no IRSA annotation):
 * each namespace reaches Secrets Manager only through its SecretStore's service account and role
 * (see `NamespaceSecrets`).
 */
export class ExternalSecretsOperator extends Construct {
  /** The Helm release (SecretStores and ExternalSecrets depend on it: CRDs and webhook first). */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** The namespace resource. */
  readonly namespaceResource: NamespaceV1;
  /** Namespace the operator runs in. */
  readonly namespace: string;
  /** The controller's service account (no AWS rights). */
  readonly serviceAccountName: string;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** The API version of SecretStore and ExternalSecret it serves. */
  readonly apiVersion: string;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    throwIfProblems(this, validateExternalSecretsOperatorProps(props));
    const production = (props.tier ?? "production") === "production";
    const replicas = production ? 2 : 1;
    this.chartVersion = props.chartVersion ?? EXTERNAL_SECRETS_CHART_VERSION;
    this.releaseName = "external-secrets";
    this.serviceAccountName = EXTERNAL_SECRETS_SERVICE_ACCOUNT.name;
    this.apiVersion = EXTERNAL_SECRETS_API_VERSION;

    this.namespaceResource = new NamespaceV1(this, "namespace", {
      metadata: {
        name: EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace,
        labels: {
          "app.kubernetes.io/part-of": "platform-external-secrets",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    });
    suppressPolicy(this.namespaceResource, {
      rule: "k8s-namespace-default-deny",
      reason:
        "The operator's validating webhook is called by the EKS control plane, whose source addresses are not pod or node IPs a NetworkPolicy can name; a default deny would refuse every SecretStore and ExternalSecret. The namespace holds the operator only and enforces the restricted Pod Security level.",
    });
    this.namespace = this.namespaceResource.metadata.name;

    // The chart renders the pod securityContext only when it has more keys than `enabled`
    // (templates/deployment.yaml), so the restricted pod settings are stated in full.
    const podSecurityContext = {
      enabled: true,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    };
    const securityContext = {
      enabled: true,
      ...RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    };
    const budget = { enabled: production, minAvailable: 1 };
    const component = (requests: { cpu: string; memory: string }, memoryLimit: string) => ({
      replicaCount: replicas,
      podDisruptionBudget: budget,
      podSecurityContext,
      securityContext,
      resources: { requests, limits: { memory: memoryLimit } },
    });

    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://charts.external-secrets.io",
      chart: "external-secrets",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 600,
      values: {
        // CRDs are templates of the packaged chart (templates/crds/), installed and upgraded with
        // the release, so a chart bump never runs a new controller against old CRDs.
        installCRDs: true,
        crds: { unsafeServeV1Beta1: false, conversion: { enabled: false } },
        // Namespaced SecretStores only: a ClusterSecretStore would let any namespace read
        // through one shared role, and nothing here pushes secrets back to a provider.
        processClusterStore: false,
        processClusterExternalSecret: false,
        processClusterPushSecret: false,
        processPushSecret: false,
        processSecretStore: true,
        // Two controllers with leader election (the cert controller reads the same flag).
        leaderElect: replicas > 1,
        ...component({ cpu: "50m", memory: "128Mi" }, "512Mi"),
        serviceAccount: {
          create: true,
          name: this.serviceAccountName,
          // No IRSA role: the controller itself reads nothing from AWS.
          annotations: {},
        },
        // The controller requests each SecretStore service account's token (jwt auth).
        rbac: { create: true, serviceAccountTokenCreate: true },
        webhook: {
          create: true,
          failurePolicy: "Fail",
          certManager: { enabled: false },
          hostNetwork: false,
          ...component({ cpu: "20m", memory: "64Mi" }, "256Mi"),
        },
        certController: {
          create: true,
          hostNetwork: false,
          ...component({ cpu: "20m", memory: "64Mi" }, "256Mi"),
        },
        hostNetwork: false,
        serviceMonitor: { enabled: false },
      },
    });
    suppressPolicy(this.release, {
      rule: "k8s-hpa-in-production",
      reason:
        "The controller and the cert controller run one active replica each (leader election; the second stands by), and the webhook's load is the rate of SecretStore and ExternalSecret changes, not traffic: more replicas would add nothing.",
    });
  }
}
