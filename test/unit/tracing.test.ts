/**
 * Traces: the OpenTelemetry Collector and Jaeger v2 releases and the chart conventions they rely on.
 *
 * Collector conventions come from open-telemetry/opentelemetry-helm-charts at tag
 * `opentelemetry-collector-0.170.0` (chart 0.170.0, appVersion 0.158.0),
 * `charts/opentelemetry-collector/`; Jaeger's from jaegertracing/helm-charts at tag `jaeger-4.11.1`
 * (chart 4.11.1, appVersion 2.19.0), `charts/jaeger/`, and jaegertracing/jaeger at tag v2.19.0.
 * Each test names the file a fact comes from. Both charts' values were rendered with
 * `helm template` (v3.17.2) at development time; the collector's against its values.schema.json,
 * whose facts our values depend on are restated in COLLECTOR_SCHEMA_FACTS (the jaeger chart ships
 * no schema).
 */
import Ajv from "ajv";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import {
  GRAFANA_DATASOURCE_LABEL,
  Jaeger,
  JAEGER_CHART_VERSION,
  JAEGER_OPENSEARCH_PATHS,
  JAEGER_VERSION,
  jaegerConfig,
  type JaegerProps,
} from "../../constructs/jaeger";
import {
  OpenTelemetryCollector,
  OPENTELEMETRY_COLLECTOR_CHART_VERSION,
  type OpenTelemetryCollectorProps,
} from "../../constructs/opentelemetry-collector";
import { JAEGER_ACCESS } from "../../constructs/log-store";
import { JAEGER_SERVICE_ACCOUNT } from "../../constructs/private/log-names";
import { restrictedProblems } from "../../constructs/private/pod-security";
import {
  collectorConfig,
  collectorConfigProblems,
  DEFAULT_SAMPLING_RATIOS,
  type CollectorConfig,
} from "../../constructs/private/tracing";
import { setPolicyTier } from "../../policy/suppressions";
import { checkBuilt } from "../support/policy";
import { TerraformVariable } from "cdktf";
import { rejectionLines, resources, synth, testStack } from "../helpers";

const ENDPOINT = "vpc-dev-logs-abc123.eu-west-1.es.amazonaws.com";
const ROLE = "arn:aws:iam::111111111111:role/dev-jaeger";

function build(
  jaegerProps: Partial<JaegerProps> = {},
  collectorProps: Partial<OpenTelemetryCollectorProps> = {},
) {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const jaeger = new Jaeger(stack, "jaeger", {
    openSearchEndpoint: ENDPOINT,
    region: "eu-west-1",
    roleArn: ROLE,
    ...jaegerProps,
  });
  const collector = new OpenTelemetryCollector(stack, "opentelemetry-collector", {
    backend: jaeger,
    ...collectorProps,
  });
  const json = synth(stack);
  const release = (name: string) =>
    Object.values(resources(json, "helm_release")).find((r) => r.name === name) as Record<
      string,
      any
    >;
  const values = (name: string) => JSON.parse(release(name).values[0]) as Record<string, any>;
  return { json, jaeger, collector, release, values };
}

/**
 * Facts of `charts/opentelemetry-collector/values.schema.json` (0.170.0) our values depend on:
 * the schema refuses any top-level key it does not list (`additionalProperties: false`), requires
 * `mode`, enumerates `mode`, `image.pullPolicy` and `service.type`, closes `image`, `resources`,
 * `presets`, `ports.*`, `serviceAccount` and `ingress`, and requires `enabled` in
 * `podDisruptionBudget`, `autoscaling`, `serviceMonitor` and each port.
 */
const COLLECTOR_SCHEMA_FACTS = {
  type: "object",
  additionalProperties: false,
  required: ["mode"],
  properties: {
    ...Object.fromEntries(
      [
        "additionalLabels",
        "affinity",
        "alternateConfig",
        "annotations",
        "apiVersion",
        "clusterRole",
        "command",
        "config",
        "configMap",
        "dnsConfig",
        "dnsPolicy",
        "enableConfigChecksumAnnotation",
        "enabled",
        "extraContainers",
        "extraEnvs",
        "extraEnvsFrom",
        "extraManifests",
        "extraVolumeMounts",
        "extraVolumes",
        "global",
        "hostAliases",
        "hostNetwork",
        "hostPID",
        "httproute",
        "imagePullSecrets",
        "initContainers",
        "internalTelemetryViaOTLP",
        "lifecycleHooks",
        "livenessProbe",
        "nameOverride",
        "namespaceOverride",
        "networkPolicy",
        "nodeSelector",
        "podAnnotations",
        "podLabels",
        "podMonitor",
        "priorityClassName",
        "prometheusRule",
        "readinessProbe",
        "resizePolicy",
        "revisionHistoryLimit",
        "rollout",
        "runtimeClassName",
        "schedulerName",
        "shareProcessNamespace",
        "startupProbe",
        "statefulset",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
      ].map((k) => [k, {}]),
    ),
    mode: { type: "string", enum: ["daemonset", "deployment", "statefulset", ""] },
    fullnameOverride: { type: "string" },
    alternateConfig: { type: "object" },
    rewriteDeprecatedComponentNames: { type: "boolean" },
    useGOMEMLIMIT: { type: "boolean" },
    replicaCount: { type: "integer" },
    securityContext: { type: "object" },
    podSecurityContext: { type: "object" },
    image: {
      type: "object",
      additionalProperties: false,
      properties: {
        registry: { type: "string" },
        repository: { type: "string" },
        tag: { type: "string" },
        digest: { type: "string" },
        pullPolicy: { type: "string", enum: ["IfNotPresent", "Always", "Never"] },
      },
    },
    presets: {
      type: "object",
      additionalProperties: false,
      properties: {
        kubernetesAttributes: {
          type: "object",
          additionalProperties: false,
          properties: {
            enabled: { type: "boolean" },
            extractAllPodLabels: { type: "boolean" },
            extractAllPodAnnotations: { type: "boolean" },
          },
        },
      },
    },
    ports: {
      type: "object",
      patternProperties: {
        ".*": {
          type: "object",
          additionalProperties: false,
          required: ["enabled"],
          properties: {
            enabled: { type: "boolean" },
            containerPort: { type: "integer" },
            servicePort: { type: "integer" },
            hostPort: { type: "integer" },
            nodePort: { type: "integer" },
            protocol: { type: "string" },
            appProtocol: { type: "string" },
          },
        },
      },
    },
    resources: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(
        ["limits", "requests"].map((k) => [
          k,
          {
            type: "object",
            additionalProperties: false,
            properties: {
              cpu: { type: ["string", "integer"] },
              memory: { type: "string" },
              "ephemeral-storage": { type: "string" },
            },
          },
        ]),
      ),
    },
    service: {
      type: "object",
      properties: { type: { enum: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] } },
    },
    serviceAccount: {
      type: "object",
      additionalProperties: false,
      required: ["create"],
      properties: {
        create: { type: "boolean" },
        annotations: { type: "object" },
        name: { type: "string" },
        automountServiceAccountToken: { type: "boolean" },
      },
    },
    ingress: { type: "object", required: ["enabled"] },
    podDisruptionBudget: { type: "object", required: ["enabled"] },
    autoscaling: {
      type: "object",
      required: ["enabled"],
      properties: {
        enabled: { type: "boolean" },
        minReplicas: { type: "integer" },
        maxReplicas: { type: "integer" },
        targetCPUUtilizationPercentage: { type: "integer" },
      },
    },
    serviceMonitor: {
      type: "object",
      required: ["enabled"],
      properties: { metricsEndpoints: { type: "array", items: { type: "object" } } },
    },
  },
};

describe.each(["development", "production"] as const)("tracing in %s", (tier) => {
  const production = tier === "production";
  const { json, jaeger, collector, release, values } = build({ tier }, { tier });
  const collectorValues = values("opentelemetry-collector");
  const jaegerValues = values("jaeger");

  describe("OpenTelemetry Collector", () => {
    test("installs the opentelemetry-collector chart 0.170.0, pinned and atomic, in monitoring", () => {
      expect(release("opentelemetry-collector")).toMatchObject({
        repository: "https://open-telemetry.github.io/opentelemetry-helm-charts",
        chart: "opentelemetry-collector",
        version: OPENTELEMETRY_COLLECTOR_CHART_VERSION,
        namespace: "monitoring",
        atomic: true,
        wait: true,
        cleanup_on_fail: true,
      });
      expect(OPENTELEMETRY_COLLECTOR_CHART_VERSION).toBe("0.170.0");
    });

    test("its values pass the facts of the chart's values.schema.json", () => {
      const ajv = new Ajv({ allErrors: true, strict: false });
      const validate = ajv.compile(COLLECTOR_SCHEMA_FACTS);
      expect(validate(collectorValues) ? [] : validate.errors).toEqual([]);
      // and the facts are not vacuous: a key the schema does not list is refused
      expect(validate({ ...collectorValues, replicas: 2 })).toBe(false);
      expect(validate({ ...collectorValues, mode: "sidecar" })).toBe(false);
    });

    test("runs as a Deployment of the k8s distribution at the chart's appVersion, pinned", () => {
      expect(collectorValues.mode).toBe("deployment");
      // the chart has no default repository: templates/NOTES.txt fails an install without one
      expect(collectorValues.image).toEqual({
        repository: "otel/opentelemetry-collector-k8s",
        tag: "0.158.0",
        pullPolicy: "IfNotPresent",
      });
    });

    test("the whole configuration is ours (alternateConfig) and its pipelines name only what it defines", () => {
      // templates/_config.tpl baseConfig: alternateConfig replaces config, presets still apply
      expect(collectorValues.config).toBeUndefined();
      const config = collectorValues.alternateConfig as CollectorConfig;
      expect(config).toEqual(collector.config);
      expect(collectorConfigProblems(config)).toEqual([]);
      expect(config.service.pipelines).toEqual({
        traces: {
          receivers: ["otlp"],
          processors: ["memory_limiter", "k8s_attributes", "probabilistic_sampler", "batch"],
          exporters: ["otlp/jaeger"],
        },
      });
      // the chart's probes call the health_check extension on 13133 (values.yaml livenessProbe),
      // and templates/NOTES.txt fails an install without health_check in config.service.extensions
      expect(config.service.extensions).toContain("health_check");
      expect(config.extensions.health_check).toEqual({ endpoint: "${env:MY_POD_IP}:13133" });
    });

    test("receives OTLP over gRPC 4317 and HTTP 4318, the only ports it opens besides its metrics", () => {
      const receivers = collector.config.receivers as Record<string, any>;
      expect(receivers.otlp.protocols).toEqual({
        grpc: { endpoint: "${env:MY_POD_IP}:4317" },
        http: { endpoint: "${env:MY_POD_IP}:4318" },
      });
      const open = Object.entries(collectorValues.ports as Record<string, any>)
        .filter(([, p]) => p.enabled)
        .map(([name, p]) => [name, p.containerPort]);
      expect(open).toEqual([
        ["metrics", 8888],
        ["otlp", 4317],
        ["otlp-http", 4318],
      ]);
      // values.yaml enables these by default: each must be turned off by name
      for (const name of ["jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"])
        expect(collectorValues.ports[name]).toEqual({ enabled: false });
      expect(collector.otlpGrpcEndpoint).toBe(
        "http://opentelemetry-collector.monitoring.svc.cluster.local:4317",
      );
      expect(collector.otlpHttpEndpoint).toBe(
        "http://opentelemetry-collector.monitoring.svc.cluster.local:4318",
      );
      // templates/_helpers.tpl opentelemetry-collector.fullname: the override names the Service
      expect(collectorValues.fullnameOverride).toBe("opentelemetry-collector");
    });

    test("k8s_attributes adds namespace, pod, app and colour, with the preset's RBAC", () => {
      // the preset renders the ClusterRole (templates/clusterrole.yaml: pods, namespaces,
      // replicasets) and prepends the processor only when the pipeline lacks it under either
      // name (templates/_config.tpl applyKubernetesAttributesConfig)
      expect(collectorValues.presets).toEqual({ kubernetesAttributes: { enabled: true } });
      // the name the chart rewrites k8sattributes to (templates/_helpers.tpl deprecatedComponentRenames)
      expect(collectorValues.rewriteDeprecatedComponentNames).toBe(true);
      const processors = collector.config.processors as Record<string, any>;
      expect(Object.keys(processors)).not.toContain("k8sattributes");
      const k8s = processors.k8s_attributes;
      expect(k8s.extract.metadata).toEqual(
        expect.arrayContaining(["k8s.namespace.name", "k8s.pod.name", "k8s.deployment.name"]),
      );
      expect(k8s.extract.labels).toEqual([
        // the label constructs/post-renderers/colour-labels.cjs puts on every pod of a colour
        { tag_name: "colour", key: "colour", from: "pod" },
        // the label BlueGreenRelease puts on the app namespace
        { tag_name: "app", key: "app.kubernetes.io/part-of", from: "namespace" },
      ]);
      // apps send to the Deployment directly, so the connection's address is the sending pod's
      expect(k8s.pod_association).toContainEqual({ sources: [{ from: "connection" }] });
      expect(k8s.passthrough).toBe(false);
    });

    test(`head-samples ${DEFAULT_SAMPLING_RATIOS[tier] * 100}% of traces by default`, () => {
      const processors = collector.config.processors as Record<string, any>;
      expect(processors.probabilistic_sampler).toEqual({
        sampling_percentage: production ? 10 : 100,
      });
      expect(collector.samplingRatio).toBe(production ? 0.1 : 1);
    });

    test("exports OTLP gRPC to Jaeger's Service, after it is installed", () => {
      const exporters = collector.config.exporters as Record<string, any>;
      expect(exporters["otlp/jaeger"]).toEqual({
        endpoint: "jaeger.monitoring.svc.cluster.local:4317",
        tls: { insecure: true },
      });
      expect(release("opentelemetry-collector").depends_on).toEqual([
        `helm_release.${Object.keys(resources(json, "helm_release")).find((k) => k.startsWith("jaeger"))}`,
      ]);
    });

    test("restricted pod security, resources set, memory limit for GOMEMLIMIT", () => {
      expect(
        restrictedProblems(collectorValues.securityContext, collectorValues.podSecurityContext),
      ).toEqual([]);
      expect(collectorValues.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(collectorValues.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(collectorValues.resources.limits.memory).toMatch(/^\d+(Mi|Gi)$/);
      expect(collectorValues.useGOMEMLIMIT).toBe(true);
    });

    test(
      production ? "autoscales 2-6 replicas with a disruption budget" : "runs one replica",
      () => {
        expect(collectorValues.autoscaling.enabled).toBe(production);
        expect(collectorValues.podDisruptionBudget.enabled).toBe(production);
        expect(collectorValues.replicaCount).toBe(production ? 2 : 1);
        if (production)
          expect(collectorValues.autoscaling).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
      },
    );
  });

  describe("Jaeger v2", () => {
    const config = jaeger.config as Record<string, any>;

    test("installs the jaeger chart 4.11.1 (Jaeger v2.19.0), pinned and atomic, in monitoring", () => {
      expect(release("jaeger")).toMatchObject({
        repository: "https://jaegertracing.github.io/helm-charts",
        chart: "jaeger",
        version: JAEGER_CHART_VERSION,
        namespace: "monitoring",
        atomic: true,
      });
      expect(JAEGER_CHART_VERSION).toBe("4.11.1");
      // Chart.yaml appVersion 2.19.0; the image pinned, not the chart's default ""
      expect(jaegerValues.jaeger.image).toEqual({
        registry: "docker.io",
        repository: "jaegertracing/jaeger",
        tag: JAEGER_VERSION,
        pullPolicy: "IfNotPresent",
      });
      expect(JAEGER_VERSION).toBe("2.19.0");
    });

    test("its configuration is userconfig (mounted as --config) and names only what it defines", () => {
      // templates/jaeger/jaeger-user-config.yaml and jaeger-deploy.yaml: --config /etc/jaeger/user-config.yaml
      expect(jaegerValues.userconfig).toEqual(config);
      expect(collectorConfigProblems(config as unknown as CollectorConfig)).toEqual([]);
      expect(config.exporters.jaeger_storage_exporter.trace_storage).toBe("opensearch");
      expect(config.extensions.jaeger_query.storage.traces).toBe("opensearch");
      expect(Object.keys(config.extensions.jaeger_storage.backends)).toEqual(["opensearch"]);
      // the chart's probes: GET /status on 13133 (templates/jaeger/jaeger-deploy.yaml)
      expect(config.extensions.healthcheckv2).toEqual({
        use_v2: true,
        http: { endpoint: "0.0.0.0:13133" },
      });
    });

    test("stores spans in the OpenSearch domain over HTTPS, signed with SigV4: no password anywhere", () => {
      const storage = config.extensions.jaeger_storage.backends.opensearch.opensearch;
      expect(storage.server_urls).toEqual([`https://${ENDPOINT}`]);
      // jaeger v2.19.0 internal/storage/elasticsearch/config/config.go: Authentication squashes
      // configauth.Config (`authenticator`); cmd/jaeger/internal/components.go ships sigv4auth
      expect(storage.auth).toEqual({ authenticator: "sigv4auth" });
      expect(config.extensions.sigv4auth).toEqual({ region: "eu-west-1", service: "es" });
      expect(config.service.extensions).toContain("sigv4auth");
      expect(JSON.stringify(jaegerValues)).not.toMatch(/password|basic|bearer|api_key/i);
      // no GET / version ping, no HEAD / health check (paths the role is not given)
      expect(storage.version).toBe(7);
      expect(storage.disable_health_check).toBe(true);
      // no index prefix: jaeger-span-*, jaeger-service-* (IndexPrefix.Apply), inside jaeger-*
      expect(storage.indices.index_prefix).toBeUndefined();
      expect(storage.indices.spans).toMatchObject(
        production ? { shards: 3, replicas: 1 } : { shards: 1, replicas: 0 },
      );
    });

    test("runs as service account jaeger with the IRSA role", () => {
      // templates/jaeger/jaeger-service-account.yaml: named jaeger.fullname, the override
      expect(jaegerValues.fullnameOverride).toBe("jaeger");
      expect(jaeger.serviceAccountName).toBe("jaeger");
      expect(jaegerValues.jaeger.serviceAccount.annotations).toEqual({
        "eks.amazonaws.com/role-arn": ROLE,
      });
      // the web-identity token IRSA injects needs the automount
      expect(jaegerValues.jaeger.serviceAccount.automountServiceAccountToken).toBe(true);
    });

    test("the query UI is a ClusterIP Service in monitoring (port 16686), OTLP gRPC on 4317", () => {
      // templates/jaeger/jaeger-service.yaml: type defaults to ClusterIP, ports http-query 16686
      // and otlp-grpc 4317
      expect(jaegerValues.jaeger.service.type).toBe("ClusterIP");
      expect(jaegerValues.jaeger.ingress.enabled).toBe(false);
      expect(jaeger.queryUrl).toBe("http://jaeger.monitoring.svc.cluster.local:16686");
      expect(jaeger.otlpGrpcEndpoint).toBe("jaeger.monitoring.svc.cluster.local:4317");
    });

    test("restricted pod security, a writable /tmp, resources, pods roll on a config change", () => {
      expect(
        restrictedProblems(
          jaegerValues.jaeger.securityContext,
          jaegerValues.jaeger.podSecurityContext,
        ),
      ).toEqual([]);
      expect(jaegerValues.jaeger.extraVolumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
      expect(jaegerValues.jaeger.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(jaegerValues.jaeger.podLabels["checksum/config"]).toMatch(/^[0-9a-f]{16}$/);
      const other = build({ tier: production ? "development" : "production" }).values("jaeger");
      expect(other.jaeger.podLabels["checksum/config"]).not.toBe(
        jaegerValues.jaeger.podLabels["checksum/config"],
      );
      // the maintenance CronJobs know only basic auth: off
      for (const job of ["esIndexCleaner", "esRollover", "esLookback", "spark"])
        expect(jaegerValues[job]).toEqual({ enabled: false });
    });

    test(
      production
        ? "two replicas, rolling, with a disruption budget over the chart's pods"
        : "one replica, no budget",
      () => {
        expect(jaegerValues.jaeger.replicas).toBe(production ? 2 : 1);
        const budgets = Object.values(
          resources(json, "kubernetes_pod_disruption_budget_v1"),
        ) as any[];
        if (!production) {
          expect(budgets).toEqual([]);
          return;
        }
        expect(jaegerValues.jaeger.strategy.type).toBe("RollingUpdate");
        // templates/_helpers.tpl jaeger.selectorLabels + the component of jaeger-deploy.yaml
        expect(budgets.map((b) => b.spec.selector.match_labels)).toEqual([
          {
            "app.kubernetes.io/name": "jaeger",
            "app.kubernetes.io/instance": "jaeger",
            "app.kubernetes.io/component": "all-in-one",
          },
        ]);
      },
    );

    test("a Grafana data source with uid jaeger, labelled for the kube-prometheus-stack sidecar", () => {
      const [configMap] = Object.values(resources(json, "kubernetes_config_map_v1")) as any[];
      // kube-prometheus-stack 75.15.1 values.yaml grafana.sidecar.datasources.label/labelValue;
      // the grafana 9.3.0 subchart's searchNamespace: null watches the release namespace only
      expect(GRAFANA_DATASOURCE_LABEL).toEqual({ grafana_datasource: "1" });
      expect(configMap.metadata).toMatchObject({
        namespace: "monitoring",
        labels: { grafana_datasource: "1" },
      });
      const [file] = Object.keys(configMap.data);
      expect(file).toMatch(/\.yaml$/); // Grafana provisions *.yaml files only
      expect(JSON.parse(configMap.data[file])).toEqual({
        apiVersion: 1,
        datasources: [
          {
            name: "Jaeger",
            uid: "jaeger",
            type: "jaeger",
            access: "proxy",
            url: "http://jaeger.monitoring.svc.cluster.local:16686",
            editable: false,
          },
        ],
      });
    });
  });

  test("the policy pack passes with no finding", () => {
    const result = checkBuilt(
      (stack) => {
        setPolicyTier(stack, tier);
        new HelmProvider(stack, "helm", {});
        new KubernetesProvider(stack, "kubernetes", {});
        const j = new Jaeger(stack, "jaeger", {
          openSearchEndpoint: ENDPOINT,
          region: "eu-west-1",
          roleArn: ROLE,
          tier,
        });
        new OpenTelemetryCollector(stack, "opentelemetry-collector", { backend: j, tier });
      },
      { tier },
    );
    expect(result.findings.map((f) => `${f.rule}: ${f.problem}`)).toEqual([]);
    expect(result.suppressed.map((s) => s.rule)).toEqual(
      production ? ["k8s-hpa-in-production"] : [],
    );
  });
});

describe("sampling ratio", () => {
  test("is overridable", () => {
    const { collector } = build({}, { samplingRatio: 0.25 });
    expect((collector.config.processors as any).probabilistic_sampler).toEqual({
      sampling_percentage: 25,
    });
  });

  test.each([0, 1.5, -0.1])("fails when it is %s", (ratio) => {
    expect(rejectionLines(() => build({}, { samplingRatio: ratio }))).toEqual([
      `test/opentelemetry-collector: samplingRatio: received ${ratio}; expected a ratio greater than 0 and at most 1 (0.1 keeps 10% of traces; 1 keeps every trace)`,
    ]);
  });
});

describe("the pipeline check", () => {
  const good = collectorConfig({ samplingRatio: 1, exportEndpoint: "jaeger:4317" });

  test("fails when a pipeline names an undefined receiver, processor or exporter, or an extension is undefined", () => {
    const broken: CollectorConfig = {
      ...good,
      service: {
        extensions: ["health_check", "pprof"],
        pipelines: {
          traces: {
            receivers: ["otlp", "zipkin"],
            processors: ["batch", "tail_sampling"],
            exporters: ["otlp"],
          },
        },
      },
    };
    expect(collectorConfigProblems(broken)).toEqual([
      {
        field: "service.extensions[1]",
        received: "pprof",
        expected: "one of the extensions the configuration defines (health_check)",
      },
      {
        field: "service.pipelines.traces.receivers[1]",
        received: "zipkin",
        expected: "one of the receivers the configuration defines (otlp)",
      },
      {
        field: "service.pipelines.traces.processors[1]",
        received: "tail_sampling",
        expected:
          "one of the processors the configuration defines (memory_limiter, k8s_attributes, probabilistic_sampler, batch)",
      },
      {
        field: "service.pipelines.traces.exporters[0]",
        received: "otlp",
        expected: "one of the exporters the configuration defines (otlp/jaeger)",
      },
    ]);
  });

  test("fails when a pipeline has no exporter, or there is no pipeline", () => {
    const noExporter: CollectorConfig = {
      ...good,
      service: {
        extensions: [],
        pipelines: { traces: { receivers: ["otlp"], processors: [], exporters: [] } },
      },
    };
    expect(collectorConfigProblems(noExporter)).toEqual([
      {
        field: "service.pipelines.traces.exporters",
        received: [],
        expected: "at least one of the exporters",
      },
    ]);
    expect(
      collectorConfigProblems({ ...good, service: { extensions: [], pipelines: {} } }),
    ).toEqual([{ field: "service.pipelines", received: {}, expected: "at least one pipeline" }]);
  });

  test("Jaeger's configuration in both tiers passes it", () => {
    for (const production of [true, false]) {
      const config = jaegerConfig({
        endpoint: `https://${ENDPOINT}`,
        region: "eu-west-1",
        production,
      });
      expect(collectorConfigProblems(config as unknown as CollectorConfig)).toEqual([]);
    }
  });
});

describe("Jaeger's OpenSearch paths (the tracing role's es:ESHttp* resources)", () => {
  test("are the index pattern, _bulk, _msearch and the index templates, nothing domain-wide", () => {
    // jaeger v2.19.0: index names jaeger-span-/jaeger-service-/... (no prefix), bulk writes to
    // /_bulk and multi-search at /_msearch (olivere/elastic v7), templates at
    // /_template/<name> (internal/storage/elasticsearch/client/index_client.go, ES 7 mode)
    expect([...JAEGER_OPENSEARCH_PATHS]).toEqual([
      "jaeger-*",
      "_bulk",
      "_msearch",
      "_template/jaeger-*",
    ]);
    expect(JAEGER_OPENSEARCH_PATHS).not.toContain("*");
  });

  test("the log store grants the tracing role each of them, to the service account Jaeger runs as", () => {
    // JAEGER_ACCESS (constructs/log-store.ts) is the tracing role's IAM policy and its grant in
    // the domain policy; `*` in a resource matches `/` too
    const covers = (granted: string, path: string) =>
      new RegExp(
        `^${granted
          .split("*")
          .map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, "\\$&"))
          .join(".*")}$`,
      ).test(path);
    for (const path of JAEGER_OPENSEARCH_PATHS)
      expect(JAEGER_ACCESS.paths.filter((granted) => covers(granted, path))).not.toEqual([]);
    // reads (GET _search/_msearch), bulk writes (POST), templates and index creation (PUT)
    expect(JAEGER_ACCESS.methods).toEqual(expect.arrayContaining(["GET", "POST", "PUT"]));
    expect(JAEGER_SERVICE_ACCOUNT).toEqual({ namespace: "monitoring", name: "jaeger" });
    const { jaeger } = build();
    expect({ namespace: jaeger.namespace, name: jaeger.serviceAccountName }).toEqual(
      JAEGER_SERVICE_ACCOUNT,
    );
  });
});

describe("validation", () => {
  test("fails when the endpoint is http://, the region or the role is not one", () => {
    expect(
      rejectionLines(() =>
        build({ openSearchEndpoint: `http://${ENDPOINT}`, region: "europe", roleArn: "jaeger" }),
      ),
    ).toEqual([
      `test/jaeger: openSearchEndpoint: received "http://${ENDPOINT}"; expected the domain's endpoint: a host name such as vpc-dev-logs-abc123.eu-west-1.es.amazonaws.com, or the same after https:// (never http://: the domain enforces HTTPS)`,
      'test/jaeger: region: received "europe"; expected an AWS region such as eu-west-1',
      'test/jaeger: roleArn: received "jaeger"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/dev-jaeger',
    ]);
  });

  test("fails when namespaces or chart versions are not exact", () => {
    expect(rejectionLines(() => build({ namespace: "Monitoring", chartVersion: "^4" }))).toEqual([
      "test/jaeger: namespace: received \"Monitoring\"; expected a DNS-1123 label: 1-63 lowercase letters, digits and '-'",
      "test/jaeger: chartVersion: received \"^4\"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
    ]);
    expect(
      rejectionLines(() => build({}, { namespace: "Monitoring", chartVersion: "latest" })),
    ).toEqual([
      "test/opentelemetry-collector: namespace: received \"Monitoring\"; expected a DNS-1123 label: 1-63 lowercase letters, digits and '-'",
      "test/opentelemetry-collector: chartVersion: received \"latest\"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
    ]);
  });

  test("fails when the backend endpoint has a scheme", () => {
    const stack = testStack();
    expect(
      rejectionLines(
        () =>
          new OpenTelemetryCollector(stack, "collector", {
            backend: { otlpGrpcEndpoint: "http://jaeger:4317" },
          }),
      ),
    ).toEqual([
      'test/collector: backend.otlpGrpcEndpoint: received "http://jaeger:4317"; expected host:port of an OTLP gRPC receiver, without a scheme, such as jaeger.monitoring.svc.cluster.local:4317',
    ]);
  });

  test("an endpoint Terraform knows only later is accepted and prefixed with https://", () => {
    const stack = testStack();
    const endpoint = new TerraformVariable(stack, "endpoint", { type: "string" });
    new Jaeger(stack, "jaeger", {
      openSearchEndpoint: endpoint.stringValue,
      region: "eu-west-1",
      roleArn: ROLE,
    });
    const [release] = Object.values(resources(synth(stack), "helm_release")) as any[];
    const values = JSON.parse(release.values[0]);
    const storage = values.userconfig.extensions.jaeger_storage.backends.opensearch.opensearch;
    expect(storage.server_urls).toEqual(["https://${var.endpoint}"]);
    expect(values.jaeger.podLabels["checksum/endpoint"]).toBe(
      "${substr(sha256(var.endpoint), 0, 16)}",
    );
  });
});
