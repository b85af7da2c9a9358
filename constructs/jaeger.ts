import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { dependable, Fn, type ITerraformDependable } from "cdktf";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import {
  addonRelease,
  checkChartVersion,
  checkNamespace,
  checkPattern,
} from "./private/addon-release";
import { AWS_REGION, HOST_NAME, IAM_ROLE_ARN } from "./private/patterns";
import {
  restrictedPodSecurityContext,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
} from "./private/pod-security";
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "./private/tracing";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import type { Tier } from "./types";

/**
 * The pinned chart: `jaeger` 4.11.1 from https://jaegertracing.github.io/helm-charts (tag
 * `jaeger-4.11.1` of jaegertracing/helm-charts), which deploys Jaeger v2 (appVersion 2.19.0, one
 * binary built on the OpenTelemetry Collector: OTLP receiver, storage exporter and query UI).
 */
export const JAEGER_CHART_VERSION = "4.11.1";

/** The Jaeger image the pinned chart deploys (its appVersion), pinned here too. */
export const JAEGER_VERSION = "2.19.0";

/**
 * The service account Jaeger runs as, and the chart's full name (`fullnameOverride`): the IRSA
 * role's trust subject is `system:serviceaccount:<namespace>:jaeger`.
 */
export const JAEGER_SERVICE_ACCOUNT_NAME = "jaeger";

/** Port of Jaeger's query UI and HTTP API on its Service. */
export const JAEGER_QUERY_PORT = 16686;

/** The Grafana data source's uid (dashboards and exemplar links name it). */
export const JAEGER_DATASOURCE_UID = "jaeger";

/**
 * The label kube-prometheus-stack 75.15.1 makes Grafana's datasource sidecar watch
 * (`grafana.sidecar.datasources.label`/`labelValue` in its values.yaml), in the release's own
 * namespace (the grafana 9.3.0 subchart's `sidecar.datasources.searchNamespace: null`).
 */
export const GRAFANA_DATASOURCE_LABEL = { grafana_datasource: "1" } as const;

/**
 * The index names Jaeger reads and writes with no index prefix (jaeger v2.19.0
 * `IndexPrefix.Apply`): daily `jaeger-span-*`, `jaeger-service-*`, `jaeger-dependencies-*` and
 * `jaeger-sampling-*`, and the index templates `jaeger-span` and `jaeger-service`. All match
 * `jaeger-*`, the pattern the tracing role may write (and an ISM retention policy may select).
 */
export const JAEGER_INDEX_PATTERN = "jaeger-*";

/**
 * The REST paths of the domain Jaeger v2.19.0 calls through its Elasticsearch v7 client (OpenSearch
 * 1-3 are treated as Elasticsearch 7), relative to the domain ARN, for the tracing role's
 * `es:ESHttp*` policy. `GET /` (version ping) and `HEAD /` (health check) are not called: the
 * configuration pins `version: 7` and turns the client's health check off.
 * - `jaeger-*`: index reads (`<indices>/_search`) and index auto-creation;
 * - `_bulk`: span and service writes (the bulk processor posts to `/_bulk`, index names in the body);
 * - `_msearch`: trace lookups (multi-search, index names in the body);
 * - `_template/jaeger-*`: the span and service index templates put at start (`create_mappings`).
 */
export const JAEGER_OPENSEARCH_PATHS = [
  JAEGER_INDEX_PATTERN,
  "_bulk",
  "_msearch",
  `_template/${JAEGER_INDEX_PATTERN}`,
] as const;

/** Props of {@link Jaeger}. */
export interface JaegerProps {
  /**
   * The OpenSearch Service domain's endpoint (`aws_opensearch_domain.endpoint`: a host name, or
   * an `https://` URL). Requests are signed with SigV4 as the IRSA role.
   */
  readonly openSearchEndpoint: string;
  /** AWS region of the domain (the SigV4 signing region). */
  readonly region: string;
  /**
   * IRSA role of Jaeger's service account (trust subject
   * `system:serviceaccount:<namespace>:jaeger`), allowed the domain paths of
   * {@link JAEGER_OPENSEARCH_PATHS} only.
   */
  readonly roleArn: string;
  /** Namespace Jaeger runs in (must exist; Grafana's datasource sidecar watches it). @default "monitoring" */
  readonly namespace?: string;
  /**
   * Tier: production runs two replicas (rolling updates, a disruption budget) and keeps a replica
   * of every index shard (the domain spans three zones); development one replica, no index replicas.
   * @default "production"
   */
  readonly tier?: Tier;
  /** Chart version (exact). The values are written for 4.11.1 only. @default "4.11.1" */
  readonly chartVersion?: string;
  /** Create the Grafana data source (uid `jaeger`) as a ConfigMap for the datasource sidecar. @default true */
  readonly grafanaDatasource?: boolean;
  /** What must exist before the release, e.g. the monitoring namespace's release. @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Every problem with Jaeger props, with field paths named as the props. */
export function validateJaegerProps(props: JaegerProps): Problem[] {
  const p = new ProblemList();
  p.checkValue(
    props.openSearchEndpoint,
    (v) => typeof v === "string" && HOST_NAME.test(v.replace(/^https:\/\//, "").replace(/\/$/, "")),
    "openSearchEndpoint",
    "the domain's endpoint: a host name such as vpc-dev-logs-abc123.eu-west-1.es.amazonaws.com, or the same after https:// (never http://: the domain enforces HTTPS)",
  );
  checkPattern(p, "region", props.region, AWS_REGION, "an AWS region such as eu-west-1");
  checkPattern(
    p,
    "roleArn",
    props.roleArn,
    IAM_ROLE_ARN,
    "an IAM role ARN such as arn:aws:iam::123456789012:role/dev-jaeger",
  );
  checkNamespace(p, props.namespace);
  checkChartVersion(p, props.chartVersion);
  return [...p.problems];
}

/**
 * The Jaeger v2 configuration (chart value `userconfig`, mounted as `--config`): OTLP in, spans
 * into the OpenSearch Service domain, the query UI on 16686.
 *
 * Authentication: Jaeger's OpenSearch storage takes an HTTP `authenticator` extension since
 * v1.75.0/v2.12 (jaegertracing/jaeger#7611), and the Jaeger binary ships the collector-contrib
 * `sigv4auth` extension (`cmd/jaeger/internal/components.go`); v2.18.0 fixed signing of bulk
 * writes (#8308, request bodies hashed). So requests are signed with SigV4 in process, with the
 * credentials of the IRSA role (the AWS SDK's web-identity provider): no password, no proxy
 * sidecar, nothing in the domain's policy but the role.
 */
export function jaegerConfig(options: {
  readonly endpoint: string;
  readonly region: string;
  readonly production: boolean;
}): Record<string, unknown> {
  const index = options.production ? { shards: 3, replicas: 1 } : { shards: 1, replicas: 0 };
  const daily = { date_layout: "2006-01-02", rollover_frequency: "day", ...index };
  return {
    service: {
      extensions: ["sigv4auth", "jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: {
        traces: {
          receivers: ["otlp"],
          processors: ["batch"],
          exporters: ["jaeger_storage_exporter"],
        },
      },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: {
          level: "detailed",
          readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }],
        },
      },
    },
    extensions: {
      // the chart's probes call /status on 13133 (templates/jaeger/jaeger-deploy.yaml)
      healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
      sigv4auth: { region: options.region, service: "es" },
      jaeger_query: { storage: { traces: "opensearch" } },
      jaeger_storage: {
        backends: {
          opensearch: {
            opensearch: {
              server_urls: [options.endpoint],
              auth: { authenticator: "sigv4auth" },
              // OpenSearch 1-3 are Elasticsearch 7 to Jaeger: stating it skips the GET / ping
              version: 7,
              // the client's health check is a HEAD / per node; the endpoint is one load balancer
              disable_health_check: true,
              create_mappings: true,
              indices: {
                spans: daily,
                services: daily,
                dependencies: daily,
                sampling: daily,
              },
            },
          },
        },
      },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` },
          http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "opensearch" } },
  };
}

/** 16 hex digits of the configuration's SHA-256, the endpoint left out (a token until apply). */
function configChecksum(config: Record<string, unknown>, endpoint: string): string {
  const text = JSON.stringify(config).split(endpoint).join("<endpoint>");
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * Jaeger v2 (chart `jaeger`) in the monitoring namespace: receives OTLP from the OpenTelemetry
 * Collector, stores spans in the environment's OpenSearch Service domain (SigV4 as its IRSA role)
 * and serves the query UI on a ClusterIP Service (`kubectl port-forward`, README "Traces"), with a
 * Grafana data source (uid `jaeger`) for the kube-prometheus-stack sidecar.
 */
export class Jaeger extends Construct {
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name (also the Service, Deployment and service account name). */
  readonly releaseName: string;
  /** Namespace Jaeger runs in. */
  readonly namespace: string;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** Service account name (annotated with the IRSA role). */
  readonly serviceAccountName: string;
  /** OTLP gRPC endpoint (`host:port`) the collector exports to. */
  readonly otlpGrpcEndpoint: string;
  /** URL of the query UI and API inside the cluster. */
  readonly queryUrl: string;
  /** The Jaeger configuration rendered into the release. */
  readonly config: Record<string, unknown>;
  /** The Grafana data source ConfigMap (absent when turned off). */
  readonly grafanaDatasource?: ConfigMapV1;
  /** The disruption budget (production). */
  readonly podDisruptionBudget?: PodDisruptionBudgetV1;

  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    throwIfProblems(this, validateJaegerProps(props));
    const production = (props.tier ?? "production") === "production";
    const replicas = production ? 2 : 1;
    this.namespace = props.namespace ?? "monitoring";
    this.chartVersion = props.chartVersion ?? JAEGER_CHART_VERSION;
    this.releaseName = JAEGER_SERVICE_ACCOUNT_NAME;
    this.serviceAccountName = JAEGER_SERVICE_ACCOUNT_NAME;
    const host = `${this.releaseName}.${this.namespace}.svc.cluster.local`;
    this.otlpGrpcEndpoint = `${host}:${OTLP_GRPC_PORT}`;
    this.queryUrl = `http://${host}:${JAEGER_QUERY_PORT}`;
    const endpoint =
      isToken(props.openSearchEndpoint) || !props.openSearchEndpoint.startsWith("https://")
        ? `https://${props.openSearchEndpoint}`
        : props.openSearchEndpoint.replace(/\/$/, "");
    this.config = jaegerConfig({ endpoint, region: props.region, production });

    // selector labels: templates/_helpers.tpl jaeger.selectorLabels, plus the component label
    // of templates/jaeger/jaeger-deploy.yaml
    const selector = {
      "app.kubernetes.io/name": "jaeger",
      "app.kubernetes.io/instance": this.releaseName,
      "app.kubernetes.io/component": "all-in-one",
    };
    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://jaegertracing.github.io/helm-charts",
      chart: "jaeger",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 600,
      values: {
        fullnameOverride: this.releaseName,
        userconfig: this.config,
        // the chart's optional parts stay off: no Spark job, no index maintenance CronJobs (they know only basic auth; retention is an ISM policy)
        spark: { enabled: false },
        esIndexCleaner: { enabled: false },
        esRollover: { enabled: false },
        esLookback: { enabled: false },
        jaeger: {
          enabled: true,
          replicas,
          strategy:
            replicas > 1
              ? { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }
              : { type: "Recreate" },
          image: {
            registry: "docker.io",
            repository: "jaegertracing/jaeger",
            tag: JAEGER_VERSION,
            pullPolicy: "IfNotPresent",
          },
          serviceAccount: {
            annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
            // Jaeger never calls the Kubernetes API, but IRSA's web-identity token needs the
            // automount (aws/amazon-eks-pod-identity-webhook#67): the chart's default, stated
            automountServiceAccountToken: true,
          },
          service: { type: "ClusterIP" },
          ingress: { enabled: false },
          resources: production
            ? { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } }
            : { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
          podSecurityContext: restrictedPodSecurityContext(10001),
          securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
          // The chart gives the pod template no checksum of its config (templates/jaeger/
          // jaeger-deploy.yaml): these labels roll the pods when the configuration changes,
          // the endpoint (known only at apply) hashed by Terraform.
          podLabels: {
            "checksum/config": configChecksum(this.config, props.openSearchEndpoint),
            "checksum/endpoint": isToken(props.openSearchEndpoint)
              ? Fn.substr(Fn.sha256(props.openSearchEndpoint), 0, 16)
              : createHash("sha256").update(props.openSearchEndpoint).digest("hex").slice(0, 16),
          },
          // the image declares VOLUME /tmp; with a read-only root filesystem it is an emptyDir
          extraVolumes: [{ name: "tmp", emptyDir: {} }],
          extraVolumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
        },
      },
    });
    if (props.dependsOn) this.release.dependsOn = props.dependsOn.map((d) => dependable(d));
    suppressPolicy(this.release, {
      rule: "k8s-hpa-in-production",
      reason:
        "Jaeger receives traces already head-sampled and batched by the OpenTelemetry Collector, which autoscales; two replicas carry that load, and the chart always renders spec.replicas, so an HPA would be reset on every upgrade.",
    });

    if (production) {
      this.podDisruptionBudget = new PodDisruptionBudgetV1(this, "pod-disruption-budget", {
        metadata: { name: this.releaseName, namespace: this.namespace },
        spec: { minAvailable: "1", selector: { matchLabels: selector } },
      });
    }

    if (props.grafanaDatasource ?? true) {
      this.grafanaDatasource = new ConfigMapV1(this, "grafana-datasource", {
        metadata: {
          name: "jaeger-grafana-datasource",
          namespace: this.namespace,
          labels: { ...GRAFANA_DATASOURCE_LABEL, "app.kubernetes.io/part-of": "platform-tracing" },
        },
        data: {
          "jaeger-datasource.yaml": JSON.stringify(
            {
              apiVersion: 1,
              datasources: [
                {
                  name: "Jaeger",
                  uid: JAEGER_DATASOURCE_UID,
                  type: "jaeger",
                  access: "proxy",
                  url: this.queryUrl,
                  editable: false,
                },
              ],
            },
            undefined,
            2,
          ),
        },
      });
    }
  }
}
