/**
 * Rules that relate several fields of one environment file. Where a construct validates the
 * same props, its exported validator is reused so the file and the construct say the same thing.
 */
import { DATABASE_ENVIRONMENT_KEYS, databaseRoles } from "../constructs/private/database-access";
import { databaseBootstrapProblems } from "../constructs/private/database-bootstrap";
import { validateNetworkProps } from "../constructs/network";
import { validateKubernetesClusterProps } from "../constructs/kubernetes-cluster";
import { validateDatabaseProps } from "../constructs/database";
import { validateLogStoreProps } from "../constructs/log-store";
import { logStoreBootstrapProblems } from "../constructs/private/log-store-bootstrap";
import {
  isPinnedVersion,
  PINNED_VERSION_EXPECTED,
  validateBlueGreenReleaseProps,
} from "../constructs/blue-green-release";
import { validateStaticSiteProps } from "../constructs/static-site";
import { validateAlarmsProps } from "../constructs/alarms";
import {
  alertReceiverSecret,
  validateMonitoringProps,
  type MonitoringProps,
  type ReceiverSecrets,
} from "../constructs/monitoring";
import { validateExternalSecretsOperatorProps } from "../constructs/external-secrets-operator";
import { isSupportedKubernetesVersion } from "../constructs/kubernetes-versions";
import {
  appSecretsProblems,
  monitoringSecretsPrefix,
  secretReferenceProblems,
} from "../constructs/private/secrets";
import { ProblemList } from "../constructs/private/validation";
import { partitionOf } from "../constructs/types";
import { validateExternalDnsProps } from "../constructs/external-dns";
import { validateOpenTelemetryCollectorProps } from "../constructs/opentelemetry-collector";
import { validateDnsValidatedCertificateProps } from "../constructs/dns-validated-certificate";
import { validatePipelineRunnersProps } from "../constructs/pipeline-runners";
import { validateClusterApiAccessProps } from "../constructs/cluster-api-access";
import {
  GITHUB_REPOSITORY,
  validateGithubDeployRolesProps,
} from "../constructs/github-deploy-roles";
import { isHostName } from "../constructs/private/static-site-names";
import { HOST_NAME } from "../constructs/private/patterns";
import type { Problem } from "../constructs/private/validation";
import type { DnsZone } from "../constructs/types";
import type { EnvironmentConfig } from "./schema";

const RESERVED_TAG_KEYS = ["environment", "managed-by"];

/**
 * Cross-field problems of an environment file, field paths from the file's root. Takes the
 * sections that are valid on their own, so a file with shape problems still gets every other
 * problem reported; a rule runs only when the sections it relates are there. `invalidSections`
 * names the sections present in the file but left out for their shape problems.
 */
export function crossFieldProblems(
  env: Partial<EnvironmentConfig>,
  fileStem: string,
  invalidSections: readonly string[] = [],
): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, received: unknown, expected: string) =>
    problems.push({ field, received, expected });

  if (env.name !== undefined && env.name !== fileStem) {
    add("name", env.name, `"${fileStem}", the file's name without .yaml`);
  }
  if (env.deployRoleArn && env.account && env.deployRoleArn.split(":")[4] !== env.account) {
    add("deployRoleArn", env.deployRoleArn, `a role in account ${env.account} (the account field)`);
  }
  // The workloads stack authenticates as the deploy role (which gets its own access entry), or,
  // without one, as whoever runs Terraform: only cluster.admins can be that identity.
  if (env.cluster && !env.deployRoleArn && env.cluster.admins.length === 0) {
    const workloads = `${env.name ?? "<env>"}-workloads`;
    add(
      "cluster.admins",
      env.cluster.admins,
      `at least one IAM role or user ARN when deployRoleArn is not set: ${workloads} then authenticates to the cluster as whoever runs Terraform, and only cluster.admins get access entries (set deployRoleArn to the role that deploys, or list the identity that runs "cdktf deploy ${workloads}" in cluster.admins)`,
    );
  }
  for (const key of Object.keys(env.tags ?? {})) {
    if (RESERVED_TAG_KEYS.includes(key) || key.startsWith("aws:")) {
      add(
        `tags.${key}`,
        key,
        `a tag key other than ${RESERVED_TAG_KEYS.join(", ")} and aws:* (set by the platform)`,
      );
    }
  }
  // an invalid tier counts as development here, so it adds no tier-specific problems
  const tier = env.tier ?? "development";
  if (env.network && env.region) {
    for (const p of validateNetworkProps({ ...env.network, region: env.region, tier })) {
      problems.push({ ...p, field: `network.${p.field}` });
    }
  }
  if (env.cluster && env.name) {
    const name = clusterName(env as Pick<EnvironmentConfig, "name" | "cluster">);
    for (const p of validateKubernetesClusterProps({ ...env.cluster, name, tier })) {
      // the cluster name only appears in the file when it is set there
      const field = p.field === "name" && !env.cluster.name ? "name" : `cluster.${p.field}`;
      problems.push({ ...p, field });
    }
  }
  problems.push(...deployerPathProblems(env, invalidSections));
  if (!invalidSections.includes("github")) problems.push(...githubProblems(env));
  if (env.database && env.name) {
    const identifier = databaseIdentifier(env as Pick<EnvironmentConfig, "name" | "database">);
    for (const p of validateDatabaseProps({ ...env.database, identifier, tier })) {
      problems.push({ ...p, field: `database.${p.field}` });
    }
  }
  if (env.logs && env.name && env.network?.availabilityZones) {
    const domainName = logStoreDomainName(env as Pick<EnvironmentConfig, "name">);
    const availabilityZoneCount = env.network.availabilityZones.length;
    for (const p of validateLogStoreProps({
      ...env.logs,
      domainName,
      tier,
      availabilityZoneCount,
    })) {
      const field =
        p.field === "domainName"
          ? "name"
          : p.field === "availabilityZones"
            ? "network.availabilityZones"
            : `logs.${p.field}`;
      problems.push({ ...p, field });
    }
    for (const p of logStoreBootstrapProblems({ retentionDays: env.logs.retentionDays })) {
      problems.push({ ...p, field: `logs.${p.field}` });
    }
  }
  if (env.cdn && env.name && env.account) {
    // with a dns section the infrastructure stack creates and validates the certificate (an
    // invalid dns section says nothing either way: its own problems are reported)
    const noCertificateNeeded =
      cdnCertificateDomainNames(env) !== undefined || invalidSections.includes("dns");
    for (const p of validateStaticSiteProps({ ...env.cdn, name: env.name, account: env.account })) {
      if (noCertificateNeeded && p.field === "certificateArn" && p.received === undefined) continue;
      problems.push({
        ...p,
        field: p.field === "name" || p.field === "account" ? p.field : `cdn.${p.field}`,
      });
    }
  }
  if (env.tracing) {
    for (const p of validateOpenTelemetryCollectorProps({
      samplingRatio: env.tracing.samplingRatio,
    }))
      problems.push({ ...p, field: `tracing.${p.field}` });
  }
  if (env.alerts && env.name) {
    for (const p of validateAlarmsProps({ name: env.name, email: env.alerts.email })) {
      problems.push({ ...p, field: p.field === "name" ? p.field : `alerts.${p.field}` });
    }
  }
  if (env.monitoring) problems.push(...monitoringProblems(env.monitoring));
  // with a wrong name every secret would be reported against it: the name's problem is enough
  if (env.name === fileStem) problems.push(...secretsProblems(env));
  if (env.dns && env.name && env.region) {
    problems.push(...dnsProblems(env, { name: env.name, region: env.region }, env.dns.zones));
  }
  // the databases the bootstrap creates: valid names, one app per database
  const databases = Object.entries(env.apps ?? {}).flatMap(([app, a]) =>
    a.database ? [{ app, database: a.database.name }] : [],
  );
  if (databases.length > 0) problems.push(...databaseBootstrapProblems(databases));
  for (const [name, app] of Object.entries(env.apps ?? {})) {
    const appProps = {
      ...app,
      name,
      tier,
      secretsFrom: { secretName: `${name}-secrets`, keys: Object.keys(app.secrets ?? {}) },
      // the database connection's keys (values are known only in the workloads stack)
      platformConfig: app.database
        ? Object.fromEntries(DATABASE_ENVIRONMENT_KEYS.map((k) => [k, "..."]))
        : undefined,
    };
    for (const p of validateBlueGreenReleaseProps(appProps)) {
      // the app's name is its key in the file
      problems.push({
        ...p,
        field: p.field === "name" ? `apps.${name}` : `apps.${name}.${p.field}`,
      });
    }
    if (app.imageRepository !== undefined) {
      if (!GITHUB_REPOSITORY.test(app.imageRepository))
        add(
          `apps.${name}.imageRepository`,
          app.imageRepository,
          "a GitHub repository as owner/name, e.g. example-org/web",
        );
      if (!env.github)
        add(
          `apps.${name}.imageRepository`,
          app.imageRepository,
          "a github section too: the push role is trusted through the account's GitHub OIDC provider (README, Pipeline)",
        );
    }
    if (app.migrations && !app.database) {
      add(
        `apps.${name}.migrations`,
        app.migrations.command,
        `a database section too (apps.${name}.database: { name }): migrations run as the role ${databaseRoles(name).migrator} in that database`,
      );
    }
    if (app.version !== undefined && !isPinnedVersion(app.version))
      add(
        `apps.${name}.version`,
        app.version,
        `${PINNED_VERSION_EXPECTED} (the version the pipeline releases)`,
      );
  }
  return problems;
}

/**
 * The monitoring section as the Monitoring construct checks it (receivers, retention, storage).
 * The stack fills in what the file leaves out (the alarm topic, the receivers' SecretStore), so
 * placeholders stand in for them here; where each secret is, is checked with the other secrets.
 */
function monitoringProblems(monitoring: EnvironmentConfig["monitoring"]): Problem[] {
  const alarmTopic = "arn:aws:sns:eu-west-1:123456789012:alarms";
  const receivers = Object.fromEntries(
    Object.entries(monitoring.receivers).map(([name, r]) => [
      name,
      (r?.type === "sns" || (r?.type === "email" && !r.smtp)) && r.topicArn === undefined
        ? { ...r, topicArn: alarmTopic }
        : r,
    ]),
  ) as unknown as MonitoringProps["receivers"];
  const problems = validateMonitoringProps({
    receivers,
    region: "eu-west-1",
    receiverSecrets: { roleArn: "", operator: {} as ReceiverSecrets["operator"] },
    retentionDays: monitoring.retentionDays,
    storageGb: monitoring.storageGb,
  });
  return problems
    .filter((p) => !/\.(secret|smtp\.password)(\.|$)/.test(p.field))
    .map((p) => ({ ...p, field: `monitoring.${p.field}` }));
}

/**
 * Secrets from Secrets Manager (README, Configuration and secrets): each app's under
 * `<env>/<app>/`, each alert receiver's under `<env>/monitoring/` (the only names their roles
 * read), and, when anything uses them, External Secrets Operator tested on the cluster's minor.
 */
function secretsProblems(env: Partial<EnvironmentConfig>): Problem[] {
  const problems: Problem[] = [];
  if (!env.name) return problems;
  const users: string[] = [];
  for (const [name, app] of Object.entries(env.apps ?? {})) {
    for (const p of appSecretsProblems(env.name, name, app.secrets))
      problems.push({ ...p, field: `apps.${name}.secrets.${p.field}` });
    if (Object.keys(app.secrets).length > 0) users.push(`apps.${name}.secrets`);
    // the database bootstrap reads the master secret through the operator
    if (app.database) users.push(`apps.${name}.database`);
  }
  const prefix = monitoringSecretsPrefix(env.name);
  for (const [severity, receiver] of Object.entries(env.monitoring?.receivers ?? {})) {
    const secret = receiver ? alertReceiverSecret(receiver) : undefined;
    if (!receiver || !secret) continue;
    const p = new ProblemList();
    secretReferenceProblems(
      p,
      `monitoring.receivers.${severity}.${receiver.type === "email" ? "smtp.password" : "secret"}`,
      secret,
      { prefixes: [prefix] },
      `the monitoring SecretStore's role reads only ${prefix}*`,
    );
    problems.push(...p.problems);
    users.push(`monitoring.receivers.${severity}`);
  }
  // a version EKS does not create is reported by the cluster's own rule
  if (
    users.length > 0 &&
    env.cluster &&
    isSupportedKubernetesVersion(env.cluster.kubernetesVersion)
  ) {
    for (const p of validateExternalSecretsOperatorProps({
      kubernetesVersion: env.cluster.kubernetesVersion,
    }))
      problems.push({
        ...p,
        field: `cluster.${p.field}`,
        expected: `${p.expected} (${users.join(", ")} need External Secrets Operator)`,
      });
  }
  return problems;
}

/**
 * The workloads deployer's network path to the API endpoint (issue 15): the in-VPC runners of the
 * pipeline section (as PipelineRunners takes them), the cluster.apiAccess entries (as
 * ClusterApiAccess takes them), and, with a private-only endpoint, at least one of the two.
 */
function deployerPathProblems(
  env: Partial<EnvironmentConfig>,
  invalidSections: readonly string[],
): Problem[] {
  const problems: Problem[] = [];
  if (env.pipeline && env.name) {
    const input = {
      ...env.pipeline,
      name: pipelineRunnersName(env as Pick<EnvironmentConfig, "name">),
      deployRoleArn: env.deployRoleArn,
      natGateways: env.network?.natGateways,
    };
    for (const p of validatePipelineRunnersProps(input)) {
      // a deploy role with shape problems is reported by the schema
      if (p.field === "deployRoleArn" && invalidSections.includes("deployRoleArn")) continue;
      const field = ["deployRoleArn", "name"].includes(p.field)
        ? p.field
        : p.field === "natGateways"
          ? "network.natGateways"
          : `pipeline.${p.field}`;
      problems.push({ ...p, field });
    }
  }
  if (!env.cluster) return problems;
  const access = env.cluster.apiAccess;
  for (const p of validateClusterApiAccessProps(access)) {
    problems.push({ ...p, field: `cluster.apiAccess.${p.field}` });
  }
  const hasPath =
    env.cluster.endpointPublicAccessCidrs.length > 0 ||
    env.pipeline !== undefined ||
    invalidSections.includes("pipeline") ||
    access.securityGroupIds.length + access.cidrs.length > 0;
  if (!hasPath) {
    const workloads = `${env.name ?? "<env>"}-workloads`;
    problems.push({
      field: "pipeline",
      received: undefined,
      expected: `a network path from the workloads deployer to the private API endpoint: cluster.endpointPublicAccessCidrs is empty, so only the VPC reaches the cluster and every resource of ${workloads} would time out; add a pipeline section (repository, connectionArn: CodeBuild-hosted GitHub Actions runners in the private subnets), or list the security groups (cluster.apiAccess.securityGroupIds) or private CIDRs (cluster.apiAccess.cidrs) of the runners that deploy ${workloads}`,
    });
  }
  return problems;
}

/** The refs deploy jobs may run from: the file's, else by tier (tags in production, main otherwise). */
export function githubDeployRefs(env: Pick<EnvironmentConfig, "tier" | "github">): string[] {
  return [
    ...(env.github?.deployRefs ??
      (env.tier === "production" ? ["refs/tags/v*.*.*"] : ["refs/heads/main"])),
  ];
}

/** The GitHub roles' section checked as GithubDeployRoles takes it, field paths as in the file. */
function githubProblems(env: Partial<EnvironmentConfig>): Problem[] {
  const github = env.github;
  if (!github || !env.name || !env.tier) return [];
  const problems: Problem[] = [];
  if (!env.deployRoleArn)
    problems.push({
      field: "deployRoleArn",
      received: undefined,
      expected:
        "the environment's deploy role ARN when a github section is set: the GitHub deploy role may only assume it (README, Pipeline)",
    });
  const input = {
    name: env.name,
    repository: github.repository,
    deploy: {
      environment: github.environment ?? env.name,
      refs: githubDeployRefs(env as EnvironmentConfig),
    },
    stateBucket: env.state?.bucket ?? "",
    deployRoleArn: env.deployRoleArn ?? "arn:aws:iam::000000000000:role/unset",
    oidcProvider: github.oidcProvider,
  };
  for (const p of validateGithubDeployRolesProps(input)) {
    const field =
      p.field === "deploy.environment"
        ? "github.environment"
        : p.field.startsWith("deploy.refs")
          ? p.field.replace("deploy.refs", "github.deployRefs")
          : p.field === "deployRoleArn" || p.field === "name"
            ? p.field
            : `github.${p.field}`;
    problems.push({ ...p, field });
  }
  // compared only when pipeline.repository is a GitHub URL (PipelineRunners reports it otherwise)
  const url = /^https:\/\/github\.com\/([^/]+\/[^/]+)$/.exec(env.pipeline?.repository ?? "");
  const pipelineRepository = url?.[1];
  if (pipelineRepository && pipelineRepository !== github.repository)
    problems.push({
      field: "github.repository",
      received: github.repository,
      expected: `the repository of pipeline.repository (${pipelineRepository}): the runners and the roles serve one repository`,
    });
  return problems;
}

/** The CodeBuild project (and role, security group) name of an environment's runners: `<name>-runners`. */
export function pipelineRunnersName(env: Pick<EnvironmentConfig, "name">): string {
  return `${env.name}-runners`;
}

/**
 * Problems of the dns section (the zones, as ExternalDNS takes them), then, when the zones are
 * valid, every app host and CDN domain name outside them (as their certificates take them). A
 * malformed host is left to the app's and the CDN's own rules.
 */
function dnsProblems(
  env: Partial<EnvironmentConfig>,
  { name, region }: Pick<EnvironmentConfig, "name" | "region">,
  zones: readonly DnsZone[],
): Problem[] {
  const problems: Problem[] = validateExternalDnsProps({
    zones,
    region,
    txtOwnerId: externalDnsOwnerId({ name }),
  }).map((p) => ({
    ...p,
    // the owner id is the environment's name
    field: p.field.startsWith("zones")
      ? `dns.${p.field}`
      : p.field === "txtOwnerId"
        ? "name"
        : p.field,
  }));
  if (problems.length > 0) return problems;
  const outside = (field: string, host: string) => {
    for (const p of validateDnsValidatedCertificateProps({ domainNames: [host], zones })) {
      problems.push({ ...p, field });
    }
  };
  for (const [appName, app] of Object.entries(env.apps ?? {})) {
    if (HOST_NAME.test(app.host)) outside(`apps.${appName}.host`, app.host);
  }
  (env.cdn?.domainNames ?? []).forEach((host, i) => {
    if (isHostName(host)) outside(`cdn.domainNames[${i}]`, host);
  });
  return problems;
}

/**
 * The names of the CDN certificate the infrastructure stack creates (in us-east-1, validated in
 * the dns zones): `cdn.domainNames` when the file has a dns section and no `cdn.certificateArn`.
 */
export function cdnCertificateDomainNames(
  env: Partial<Pick<EnvironmentConfig, "cdn" | "dns">>,
): string[] | undefined {
  const names = env.cdn?.domainNames ?? [];
  return env.dns && names.length > 0 && env.cdn?.certificateArn === undefined ? names : undefined;
}

/** ExternalDNS's TXT registry owner id of an environment: its name (unique, never renamed). */
export function externalDnsOwnerId(env: Pick<EnvironmentConfig, "name">): string {
  return env.name;
}

/** The RDS identifier of an environment: `database.identifier`, else `<name>-postgres`. */
export function databaseIdentifier(env: Pick<EnvironmentConfig, "name" | "database">): string {
  return env.database.identifier ?? `${env.name}-postgres`;
}

/** The OpenSearch domain of an environment's logs and traces: `<env>-logs`. */
export function logStoreDomainName(env: Pick<EnvironmentConfig, "name">): string {
  return `${env.name}-logs`;
}

/**
 * The ARNs of the roles the log store names (computed from the role names the infrastructure
 * stack gives them, so the workloads stack's bootstrap plan holds literals): Fluent Bit, Jaeger,
 * and the people who read (logs.readers, else cluster.admins).
 */
export function logStoreRoleArns(
  env: Pick<EnvironmentConfig, "name" | "account" | "region" | "logs" | "cluster">,
): { writer: string; tracing: string; readers: readonly string[] } {
  const role = (name: string) => `arn:${partitionOf(env.region)}:iam::${env.account}:role/${name}`;
  return {
    writer: role(logStoreRoleNames(env).writer),
    tracing: role(logStoreRoleNames(env).tracing),
    readers: env.logs.readers ?? env.cluster.admins,
  };
}

/** The IAM role names of the log store's users: `<env>-logs-fluent-bit`, `<env>-logs-bootstrap`, `<env>-jaeger`. */
export function logStoreRoleNames(env: Pick<EnvironmentConfig, "name">): {
  writer: string;
  bootstrap: string;
  tracing: string;
} {
  return {
    writer: `${env.name}-logs-fluent-bit`,
    bootstrap: `${env.name}-logs-bootstrap`,
    tracing: `${env.name}-jaeger`,
  };
}

/** The EKS cluster name of an environment: `cluster.name`, else the environment name. */
export function clusterName(env: Pick<EnvironmentConfig, "name" | "cluster">): string {
  return env.cluster.name ?? env.name;
}
