import { Construct } from "constructs";
import { dependable, type ITerraformDependable } from "cdktf";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { addonRelease, checkChartVersion, checkNamespace } from "./private/addon-release";
import {
  restrictedPodSecurityContext,
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
} from "./private/pod-security";
import {
  checkSamplingRatio,
  collectorConfig,
  collectorConfigProblems,
  OTLP_GRPC_PORT,
  OTLP_HTTP_PORT,
  samplingRatioFor,
  type CollectorConfig,
} from "./private/tracing";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import type { Tier } from "./types";

export { DEFAULT_SAMPLING_RATIOS } from "./private/tracing";

/**
 * The pinned chart: `opentelemetry-collector` 0.170.0 from
 * https://open-telemetry.github.io/opentelemetry-helm-charts (tag `opentelemetry-collector-0.170.0`
 * of open-telemetry/opentelemetry-helm-charts, appVersion 0.158.0).
 */
export const OPENTELEMETRY_COLLECTOR_CHART_VERSION = "0.170.0";

/**
 * The image: the Kubernetes distribution of the collector (`otelcol-k8s`, which has the OTLP
 * receiver and exporter, `memory_limiter`, `batch`, `k8s_attributes` and `probabilistic_sampler`),
 * at the chart's appVersion. The chart has no default repository (`image.repository: ""` fails the
 * install), so the distribution is a choice made here.
 */
export const OPENTELEMETRY_COLLECTOR_IMAGE = {
  repository: "otel/opentelemetry-collector-k8s",
  tag: "0.158.0",
} as const;

/** Release name and the chart's full name: the Service apps send to. */
export const OPENTELEMETRY_COLLECTOR_NAME = "opentelemetry-collector";

/** Where the collector exports traces: Jaeger, or anything that speaks OTLP gRPC. */
export interface ITraceBackend {
  /** OTLP gRPC endpoint, `host:port` (plaintext, inside the cluster). */
  readonly otlpGrpcEndpoint: string;
  /** The backend's release (the collector is installed after it). */
  readonly release?: ITerraformDependable;
}

/** Props of {@link OpenTelemetryCollector}. */
export interface OpenTelemetryCollectorProps {
  /** Where traces go (e.g. the `Jaeger` construct). */
  readonly backend: ITraceBackend;
  /** Namespace the collector runs in (must exist). @default "monitoring" */
  readonly namespace?: string;
  /**
   * Tier: production runs 2-6 replicas (an HPA at 80% CPU, a disruption budget); development
   * one. Also picks the default sampling ratio. @default "production"
   */
  readonly tier?: Tier;
  /**
   * Share of traces kept (head sampling by trace id, so a trace is kept or dropped whole),
   * greater than 0 and at most 1. @default 1 in development, 0.1 in production (DEFAULT_SAMPLING_RATIOS)
   */
  readonly samplingRatio?: number;
  /** Chart version (exact). The values are checked against 0.170.0's schema only. @default "0.170.0" */
  readonly chartVersion?: string;
  /** What must exist before the release. @default the backend's release */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Every problem with collector props, with field paths named as the props. Shared with the environment file. */
export function validateOpenTelemetryCollectorProps(
  props: Omit<OpenTelemetryCollectorProps, "backend"> & { readonly backend?: ITraceBackend },
): Problem[] {
  const p = new ProblemList();
  if (props.samplingRatio !== undefined)
    checkSamplingRatio(p, "samplingRatio", props.samplingRatio);
  checkNamespace(p, props.namespace);
  checkChartVersion(p, props.chartVersion);
  if (props.backend !== undefined) {
    p.checkValue(
      props.backend.otlpGrpcEndpoint,
      (v) => typeof v === "string" && /^[a-z0-9.-]+:\d{1,5}$/.test(v),
      "backend.otlpGrpcEndpoint",
      "host:port of an OTLP gRPC receiver, without a scheme, such as jaeger.monitoring.svc.cluster.local:4317",
    );
  }
  return [...p.problems];
}

/**
 * An OpenTelemetry Collector (chart `opentelemetry-collector`, `mode: deployment`) in the
 * monitoring namespace: apps send OTLP over gRPC (4317) or HTTP (4318) to its ClusterIP Service;
 * it adds the sender's namespace, pod, app and colour (the chart's `kubernetesAttributes` preset
 * creates the ClusterRole that reads pods, namespaces and replicasets), head-samples by trace id
 * with the tier's ratio, batches, and exports to the trace backend.
 */
export class OpenTelemetryCollector extends Construct {
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name (also the Service name). */
  readonly releaseName: string;
  /** Namespace the collector runs in. */
  readonly namespace: string;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** Share of traces kept. */
  readonly samplingRatio: number;
  /** The collector configuration (chart value `alternateConfig`). */
  readonly config: CollectorConfig;
  /** OTLP gRPC endpoint for apps: `http://<service>:4317` (the form OTLP exporters' endpoint variables take). */
  readonly otlpGrpcEndpoint: string;
  /** OTLP HTTP endpoint for apps: `http://<service>:4318`. */
  readonly otlpHttpEndpoint: string;

  constructor(scope: Construct, id: string, props: OpenTelemetryCollectorProps) {
    super(scope, id);
    const tier = props.tier ?? "production";
    const production = tier === "production";
    this.samplingRatio = samplingRatioFor(tier, props.samplingRatio);
    const problems = validateOpenTelemetryCollectorProps(props);
    this.config = collectorConfig({
      samplingRatio: this.samplingRatio,
      exportEndpoint: props.backend.otlpGrpcEndpoint,
    });
    throwIfProblems(this, [
      ...problems,
      ...collectorConfigProblems(this.config).map((p) => ({ ...p, field: `config.${p.field}` })),
    ]);
    this.namespace = props.namespace ?? "monitoring";
    this.chartVersion = props.chartVersion ?? OPENTELEMETRY_COLLECTOR_CHART_VERSION;
    this.releaseName = OPENTELEMETRY_COLLECTOR_NAME;
    const host = `${this.releaseName}.${this.namespace}.svc.cluster.local`;
    this.otlpGrpcEndpoint = `http://${host}:${OTLP_GRPC_PORT}`;
    this.otlpHttpEndpoint = `http://${host}:${OTLP_HTTP_PORT}`;

    const off = { enabled: false };
    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://open-telemetry.github.io/opentelemetry-helm-charts",
      chart: "opentelemetry-collector",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 600,
      values: {
        mode: "deployment",
        fullnameOverride: this.releaseName,
        image: { ...OPENTELEMETRY_COLLECTOR_IMAGE, pullPolicy: "IfNotPresent" },
        // the whole configuration: no default receiver, exporter or pipeline of the chart's
        // `config` merges in (templates/_config.tpl baseConfig); presets still apply to it
        alternateConfig: this.config,
        presets: { kubernetesAttributes: { enabled: true } },
        // the processor's current name (templates/_helpers.tpl deprecatedComponentRenames)
        rewriteDeprecatedComponentNames: true,
        // only the OTLP ports: the chart's defaults also open Jaeger, Zipkin ports nobody listens on
        ports: {
          otlp: {
            enabled: true,
            containerPort: OTLP_GRPC_PORT,
            servicePort: OTLP_GRPC_PORT,
            protocol: "TCP",
            appProtocol: "grpc",
          },
          "otlp-http": {
            enabled: true,
            containerPort: OTLP_HTTP_PORT,
            servicePort: OTLP_HTTP_PORT,
            protocol: "TCP",
          },
          "jaeger-compact": off,
          "jaeger-thrift": off,
          "jaeger-grpc": off,
          zipkin: off,
          metrics: { enabled: true, containerPort: 8888, servicePort: 8888, protocol: "TCP" },
        },
        service: { type: "ClusterIP" },
        ingress: off,
        serviceAccount: { create: true, automountServiceAccountToken: true },
        replicaCount: production ? 2 : 1,
        autoscaling: production
          ? { enabled: true, minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 80 }
          : off,
        podDisruptionBudget: production ? { enabled: true, minAvailable: 1 } : off,
        resources: production
          ? { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "1Gi" } }
          : { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
        // GOMEMLIMIT from the memory limit (the chart's default, stated)
        useGOMEMLIMIT: true,
        podSecurityContext: restrictedPodSecurityContext(10001),
        securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
        // Prometheus scrapes the collector's own metrics (dropped spans, queue sizes)
        serviceMonitor: { enabled: true, metricsEndpoints: [{ port: "metrics" }] },
      },
    });
    const dependencies = props.dependsOn ?? (props.backend.release ? [props.backend.release] : []);
    if (dependencies.length > 0) this.release.dependsOn = dependencies.map((d) => dependable(d));
  }
}
