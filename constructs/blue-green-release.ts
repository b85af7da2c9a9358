import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { HorizontalPodAutoscalerV2 } from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { dependable, Fn } from "cdktf";
import { parseCidr } from "./private/cidr";
import { ACM_CERTIFICATE_ARN, DNS_LABEL, HOST_NAME } from "./private/patterns";
import { deepMergeValues, renderValues, type HelmValues } from "./private/helm-values";
import { colourPostRenderer } from "./private/colour-post-renderer";
import { restrictedProblems } from "./private/pod-security";
import {
  configProblems,
  configString,
  ENV_NAME,
  ENV_NAME_EXPECTED,
  PODINFO_ADAPTER,
  type AppConfiguration,
  type ChartAdapter,
  type EnvironmentReference,
} from "./private/app-config";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import type { Tier } from "./types";

export type { HelmValues } from "./private/helm-values";
export {
  HELM_CREATE_ADAPTER,
  PODINFO_ADAPTER,
  secretLikeness,
  type AppConfiguration,
  type ChartAdapter,
  type ConfigValue,
  type EnvironmentReference,
} from "./private/app-config";
import {
  COLOURS,
  colourWeights,
  otherColour,
  PREVIEW_ACTION_NAME,
  trafficAnnotations,
  WEIGHTED_ACTION_NAME,
  type Colour,
} from "./private/traffic";
export {
  COLOURS,
  colourWeights,
  otherColour,
  PREVIEW_ACTION_ANNOTATION,
  PREVIEW_ACTION_NAME,
  trafficAnnotations,
  WEIGHTED_ACTION_ANNOTATION,
  WEIGHTED_ACTION_NAME,
  type Colour,
  type TrafficState,
} from "./private/traffic";

/** The default ALB TLS policy: TLS 1.3 and 1.2 only, forward secrecy. */
export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** Helm limits release names to 53 characters. */
const MAX_RELEASE_NAME = 53;

/** Where both colours' chart comes from (each colour pins its own version: {@link ColourRelease}). */
export interface ChartSource {
  /** Chart repository URL, `https://` or `oci://`. */
  readonly repository: string;
  /** Chart name in the repository, e.g. `podinfo`. */
  readonly name: string;
  /**
   * Exact chart version a colour being started gets (the release tool copies it into the colour's
   * entry); no colour renders it directly. @default none
   */
  readonly version?: string;
}

/** A chart at an exact version (an app's defaults in the environment file). */
export interface ChartReference extends ChartSource {
  /** Exact chart version, e.g. `6.7.1` (no ranges, no `latest`). */
  readonly version: string;
}

/**
 * Everything one colour renders, pinned in its own entry: no edit outside it changes the colour's
 * Helm release, so the stable colour moves only through the release flow.
 */
export interface ColourRelease {
  /** Image tag / app version of this colour, e.g. `6.7.1`. */
  readonly version: string;
  /** Exact chart version this colour installs, e.g. `6.7.1` (no ranges, no `latest`). */
  readonly chart: string;
  /** Helm values of this colour (the platform's defaults go under them, its per-colour values over them). @default {} */
  readonly values?: HelmValues;
  /**
   * This colour's configuration: its ConfigMap `<name>-<colour>-config`, each key an environment
   * variable of its pods. A change rolls only this colour's pods (a checksum pod annotation).
   * @default {}
   */
  readonly config?: AppConfiguration;
  /** Names of the app's secrets ({@link BlueGreenReleaseProps.secretsFrom}) this colour's pods get. @default [] */
  readonly secrets?: readonly string[];
}

/** The Kubernetes Secret holding an app's secrets, one key per environment variable. */
export interface AppSecretsSource {
  /** Name of the Secret in the app namespace, e.g. `web-secrets`. */
  readonly secretName: string;
  /** Its keys: the environment-variable names colours may pin. */
  readonly keys: readonly string[];
}

/** Release state of an app: which colour is stable and how much traffic the other one gets. */
export interface ReleaseState {
  /** The colour that serves production traffic. */
  readonly stable: Colour;
  /** Percentage (integer 0-100) of production traffic sent to the other (idle) colour. */
  readonly canaryWeight: number;
  /** What runs on blue. */
  readonly blue: ColourRelease;
  /** What runs on green. */
  readonly green: ColourRelease;
}

/** Pod autoscaling of each colour. */
export interface ColourAutoscaling {
  /** Create an autoscaling/v2 HPA per colour. @default true in production, false in development */
  readonly enabled?: boolean;
  /** Fewest replicas per colour, at least 2. @default 2 */
  readonly minReplicas?: number;
  /** Most replicas per colour. @default the larger of 10 and minReplicas */
  readonly maxReplicas?: number;
  /** Average CPU utilization (percent of requests) the HPA aims for. @default 70 */
  readonly targetCpuUtilization?: number;
}

/** The HTTP header that sends a request to the idle colour. */
export interface PreviewHeader {
  /** Header name. @default "X-Preview" */
  readonly header?: string;
  /** Header value that must match exactly. @default "true" */
  readonly value?: string;
}

/** What the per-colour values hook knows besides the colour and version. */
export interface ColourValuesContext {
  /** The app name. */
  readonly name: string;
  /** `<name>-<colour>`: the Helm release name, and the name the chart must give its Service and Deployment. */
  readonly releaseName: string;
  /** Port of the colour's Service (the port the ALB actions name). */
  readonly servicePort: number;
  /** Port the pods listen on (ALB targets are pod IPs on this port). */
  readonly targetPort: number;
  /** Set when an HPA manages the colour: its minReplicas. */
  readonly minReplicas?: number;
  /** The colour's own values (`release.<colour>.values`) the result is merged over. */
  readonly values: HelmValues;
  /** True when the construct creates the colour's PodDisruptionBudget. */
  readonly podDisruptionBudget: boolean;
  /** Set when the colour's pods send traces: the collector's OTLP gRPC endpoint (`http://host:4317`). */
  readonly tracesEndpoint?: string;
}

/** Returns the Helm values one colour adds on top of the shared values. */
export type ColourValuesFunction = (
  colour: Colour,
  version: string,
  context: ColourValuesContext,
) => HelmValues;

/** Returns the labels that select exactly the pods of one colour. */
export type ColourSelectorFunction = (
  colour: Colour,
  releaseName: string,
) => Record<string, string>;

/**
 * Values the platform puts UNDER the app's shared values (the app's `values` override them),
 * written for podinfo 6.7.x and charts made with `helm create`, which both read top-level
 * `resources` and a container-level `securityContext`:
 * - `resources`: requests of 100m CPU and 64Mi memory, limits of 1 CPU and 128Mi memory. podinfo's
 *   own request is 1m CPU (`values.yaml`), so an HPA aiming at 70% of it would sit at its maximum;
 * - `securityContext`: passes the Pod Security `restricted` standard: non-root as the numeric UID
 *   and GID of the podinfo image's `app` user (100/101, the values podinfo's own Timoni module
 *   uses), no privilege escalation, every capability dropped, RuntimeDefault seccomp and a
 *   read-only root filesystem (podinfo writes only to its `/data` emptyDir).
 */
export const DEFAULT_APP_VALUES: HelmValues = {
  resources: {
    requests: { cpu: "100m", memory: "64Mi" },
    limits: { cpu: "1", memory: "128Mi" },
  },
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 100,
    runAsGroup: 101,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
};

/**
 * The default per-colour values (merged OVER the app's shared values), written for the podinfo
 * chart 6.7.x:
 * - `fullnameOverride: <name>-<colour>`: the Service and Deployment are named `<name>-<colour>`,
 *   and podinfo's only selector label, `app.kubernetes.io/name`, is that full name
 *   (`templates/_helpers.tpl`), so the Service selector is fixed to the colour's pods;
 * - `image.tag`: the colour's version (the `colour` and `app.kubernetes.io/version` labels come
 *   from the post-renderer, see `colourLabels`: podinfo can set neither from values);
 * - `service.externalPort`/`service.httpPort` (podinfo): the Service on `servicePort`, the
 *   container on `targetPort`;
 * - `serviceMonitor.enabled: true` (podinfo): a ServiceMonitor per colour that scrapes `/metrics`
 *   on the `http` port; Prometheus labels each series with `service="<name>-<colour>"`, so the
 *   colours' error rates and latencies can be told apart;
 * - when an HPA manages the colour: `replicaCount` = the larger of its minReplicas and a shared
 *   `replicaCount` (Helm resets `replicas` on every upgrade; this keeps that reset at or above
 *   the autoscaler's floor) and `hpa.enabled: false` (one autoscaler per Deployment);
 * - when the construct creates the PodDisruptionBudget: `podDisruptionBudget: null` (two
 *   budgets over the same pods make every eviction fail);
 * - with a traces endpoint: tracing on, after the colour's own `extraArgs` and `extraEnvs`.
 *   podinfo 6.7.x traces only when `--otel-service-name` is set (`cmd/podinfo/main.go`,
 *   `pkg/api/http/tracer.go`), here `<name>-<colour>` so the colours' spans are told apart; its
 *   OTLP gRPC exporter (go.opentelemetry.io/otel otlptracegrpc v1.30.0) reads the collector from
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, plaintext for an `http://` URL
 *   (`internal/otlpconfig/envconfig.go`). The chart renders `extraArgs` after its own flags and
 *   `extraEnvs` after its own variables (`templates/deployment.yaml`).
 */
export const defaultColourValues: ColourValuesFunction = (_colour, version, context) => ({
  fullnameOverride: context.releaseName,
  image: { tag: version },
  service: { externalPort: context.servicePort, httpPort: context.targetPort },
  serviceMonitor: { enabled: true },
  ...(context.minReplicas !== undefined
    ? {
        replicaCount: Math.max(
          context.minReplicas,
          typeof context.values.replicaCount === "number" ? context.values.replicaCount : 0,
        ),
        hpa: { enabled: false },
      }
    : {}),
  ...(context.podDisruptionBudget ? { podDisruptionBudget: null } : {}),
  ...(context.tracesEndpoint !== undefined
    ? {
        extraArgs: [
          ...listValue(context.values.extraArgs),
          `--otel-service-name=${context.releaseName}`,
        ],
        extraEnvs: [
          ...listValue(context.values.extraEnvs),
          { name: TRACES_ENDPOINT_VARIABLE, value: context.tracesEndpoint },
        ],
      }
    : {}),
});

/** The environment variable podinfo's OTLP exporter reads the collector's address from. */
export const TRACES_ENDPOINT_VARIABLE = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

function listValue(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * The default colour selector, podinfo's: its pods, Service, ServiceMonitor and PDB select
 * `app.kubernetes.io/name: <fullname>` and nothing else (`templates/_helpers.tpl`
 * `podinfo.selectorLabels`), and the default values make the full name `<name>-<colour>`.
 */
export const defaultColourSelector: ColourSelectorFunction = (_colour, releaseName) => ({
  "app.kubernetes.io/name": releaseName,
});

/**
 * The colour selector of charts made with `helm create`: their selector labels are
 * `app.kubernetes.io/name: <chart name>` and `app.kubernetes.io/instance: <release name>`, and only
 * the release name tells the colours apart.
 */
export const releaseInstanceColourSelector: ColourSelectorFunction = (_colour, releaseName) => ({
  "app.kubernetes.io/instance": releaseName,
});

/** Props of {@link BlueGreenRelease}. */
export interface BlueGreenReleaseProps {
  /** App name (the key under `apps` in the environment file): a DNS-1035 label of at most 47 characters. */
  readonly name: string;
  /** Namespace created for the app (not `default`, not `kube-*`). */
  readonly namespace: string;
  /** Repository and name of the chart both colours install (each colour pins its version). */
  readonly chart: ChartSource;
  /** Host name the app is served on, e.g. `app.example.com`. */
  readonly host: string;
  /** Port of each colour's Service, the port the ALB forwards to. */
  readonly servicePort: number;
  /** HTTP path the ALB health-checks on both colours, e.g. `/healthz`. */
  readonly healthPath: string;
  /** Release state: stable colour, canary weight and the version of each colour. */
  readonly release: ReleaseState;
  /**
   * IPv4 CIDRs where the internet-facing ALB's network interfaces live (the VPC's public subnets):
   * the only sources admitted to the pod port, for traffic and health checks (target type ip).
   * Never the whole VPC: that would admit every pod of every namespace. Entries may be tokens.
   */
  readonly loadBalancerCidrs: readonly string[];
  /**
   * ACM certificate ARN for the HTTPS listener.
   * @default none: the AWS Load Balancer Controller discovers an ACM certificate matching `host`
   */
  readonly certificateArn?: string;
  /**
   * Annotate the Ingress with `external-dns.alpha.kubernetes.io/hostname: <host>`, so ExternalDNS
   * publishes `host` as an alias record to the ALB.
   * @default false: the host's DNS record is managed outside the platform
   */
  readonly externalDnsHostname?: boolean;
  /**
   * Values under each colour's own values (which override them key by key): the platform's
   * defaults for the chart. Pass `{}` for a chart whose values are laid out differently.
   * @default DEFAULT_APP_VALUES (realistic requests and limits, a `restricted` securityContext)
   */
  readonly defaultValues?: HelmValues;
  /**
   * Hook returning the values the platform adds over a colour's own values (deep merge; they win).
   * @default defaultColourValues (full name `<name>-<colour>`, image tag = version, ServiceMonitor)
   */
  readonly colourValues?: ColourValuesFunction;
  /**
   * Hook returning the labels that select one colour's pods (used by the PodDisruptionBudget and
   * the NetworkPolicy); must agree with the Service selector the chart renders.
   * @default defaultColourSelector (podinfo: `app.kubernetes.io/name: <name>-<colour>`)
   */
  readonly colourSelector?: ColourSelectorFunction;
  /**
   * Dotted path of the app container's CPU request in the merged values. The HPA scales on CPU
   * utilization, a percentage of this request, so autoscaling is refused without one.
   * @default "resources.requests.cpu" (podinfo and `helm create` charts)
   */
  readonly cpuRequestPath?: string;
  /** Tier: production adds a PodDisruptionBudget and an HPA per colour. @default "production" */
  readonly tier?: Tier;
  /** Create a PodDisruptionBudget (maxUnavailable 1) per colour. @default true in production, false in development */
  readonly podDisruptionBudget?: boolean;
  /** HPA per colour. @default enabled in production (2-10 replicas, 70% CPU), disabled in development */
  readonly autoscaling?: ColourAutoscaling;
  /** Port the pods listen on (ALB targets in ip mode; the NetworkPolicy opens it). @default servicePort */
  readonly targetPort?: number;
  /** Namespace of the monitoring stack, allowed to scrape the pods. @default "monitoring" */
  readonly monitoringNamespace?: string;
  /** Port the monitoring namespace may scrape. @default targetPort */
  readonly metricsPort?: number;
  /** Header that routes a request on `host` to the idle colour. @default X-Preview: "true" */
  readonly preview?: PreviewHeader;
  /** ALB TLS policy of the HTTPS listener (TLS 1.2 or newer). @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly sslPolicy?: string;
  /** Pod Security Standard enforced on the namespace (warn and audit are always `restricted`). @default "restricted" */
  readonly podSecurityStandard?: "baseline" | "restricted";
  /**
   * What must exist before the app namespace (and so everything in it), e.g. the AWS Load Balancer
   * Controller's release: its webhooks admit the app's pods (readiness gates) and the Ingress.
   * @default none
   */
  readonly dependsOn?: readonly ITerraformDependable[];
  /**
   * Label every object a colour renders, pod templates included, with `colour: <colour>` and
   * `app.kubernetes.io/version: <version>` through a Helm post-renderer
   * (`constructs/post-renderers/colour-labels.cjs`), so `kubectl get pods -L colour` tells the
   * colours apart whatever labels the chart sets. The machine that runs Terraform needs `node` on
   * its PATH and the project's installed dependencies (`npm ci`).
   * @default true
   */
  readonly colourLabels?: boolean;
  /** Helm revisions kept per release (1-100). @default 5 */
  readonly maxHistory?: number;
  /**
   * The configuration the next colour started gets (the release tool pins it in that colour's
   * entry); validated here, rendered by no colour.
   * @default {}
   */
  readonly config?: AppConfiguration;
  /**
   * Where the app's secrets are (a Secret the platform syncs from AWS Secrets Manager); each colour
   * injects the keys its entry pins (`release.<colour>.secrets`).
   * @default none: no colour may pin a secret
   */
  readonly secretsFrom?: AppSecretsSource;
  /**
   * Entries the platform adds to every colour's ConfigMap, e.g. the database connection (`PGHOST`,
   * `PGPORT`, `PGDATABASE`, `PGUSER`); values may be tokens. A colour's own config may not reuse
   * their keys.
   * @default none
   */
  readonly platformConfig?: Readonly<Record<string, string>>;
  /**
   * How the platform adds environment variables and pod annotations to the chart's values.
   * @default PODINFO_ADAPTER (podinfo 6.7.x: `extraEnvs` and `podAnnotations`)
   */
  readonly chartAdapter?: ChartAdapter;
  /** Seconds Helm waits for a release to become ready before it rolls back (1-3600). @default 600 */
  readonly timeoutSeconds?: number;
  /**
   * OTLP gRPC endpoint of the OpenTelemetry Collector (`http://host:4317`, e.g.
   * `OpenTelemetryCollector.otlpGrpcEndpoint`), handed to the colour values hook: the default
   * hook turns podinfo's tracing on with it, service name `<name>-<colour>`.
   * @default none: the colours send no traces
   */
  readonly tracesEndpoint?: string;
}

/**
 * The fields of {@link BlueGreenReleaseProps} that are validated (`loadBalancerCidrs` may be
 * unknown in the environment file).
 */
export type BlueGreenReleaseValidationInput = Omit<
  BlueGreenReleaseProps,
  "loadBalancerCidrs" | "dependsOn"
> & { readonly loadBalancerCidrs?: readonly string[] };

const EXACT_CHART_EXPECTED =
  "an exact chart version such as 6.7.1 (no ranges such as ^1, ~1, 1.x or >=1, no 'latest')";
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** An image tag that is also a Kubernetes label value (the colour's `app.kubernetes.io/version`). */
const VERSION_LABEL_VALUE = /^[A-Za-z0-9]([\w.-]{0,61}[A-Za-z0-9])?$/;

/** What a colour's `version` must be: a pinned image tag that is also a label value. */
export const PINNED_VERSION_EXPECTED =
  "a pinned image tag such as 6.7.1 that is also a label value: 1-63 letters, digits, '_', '.' and '-', starting and ending with a letter or digit, not 'latest'";

/** Whether a version is a pinned image tag usable as a label value (not `latest`). */
export function isPinnedVersion(version: unknown): boolean {
  return typeof version === "string" && VERSION_LABEL_VALUE.test(version) && version !== "latest";
}
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)(-|$)/;
const HEADER_NAME = /^[A-Za-z0-9-]{1,40}$/;

const DNS_1123_EXPECTED =
  "a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

function isInteger(value: unknown, min: number, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** Whether the tier and props turn on the HPA and PDB. */
function resolveTierDefaults(
  props: Pick<BlueGreenReleaseProps, "tier" | "autoscaling" | "podDisruptionBudget">,
) {
  const production = (props.tier ?? "production") === "production";
  return {
    autoscaling: props.autoscaling?.enabled ?? production,
    podDisruptionBudget: props.podDisruptionBudget ?? production,
  };
}

/**
 * The Helm values one colour's release gets: the platform's defaults, then the colour's own
 * values, then the platform's per-colour values. Nothing outside the colour's entry but the
 * platform's hooks goes in.
 */
function colourReleaseValues(props: BlueGreenReleaseValidationInput, colour: Colour): HelmValues {
  const defaults = resolveTierDefaults(props);
  const targetPort = props.targetPort ?? props.servicePort;
  const values = props.release[colour].values ?? {};
  const colourValues = props.colourValues ?? defaultColourValues;
  return deepMergeValues(
    deepMergeValues(props.defaultValues ?? DEFAULT_APP_VALUES, values),
    colourValues(colour, props.release[colour].version, {
      name: props.name,
      values,
      releaseName: `${props.name}-${colour}`,
      servicePort: props.servicePort,
      targetPort,
      minReplicas: defaults.autoscaling ? (props.autoscaling?.minReplicas ?? 2) : undefined,
      podDisruptionBudget: defaults.podDisruptionBudget,
      tracesEndpoint: props.tracesEndpoint,
    }),
  );
}

/** The value at a dotted path of nested objects, or undefined. */
function valueAtPath(values: HelmValues, path: string): unknown {
  let value: unknown = values;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A Kubernetes CPU quantity greater than zero: `100m`, `0.5`, `2` (or a number). */
function isPositiveCpu(value: unknown): boolean {
  if (typeof value === "number") return value > 0;
  if (typeof value !== "string" || !/^(\d+(\.\d*)?|\.\d+)m?$/.test(value)) return false;
  return parseFloat(value) > 0;
}

/** The merged values are known only when both versions are (the hooks receive them). */
function versionsKnownFor(props: BlueGreenReleaseValidationInput): boolean {
  return COLOURS.every(
    (c) =>
      typeof props.release[c]?.version === "string" &&
      (props.release[c].values === undefined || typeof props.release[c].values === "object"),
  );
}

/** The ConfigMap data of a colour: the platform's entries, then the colour's own configuration. */
function colourConfigData(
  props: Pick<BlueGreenReleaseProps, "platformConfig" | "release">,
  colour: Colour,
): Record<string, string> {
  const own = props.release[colour].config ?? {};
  return {
    ...(props.platformConfig ?? {}),
    ...Object.fromEntries(Object.entries(own).map(([k, v]) => [k, configString(v)])),
  };
}

/** The environment variables a colour's pods get from its ConfigMap and the app's Secret. */
function colourEnvironment(
  props: Pick<BlueGreenReleaseProps, "name" | "platformConfig" | "release" | "secretsFrom">,
  colour: Colour,
): EnvironmentReference[] {
  const configMap = `${props.name}-${colour}-config`;
  const fromConfig = Object.keys(colourConfigData(props, colour)).map(
    (name): EnvironmentReference => ({ name, from: { kind: "configMap", name: configMap } }),
  );
  const secretName = props.secretsFrom?.secretName ?? `${props.name}-secrets`;
  const fromSecret = (props.release[colour].secrets ?? []).map(
    (name): EnvironmentReference => ({ name, from: { kind: "secret", name: secretName } }),
  );
  return [...fromConfig, ...fromSecret];
}

/** A colour's pinned secrets exist in the app's Secret, and no variable is set twice. */
function colourEnvironmentProblems(
  props: BlueGreenReleaseValidationInput,
  colour: Colour,
): Problem[] {
  const problems: Problem[] = [];
  const entry = props.release[colour] as Partial<ColourRelease> | undefined;
  const secrets: unknown = entry?.secrets ?? [];
  if (!Array.isArray(secrets) || !secrets.every((s) => typeof s === "string")) {
    return [
      {
        field: `release.${colour}.secrets`,
        received: secrets,
        expected: "a list of secret names (environment-variable names under secrets)",
      },
    ];
  }
  const declared = props.secretsFrom?.keys ?? [];
  const config = new Set([
    ...Object.keys(props.platformConfig ?? {}),
    ...Object.keys(entry?.config ?? {}),
  ]);
  secrets.forEach((name: string, i) => {
    const at = `release.${colour}.secrets[${i}]`;
    if (!ENV_NAME.test(name))
      problems.push({ field: at, received: name, expected: ENV_NAME_EXPECTED });
    else if (!declared.includes(name)) {
      problems.push({
        field: at,
        received: name,
        expected: `a secret the app declares (${declared.length ? declared.join(", ") : "none declared"}): a colour that pins a secret no longer declared would not start; release a colour without it before removing the declaration`,
      });
    } else if (config.has(name)) {
      problems.push({
        field: at,
        received: name,
        expected: "a variable set once: the colour's configuration already sets it",
      });
    }
  });
  for (const key of Object.keys(entry?.config ?? {})) {
    if (Object.prototype.hasOwnProperty.call(props.platformConfig ?? {}, key)) {
      problems.push({
        field: `release.${colour}.config.${key}`,
        received: key,
        expected: `a key the platform does not set (it sets ${Object.keys(props.platformConfig ?? {}).join(", ")})`,
      });
    }
  }
  return problems;
}

/**
 * Every problem with blue/green release props, with field paths named as the props. Shared with
 * the environment-file validation (prefix `apps.<name>.`) so both say the same thing.
 */
export function validateBlueGreenReleaseProps(props: BlueGreenReleaseValidationInput): Problem[] {
  return checkProps(props).problems;
}

/** The problems, and each colour's merged Helm values (in COLOURS order) when both versions are known. */
function checkProps(props: BlueGreenReleaseValidationInput): {
  problems: Problem[];
  rendered: HelmValues[];
} {
  const p = new ProblemList();
  const { name, namespace } = props;

  if (!isToken(name)) {
    p.check(
      DNS_1035_LABEL.test(name),
      "name",
      name,
      "a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (it names the Services <name>-blue and <name>-green)",
    );
    const longest = `${name}-green`.length - name.length;
    p.check(
      name.length <= MAX_RELEASE_NAME - longest,
      "name",
      name,
      `at most ${MAX_RELEASE_NAME - longest} characters, so that the Helm release names <name>-blue and <name>-green have at most ${MAX_RELEASE_NAME}`,
    );
  }
  if (!isToken(namespace)) {
    p.check(DNS_LABEL.test(namespace), "namespace", namespace, DNS_1123_EXPECTED);
    p.check(
      namespace !== "default" && !namespace.startsWith("kube-"),
      "namespace",
      namespace,
      "a namespace of the app's own, not default or kube-*",
    );
  }

  const chart = props.chart;
  p.checkValue(
    chart.repository,
    (v) => /^(https:\/\/|oci:\/\/)\S+$/.test(v),
    "chart.repository",
    "an https:// or oci:// chart repository URL",
  );
  p.checkValue(
    chart.name,
    (v) => /^[a-z0-9][a-z0-9._-]*$/.test(v),
    "chart.name",
    "a chart name such as podinfo",
  );
  if (chart.version !== undefined) {
    p.checkValue(
      chart.version,
      (v) => EXACT_VERSION.test(v),
      "chart.version",
      EXACT_CHART_EXPECTED,
    );
  }

  p.checkValue(
    props.host,
    (v) => HOST_NAME.test(v),
    "host",
    "a lowercase DNS host name such as app.example.com",
  );
  const portExpected = "an integer port from 1 to 65535";
  p.check(isInteger(props.servicePort, 1, 65535), "servicePort", props.servicePort, portExpected);
  if (props.targetPort !== undefined) {
    p.check(isInteger(props.targetPort, 1, 65535), "targetPort", props.targetPort, portExpected);
  }
  if (props.metricsPort !== undefined) {
    p.check(isInteger(props.metricsPort, 1, 65535), "metricsPort", props.metricsPort, portExpected);
  }
  p.checkValue(
    props.healthPath,
    (v) => /^\/\S*$/.test(v),
    "healthPath",
    "an HTTP path starting with /",
  );
  if (props.certificateArn !== undefined && !isToken(props.certificateArn)) {
    p.check(
      ACM_CERTIFICATE_ARN.test(props.certificateArn),
      "certificateArn",
      props.certificateArn,
      "an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/...",
    );
  }
  if (props.loadBalancerCidrs !== undefined) {
    p.check(
      props.loadBalancerCidrs.length > 0,
      "loadBalancerCidrs",
      props.loadBalancerCidrs,
      "at least one CIDR: the public subnets where the ALB's interfaces live",
    );
    props.loadBalancerCidrs.forEach((cidr, i) =>
      p.checkValue(
        cidr,
        (v) => parseCidr(v) !== undefined,
        `loadBalancerCidrs[${i}]`,
        "an IPv4 CIDR block with no host bits set, such as 10.30.4.0/22 (a public subnet the ALB sends from)",
      ),
    );
  }

  const release = props.release;
  p.check(
    (COLOURS as readonly string[]).includes(release.stable),
    "release.stable",
    release.stable,
    '"blue" or "green"',
  );
  p.check(
    isInteger(release.canaryWeight, 0, 100),
    "release.canaryWeight",
    release.canaryWeight,
    "an integer from 0 to 100 (the percentage of traffic sent to the idle colour)",
  );
  for (const colour of COLOURS) {
    const version = release[colour]?.version;
    if (isToken(version)) continue;
    p.check(
      isPinnedVersion(version),
      `release.${colour}.version`,
      version,
      PINNED_VERSION_EXPECTED,
    );
    const entry = release[colour] as Partial<ColourRelease> | undefined;
    p.checkValue(
      entry?.chart,
      (v) => typeof v === "string" && EXACT_VERSION.test(v),
      `release.${colour}.chart`,
      `${EXACT_CHART_EXPECTED}: the chart version this colour runs, pinned in its own entry`,
    );
    const values = entry?.values;
    p.check(
      values === undefined ||
        (typeof values === "object" && values !== null && !Array.isArray(values)),
      `release.${colour}.values`,
      values,
      "an object of Helm values (this colour's own)",
    );
    p.addAll(configProblems(entry?.config, `release.${colour}.config`));
    p.addAll(colourEnvironmentProblems(props, colour));
  }
  p.addAll(configProblems(props.config, "config"));
  const adapter = props.chartAdapter ?? PODINFO_ADAPTER;
  if (adapter.chartEnvironment && versionsKnownFor(props)) {
    COLOURS.forEach((colour) => {
      const setByChart = adapter.chartEnvironment!(colourReleaseValues(props, colour));
      for (const variable of colourEnvironment(props, colour)) {
        if (!setByChart.includes(variable.name)) continue;
        p.check(
          false,
          `release.${colour}.${variable.from.kind === "secret" ? "secrets" : "config"}.${variable.name}`,
          variable.name,
          `a variable the ${adapter.chart} chart does not set itself (it sets ${setByChart.join(", ")} from its values: set the chart value instead)`,
        );
      }
    });
  }
  if (!adapter.withEnvironment) {
    for (const colour of COLOURS) {
      if (colourEnvironment(props, colour).length > 0) {
        p.check(
          false,
          `release.${colour}`,
          `${adapter.chart} chart`,
          `a chart adapter with an environment-variable hook: configuration, secrets and the database connection reach pods as environment variables, and the ${adapter.chart} adapter has none (pass chartAdapter)`,
        );
      }
    }
  }

  const defaults = resolveTierDefaults(props);
  const versionsKnown = versionsKnownFor(props);
  const rendered = versionsKnown ? COLOURS.map((colour) => colourReleaseValues(props, colour)) : [];
  if (defaults.autoscaling) {
    const path = props.cpuRequestPath ?? "resources.requests.cpu";
    rendered.forEach((values, i) => {
      const request = valueAtPath(values, path);
      p.check(
        isPositiveCpu(request),
        `release.${COLOURS[i]}.values.${path}`,
        request,
        "a CPU request greater than zero, such as 100m: the HPA scales on CPU utilization, a percentage of the request (or set autoscaling.enabled: false)",
      );
    });
    const scaling = props.autoscaling ?? {};
    const min = scaling.minReplicas ?? 2;
    p.check(
      isInteger(min, 2, Number.MAX_SAFE_INTEGER),
      "autoscaling.minReplicas",
      min,
      "an integer of at least 2 (one replica per colour does not survive a node drain)",
    );
    if (scaling.maxReplicas !== undefined) {
      p.check(
        isInteger(scaling.maxReplicas, Math.max(1, min), Number.MAX_SAFE_INTEGER),
        "autoscaling.maxReplicas",
        scaling.maxReplicas,
        `an integer of at least autoscaling.minReplicas (${min})`,
      );
    }
    if (scaling.targetCpuUtilization !== undefined) {
      p.check(
        isInteger(scaling.targetCpuUtilization, 1, 100),
        "autoscaling.targetCpuUtilization",
        scaling.targetCpuUtilization,
        "an integer percentage from 1 to 100",
      );
    }
  }

  if (!isToken(name)) {
    const selector = props.colourSelector ?? defaultColourSelector;
    const [blue, green] = COLOURS.map((colour) => selector(colour, `${name}-${colour}`));
    p.check(
      Object.keys(blue).length > 0 && JSON.stringify(blue) !== JSON.stringify(green),
      "colourSelector",
      { blue, green },
      "non-empty labels that differ between the colours (one colour's PDB, HPA and NetworkPolicy must never select the other colour's pods)",
    );
  }

  if ((props.podSecurityStandard ?? "restricted") === "restricted" && rendered.length > 0) {
    // Pods the namespace would reject make every install time out and roll back: say so now.
    rendered.forEach((values, i) => {
      if (values.securityContext === undefined) return;
      for (const problem of restrictedProblems(values.securityContext, values.podSecurityContext)) {
        p.check(
          false,
          `release.${COLOURS[i]}.values.${problem.field}`,
          problem.received,
          `${problem.expected}; or set podSecurityStandard: baseline`,
        );
      }
    });
  }

  if (props.monitoringNamespace !== undefined && !isToken(props.monitoringNamespace)) {
    p.check(
      DNS_LABEL.test(props.monitoringNamespace),
      "monitoringNamespace",
      props.monitoringNamespace,
      DNS_1123_EXPECTED,
    );
  }
  if (props.preview?.header !== undefined) {
    p.check(
      HEADER_NAME.test(props.preview.header),
      "preview.header",
      props.preview.header,
      "an HTTP header name of 1-40 letters, digits and '-' (the ALB limit)",
    );
  }
  if (props.preview?.value !== undefined) {
    p.check(
      props.preview.value.length >= 1 && props.preview.value.length <= 128,
      "preview.value",
      props.preview.value,
      "a header value of 1-128 characters (the ALB limit)",
    );
  }
  if (props.sslPolicy !== undefined) {
    p.check(
      TLS12_POLICY.test(props.sslPolicy),
      "sslPolicy",
      props.sslPolicy,
      `an ELB security policy that allows only TLS 1.2 or newer, such as ${DEFAULT_SSL_POLICY}`,
    );
  }
  if (props.maxHistory !== undefined) {
    p.check(
      isInteger(props.maxHistory, 1, 100),
      "maxHistory",
      props.maxHistory,
      "an integer from 1 to 100 (0 would keep every revision)",
    );
  }
  if (props.tracesEndpoint !== undefined) {
    p.checkValue(
      props.tracesEndpoint,
      (v) => typeof v === "string" && /^https?:\/\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(v),
      "tracesEndpoint",
      "an OTLP gRPC endpoint URL such as http://opentelemetry-collector.monitoring.svc.cluster.local:4317 (http:// sends plaintext)",
    );
  }
  if (props.timeoutSeconds !== undefined) {
    p.check(
      isInteger(props.timeoutSeconds, 1, 3600),
      "timeoutSeconds",
      props.timeoutSeconds,
      "an integer number of seconds from 1 to 3600",
    );
  }
  return { problems: [...p.problems], rendered };
}

/** The route that reaches the idle colour before it gets production traffic. */
export interface PreviewRoute {
  /** Host name (the app's host). */
  readonly host: string;
  /** Header name to send. */
  readonly header: string;
  /** Header value to send. */
  readonly value: string;
}

/**
 * One app released blue/green: its own namespace (pod readiness gates on), two pinned Helm
 * releases `<name>-blue` and `<name>-green` that each render a Service with a selector fixed to
 * their colour, and one ALB Ingress that splits traffic between the two Services by weight
 * (both always listed, so the idle colour stays health-checked) plus a header-matched preview
 * route to the idle colour. Ingress to the pods is denied except from the VPC (the ALB) and the
 * monitoring namespace. Production adds a PodDisruptionBudget and an HPA per colour.
 *
 * A release step changes one thing: a new version changes only that colour's `helm_release`;
 * a traffic shift or promotion changes only the Ingress annotations.
 */
export class BlueGreenRelease extends Construct {
  /** The app name. */
  readonly name: string;
  /** Host name the app is served on. */
  readonly host: string;
  /** Name of the app namespace. */
  readonly namespace: string;
  /** The namespace resource (depend on it to create more things in the namespace). */
  readonly namespaceResource: NamespaceV1;
  /** The colour serving production traffic. */
  readonly stableColour: Colour;
  /** The other colour: where a new version is started and previewed. */
  readonly idleColour: Colour;
  /** Percentage of production traffic per colour (sums to 100). */
  readonly weights: { readonly blue: number; readonly green: number };
  /** How to reach the idle colour: send `header: value` to `host`. */
  readonly previewRoute: PreviewRoute;
  /** Helm release (and the chart's Service and Deployment) name per colour: `<name>-<colour>`. */
  readonly releaseNames: Record<Colour, string>;
  /** Name of the Service the ALB targets per colour: `<name>-<colour>-alb`. */
  readonly serviceNames: Record<Colour, string>;
  /** The platform-owned Service the ALB targets, per colour (selects the colour's pods). */
  readonly services: Record<Colour, ServiceV1>;
  /** The Helm release per colour. */
  readonly releases: Record<Colour, Release>;
  /** The ALB Ingress. */
  readonly ingress: IngressV1;
  /** Host name of the ALB, once the controller has provisioned it. */
  readonly loadBalancerHostname: string;
  /** The ConfigMap `<name>-<colour>-config` per colour that has configuration. */
  readonly configMaps: Partial<Record<Colour, ConfigMapV1>>;
  /** PodDisruptionBudget per colour (empty when turned off). */
  readonly podDisruptionBudgets: Partial<Record<Colour, PodDisruptionBudgetV1>>;
  /** HPA per colour (empty when autoscaling is off). */
  readonly autoscalers: Partial<Record<Colour, HorizontalPodAutoscalerV2>>;

  constructor(scope: Construct, id: string, props: BlueGreenReleaseProps) {
    super(scope, id);
    const { problems, rendered } = checkProps(props);
    throwIfProblems(this, problems);

    const { name, servicePort } = props;
    const defaults = resolveTierDefaults(props);
    const targetPort = props.targetPort ?? servicePort;
    const metricsPort = props.metricsPort ?? targetPort;
    const monitoringNamespace = props.monitoringNamespace ?? "monitoring";
    const header = props.preview?.header ?? "X-Preview";
    const headerValue = props.preview?.value ?? "true";
    const colourSelector = props.colourSelector ?? defaultColourSelector;
    const minReplicas = props.autoscaling?.minReplicas ?? 2;
    const maxReplicas = props.autoscaling?.maxReplicas ?? Math.max(10, minReplicas);
    const partOf = { "app.kubernetes.io/part-of": name };

    this.name = name;
    this.host = props.host;
    this.namespace = props.namespace;
    this.stableColour = props.release.stable;
    this.idleColour = otherColour(props.release.stable);
    this.weights = colourWeights(props.release);
    this.previewRoute = { host: props.host, header, value: headerValue };
    this.releaseNames = { blue: `${name}-blue`, green: `${name}-green` };
    this.serviceNames = { blue: `${name}-blue-alb`, green: `${name}-green-alb` };

    const podSecurity = props.podSecurityStandard ?? "restricted";
    this.namespaceResource = new NamespaceV1(this, "namespace", {
      metadata: {
        name: props.namespace,
        labels: {
          ...partOf,
          // The AWS Load Balancer Controller injects readiness gates: a pod is Ready only once
          // the ALB target group sees it healthy, so `wait` and rolling updates honour the ALB.
          "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
          "pod-security.kubernetes.io/enforce": podSecurity,
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
    const namespace = this.namespaceResource.metadata.name;

    // Deny all ingress to the namespace; each colour then admits only the ALB and monitoring.
    const defaultDeny = new NetworkPolicyV1(this, "network-policy-default-deny", {
      metadata: { name: "default-deny-ingress", namespace, labels: partOf },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });

    // Per colour, before any pod exists: the NetworkPolicy admitting the ALB and monitoring, and
    // the Service the ALB targets (platform-owned, selecting the colour's pods), so the Ingress
    // and its target groups can exist before the first pod is created.
    const allowPolicies = {} as Record<Colour, NetworkPolicyV1>;
    this.services = {} as Record<Colour, ServiceV1>;
    for (const colour of COLOURS) {
      const releaseName = this.releaseNames[colour];
      const selector = colourSelector(colour, releaseName);
      const labels = { ...partOf, colour };

      allowPolicies[colour] = new NetworkPolicyV1(this, `network-policy-allow-${colour}`, {
        metadata: { name: `${releaseName}-allow-alb-and-monitoring`, namespace, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [
            {
              // ALB targets are pod IPs (target type ip): traffic and health checks come from
              // the load balancer's interfaces, which live in the public subnets only.
              from: props.loadBalancerCidrs.map((cidr) => ({ ipBlock: { cidr } })),
              ports: [{ port: String(targetPort), protocol: "TCP" }],
            },
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": monitoringNamespace },
                  },
                },
              ],
              ports: [{ port: String(metricsPort), protocol: "TCP" }],
            },
          ],
        },
      });
      this.services[colour] = new ServiceV1(this, `alb-service-${colour}`, {
        metadata: { name: this.serviceNames[colour], namespace, labels },
        spec: {
          type: "ClusterIP",
          selector,
          port: [
            { name: "http", port: servicePort, targetPort: String(targetPort), protocol: "TCP" },
          ],
        },
      });
    }

    const prefix = "alb.ingress.kubernetes.io";
    const backend = (action: string) => ({
      path: "/",
      pathType: "Prefix",
      backend: { service: { name: action, port: { name: "use-annotation" } } },
    });

    this.ingress = new IngressV1(this, "ingress", {
      metadata: {
        name,
        namespace,
        labels: partOf,
        annotations: {
          [`${prefix}/scheme`]: "internet-facing",
          [`${prefix}/target-type`]: "ip",
          [`${prefix}/listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
          [`${prefix}/ssl-redirect`]: "443",
          [`${prefix}/ssl-policy`]: props.sslPolicy ?? DEFAULT_SSL_POLICY,
          ...(props.certificateArn ? { [`${prefix}/certificate-arn`]: props.certificateArn } : {}),
          ...(props.externalDnsHostname
            ? { "external-dns.alpha.kubernetes.io/hostname": props.host }
            : {}),
          [`${prefix}/healthcheck-path`]: props.healthPath,
          [`${prefix}/load-balancer-attributes`]:
            "routing.http.drop_invalid_header_fields.enabled=true",
          // weighted action over both colours, preview action to the idle colour
          ...trafficAnnotations(name, servicePort, props.release),
          [`${prefix}/conditions.${PREVIEW_ACTION_NAME}`]: JSON.stringify([
            {
              field: "http-header",
              httpHeaderConfig: { httpHeaderName: header, values: [headerValue] },
            },
          ]),
        },
      },
      spec: {
        ingressClassName: "alb",
        tls: [{ hosts: [props.host] }],
        rule: [
          {
            host: props.host,
            // Listed first: the preview rule gets the higher ALB priority, so the header wins.
            http: { path: [backend(PREVIEW_ACTION_NAME), backend(WEIGHTED_ACTION_NAME)] },
          },
        ],
      },
      // The ALB, its listeners and empty target groups exist before any pod (the colours'
      // releases depend on this Ingress).
      waitForLoadBalancer: true,
      dependsOn: COLOURS.map((colour) => this.services[colour]),
    });
    this.releases = {} as Record<Colour, Release>;
    this.configMaps = {};
    this.podDisruptionBudgets = {};
    this.autoscalers = {};
    const adapter = props.chartAdapter ?? PODINFO_ADAPTER;
    for (const colour of COLOURS) {
      const releaseName = this.releaseNames[colour];
      const selector = colourSelector(colour, releaseName);
      const labels = { ...partOf, colour };
      let values = rendered[COLOURS.indexOf(colour)];
      const data = colourConfigData(props, colour);
      const dependsOnConfig: ConfigMapV1[] = [];
      if (Object.keys(data).length > 0) {
        const configMap = new ConfigMapV1(this, `config-${colour}`, {
          metadata: { name: `${releaseName}-config`, namespace, labels },
          data,
        });
        this.configMaps[colour] = configMap;
        dependsOnConfig.push(configMap);
        // A new checksum changes the pod template, so a config change rolls this colour's pods.
        values = adapter.withPodAnnotations(values, {
          "checksum/config": Fn.sha256(Fn.jsonencode(configMap.data)),
        });
      }
      const environment = colourEnvironment(props, colour);
      if (environment.length > 0) values = adapter.withEnvironment!(values, environment);
      const release = new Release(this, `release-${colour}`, {
        name: releaseName,
        namespace,
        createNamespace: false,
        repository: props.chart.repository,
        chart: props.chart.name,
        version: props.release[colour].chart,
        values: [renderValues(values)],
        postrender:
          props.colourLabels === false
            ? undefined
            : colourPostRenderer(this, colour, props.release[colour].version),
        // A failed install or upgrade rolls back by itself and removes what it created.
        atomic: true,
        wait: true,
        cleanupOnFail: true,
        maxHistory: props.maxHistory ?? 5,
        timeout: props.timeoutSeconds ?? 600,
        // The Ingress first: its TargetGroupBindings must exist when the pods are created, or
        // the load balancer controller injects no readiness gates into them.
        dependsOn: [defaultDeny, allowPolicies[colour], this.ingress, ...dependsOnConfig],
      });
      this.releases[colour] = release;

      if (defaults.podDisruptionBudget) {
        this.podDisruptionBudgets[colour] = new PodDisruptionBudgetV1(
          this,
          `pod-disruption-budget-${colour}`,
          {
            metadata: { name: releaseName, namespace, labels },
            spec: { maxUnavailable: "1", selector: { matchLabels: selector } },
          },
        );
      }
      if (defaults.autoscaling) {
        this.autoscalers[colour] = new HorizontalPodAutoscalerV2(this, `autoscaler-${colour}`, {
          metadata: { name: releaseName, namespace, labels },
          spec: {
            minReplicas,
            maxReplicas,
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: releaseName },
            metric: [
              {
                type: "Resource",
                resource: {
                  name: "cpu",
                  target: {
                    type: "Utilization",
                    averageUtilization: props.autoscaling?.targetCpuUtilization ?? 70,
                  },
                },
              },
            ],
          },
          dependsOn: [release],
        });
      }
    }

    this.loadBalancerHostname = this.ingress.status
      .get(0)
      .loadBalancer.get(0)
      .ingress.get(0).hostname;
  }

  /**
   * Makes both colours' Helm releases wait for more resources, e.g. service accounts the pods
   * run as (their IRSA annotation must be there when the first pod is admitted).
   */
  waitFor(...dependencies: ITerraformDependable[]): void {
    for (const colour of COLOURS) {
      const release = this.releases[colour];
      release.dependsOn = [...(release.dependsOn ?? []), ...dependencies.map((d) => dependable(d))];
    }
  }
}
