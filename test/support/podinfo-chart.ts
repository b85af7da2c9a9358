/**
 * What the podinfo chart 6.7.1 (stefanprodan/podinfo, `charts/podinfo` at tag 6.7.1) renders from
 * a set of values, reduced to the fields the platform relies on. Each function names the chart
 * file it follows; the chart's code is not copied here. Checked against `helm template` of the
 * chart at that tag (Helm v3.17.2): see the closing note of issue 8.
 */
import { deepMergeValues, type HelmValues } from "../../constructs/private/helm-values";

export const PODINFO_CHART_VERSION = "6.7.1";

/** The defaults of `values.yaml` the platform's values interact with. */
export const PODINFO_DEFAULT_VALUES: HelmValues = {
  replicaCount: 1,
  image: { repository: "ghcr.io/stefanprodan/podinfo", tag: "6.7.1", pullPolicy: "IfNotPresent" },
  service: {
    enabled: true,
    type: "ClusterIP",
    metricsPort: 9797,
    httpPort: 9898,
    externalPort: 9898,
    grpcPort: 9999,
    grpcService: "podinfo",
  },
  logLevel: "info",
  faults: { delay: false, error: false, unhealthy: false, unready: false },
  tls: { enabled: false, port: 9899, certPath: "/data/cert" },
  extraArgs: [],
  hpa: { enabled: false, maxReplicas: 10 },
  serviceMonitor: { enabled: false, interval: "15s", additionalLabels: {} },
  securityContext: {},
  resources: { limits: null, requests: { cpu: "1m", memory: "16Mi" } },
  podAnnotations: {},
  podDisruptionBudget: {},
  ui: { color: "#34577c", message: "", logo: "" },
  backend: "",
  extraEnvs: [],
};

type Labels = Record<string, string>;

/** A rendered object, reduced. */
export interface Rendered {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly labels: Labels;
  readonly spec: Record<string, any>;
}

/** Helm's merge of user values over chart defaults: `null` deletes a key. */
function coalesce(values: HelmValues): HelmValues {
  const drop = (v: unknown): unknown => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, drop(x)]),
    );
  };
  return drop(deepMergeValues(PODINFO_DEFAULT_VALUES, values)) as HelmValues;
}

const trunc63 = (s: string) => s.slice(0, 63).replace(/-+$/, "");

/** `templates/_helpers.tpl` `podinfo.fullname`. */
export function fullname(values: HelmValues, releaseName: string): string {
  if (values.fullnameOverride) return trunc63(String(values.fullnameOverride));
  const name = String(values.nameOverride || "podinfo");
  return trunc63(releaseName.includes(name) ? releaseName : `${releaseName}-${name}`);
}

/** `templates/_helpers.tpl` `podinfo.selectorLabels`: the only label on the pods. */
export function selectorLabels(values: HelmValues, releaseName: string): Labels {
  return { "app.kubernetes.io/name": fullname(values, releaseName) };
}

/** `templates/_helpers.tpl` `podinfo.labels`: the version label is the chart's appVersion. */
function commonLabels(values: HelmValues, releaseName: string): Labels {
  return {
    "helm.sh/chart": `podinfo-${PODINFO_CHART_VERSION}`,
    ...selectorLabels(values, releaseName),
    "app.kubernetes.io/version": PODINFO_CHART_VERSION,
    "app.kubernetes.io/managed-by": "Helm",
  };
}

/** The objects podinfo renders (no redis, no ingress, no tests: all off by default). */
export function renderPodinfo(userValues: HelmValues, releaseName: string): Rendered[] {
  const v = coalesce(userValues) as Record<string, any>;
  const name = fullname(v, releaseName);
  const labels = commonLabels(v, releaseName);
  const selector = selectorLabels(v, releaseName);
  const objects: Rendered[] = [];
  // templates/deployment.yaml
  objects.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    name,
    labels,
    spec: {
      ...(v.hpa.enabled ? {} : { replicas: v.replicaCount }),
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: selector,
          annotations: {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(v.service.httpPort),
            ...v.podAnnotations,
          },
        },
        spec: {
          containers: [
            {
              name: "podinfo",
              image: `${v.image.repository}:${v.image.tag}`,
              // the flags of `command:` the values decide (redis, backends, cache, h2c and config
              // off, as the platform leaves them), then extraArgs verbatim
              command: [
                "./podinfo",
                `--port=${v.service.httpPort || 9898}`,
                ...(v.host ? [`--host=${v.host}`] : []),
                ...(v.tls.enabled ? [`--secure-port=${v.tls.port}`] : []),
                ...(v.tls.certPath ? [`--cert-path=${v.tls.certPath}`] : []),
                ...(v.service.metricsPort ? [`--port-metrics=${v.service.metricsPort}`] : []),
                ...(v.service.grpcPort ? [`--grpc-port=${v.service.grpcPort}`] : []),
                ...(v.service.grpcService ? [`--grpc-service-name=${v.service.grpcService}`] : []),
                `--level=${v.logLevel}`,
                `--random-delay=${v.faults.delay}`,
                `--random-error=${v.faults.error}`,
                ...(v.faults.unhealthy ? ["--unhealthy"] : []),
                ...(v.faults.unready ? ["--unready"] : []),
                ...(v.extraArgs ?? []),
              ],
              ...(Object.keys(v.securityContext ?? {}).length > 0
                ? { securityContext: v.securityContext }
                : {}),
              // `env:` lists the ui and backend variables set to non-empty values, then
              // extraEnvs verbatim (an empty `env:` renders as null: left out here)
              ...(() => {
                const env = [
                  ...(v.ui.message
                    ? [{ name: "PODINFO_UI_MESSAGE", value: String(v.ui.message) }]
                    : []),
                  ...(v.ui.logo ? [{ name: "PODINFO_UI_LOGO", value: v.ui.logo }] : []),
                  ...(v.ui.color ? [{ name: "PODINFO_UI_COLOR", value: String(v.ui.color) }] : []),
                  ...(v.backend ? [{ name: "PODINFO_BACKEND_URL", value: v.backend }] : []),
                  ...(v.extraEnvs ?? []),
                ];
                return env.length > 0 ? { env } : {};
              })(),
              ports: [{ name: "http", containerPort: v.service.httpPort || 9898 }],
              resources: v.resources,
            },
          ],
        },
      },
    },
  });
  // templates/service.yaml
  if (v.service.enabled) {
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      name,
      labels,
      spec: {
        type: v.service.type,
        ports: [{ port: v.service.externalPort, targetPort: "http", name: "http" }],
        selector,
      },
    });
  }
  // templates/servicemonitor.yaml
  if (v.serviceMonitor.enabled) {
    objects.push({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "ServiceMonitor",
      name,
      labels: { ...labels, ...v.serviceMonitor.additionalLabels },
      spec: {
        endpoints: [{ path: "/metrics", port: "http", interval: v.serviceMonitor.interval }],
        selector: { matchLabels: selector },
      },
    });
  }
  // templates/pdb.yaml: only with a non-empty budget and more than one replica
  const pdb = v.podDisruptionBudget;
  if (pdb && Object.keys(pdb).length > 0 && Number(v.replicaCount) > 1) {
    objects.push({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      name,
      labels,
      spec: { selector, ...pdb },
    });
  }
  // templates/hpa.yaml
  if (v.hpa.enabled) {
    objects.push({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      name,
      labels,
      spec: {},
    });
  }
  return objects;
}
