import { Construct } from "constructs";
import { dependable, type ITerraformDependable } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { addonRelease, checkChartVersion } from "./private/addon-release";
import type { HelmValues } from "./private/helm-values";
import { FLUENT_BIT_SERVICE_ACCOUNT, LOGGING_NAMESPACE } from "./private/log-names";
import { MERGED_LOG_KEY, PODINFO_LOG } from "./private/log-store-bootstrap";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";

/** The pinned chart: aws-for-fluent-bit 0.2.0 (aws/eks-charts) installs AWS for Fluent Bit 3.2.1. */
export const LOG_COLLECTOR_CHART_VERSION = "0.2.0";
/** The image the chart version runs (its values.yaml `image.tag`), made explicit. */
export const LOG_COLLECTOR_IMAGE = {
  repository: "public.ecr.aws/aws-observability/aws-for-fluent-bit",
  tag: "3.2.1",
} as const;

/** The pod label the platform's post-renderer sets on every object of a colour (colour-labels.cjs). */
export const COLOUR_LABEL = "colour";

/**
 * The Lua filter that adds `namespace`, `app` and `colour` to each record from the Kubernetes
 * metadata, and lifts podinfo's `level`, `msg` and `ts` from the parsed JSON line to the top
 * (where the index template maps them). The app is the pod's `app.kubernetes.io/name` label
 * without its `-<colour>` suffix (podinfo renders `<app>-<colour>`), else its `app` label, else
 * the container name.
 */
export const ENRICH_LUA = `function enrich(tag, timestamp, record)
  local k = record["kubernetes"]
  if k == nil then return 0, timestamp, record end
  local labels = k["labels"] or {}
  local colour = labels["${COLOUR_LABEL}"]
  local app = labels["app.kubernetes.io/name"] or labels["app"] or k["container_name"]
  if app ~= nil and colour ~= nil then
    local suffix = "-" .. colour
    if #app > #suffix and string.sub(app, -#suffix) == suffix then
      app = string.sub(app, 1, #app - #suffix)
    end
  end
  record["namespace"] = k["namespace_name"]
  record["app"] = app
  record["colour"] = colour
  local data = record["${MERGED_LOG_KEY}"]
  if type(data) == "table" then
    for _, key in ipairs({"${PODINFO_LOG.level}", "${PODINFO_LOG.message}", "${PODINFO_LOG.time}"}) do
      if data[key] ~= nil then
        record[key] = data[key]
        data[key] = nil
      end
    end
  end
  return 2, timestamp, record
end`;

/** Props of {@link LogCollector}. */
export interface LogCollectorProps {
  /** The environment's name: indexes are `logs-<env>-YYYY.MM.DD`. */
  readonly environmentName: string;
  /** HTTPS endpoint host of the OpenSearch domain (may be a token). */
  readonly endpoint: string;
  /** AWS region of the domain (SigV4). */
  readonly region: string;
  /** IRSA role of Fluent Bit's service account (`logging/fluent-bit`): bulk writes to `logs-<env>-*` only. */
  readonly roleArn: string;
  /** Chart version (exact). @default LOG_COLLECTOR_CHART_VERSION */
  readonly chartVersion?: string;
  /** What must exist first (e.g. the bootstrap Job's templates and role mappings). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Every problem with log collector props, with field paths named as the props. */
export function validateLogCollectorProps(props: LogCollectorProps): Problem[] {
  const p = new ProblemList();
  checkChartVersion(p, props.chartVersion);
  p.checkValue(
    props.environmentName,
    (v) => /^[a-z][a-z0-9-]{0,19}$/.test(v),
    "environmentName",
    "an environment name: 1-20 lowercase letters, digits and '-', letter first",
  );
  return [...p.problems];
}

/** The chart values: what the test checks against the chart's values.yaml. */
export function logCollectorValues(props: LogCollectorProps): HelmValues {
  return {
    image: { ...LOG_COLLECTOR_IMAGE },
    serviceAccount: {
      create: true,
      name: FLUENT_BIT_SERVICE_ACCOUNT.name,
      annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
    },
    // the chart's default output; the logs go to OpenSearch only
    cloudWatchLogs: { enabled: false },
    input: { enabled: true, tag: "kube.*", path: "/var/log/containers/*.log" },
    filter: {
      enabled: true,
      match: "kube.*",
      // a JSON line (podinfo's) is parsed into `data`; a plain line stays in `log`
      mergeLog: "On",
      mergeLogKey: MERGED_LOG_KEY,
      keepLog: "Off",
      k8sLoggingParser: "On",
      k8sLoggingExclude: "On",
    },
    additionalFilters: [
      "[FILTER]",
      "    Name   lua",
      "    Match  kube.*",
      "    call   enrich",
      `    code   ${ENRICH_LUA.replace(/\n\s*/g, " ")}`,
    ].join("\n"),
    opensearch: {
      enabled: true,
      match: "kube.*",
      host: props.endpoint,
      port: "443",
      tls: "On",
      awsRegion: props.region,
      awsAuth: "On",
      // one index per environment and day: logs-<env>-YYYY.MM.DD
      logstashFormat: "On",
      logstashPrefix: `logs-${props.environmentName}`,
      logstashDateFormat: "%Y.%m.%d",
      timeKey: "@timestamp",
      suppressTypeName: "On",
      replaceDots: "On",
      traceError: "On",
      writeOperation: "create",
    },
    podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
    // root reads the node's root-owned container logs (hostPath); nothing else is granted
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    priorityClassName: "system-node-critical",
    // on every node, tainted ones included: a node's logs are collected wherever pods run
    tolerations: [{ operator: "Exists" }],
  };
}

/**
 * Fluent Bit (AWS for Fluent Bit, chart aws-for-fluent-bit from eks-charts, pinned) as a
 * DaemonSet in the `logging` namespace: tails every container's log, adds the Kubernetes
 * metadata, parses JSON lines (podinfo's `level`, `msg`, `ts`), adds the namespace, app and
 * colour, and bulk-indexes into the environment's OpenSearch domain with SigV4 as its IRSA role,
 * one index per day (`logs-<env>-YYYY.MM.DD`). The namespace also holds the log store's
 * bootstrap Job; nothing in it serves traffic (default-deny ingress).
 */
export class LogCollector extends Construct {
  /** The `logging` namespace. */
  readonly namespaceResource: NamespaceV1;
  /** Its name. */
  readonly namespace: string;
  /** The Helm release. */
  readonly release: Release;
  /** The chart version installed. */
  readonly chartVersion: string;
  /** The rendered values. */
  readonly values: HelmValues;

  constructor(scope: Construct, id: string, props: LogCollectorProps) {
    super(scope, id);
    throwIfProblems(this, validateLogCollectorProps(props));
    this.chartVersion = props.chartVersion ?? LOG_COLLECTOR_CHART_VERSION;
    const labels = { "app.kubernetes.io/part-of": "platform-logging" };
    this.namespaceResource = new NamespaceV1(this, "namespace", {
      metadata: {
        name: LOGGING_NAMESPACE,
        labels: { ...labels, "pod-security.kubernetes.io/enforce": "privileged" },
      },
    });
    suppressPolicy(this.namespaceResource, {
      rule: "k8s-namespace-pod-security",
      reason:
        "Fluent Bit reads every container's log from the node (hostPath /var/log), which only the privileged Pod Security level admits; the namespace holds Fluent Bit and the log store's bootstrap Job (restricted-compliant) only.",
    });
    this.namespace = this.namespaceResource.metadata.name;
    new NetworkPolicyV1(this, "network-policy-default-deny", {
      metadata: { name: "default-deny-ingress", namespace: this.namespace, labels },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });

    this.values = logCollectorValues(props);
    this.release = addonRelease(this, "release", {
      name: "fluent-bit",
      repository: "https://aws.github.io/eks-charts",
      chart: "aws-for-fluent-bit",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 300,
      values: this.values,
    });
    this.release.dependsOn = [this.namespaceResource, ...(props.dependsOn ?? [])].map((d) => d.fqn);
    suppressPolicy(
      this.release,
      {
        rule: "k8s-hpa-in-production",
        reason: "A DaemonSet: one Fluent Bit per node, scaled by the node count, not by an HPA.",
      },
      {
        rule: "k8s-pdb-in-production",
        reason:
          "A DaemonSet's pods are bound to their nodes: a drain removes the node's pod with the node, and a PDB would only block the drain.",
      },
    );
  }

  /** Makes the release wait for `dependency` (e.g. the bootstrap Job that creates the templates and roles). */
  waitFor(dependency: ITerraformDependable): void {
    this.release.dependsOn = [...(this.release.dependsOn ?? []), dependable(dependency)];
  }
}
