/** The public API of the construct library. */
export * from "./types";
export * from "./kubernetes-versions";
export { EncryptionKey, type EncryptionKeyProps } from "./encryption-key";
export {
  Network,
  validateNetworkProps,
  INTERFACE_ENDPOINT_SERVICES,
  type NetworkProps,
  type InterfaceEndpointService,
  type SubnetPrefixLengths,
  type SubnetTier,
} from "./network";
export { ValidationError, type Problem } from "./private/validation";
export type { PolicyStatement } from "./private/iam";
export {
  KubernetesCluster,
  validateKubernetesClusterProps,
  MANAGED_ADDONS,
  CONTROL_PLANE_LOG_TYPES,
  CLUSTER_AUTOSCALER_LABEL_TAG_PREFIX,
  type KubernetesClusterProps,
  type NodeGroupOptions,
  type ManagedAddon,
} from "./kubernetes-cluster";
export {
  ContainerRegistry,
  validateContainerRegistryProps,
  type ContainerRegistryProps,
} from "./container-registry";
export {
  Database,
  validateDatabaseProps,
  type DatabaseProps,
  type DatabaseValidationInput,
} from "./database";
export {
  BlueGreenRelease,
  validateBlueGreenReleaseProps,
  COLOURS,
  colourWeights,
  otherColour,
  trafficAnnotations,
  WEIGHTED_ACTION_ANNOTATION,
  PREVIEW_ACTION_ANNOTATION,
  defaultColourValues,
  TRACES_ENDPOINT_VARIABLE,
  defaultColourSelector,
  releaseInstanceColourSelector,
  DEFAULT_APP_VALUES,
  type BlueGreenReleaseProps,
  type Colour,
  type ReleaseState,
  type TrafficState,
  type ColourValuesFunction,
  type ColourSelectorFunction,
  type PreviewRoute,
  type HelmValues,
  type ColourRelease,
  type AppSecretsSource,
  type AppConfiguration,
  type ConfigValue,
  type ChartAdapter,
  type EnvironmentReference,
  PODINFO_ADAPTER,
  HELM_CREATE_ADAPTER,
  secretLikeness,
} from "./blue-green-release";
export {
  DatabaseAccess,
  databaseRoles,
  migratorServiceAccount,
  DATABASE_ENVIRONMENT_KEYS,
  type DatabaseAccessProps,
} from "./database-access";
export {
  StaticSite,
  validateStaticSiteProps,
  PRICE_CLASSES,
  type StaticSiteProps,
  type PriceClass,
} from "./static-site";
export {
  Alarms,
  validateAlarmsProps,
  type AlarmsProps,
  type IDatabaseMetrics,
  type IDistributionMetrics,
  type DatabaseAlarmOptions,
  type DistributionAlarmOptions,
  ALARM_SEVERITIES,
} from "./alarms";
export {
  AlarmForwarder,
  validateAlarmForwarderProps,
  ALARM_FORWARDER_CODE_DIRECTORY,
  type AlarmForwarderProps,
  type AlarmForwarderTarget,
  type AlarmForwarderTopic,
} from "./alarm-forwarder";
export {
  LoadBalancerController,
  validateLoadBalancerControllerProps,
  LOAD_BALANCER_CONTROLLER_CHART_VERSION,
  LOAD_BALANCER_CONTROLLER_CRDS,
  LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
  type LoadBalancerControllerProps,
} from "./load-balancer-controller";
export {
  ClusterAutoscaler,
  validateClusterAutoscalerProps,
  CLUSTER_AUTOSCALER_ARGS,
  CLUSTER_AUTOSCALER_CHART_VERSION,
  CLUSTER_AUTOSCALER_IMAGE_TAGS,
  CLUSTER_AUTOSCALER_SERVICE_ACCOUNT,
  type ClusterAutoscalerProps,
} from "./cluster-autoscaler";
export {
  MetricsServer,
  validateMetricsServerProps,
  type MetricsServerProps,
} from "./metrics-server";
export {
  Monitoring,
  validateMonitoringProps,
  MONITORING_CHART_VERSION,
  ALERTMANAGER_SERVICE_ACCOUNT_NAME,
  ALERTMANAGER_SECRETS_PATH,
  RECEIVER_SECRET_NAME,
  RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME,
  RECEIVER_NAMES,
  alertReceiverSecret,
  type MonitoringProps,
  type AlertReceiver,
  type AlertReceivers,
  type ReceiverName,
  type ReceiverSecrets,
  type SnsAlertReceiver,
  type WebhookAlertReceiver,
  type PagerDutyAlertReceiver,
  type SlackAlertReceiver,
  type EmailAlertReceiver,
  type SmtpSettings,
} from "./monitoring";
export {
  Dashboards,
  DASHBOARD_LABEL,
  DATASOURCE_LABEL,
  FOLDER_ANNOTATION,
  BUNDLED_DASHBOARDS_FOLDER,
  MAX_CONFIG_MAP_BYTES,
  type DashboardsProps,
  type DashboardApp,
  type DashboardGate,
  type DashboardsCloudWatch,
  type ShippedDashboard,
} from "./dashboards";
export { GRAFANA_SERVICE_ACCOUNT_NAME } from "./monitoring";
export { cloudWatchReadPolicy, CLOUDWATCH_READ_ACTIONS } from "./private/cloudwatch-read-policy";
export {
  DnsValidatedCertificate,
  validateDnsValidatedCertificateProps,
  VALIDATION_RECORD_TTL_SECONDS,
  type DnsValidatedCertificateProps,
  type DnsValidatedCertificateValidationInput,
} from "./dns-validated-certificate";
export {
  ExternalDns,
  validateExternalDnsProps,
  EXTERNAL_DNS_CHART_VERSION,
  EXTERNAL_DNS_SERVICE_ACCOUNT,
  type ExternalDnsProps,
  type ExternalDnsPolicy,
  type ExternalDnsValidationInput,
} from "./external-dns";
export {
  clusterAutoscalerPolicy,
  externalDnsPolicy,
  loadBalancerControllerPolicy,
  LOAD_BALANCER_CONTROLLER_POLICY_VERSION,
  secretsReadPolicy,
  snsPublishPolicy,
  type ClusterAutoscalerPolicyScope,
  type SecretsReadTarget,
  type SnsPublishTarget,
} from "./private/addon-policies";
export {
  ExternalSecretsOperator,
  validateExternalSecretsOperatorProps,
  testedKubernetesVersions,
  EXTERNAL_SECRETS_API_VERSION,
  EXTERNAL_SECRETS_CHART_VERSION,
  EXTERNAL_SECRETS_SERVICE_ACCOUNT,
  EXTERNAL_SECRETS_TESTED_KUBERNETES_VERSIONS,
  type ExternalSecretsOperatorProps,
} from "./external-secrets-operator";
export {
  NamespaceSecrets,
  validateNamespaceSecretsProps,
  DEFAULT_SECRETS_REFRESH_INTERVAL,
  type NamespaceSecretsProps,
  type NamespaceSecretsSpec,
  type NamespaceSecretsValidationInput,
} from "./namespace-secrets";
export {
  appSecretName,
  appSecretsPrefix,
  appSecretsProblems,
  appSecretsServiceAccountName,
  isWithinScope,
  monitoringSecretsPrefix,
  ENVIRONMENT_VARIABLE_NAME,
  type SecretReference,
  type SecretsScope,
} from "./private/secrets";
export {
  PipelineRunners,
  validatePipelineRunnersProps,
  RUNNER_COMPUTE_TYPES,
  RUNNER_IMAGE,
  RUNNER_WEBHOOK_EVENT,
  type PipelineRunnersProps,
  type PipelineRunnersValidationInput,
  type RunnerComputeType,
} from "./pipeline-runners";
export {
  ClusterApiAccess,
  validateClusterApiAccessProps,
  type ClusterApiAccessProps,
  type ClusterApiAccessValidationInput,
} from "./cluster-api-access";
// The policy pack (README, Policy): run it over your own stacks, suppress with a reason.
export {
  RULES as POLICY_RULES,
  checkStack,
  resourceRule,
  setPolicyTier,
  suppressPolicy,
  synthesizeWithPolicy,
  type PolicyFinding,
  type PolicyResource,
  type PolicyResult,
  type PolicyRule,
  type PolicySuppression,
  type PolicySynthResult,
  type PolicyTier,
  type RuleContext,
  type Severity,
  type SuppressedFinding,
  type Violation,
} from "../policy";
export {
  GithubDeployRoles,
  validateGithubDeployRolesProps,
  githubSubjects,
  githubTrustPolicy,
  GITHUB_REPOSITORY,
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_ISSUER,
  GITHUB_SUBJECT_CLAIM_KEYS,
  type GithubDeployRolesProps,
  type GithubDeployRolesValidationInput,
  type GithubDeployTarget,
} from "./github-deploy-roles";
export {
  OpenTelemetryCollector,
  validateOpenTelemetryCollectorProps,
  DEFAULT_SAMPLING_RATIOS,
  OPENTELEMETRY_COLLECTOR_CHART_VERSION,
  OPENTELEMETRY_COLLECTOR_IMAGE,
  type ITraceBackend,
  type OpenTelemetryCollectorProps,
} from "./opentelemetry-collector";
export {
  Jaeger,
  validateJaegerProps,
  JAEGER_CHART_VERSION,
  JAEGER_VERSION,
  JAEGER_DATASOURCE_UID,
  JAEGER_OPENSEARCH_PATHS,
  JAEGER_INDEX_PATTERN,
  type JaegerProps,
} from "./jaeger";
export {
  LogStore,
  validateLogStoreProps,
  logStoreDomainArn,
  logStoreStatements,
  logIndexPrefix,
  logWriterAccess,
  logReaderAccess,
  JAEGER_ACCESS,
  JAEGER_INDEX_PREFIX,
  LOG_STORE_BOOTSTRAP_ACCESS,
  LOG_STORE_SIZING,
  LOG_STORE_LOG_TYPES,
  LOG_STORE_TLS_POLICY,
  DEFAULT_OPENSEARCH_ENGINE_VERSION,
  type LogStoreProps,
  type LogStoreGrant,
  type LogStoreAccess,
  type LogStoreValidationInput,
} from "./log-store";
export {
  LogCollector,
  logCollectorValues,
  validateLogCollectorProps,
  LOG_COLLECTOR_CHART_VERSION,
  type LogCollectorProps,
} from "./log-collector";
export {
  LogStoreBootstrap,
  logStoreBootstrapPlan,
  DEFAULT_LOG_STORE_BOOTSTRAP_IMAGE,
  type LogStoreBootstrapProps,
  type LogStoreBootstrapItem,
  type LogStoreBootstrapPlan,
} from "./log-store-bootstrap";
