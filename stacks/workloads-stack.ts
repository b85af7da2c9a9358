import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { BlueGreenRelease } from "../constructs/blue-green-release";
import { DatabaseAccess } from "../constructs/database-access";
import { DatabaseBootstrap } from "../constructs/database-bootstrap";
import { databaseEnvironment, databaseRoles } from "../constructs/private/database-access";
import { ClusterAutoscaler } from "../constructs/cluster-autoscaler";
import { ExternalDns } from "../constructs/external-dns";
import { LoadBalancerController } from "../constructs/load-balancer-controller";
import { MetricsServer } from "../constructs/metrics-server";
import { alertReceiverSecret, Monitoring, type AlertReceiver } from "../constructs/monitoring";
import { Dashboards } from "../constructs/dashboards";
import { LogCollector } from "../constructs/log-collector";
import { LogStoreBootstrap } from "../constructs/log-store-bootstrap";
import { databaseIdentifier, logStoreRoleArns } from "../config/rules";
import { durationMs } from "../config/duration";
import { resolve } from "node:path";
import { environmentDirectory } from "../config/load";
import { ExternalSecretsOperator } from "../constructs/external-secrets-operator";
import { Jaeger } from "../constructs/jaeger";
import { OpenTelemetryCollector } from "../constructs/opentelemetry-collector";
import { NamespaceSecrets } from "../constructs/namespace-secrets";
import {
  appSecretName,
  appSecretsPrefix,
  appSecretsServiceAccountName,
  monitoringSecretsPrefix,
} from "../constructs/private/secrets";
import { externalDnsOwnerId } from "../config/rules";
import type { InfrastructureStack } from "./infrastructure-stack";
import { kubernetesProviders } from "./kubernetes-providers";
import { setPolicyTier } from "../policy/suppressions";
import { configureBackend, type PlatformStackProps } from "./settings";

/** Props of {@link WorkloadsStack}: the environment and its infrastructure stack. */
export interface WorkloadsStackProps extends PlatformStackProps {
  /** The environment's infrastructure stack: its cluster, network and roles are referenced across stacks. */
  readonly infrastructure: InfrastructureStack;
  /**
   * Folder of the environment file: the apps' business dashboard files are relative to it.
   * @default PLATFORM_ENV_DIR, else `environments/`
   */
  readonly environmentDirectory?: string;
}

/**
 * `<env>-workloads`: the Kubernetes side of an environment (namespaces, platform add-ons and the
 * blue/green releases of every app), with providers configured from the infrastructure stack's
 * cluster outputs. Kept out of the infrastructure stack so that one can plan before the cluster exists.
 */
export class WorkloadsStack extends TerraformStack {
  /** The blue/green release of every app, by app name. */
  readonly apps: Record<string, BlueGreenRelease>;
  /** The AWS Load Balancer Controller (apps' Ingresses and readiness gates need it first). */
  readonly loadBalancerController: LoadBalancerController;
  /** metrics-server (HPAs need it). */
  readonly metricsServer: MetricsServer;
  /** Cluster Autoscaler: adds nodes for the pods HPAs add, removes idle ones. */
  readonly clusterAutoscaler: ClusterAutoscaler;
  /** kube-prometheus-stack with the runbook alert rules. */
  readonly monitoring: Monitoring;
  /** Jaeger v2: traces stored in the environment's OpenSearch domain, query UI, Grafana data source. */
  readonly jaeger: Jaeger;
  /** The OpenTelemetry Collector apps send traces to (OTLP), sampled per tier, exporting to Jaeger. */
  readonly tracingCollector: OpenTelemetryCollector;
  /** Fluent Bit: every container's log lines into the environment's OpenSearch domain. */
  readonly logCollector: LogCollector;
  /** The Job that applies the log store's retention, templates, roles and saved objects. */
  readonly logStoreBootstrap: LogStoreBootstrap;
  /** The Grafana dashboards: Application and Release per app, System, and the apps' business dashboards. */
  readonly dashboards: Dashboards;
  /** The Job that creates the apps' databases and roles, when an app has a database section. */
  readonly databaseBootstrap?: DatabaseBootstrap;
  /** Per app with a database section: its service accounts and connection settings. */
  readonly databaseAccess: Record<string, DatabaseAccess> = {};
  /** ExternalDNS, when the environment file has a dns section. */
  readonly externalDns?: ExternalDns;
  /**
   * External Secrets Operator, when something syncs secrets from Secrets Manager (an app with
   * secrets, an alert receiver with a key or URL): otherwise no controller with cluster-wide Secret rights runs.
   */
  readonly externalSecrets?: ExternalSecretsOperator;
  /**
   * The synced secrets of each app with `secrets`, by app name: the Kubernetes Secret
   * {@link WorkloadsStack.appSecretNames} in the app namespace, one key per ENV name.
   */
  readonly appSecrets: Record<string, NamespaceSecrets> = {};
  /** Name of each app's Kubernetes Secret (`<app>-secrets`), by app name, for the apps with secrets. */
  readonly appSecretNames: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    const env = props.environment;
    setPolicyTier(this, env.tier);
    configureBackend(this, id, props);
    const infrastructure = props.infrastructure;
    kubernetesProviders(this, infrastructure.cluster, props);

    this.loadBalancerController = new LoadBalancerController(this, "aws-load-balancer-controller", {
      clusterName: infrastructure.cluster.clusterName,
      region: env.region,
      vpcId: infrastructure.network.vpcId,
      roleArn: infrastructure.loadBalancerControllerRole.arn,
    });
    this.metricsServer = new MetricsServer(this, "metrics-server");
    this.clusterAutoscaler = new ClusterAutoscaler(this, "cluster-autoscaler", {
      clusterName: infrastructure.cluster.clusterName,
      region: env.region,
      kubernetesVersion: env.cluster.kubernetesVersion,
      roleArn: infrastructure.clusterAutoscalerRole.arn,
    });
    // Installed only when something syncs secrets: the controller reads and writes Secrets in
    // every namespace, and its CRDs go with its release when the last user is removed.
    const receivers = Object.values(env.monitoring.receivers).filter((r) => r !== undefined);
    const secretsUsed =
      Object.values(env.apps).some((app) => Object.keys(app.secrets).length > 0 || app.database) ||
      receivers.some((r) => alertReceiverSecret(r) !== undefined);
    if (secretsUsed) {
      this.externalSecrets = new ExternalSecretsOperator(this, "external-secrets", {
        kubernetesVersion: env.cluster.kubernetesVersion,
        tier: env.tier,
      });
    }
    // SNS and SNS e-mail receivers default to the alarm topic (whose e-mail subscription is
    // alerts.email) and publish with Alertmanager's IRSA role.
    const receiver = (r: (typeof receivers)[number]): AlertReceiver =>
      r.type === "sns" || (r.type === "email" && !r.smtp)
        ? {
            type: r.type,
            topicArn: r.topicArn ?? infrastructure.alarms.topicArn,
            roleArn: infrastructure.alertmanagerRole?.arn,
          }
        : r;
    const { critical, warning, info, watchdog } = env.monitoring.receivers;
    this.monitoring = new Monitoring(this, "monitoring", {
      region: env.region,
      tier: env.tier,
      receivers: {
        critical: receiver(critical),
        warning: receiver(warning),
        info: info && receiver(info),
        watchdog,
      },
      receiverSecrets:
        this.externalSecrets && infrastructure.monitoringSecretsRole
          ? {
              roleArn: infrastructure.monitoringSecretsRole.arn,
              operator: this.externalSecrets,
              readable: { prefixes: [monitoringSecretsPrefix(env.name)] },
            }
          : undefined,
      retentionDays: env.monitoring.retentionDays,
      storageGb: env.monitoring.storageGb,
      grafanaRoleArn: infrastructure.grafanaRole.arn,
    });
    const directory = props.environmentDirectory ?? environmentDirectory();
    this.dashboards = new Dashboards(this, "dashboards", {
      namespace: this.monitoring.namespace,
      alertThresholds: this.monitoring.alertThresholds,
      cloudWatch: { region: env.region, databaseIdentifier: databaseIdentifier(env) },
      apps: Object.entries(env.apps).map(([name, app]) => {
        const gate = app.gates.metrics;
        return {
          name,
          namespace: app.namespace,
          seriesLabel: gate === false ? undefined : gate.seriesLabel,
          bakeSeconds: Math.max(60, Math.ceil(durationMs(app.rollout.bake) / 1000)),
          gate:
            gate === false
              ? undefined
              : {
                  maxErrorRate: gate.maxErrorRate,
                  maxP95Seconds: durationMs(gate.maxP95) / 1000,
                  minRequests: gate.minRequests,
                  relativeErrorRate: gate.relative.errorRate,
                  relativeP95: gate.relative.p95,
                  mode: gate.mode,
                },
          businessDashboards: app.dashboards.map((file) => resolve(directory, file)),
        };
      }),
    });

    // Logs: the bootstrap prepares the domain (retention, templates, roles, saved objects)
    // before Fluent Bit writes its first line.
    const logStore = infrastructure.logStore;
    const logRoles = logStoreRoleArns(env);
    this.logCollector = new LogCollector(this, "log-collector", {
      environmentName: env.name,
      endpoint: logStore.endpoint,
      region: env.region,
      roleArn: infrastructure.fluentBitRole.arn,
    });
    this.logStoreBootstrap = new LogStoreBootstrap(this, "log-store-bootstrap", {
      environmentName: env.name,
      tier: env.tier,
      retentionDays: env.logs.retentionDays,
      endpoint: logStore.endpoint,
      region: env.region,
      roleArn: infrastructure.logStoreBootstrapRole.arn,
      writerRoleArn: logRoles.writer,
      tracingRoleArn: logRoles.tracing,
      readerArns: logRoles.readers,
      namespace: this.logCollector.namespace,
      dependsOn: [this.logCollector.namespaceResource],
    });
    this.logCollector.waitFor(this.logStoreBootstrap.job);

    // Traces: apps -> collector (OTLP) -> Jaeger -> the OpenSearch domain (SigV4 as tracingRole).
    // After the monitoring release (the collector's ServiceMonitor needs its CRDs) and the log
    // store's bootstrap (it maps the tracing role to its OpenSearch role: Jaeger puts its index
    // templates at start).
    this.jaeger = new Jaeger(this, "jaeger", {
      openSearchEndpoint: infrastructure.logStore.endpoint,
      region: env.region,
      roleArn: infrastructure.tracingRole.arn,
      namespace: this.monitoring.namespace,
      tier: env.tier,
      dependsOn: [this.monitoring.release, this.logStoreBootstrap.job],
    });
    this.tracingCollector = new OpenTelemetryCollector(this, "opentelemetry-collector", {
      backend: this.jaeger,
      namespace: this.monitoring.namespace,
      tier: env.tier,
      samplingRatio: env.tracing.samplingRatio,
      dependsOn: [this.jaeger.release, this.monitoring.release],
    });

    if (env.dns && infrastructure.externalDnsRole) {
      this.externalDns = new ExternalDns(this, "external-dns", {
        zones: env.dns.zones,
        roleArn: infrastructure.externalDnsRole.arn,
        region: env.region,
        tier: env.tier,
        txtOwnerId: externalDnsOwnerId(env),
      });
    }

    // The internet-facing ALBs' interfaces live in the public subnets. Their CIDRs are plain data
    // carved from the environment file at synth, so this is no cross-stack reference.
    const loadBalancerCidrs = infrastructure.network.publicSubnetCidrs;

    // The apps' databases and roles, created by a Job before any app pod connects.
    const databases = Object.entries(env.apps).flatMap(([app, a]) =>
      a.database ? [{ app, database: a.database.name }] : [],
    );
    if (databases.length > 0 && this.externalSecrets && infrastructure.databaseBootstrapRole) {
      this.databaseBootstrap = new DatabaseBootstrap(this, "database-bootstrap", {
        databases,
        host: infrastructure.database.address,
        port: infrastructure.database.port,
        masterSecretArn: infrastructure.database.masterUserSecretArn,
        secretsRoleArn: infrastructure.databaseBootstrapRole.arn,
        region: env.region,
        operator: this.externalSecrets,
      });
    }

    this.apps = {};
    for (const [name, app] of Object.entries(env.apps)) {
      const roles = infrastructure.appDatabaseRoles[name];
      const database =
        app.database && roles
          ? {
              name: app.database.name,
              host: infrastructure.database.address,
              port: infrastructure.database.port,
              roles,
            }
          : undefined;
      const release = new BlueGreenRelease(this, `app-${name}`, {
        ...app,
        name,
        tier: env.tier,
        secretsFrom: { secretName: appSecretName(name), keys: Object.keys(app.secrets) },
        platformConfig: database
          ? databaseEnvironment({
              host: database.host,
              port: String(database.port),
              database: database.name,
              user: databaseRoles(name).runtime,
            })
          : undefined,
        // with a dns section: the certificate issued in the infrastructure stack, and the host
        // published by ExternalDNS; without one the controller discovers a certificate by host
        certificateArn: app.certificateArn ?? infrastructure.appCertificates[name]?.certificateArn,
        externalDnsHostname: env.dns !== undefined,
        loadBalancerCidrs,
        // podinfo's default colour values turn tracing on: service <app>-<colour>
        tracesEndpoint: this.tracingCollector.otlpGrpcEndpoint,
        // the controller's pod webhook must run before pods land in readiness-gate namespaces,
        // and the monitoring release's CRDs before the apps' ServiceMonitors
        dependsOn: [this.loadBalancerController.release, this.monitoring.release],
      });
      this.apps[name] = release;
      if (database) {
        const access = new DatabaseAccess(this, `database-access-${name}`, {
          app: name,
          namespace: release.namespace,
          database: database.name,
          host: database.host,
          port: database.port,
          runtimeRoleArn: database.roles.runtime.arn,
          migratorRoleArn: database.roles.migrator.arn,
          dependsOn: [release.namespaceResource],
        });
        this.databaseAccess[name] = access;
        release.waitFor(access.runtimeServiceAccount);
        if (this.databaseBootstrap) release.waitFor(this.databaseBootstrap.job);
      }

      // The app's secrets: Secret <app>-secrets in its namespace, one key per ENV name, read by
      // the app's own role (<env>/<app>/* only). Both colours' pods reference it, so their
      // releases wait for it.
      const role = infrastructure.appSecretsRoles[name];
      if (this.externalSecrets && role && Object.keys(app.secrets).length > 0) {
        const secretName = appSecretName(name);
        const secrets = new NamespaceSecrets(this, `app-${name}-secrets`, {
          namespace: release.namespaceResource.metadata.name,
          serviceAccountName: appSecretsServiceAccountName(name),
          roleArn: role.arn,
          region: env.region,
          secrets: { [secretName]: app.secrets },
          readable: { prefixes: [appSecretsPrefix(env.name, name)] },
          operator: this.externalSecrets,
          dependsOn: [release.namespaceResource],
        });
        this.appSecrets[name] = secrets;
        this.appSecretNames[name] = secretName;
        release.waitFor(secrets.release);
      }
      // What the release tool reads: where the app lives, how to reach the idle colour, live weights.
      new TerraformOutput(this, `app_${name}`, {
        description: `Blue/green state of app ${name}`,
        value: {
          host: release.host,
          namespace: release.namespace,
          stable_colour: release.stableColour,
          idle_colour: release.idleColour,
          weights: release.weights,
          versions: { blue: app.release.blue.version, green: app.release.green.version },
          release_names: release.releaseNames,
          service_names: release.serviceNames,
          preview: release.previewRoute,
          load_balancer_hostname: release.loadBalancerHostname,
        },
      });
    }
  }
}
