import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Release } from "@cdktf/provider-helm/lib/release";
import type { ExternalSecretsOperator } from "./external-secrets-operator";
import { checkPattern } from "./private/addon-release";
import { renderValues } from "./private/helm-values";
import { localChartPath } from "./private/local-chart";
import { AWS_REGION, DNS_LABEL, DNS_SUBDOMAIN, IAM_ROLE_ARN } from "./private/patterns";
import {
  SECRET_DATA_KEY,
  secretReferenceProblems,
  type SecretReference,
  type SecretsScope,
} from "./private/secrets";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";

export type { SecretReference, SecretsScope } from "./private/secrets";

/** How often ExternalSecrets read Secrets Manager again by default. */
export const DEFAULT_SECRETS_REFRESH_INTERVAL = "1h";

/** A refresh interval: hours, minutes and seconds (a Go duration ESO accepts), at least one minute. */
const REFRESH_INTERVAL = /^(?=.)(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

function refreshSeconds(text: string): number | undefined {
  const match = REFRESH_INTERVAL.exec(text);
  if (!match) return undefined;
  const [h, m, s] = match.slice(1).map((part) => Number(part ?? 0));
  return (h * 60 + m) * 60 + s;
}

/** The Kubernetes Secrets of a namespace, by name: each key and the secret it is read from. */
export type NamespaceSecretsSpec = Readonly<
  Record<string, Readonly<Record<string, SecretReference>>>
>;

/** Props of {@link NamespaceSecrets}. */
export interface NamespaceSecretsProps {
  /** The namespace the Secrets are created in (it must exist: its resource, or `dependsOn`). */
  readonly namespace: string;
  /**
   * The ServiceAccount created for the SecretStore (also the SecretStore's name). The IRSA role's
   * trust policy must name exactly `system:serviceaccount:<namespace>:<serviceAccountName>`.
   */
  readonly serviceAccountName: string;
  /** ARN of the IRSA role the ServiceAccount is annotated with (see `secretsReadPolicy`). */
  readonly roleArn: string;
  /** AWS region of the secrets (Secrets Manager's endpoint). */
  readonly region: string;
  /**
   * The Kubernetes Secrets to create, by name: for each of its keys, the Secrets Manager secret
   * (name or exact ARN) and, for a JSON secret, the key within it. One ExternalSecret each.
   */
  readonly secrets: NamespaceSecretsSpec;
  /** The External Secrets Operator: its CRDs and webhook must be installed first. */
  readonly operator: Pick<ExternalSecretsOperator, "release" | "apiVersion">;
  /**
   * What the role may read: every reference must be inside it, so a typo fails synthesis, not a
   * sync in the cluster. @default not checked
   */
  readonly readable?: SecretsScope;
  /**
   * How often each ExternalSecret reads Secrets Manager again (h, m, s; at least 1m): a rotated
   * value reaches the Kubernetes Secret within it. @default "1h"
   */
  readonly refreshInterval?: string;
  /** Helm release name (1-53 characters, unique in the namespace). @default the service account name */
  readonly releaseName?: string;
  /** What the release waits for besides the operator, such as the namespace resource. @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The fields of {@link NamespaceSecretsProps} that are validated. */
export type NamespaceSecretsValidationInput = Omit<NamespaceSecretsProps, "operator" | "dependsOn">;

/** Every problem with the props, field paths named as the props (`secrets.<Secret>.<KEY>.name`). */
export function validateNamespaceSecretsProps(props: NamespaceSecretsValidationInput): Problem[] {
  const p = new ProblemList();
  checkPattern(p, "namespace", props.namespace, DNS_LABEL, "a namespace name (DNS-1123 label)");
  checkPattern(
    p,
    "serviceAccountName",
    props.serviceAccountName,
    DNS_SUBDOMAIN,
    "a ServiceAccount name: lowercase letters, digits, '-' and '.'",
  );
  checkPattern(
    p,
    "roleArn",
    props.roleArn,
    IAM_ROLE_ARN,
    "an IAM role ARN such as arn:aws:iam::123456789012:role/prod-web-web-secrets",
  );
  checkPattern(p, "region", props.region, AWS_REGION, "an AWS region such as eu-west-1");
  const releaseName = props.releaseName ?? props.serviceAccountName;
  if (typeof releaseName === "string" && !isToken(releaseName)) {
    p.check(
      releaseName.length <= 53 && DNS_LABEL.test(releaseName),
      props.releaseName === undefined ? "serviceAccountName" : "releaseName",
      releaseName,
      "a Helm release name: 1-53 lowercase letters, digits and '-' (the release is named after the service account unless releaseName is set)",
    );
  }
  if (props.refreshInterval !== undefined) {
    const seconds = refreshSeconds(props.refreshInterval);
    p.check(
      seconds !== undefined && seconds >= 60,
      "refreshInterval",
      props.refreshInterval,
      "a duration of at least one minute in h, m and s, such as 1h or 15m (every refresh is a Secrets Manager call per secret)",
    );
  }
  const secrets = (props.secrets ?? {}) as NamespaceSecretsSpec;
  p.check(
    Object.keys(secrets).length > 0,
    "secrets",
    props.secrets,
    "at least one Kubernetes Secret with at least one key",
  );
  for (const [name, keys] of Object.entries(secrets)) {
    p.check(
      DNS_SUBDOMAIN.test(name),
      `secrets.${name}`,
      name,
      "a Secret name: lowercase letters, digits, '-' and '.'",
    );
    p.check(
      Object.keys(keys ?? {}).length > 0,
      `secrets.${name}`,
      keys,
      "at least one key, each with the Secrets Manager secret it is read from",
    );
    for (const [key, reference] of Object.entries(keys ?? {})) {
      p.check(
        SECRET_DATA_KEY.test(key),
        `secrets.${name}.${key}`,
        key,
        "a Secret key: letters, digits, '-', '_' and '.'",
      );
      secretReferenceProblems(p, `secrets.${name}.${key}`, reference, props.readable);
    }
  }
  return [...p.problems];
}

/**
 * The Secrets of one namespace, synced from AWS Secrets Manager by External Secrets Operator:
 * a ServiceAccount annotated with its own IRSA role (no pod runs as it, so its token is not
 * mounted), a namespaced SecretStore (AWS Secrets Manager, web-identity auth as that account) and
 * one ExternalSecret per Kubernetes Secret, which owns the Secret it creates (removed with it) and
 * keeps the last value when the remote secret disappears (`deletionPolicy: Retain`).
 *
 * The custom resources are rendered by the platform's local chart `constructs/charts/namespace-secrets`
 * in a `helm_release` that depends on the operator's: Terraform plans it on a cluster where the
 * CRDs do not exist yet, which a `kubernetes_manifest` cannot. Only names pass through Terraform;
 * the values go from Secrets Manager to the cluster and never into state.
 */
export class NamespaceSecrets extends Construct {
  /** The Helm release of the local chart. */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** Namespace of the Secrets. */
  readonly namespace: string;
  /** The ServiceAccount (and SecretStore) name. */
  readonly serviceAccountName: string;
  /** The SecretStore's name. */
  readonly storeName: string;
  /** The Kubernetes Secrets created, by name, with their keys. */
  readonly secretKeys: Readonly<Record<string, readonly string[]>>;
  /** The refresh interval of every ExternalSecret. */
  readonly refreshInterval: string;
  /** The Helm values the local chart renders (names only, no secret value). */
  readonly values: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: NamespaceSecretsProps) {
    super(scope, id);
    throwIfProblems(this, validateNamespaceSecretsProps(props));
    this.namespace = props.namespace;
    this.serviceAccountName = props.serviceAccountName;
    this.storeName = props.serviceAccountName;
    this.releaseName = props.releaseName ?? props.serviceAccountName;
    this.refreshInterval = props.refreshInterval ?? DEFAULT_SECRETS_REFRESH_INTERVAL;
    const names = Object.keys(props.secrets).sort();
    this.secretKeys = Object.fromEntries(
      names.map((name) => [name, Object.keys(props.secrets[name]).sort()]),
    );
    this.values = {
      apiVersion: props.operator.apiVersion,
      serviceAccount: { name: this.serviceAccountName, roleArn: props.roleArn },
      store: { name: this.storeName, region: props.region },
      refreshInterval: this.refreshInterval,
      secrets: names.map((name) => ({
        name,
        data: this.secretKeys[name].map((key) => {
          const reference = props.secrets[name][key];
          return {
            secretKey: key,
            remoteKey: reference.name,
            ...(reference.key !== undefined ? { property: reference.key } : {}),
          };
        }),
      })),
    };

    this.release = new Release(this, "release", {
      name: this.releaseName,
      chart: localChartPath(this, "namespace-secrets"),
      namespace: props.namespace,
      createNamespace: false,
      values: [renderValues(this.values)],
      atomic: true,
      wait: true,
      cleanupOnFail: true,
      maxHistory: 5,
      timeout: 300,
      dependsOn: [props.operator.release, ...(props.dependsOn ?? [])],
    });
    const noPods =
      "The release renders only a ServiceAccount, a SecretStore and ExternalSecrets (the local chart constructs/charts/namespace-secrets): no pod, so nothing to request resources for, scale or budget.";
    suppressPolicy(
      this.release,
      { rule: "k8s-resource-requests", reason: noPods },
      { rule: "k8s-hpa-in-production", reason: noPods },
      { rule: "k8s-pdb-in-production", reason: noPods },
    );
  }
}
