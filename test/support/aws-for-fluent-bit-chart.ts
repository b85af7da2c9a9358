/**
 * What the aws-for-fluent-bit chart 0.2.0 (aws/eks-charts, `stable/aws-for-fluent-bit` at commit
 * 2942cdc, "Upgrade aws-for-fluent-bit chart to v0.2.0 (AWS for Fluent Bit 3.2.1)") reads from its
 * values and renders into `fluent-bit.conf`, reduced to what the platform relies on. The chart
 * ships no values.schema.json, so its values.yaml keys are the contract. Each function names the
 * template it follows; the chart's code is not copied here. Checked against `helm template` of the
 * chart at that commit (Helm v3.17.2) with the platform's values (see the closing note of issue 17).
 */

/** The chart version these facts come from. */
export const AWS_FOR_FLUENT_BIT_CHART_VERSION = "0.2.0";

/**
 * The keys of `values.yaml`, with the sub-keys of the sections the platform sets; a key the
 * templates read that values.yaml only documents in a comment is listed too (`additionalFilters`,
 * `priorityClassName`: configmap.yaml and daemonset.yaml read them).
 */
export const VALUES_KEYS: Record<string, readonly string[] | null> = {
  global: null,
  image: ["repository", "tag", "pullPolicy"],
  imagePullSecrets: null,
  nameOverride: null,
  fullnameOverride: null,
  podSecurityContext: null,
  containerSecurityContext: null,
  rbac: ["pspEnabled"],
  service: ["extraService", "parsersFiles", "extraParsers"],
  input: [
    "enabled",
    "tag",
    "path",
    "db",
    "parser",
    "dockerMode",
    "multilineParser",
    "memBufLimit",
    "skipLongLines",
    "refreshInterval",
    "extraInputs",
  ],
  additionalInputs: null,
  filter: [
    "enabled",
    "match",
    "kubeURL",
    "mergeLog",
    "mergeLogKey",
    "keepLog",
    "k8sLoggingParser",
    "k8sLoggingExclude",
    "bufferSize",
    "extraFilters",
  ],
  additionalFilters: null,
  cloudWatch: null,
  cloudWatchLogs: null,
  firehose: null,
  kinesis: null,
  kinesis_streams: null,
  elasticsearch: null,
  s3: null,
  opensearch: [
    "enabled",
    "match",
    "host",
    "port",
    "tls",
    "path",
    "bufferSize",
    "pipeline",
    "awsRegion",
    "awsAuth",
    "awsStsEndpoint",
    "awsRoleArn",
    "awsExternalId",
    "awsServiceName",
    "httpUser",
    "httpPasswd",
    "index",
    "type",
    "logstashFormat",
    "logstashPrefix",
    "logstashDateFormat",
    "timeKey",
    "timeKeyFormat",
    "timeKeyNanos",
    "includeTagKey",
    "tagKey",
    "generateId",
    "idKey",
    "writeOperation",
    "replaceDots",
    "traceOutput",
    "traceError",
    "currentTimeIndex",
    "logstashPrefixKey",
    "suppressTypeName",
    "extraOutputs",
  ],
  additionalOutputs: null,
  serviceAccount: ["create", "annotations", "name"],
  resources: null,
  priorityClassName: null,
  updateStrategy: null,
  nodeSelector: null,
  tolerations: null,
  affinity: null,
  annotations: null,
  hostNetwork: null,
  dnsPolicy: null,
  env: null,
  volumes: null,
  volumeMounts: null,
  livenessProbe: null,
  readinessProbe: null,
  serviceMonitor: null,
};

/** The defaults of values.yaml the platform's values interact with. */
export const DEFAULT_VALUES = {
  image: { repository: "public.ecr.aws/aws-observability/aws-for-fluent-bit", tag: "3.2.1" },
  cloudWatchLogs: { enabled: true },
  opensearch: { enabled: false, index: "aws-fluent-bit", logstashFormat: "off" },
  // values.yaml `volumes`: hostPath /var/log (and /var/lib/docker/containers), mounted by daemonset.yaml
  hostPathVolumes: ["/var/log", "/var/lib/docker/containers"],
} as const;

type Values = Record<string, any>;

/**
 * The `[FILTER]` kubernetes, the additional filters and the `[OUTPUT]` opensearch sections of
 * `fluent-bit.conf` as templates/configmap.yaml renders them (each line `Key Value`, a key only
 * when its value is set).
 */
export function renderedFluentBitConf(values: Values): string {
  const lines: string[] = [];
  const f = values.filter ?? {};
  if (f.enabled) {
    lines.push("[FILTER]", "Name kubernetes", `Match ${f.match}`, `Merge_Log ${f.mergeLog}`);
    if (f.mergeLogKey) lines.push(`Merge_Log_Key ${f.mergeLogKey}`);
    lines.push(
      `Keep_Log ${f.keepLog}`,
      `K8S-Logging.Parser ${f.k8sLoggingParser}`,
      `K8S-Logging.Exclude ${f.k8sLoggingExclude}`,
    );
  }
  if (values.additionalFilters)
    lines.push(
      ...String(values.additionalFilters)
        .split("\n")
        .map((l) => l.trim()),
    );
  const o = values.opensearch ?? {};
  if (o.enabled) {
    lines.push("[OUTPUT]", "Name opensearch", `Match ${o.match}`);
    const keys: [string, string][] = [
      ["awsRegion", "AWS_Region"],
      ["awsAuth", "AWS_Auth"],
      ["host", "Host"],
      ["port", "Port"],
      ["tls", "tls"],
      ["awsRoleArn", "AWS_Role_ARN"],
      ["logstashFormat", "Logstash_Format"],
      ["logstashPrefix", "Logstash_Prefix"],
      ["logstashDateFormat", "Logstash_DateFormat"],
      ["timeKey", "Time_Key"],
      ["writeOperation", "Write_Operation"],
      ["replaceDots", "Replace_Dots"],
      ["traceError", "Trace_Error"],
      ["suppressTypeName", "Suppress_Type_Name"],
    ];
    for (const [key, name] of keys) if (o[key]) lines.push(`${name} ${o[key]}`);
  }
  return lines.join("\n");
}

/** The service account's name and annotations (templates/serviceaccount.yaml, _helpers.tpl serviceAccountName). */
export function renderedServiceAccount(
  values: Values,
  releaseName: string,
): { name: string; annotations: Record<string, string> } | undefined {
  const sa = values.serviceAccount ?? {};
  if (sa.create === false) return undefined;
  return {
    name: sa.name || `${releaseName}-aws-for-fluent-bit`,
    annotations: sa.annotations ?? {},
  };
}
