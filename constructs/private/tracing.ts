/**
 * What the tracing constructs share: the head-sampling ratio per tier, its value rule, and the
 * OpenTelemetry Collector configuration (built here, checked here: every pipeline names only
 * components the configuration defines).
 */
import type { Tier } from "../types";
import type { Problem, ProblemList } from "./validation";

/**
 * Share of traces the collector keeps (head sampling by trace id), per tier: every trace in
 * development, where traffic is low and a missing trace is a question; one in ten in production,
 * where OpenSearch storage is paid per GB.
 */
export const DEFAULT_SAMPLING_RATIOS: Readonly<Record<Tier, number>> = {
  development: 1,
  production: 0.1,
};

/** What a sampling ratio must be. */
export const SAMPLING_RATIO_EXPECTED =
  "a ratio greater than 0 and at most 1 (0.1 keeps 10% of traces; 1 keeps every trace)";

/** Adds a problem when `value` is not a sampling ratio. Shared with the environment file. */
export function checkSamplingRatio(p: ProblemList, field: string, value: unknown): void {
  p.checkValue(
    value,
    (v) => typeof v === "number" && Number.isFinite(v) && v > 0 && v <= 1,
    field,
    SAMPLING_RATIO_EXPECTED,
  );
}

/** The ratio a tier samples unless one is given. */
export function samplingRatioFor(tier: Tier, ratio?: number): number {
  return ratio ?? DEFAULT_SAMPLING_RATIOS[tier];
}

/** Ports of OTLP (the OpenTelemetry specification's defaults, which podinfo and Jaeger use). */
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;

/** The pod label the colour post-renderer puts on every pod of a colour (`colour-labels.cjs`). */
export const COLOUR_POD_LABEL = "colour";
/** The app namespace's label naming its app (`BlueGreenRelease`'s namespace). */
export const APP_NAMESPACE_LABEL = "app.kubernetes.io/part-of";

/** A collector configuration: the sections the collector reads. */
export interface CollectorConfig {
  readonly extensions: Record<string, unknown>;
  readonly receivers: Record<string, unknown>;
  readonly processors: Record<string, unknown>;
  readonly exporters: Record<string, unknown>;
  readonly service: {
    readonly extensions: readonly string[];
    readonly pipelines: Record<
      string,
      {
        readonly receivers: readonly string[];
        readonly processors: readonly string[];
        readonly exporters: readonly string[];
      }
    >;
    readonly telemetry?: Record<string, unknown>;
  };
}

/** What the collector's configuration is built from. */
export interface CollectorConfigOptions {
  /** Share of traces kept, greater than 0 and at most 1. */
  readonly samplingRatio: number;
  /** Jaeger's OTLP gRPC endpoint, `host:port`. */
  readonly exportEndpoint: string;
}

/**
 * The collector's configuration (chart value `alternateConfig`, so no chart default receiver,
 * exporter or pipeline is merged in): OTLP gRPC and HTTP in, then
 * - `memory_limiter` (first: refuses data before the pod runs out of memory),
 * - `k8s_attributes`: namespace, pod, deployment and node from the sender's connection (pods send
 *   to this Deployment directly, so the connection's address is the pod's), the pod label
 *   `colour` as `colour` and the namespace label `app.kubernetes.io/part-of` as `app`,
 * - `probabilistic_sampler`: head sampling by trace id, so every span of a kept trace is kept,
 * - `batch`,
 * and OTLP gRPC out to Jaeger (in-cluster, plaintext: README "Traces").
 */
export function collectorConfig(options: CollectorConfigOptions): CollectorConfig {
  return {
    extensions: {
      // the chart's probes call port 13133 (values.yaml livenessProbe/readinessProbe)
      health_check: { endpoint: "${env:MY_POD_IP}:13133" },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `\${env:MY_POD_IP}:${OTLP_GRPC_PORT}` },
          http: { endpoint: `\${env:MY_POD_IP}:${OTLP_HTTP_PORT}` },
        },
      },
    },
    processors: {
      memory_limiter: { check_interval: "5s", limit_percentage: 80, spike_limit_percentage: 25 },
      k8s_attributes: {
        passthrough: false,
        pod_association: [
          { sources: [{ from: "resource_attribute", name: "k8s.pod.ip" }] },
          { sources: [{ from: "resource_attribute", name: "k8s.pod.uid" }] },
          { sources: [{ from: "connection" }] },
        ],
        extract: {
          metadata: [
            "k8s.namespace.name",
            "k8s.pod.name",
            "k8s.pod.uid",
            "k8s.deployment.name",
            "k8s.node.name",
          ],
          labels: [
            { tag_name: "colour", key: COLOUR_POD_LABEL, from: "pod" },
            { tag_name: "app", key: APP_NAMESPACE_LABEL, from: "namespace" },
          ],
        },
      },
      probabilistic_sampler: {
        sampling_percentage: Math.round(options.samplingRatio * 100 * 1000) / 1000,
      },
      batch: { send_batch_size: 1024, timeout: "5s" },
    },
    exporters: {
      "otlp/jaeger": { endpoint: options.exportEndpoint, tls: { insecure: true } },
    },
    service: {
      extensions: ["health_check"],
      pipelines: {
        traces: {
          receivers: ["otlp"],
          processors: ["memory_limiter", "k8s_attributes", "probabilistic_sampler", "batch"],
          exporters: ["otlp/jaeger"],
        },
      },
      telemetry: {
        metrics: {
          readers: [
            { pull: { exporter: { prometheus: { host: "${env:MY_POD_IP}", port: 8888 } } } },
          ],
        },
      },
    },
  };
}

/**
 * Every pipeline reference (and service extension) the configuration does not define: the
 * collector refuses to start on one, which Helm reports only as a timed-out release.
 */
export function collectorConfigProblems(config: CollectorConfig): Problem[] {
  const problems: Problem[] = [];
  const defined = (section: keyof Omit<CollectorConfig, "service">) =>
    Object.keys(config[section] ?? {});
  const check = (
    field: string,
    names: readonly string[],
    section: keyof Omit<CollectorConfig, "service">,
  ) => {
    const known = defined(section);
    names.forEach((name, i) => {
      if (!known.includes(name))
        problems.push({
          field: `${field}[${i}]`,
          received: name,
          expected: `one of the ${section} the configuration defines (${known.join(", ") || "none"})`,
        });
    });
  };
  check("service.extensions", config.service.extensions, "extensions");
  const pipelines = Object.entries(config.service.pipelines);
  if (pipelines.length === 0)
    problems.push({ field: "service.pipelines", received: {}, expected: "at least one pipeline" });
  for (const [name, pipeline] of pipelines) {
    const at = `service.pipelines.${name}`;
    for (const kind of ["receivers", "exporters"] as const) {
      if (pipeline[kind].length === 0)
        problems.push({
          field: `${at}.${kind}`,
          received: [],
          expected: `at least one of the ${kind}`,
        });
    }
    check(`${at}.receivers`, pipeline.receivers, "receivers");
    check(`${at}.processors`, pipeline.processors, "processors");
    check(`${at}.exporters`, pipeline.exporters, "exporters");
  }
  return problems;
}
