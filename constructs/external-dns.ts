import { Construct } from "constructs";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { addonRelease, checkChartVersion, checkPattern } from "./private/addon-release";
import { checkDnsZones } from "./private/dns-zones";
import { AWS_REGION, IAM_ROLE_ARN } from "./private/patterns";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import type { DnsZone, Tier } from "./types";

/** The pinned chart: kubernetes-sigs `external-dns` 1.21.1 installs ExternalDNS v0.21.0. */
export const EXTERNAL_DNS_CHART_VERSION = "1.21.1";

/**
 * Where ExternalDNS's service account lives. The IRSA role's trust policy (infrastructure stack)
 * must name exactly this `system:serviceaccount:<namespace>:<name>` subject.
 */
export const EXTERNAL_DNS_SERVICE_ACCOUNT = {
  namespace: "external-dns",
  name: "external-dns",
} as const;

/** What ExternalDNS may do to records: production never deletes, development cleans up. */
export type ExternalDnsPolicy = "upsert-only" | "sync";

/** A TXT registry owner id: written into every TXT ownership record, so no `,`, `=` or quotes. */
const TXT_OWNER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Props of {@link ExternalDns}. */
export interface ExternalDnsProps {
  /**
   * Route 53 hosted zones ExternalDNS may write: their domains become its domain filters and
   * their ids its zone id filters, so it never looks at another zone.
   */
  readonly zones: readonly DnsZone[];
  /**
   * ARN of the IRSA role ExternalDNS's service account assumes. Create it in the infrastructure
   * stack with `externalDnsPolicy()` and a trust policy for {@link EXTERNAL_DNS_SERVICE_ACCOUNT}.
   */
  readonly roleArn: string;
  /** AWS region of the cluster (the AWS SDK's region, for STS; Route 53 itself is global). */
  readonly region: string;
  /**
   * Owner id of this instance's records in the TXT registry: unique per cluster writing to the
   * zones, and never changed once records exist (ExternalDNS only touches records it owns).
   */
  readonly txtOwnerId: string;
  /** Tier: production only creates and updates records (`upsert-only`), development also deletes the ones it owns (`sync`). @default "production" */
  readonly tier?: Tier;
  /** Chart version (exact). @default "1.21.1" */
  readonly chartVersion?: string;
}

/** The fields of {@link ExternalDnsProps} that are validated (`roleArn` is unknown in the environment file). */
export type ExternalDnsValidationInput = Omit<ExternalDnsProps, "roleArn"> & {
  readonly roleArn?: string;
};

/**
 * Every problem with ExternalDNS props, with field paths named as the props. Shared with the
 * environment-file validation (the `dns` section) so both say the same thing.
 */
export function validateExternalDnsProps(props: ExternalDnsValidationInput): Problem[] {
  const p = new ProblemList();
  checkDnsZones(p, props.zones);
  if (props.roleArn !== undefined) {
    checkPattern(
      p,
      "roleArn",
      props.roleArn,
      IAM_ROLE_ARN,
      "an IAM role ARN such as arn:aws:iam::123456789012:role/external-dns",
    );
  }
  checkPattern(p, "region", props.region, AWS_REGION, "an AWS region such as eu-west-1");
  checkPattern(
    p,
    "txtOwnerId",
    props.txtOwnerId,
    TXT_OWNER_ID,
    "1-63 letters, digits, '.', '_' and '-', starting with a letter or digit (it is written into every TXT ownership record)",
  );
  checkChartVersion(p, props.chartVersion);
  return [...p.problems];
}

/**
 * ExternalDNS (chart `external-dns` from kubernetes-sigs) in its own namespace, which enforces
 * the `restricted` Pod Security Standard: it publishes the host of every ALB Ingress as a Route 53
 * alias to the load balancer, in the given zones only (domain and zone id filters, and an IRSA
 * role that may change records in those zones only). It watches Ingresses only, owns its records
 * through a TXT registry with a per-environment owner id, and in production never deletes a record
 * (`upsert-only`).
 */
export class ExternalDns extends Construct {
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** The namespace resource. */
  readonly namespaceResource: NamespaceV1;
  /** Namespace ExternalDNS runs in. */
  readonly namespace: string;
  /** Name of ExternalDNS's service account (annotated with the IRSA role). */
  readonly serviceAccountName: string;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** What ExternalDNS may do to the records it owns. */
  readonly policy: ExternalDnsPolicy;

  constructor(scope: Construct, id: string, props: ExternalDnsProps) {
    super(scope, id);
    throwIfProblems(this, validateExternalDnsProps(props));
    this.chartVersion = props.chartVersion ?? EXTERNAL_DNS_CHART_VERSION;
    this.serviceAccountName = EXTERNAL_DNS_SERVICE_ACCOUNT.name;
    this.releaseName = "external-dns";
    this.policy = (props.tier ?? "production") === "production" ? "upsert-only" : "sync";

    this.namespaceResource = new NamespaceV1(this, "namespace", {
      metadata: {
        name: EXTERNAL_DNS_SERVICE_ACCOUNT.namespace,
        labels: {
          "app.kubernetes.io/part-of": "platform-external-dns",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    });
    suppressPolicy(this.namespaceResource, {
      rule: "k8s-namespace-default-deny",
      reason:
        "ExternalDNS only calls out (Kubernetes and Route 53 APIs) and serves its health and metrics port to the kubelet; the namespace holds nothing else and enforces the restricted Pod Security level.",
    });
    this.namespace = this.namespaceResource.metadata.name;

    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://kubernetes-sigs.github.io/external-dns/",
      chart: "external-dns",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 300,
      values: {
        provider: { name: "aws" },
        // Route 53 is global, but the SDK still needs a region for STS (web identity).
        env: [{ name: "AWS_DEFAULT_REGION", value: props.region }],
        // Apps are published through ALB Ingresses only; watching Services too would let any
        // LoadBalancer Service with a hostname annotation claim names in the zones.
        sources: ["ingress"],
        domainFilters: props.zones.map((zone) => zone.domain),
        extraArgs: { "zone-id-filter": props.zones.map((zone) => zone.id) },
        policy: this.policy,
        registry: "txt",
        txtOwnerId: props.txtOwnerId,
        serviceAccount: {
          create: true,
          name: this.serviceAccountName,
          annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
        },
        // The chart's defaults, set explicitly: the namespace enforces `restricted`.
        podSecurityContext: {
          runAsNonRoot: true,
          fsGroup: 65534,
          seccompProfile: { type: "RuntimeDefault" },
        },
        securityContext: {
          privileged: false,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          capabilities: { drop: ["ALL"] },
        },
        resources: {
          requests: { cpu: "50m", memory: "64Mi" },
          limits: { memory: "256Mi" },
        },
      },
    });
    suppressPolicy(
      this.release,
      {
        rule: "k8s-hpa-in-production",
        reason:
          "ExternalDNS must run a single replica: it has no leader election, and two writers would race on the same Route 53 records.",
      },
      {
        rule: "k8s-pdb-in-production",
        reason:
          "One replica by design (see k8s-hpa-in-production); a budget with minAvailable 1 would block every node drain, and a short gap only delays record updates.",
      },
    );
  }
}
