import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { Network } from "../constructs/network";
import { KubernetesCluster } from "../constructs/kubernetes-cluster";
import { ContainerRegistry } from "../constructs/container-registry";
import { Database } from "../constructs/database";
import { StaticSite } from "../constructs/static-site";
import { Alarms } from "../constructs/alarms";
import { AlarmForwarder } from "../constructs/alarm-forwarder";
import { CLOUDFRONT_REGION } from "../constructs/private/us-east-1";
import { DnsValidatedCertificate } from "../constructs/dns-validated-certificate";
import { PipelineRunners } from "../constructs/pipeline-runners";
import { GithubDeployRoles } from "../constructs/github-deploy-roles";
import { ClusterApiAccess } from "../constructs/cluster-api-access";
import { EXTERNAL_DNS_SERVICE_ACCOUNT } from "../constructs/external-dns";
import { LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT } from "../constructs/load-balancer-controller";
import {
  ALERTMANAGER_SERVICE_ACCOUNT_NAME,
  GRAFANA_SERVICE_ACCOUNT_NAME,
  RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME,
  alertReceiverSecret,
} from "../constructs/monitoring";
import { cloudWatchReadPolicy } from "../constructs/private/cloudwatch-read-policy";
import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT } from "../constructs/cluster-autoscaler";
import {
  clusterAutoscalerPolicy,
  externalDnsPolicy,
  loadBalancerControllerPolicy,
  secretsReadPolicy,
  snsPublishPolicy,
} from "../constructs/private/addon-policies";
import { EncryptionKey } from "../constructs/encryption-key";
import {
  JAEGER_ACCESS,
  LOG_STORE_BOOTSTRAP_ACCESS,
  LogStore,
  logReaderAccess,
  logStoreDomainArn,
  logStoreStatements,
  logWriterAccess,
  type LogStoreAccess,
} from "../constructs/log-store";
import {
  FLUENT_BIT_SERVICE_ACCOUNT,
  JAEGER_SERVICE_ACCOUNT,
  LOG_STORE_BOOTSTRAP_SERVICE_ACCOUNT,
} from "../constructs/private/log-names";
import {
  appSecretsPrefix,
  appSecretsServiceAccountName,
  monitoringSecretsPrefix,
} from "../constructs/private/secrets";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import {
  cdnCertificateDomainNames,
  clusterName,
  databaseIdentifier,
  githubDeployRefs,
  logStoreDomainName,
  logStoreRoleArns,
  logStoreRoleNames,
  pipelineRunnersName,
} from "../config/rules";
import { DATABASE_BOOTSTRAP_SERVICE_ACCOUNT } from "../constructs/database-bootstrap";
import {
  connectStatement,
  databaseRoles,
  migratorServiceAccount,
} from "../constructs/private/database-access";
import { partitionOf, type AwsEnvironment } from "../constructs/types";
import { setPolicyTier } from "../policy/suppressions";
import { awsProvider, configureBackend, type PlatformStackProps } from "./settings";

/** `<env>-infrastructure`: every AWS resource of one environment, in one reviewable plan. */
export class InfrastructureStack extends TerraformStack {
  /** The network. */
  readonly network: Network;
  /** The EKS cluster. */
  readonly cluster: KubernetesCluster;
  /** The ECR repositories of the apps. */
  readonly registry: ContainerRegistry;
  /** The PostgreSQL database. */
  readonly database: Database;
  /** The S3 + CloudFront site. */
  readonly site: StaticSite;
  /** The alarm topic and alarms. */
  readonly alarms: Alarms;
  /** IRSA role of the AWS Load Balancer Controller (used by the workloads stack). */
  readonly loadBalancerControllerRole: IamRole;
  /** IRSA role of Cluster Autoscaler: scales only the ASGs tagged as owned by this cluster. */
  readonly clusterAutoscalerRole: IamRole;
  /** IRSA role of Alertmanager, when an alert receiver publishes to SNS. */
  readonly alertmanagerRole?: IamRole;
  /** IRSA role of Grafana (service account `monitoring/grafana`): reads CloudWatch metrics of the region, nothing else. */
  readonly grafanaRole: IamRole;
  /**
   * The environment's key for Secrets Manager secrets (alias `<env>/secrets`): create every app
   * and monitoring secret with it (`--kms-key-id alias/<env>/secrets`); the secrets roles decrypt
   * with it only through Secrets Manager.
   */
  readonly secretsKey: EncryptionKey;
  /**
   * IRSA role of each app's SecretStore (service account `<namespace>/<app>-secrets`), by app
   * name, for the apps with secrets: it reads only the secrets named `<env>/<app>/*`.
   */
  readonly appSecretsRoles: Readonly<Record<string, IamRole>> = {};
  /**
   * IRSA role of the monitoring namespace's SecretStore (service account
   * `monitoring/alertmanager-secrets`), when an alert receiver reads a key or URL: it reads only the
   * secrets named `<env>/monitoring/*`.
   */
  readonly monitoringSecretsRole?: IamRole;
  /**
   * The forwarder of the CloudWatch alarms to PagerDuty and Slack, when the critical or warning
   * receiver is one of them.
   */
  readonly alarmForwarder?: AlarmForwarder;
  /**
   * The issued certificate of every app's host, by app name, when the file has a dns section
   * (none for an app with its own `certificateArn`). Used by the workloads stack's Ingresses.
   */
  readonly appCertificates: Readonly<Record<string, DnsValidatedCertificate>> = {};
  /** The CDN's certificate (us-east-1), when the file has a dns section and cdn.domainNames without cdn.certificateArn. */
  readonly cdnCertificate?: DnsValidatedCertificate;
  /** IRSA role that reads the RDS master secret for the database bootstrap, when an app has a database. */
  readonly databaseBootstrapRole?: IamRole;
  /**
   * Per app with a database section: the IRSA roles that may connect as its runtime role
   * (`<app>_app`, for the pods) and as its migration role (`<app>_migrator`, for the migration Job).
   */
  readonly appDatabaseRoles: Record<
    string,
    { readonly runtime: IamRole; readonly migrator: IamRole }
  > = {};
  /** IRSA role of ExternalDNS, when the file has a dns section (used by the workloads stack). */
  readonly externalDnsRole?: IamRole;
  /** The in-VPC runners of the pipeline's cluster-facing jobs, when the file has a pipeline section. */
  readonly pipelineRunners?: PipelineRunners;
  /** GitHub Actions' plan and deploy roles, when the file has a github section. */
  readonly githubRoles?: GithubDeployRoles;
  /** The OpenSearch Service domain of the environment's logs and traces (VPC-only, IAM access). */
  readonly logStore: LogStore;
  /** IRSA role of Fluent Bit (`logging/fluent-bit`): bulk-indexes into `logs-<env>-*` only. */
  readonly fluentBitRole: IamRole;
  /**
   * IRSA role of the log store's bootstrap Job (`logging/log-store-bootstrap`): the domain's
   * fine-grained access control master user (ISM policies, templates, roles, saved objects).
   */
  readonly logStoreBootstrapRole: IamRole;
  /** IRSA role of Jaeger (`monitoring/jaeger`): reads and writes the `jaeger-*` indexes only. */
  readonly tracingRole: IamRole;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const env = props.environment;
    setPolicyTier(this, env.tier);
    configureBackend(this, id, props);
    awsProvider(this, props);
    // CloudFront's certificates, logs and metrics live in us-east-1.
    const usEast1 = awsProvider(this, props, {
      id: "aws-us-east-1",
      alias: "us_east_1",
      region: "us-east-1",
    });
    const aws: AwsEnvironment = { account: env.account, region: env.region };

    this.network = new Network(this, "network", {
      environment: aws,
      name: env.name,
      tier: env.tier,
      cidr: env.network.cidr,
      availabilityZones: env.network.availabilityZones,
      natGateways: env.network.natGateways,
      subnetPrefixLengths: env.network.subnetPrefixLengths,
      flowLogRetentionDays: env.network.flowLogRetentionDays,
    });

    this.cluster = new KubernetesCluster(this, "cluster", {
      environment: aws,
      network: this.network,
      name: clusterName(env),
      tier: env.tier,
      kubernetesVersion: env.cluster.kubernetesVersion,
      supportType: env.cluster.supportType,
      supportStatusDate: props.today,
      endpointPublicAccessCidrs: env.cluster.endpointPublicAccessCidrs,
      admins: env.cluster.admins,
      // the workloads stack authenticates as the deploy role; without one, as one of the admins
      deployers: env.deployRoleArn ? [env.deployRoleArn] : [],
      nodeGroups: env.cluster.nodeGroups,
      addonVersions: env.cluster.addonVersions,
    });

    // GitHub Actions' roles (OIDC, no long-lived keys): plan read-only, deploy may assume deployRoleArn.
    if (env.github) {
      this.githubRoles = new GithubDeployRoles(this, "github", {
        environment: aws,
        name: env.name,
        repository: env.github.repository,
        deploy: { environment: env.github.environment ?? env.name, refs: githubDeployRefs(env) },
        stateBucket: env.state.bucket,
        deployRoleArn: env.deployRoleArn!, // required with a github section (config/rules.ts)
        oidcProvider: env.github.oidcProvider,
        cluster: this.cluster,
      });
    }

    // The workloads deployer's network path to the (private) API endpoint: in-VPC runners and
    // the file's cluster.apiAccess entries, each admitted on 443 by the cluster security group.
    if (env.pipeline) {
      this.pipelineRunners = new PipelineRunners(this, "pipeline-runners", {
        ...env.pipeline,
        environment: aws,
        network: this.network,
        cluster: this.cluster,
        name: pipelineRunnersName(env),
        tier: env.tier,
        deployRoleArn: env.deployRoleArn!, // required with a pipeline section (config/rules.ts)
      });
    }
    const apiAccess = env.cluster.apiAccess;
    if (apiAccess.securityGroupIds.length + apiAccess.cidrs.length > 0) {
      new ClusterApiAccess(this, "cluster-api-access", { ...apiAccess, cluster: this.cluster });
    }

    this.registry = new ContainerRegistry(this, "registry", {
      environment: aws,
      prefix: env.name,
      repositories: Object.keys(env.apps),
      keepImages: env.registry?.keepImages,
      tier: env.tier,
      pushers: Object.fromEntries(
        Object.entries(env.apps).flatMap(([app, settings]) =>
          settings.imageRepository ? [[app, settings.imageRepository]] : [],
        ),
      ),
      githubOidcProviderArn: this.githubRoles?.oidcProviderArn,
    });

    this.database = new Database(this, "database", {
      ...env.database,
      environment: aws,
      network: this.network,
      cluster: this.cluster,
      identifier: databaseIdentifier(env),
      tier: env.tier,
    });

    // Certificates validated in the file's zones: one per app host in the environment's region
    // (construct ids keyed by host), and the CDN's in us-east-1, where CloudFront reads it.
    const zones = env.dns?.zones;
    if (zones) {
      const byHost = new Map<string, DnsValidatedCertificate>();
      const appCertificates: Record<string, DnsValidatedCertificate> = {};
      for (const [name, app] of Object.entries(env.apps)) {
        if (app.certificateArn !== undefined) continue;
        let certificate = byHost.get(app.host);
        if (!certificate) {
          certificate = new DnsValidatedCertificate(this, `certificate-${app.host}`, {
            domainNames: [app.host],
            zones,
          });
          byHost.set(app.host, certificate);
        }
        appCertificates[name] = certificate;
      }
      this.appCertificates = appCertificates;
      const cdnNames = cdnCertificateDomainNames(env);
      if (cdnNames) {
        this.cdnCertificate = new DnsValidatedCertificate(this, "cdn-certificate", {
          domainNames: cdnNames,
          zones,
          provider: usEast1,
        });
      }
    }

    this.site = new StaticSite(this, "site", {
      ...env.cdn,
      certificateArn: env.cdn.certificateArn ?? this.cdnCertificate?.certificateArn,
      environment: aws,
      usEast1Provider: usEast1,
      name: env.name,
      tier: env.tier,
    });

    this.alarms = new Alarms(this, "alarms", {
      environment: aws,
      usEast1Provider: usEast1,
      name: env.name,
      tier: env.tier,
      email: env.alerts.email,
    });
    this.alarms.watchDatabase(this.database);
    this.alarms.watchDistribution(this.site);

    // Logs and traces: one OpenSearch domain, reached by IAM roles only. Each role's IAM policy
    // and its statement in the domain policy are the same LogStoreAccess (the ARN is computed,
    // so the roles need not wait for the domain).
    const logDomainName = logStoreDomainName(env);
    const logDomainArn = logStoreDomainArn(aws, logDomainName);
    const logRole = (
      account: { readonly namespace: string; readonly name: string },
      access: LogStoreAccess,
      name: string,
    ) =>
      this.cluster.addServiceAccountRole(
        account.namespace,
        account.name,
        logStoreStatements(logDomainArn, access),
        { name },
      );
    const logRoleNames = logStoreRoleNames(env);
    this.fluentBitRole = logRole(
      FLUENT_BIT_SERVICE_ACCOUNT,
      logWriterAccess(env.name),
      logRoleNames.writer,
    );
    this.logStoreBootstrapRole = logRole(
      LOG_STORE_BOOTSTRAP_SERVICE_ACCOUNT,
      LOG_STORE_BOOTSTRAP_ACCESS,
      logRoleNames.bootstrap,
    );
    this.tracingRole = logRole(JAEGER_SERVICE_ACCOUNT, JAEGER_ACCESS, logRoleNames.tracing);
    const grant = (sid: string, roleArn: string, access: LogStoreAccess) => ({
      sid,
      roleArn,
      statements: logStoreStatements(logDomainArn, access),
    });
    const readers = logStoreRoleArns(env).readers;
    this.logStore = new LogStore(this, "log-store", {
      environment: aws,
      network: this.network,
      cluster: this.cluster,
      domainName: logDomainName,
      tier: env.tier,
      engineVersion: env.logs.engineVersion,
      instanceType: env.logs.instanceType,
      instanceCount: env.logs.instanceCount,
      volumeSizeGb: env.logs.volumeSizeGb,
      dedicatedMasterType: env.logs.dedicatedMasterType,
      logRetentionDays: env.logs.logRetentionDays,
      alarmTopicArn: this.alarms.topicArn,
      master: grant("Bootstrap", this.logStoreBootstrapRole.arn, LOG_STORE_BOOTSTRAP_ACCESS),
      grants: [
        grant("FluentBit", this.fluentBitRole.arn, logWriterAccess(env.name)),
        grant("Jaeger", this.tracingRole.arn, JAEGER_ACCESS),
        ...readers.map((arn, i) => grant(`Reader${i}`, arn, logReaderAccess(env.name))),
      ],
    });

    // Service-account roles of the platform add-ons installed by the workloads stack.
    const lbc = LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT;
    this.loadBalancerControllerRole = this.cluster.addServiceAccountRole(
      lbc.namespace,
      lbc.name,
      loadBalancerControllerPolicy(),
      {
        policySuppressions: [
          {
            rule: "iam-no-wildcard-resource",
            reason:
              "The load balancer controller's IAM policy as published upstream for the pinned controller release (constructs/policies/aws-load-balancer-controller.json): its create calls cannot name resources that do not exist yet, and its tag conditions scope the rest. Kept verbatim so upgrades are a file replacement.",
          },
        ],
      },
    );
    const autoscaler = CLUSTER_AUTOSCALER_SERVICE_ACCOUNT;
    this.clusterAutoscalerRole = this.cluster.addServiceAccountRole(
      autoscaler.namespace,
      autoscaler.name,
      clusterAutoscalerPolicy({
        clusterName: clusterName(env),
        account: env.account,
        region: env.region,
        partition: partitionOf(env.region),
      }),
    );
    const snsTopics = Object.values(env.monitoring.receivers).flatMap((receiver) =>
      !receiver || !(receiver.type === "sns" || (receiver.type === "email" && !receiver.smtp))
        ? []
        : receiver.topicArn
          ? [{ topicArn: receiver.topicArn }]
          : [{ topicArn: this.alarms.topicArn, kmsKeyArn: this.alarms.encryptionKey.keyArn }],
    );
    if (snsTopics.length > 0) {
      this.alertmanagerRole = this.cluster.addServiceAccountRole(
        "monitoring",
        ALERTMANAGER_SERVICE_ACCOUNT_NAME,
        snsPublishPolicy(snsTopics),
      );
    }

    // Grafana's CloudWatch data source (System dashboard: load balancers, RDS): read-only.
    this.grafanaRole = this.cluster.addServiceAccountRole(
      "monitoring",
      GRAFANA_SERVICE_ACCOUNT_NAME,
      cloudWatchReadPolicy(env.region),
      { name: `${clusterName(env)}-grafana-cloudwatch` },
    );

    // Secrets Manager: the environment's key, and one reader role per SecretStore, each scoped to
    // its own names (<env>/<app>/*, <env>/monitoring/*) and to the key through Secrets Manager.
    this.secretsKey = new EncryptionKey(this, "secrets-key", {
      environment: aws,
      description: `Secrets Manager secrets of environment ${env.name} (apps, alert receivers)`,
      alias: `${env.name}/secrets`,
      preventDestroy: env.tier === "production",
    });
    const readerPolicy = (prefix: string) =>
      secretsReadPolicy({
        account: env.account,
        region: env.region,
        partition: partitionOf(env.region),
        prefixes: [prefix],
        kmsKeyArns: [this.secretsKey.keyArn],
      });
    const appSecretsRoles: Record<string, IamRole> = {};
    for (const [name, app] of Object.entries(env.apps)) {
      if (Object.keys(app.secrets).length === 0) continue;
      appSecretsRoles[name] = this.cluster.addServiceAccountRole(
        app.namespace,
        appSecretsServiceAccountName(name),
        readerPolicy(appSecretsPrefix(env.name, name)),
        { name: `${clusterName(env)}-${name}-secrets` },
      );
    }
    this.appSecretsRoles = appSecretsRoles;
    if (Object.values(env.monitoring.receivers).some((r) => r && alertReceiverSecret(r))) {
      this.monitoringSecretsRole = this.cluster.addServiceAccountRole(
        "monitoring",
        RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME,
        readerPolicy(monitoringSecretsPrefix(env.name)),
        { name: `${clusterName(env)}-monitoring-secrets` },
      );
    }

    // CloudWatch alarms on the same incident path as Alertmanager: forwarded to the PagerDuty and
    // Slack receivers, the keys read from <env>/monitoring/* at run time.
    const { critical, warning } = env.monitoring.receivers;
    const forwarded = (r: typeof critical) =>
      r.type === "pagerduty" || r.type === "slack" ? r : undefined;
    if (forwarded(critical) || forwarded(warning)) {
      const usEast1Topic = this.alarms.usEast1Topic;
      this.alarmForwarder = new AlarmForwarder(this, "alarm-forwarder", {
        environment: aws,
        name: env.name,
        tier: env.tier,
        topics: [
          { topicArn: this.alarms.topicArn, region: env.region },
          ...(usEast1Topic
            ? [{ topicArn: usEast1Topic.arn, region: CLOUDFRONT_REGION, provider: usEast1 }]
            : []),
        ],
        critical: forwarded(critical),
        warning: forwarded(warning),
        severities: this.alarms.severities,
        secretsKeyArn: this.secretsKey.keyArn,
      });
    }

    if (zones) {
      this.externalDnsRole = this.cluster.addServiceAccountRole(
        EXTERNAL_DNS_SERVICE_ACCOUNT.namespace,
        EXTERNAL_DNS_SERVICE_ACCOUNT.name,
        externalDnsPolicy(
          zones.map((zone) => zone.id),
          partitionOf(env.region),
        ),
      );
    }

    // The database bootstrap's SecretStore is the one reader of the RDS master secret.
    if (Object.values(env.apps).some((app) => app.database)) {
      this.databaseBootstrapRole = this.cluster.addServiceAccountRole(
        "platform",
        DATABASE_BOOTSTRAP_SERVICE_ACCOUNT,
        secretsReadPolicy({
          account: env.account,
          region: env.region,
          partition: partitionOf(env.region),
          arns: [this.database.masterUserSecretArn],
          kmsKeyArns: [this.database.encryptionKey.keyArn],
        }),
        { name: `${clusterName(env)}-database-bootstrap` },
      );
    }

    // Per app with a database: the runtime role (the app namespace's default service account,
    // which the app's pods run as) connects as <app>_app, the migration Job's as <app>_migrator.
    for (const [app, config] of Object.entries(env.apps)) {
      if (!config.database) continue;
      const roles = databaseRoles(app);
      const connect = (user: string) => [
        connectStatement({
          partition: partitionOf(env.region),
          region: env.region,
          account: env.account,
          resourceId: this.database.instance.resourceId,
          user,
        }),
      ];
      this.appDatabaseRoles[app] = {
        runtime: this.cluster.addServiceAccountRole(
          config.namespace,
          "default",
          connect(roles.runtime),
          { name: `${env.name}-${app}-db-app` },
        ),
        migrator: this.cluster.addServiceAccountRole(
          config.namespace,
          migratorServiceAccount(app),
          connect(roles.migrator),
          { name: `${env.name}-${app}-db-migrator` },
        ),
      };
    }

    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId });
    new TerraformOutput(this, "vpc_cidr", { value: this.network.vpcCidr });
    new TerraformOutput(this, "public_subnet_ids", { value: this.network.publicSubnetIds });
    new TerraformOutput(this, "private_subnet_ids", { value: this.network.privateSubnetIds });
    new TerraformOutput(this, "database_subnet_ids", { value: this.network.databaseSubnetIds });
    new TerraformOutput(this, "database_subnet_group_name", {
      value: this.network.databaseSubnetGroupName,
    });
    // What the README promises and the release tool reads: ids it cannot derive from the file.
    const outputs: Record<string, { value: string | number; description: string }> = {
      site_bucket_name: {
        value: this.site.bucketName,
        description: "S3 bucket the static site is uploaded to",
      },
      distribution_id: {
        value: this.site.distributionId,
        description: "Id of the static site's CloudFront distribution (invalidations)",
      },
      distribution_domain_name: {
        value: this.site.distributionDomainName,
        description: "The distribution's *.cloudfront.net name (target of DNS aliases)",
      },
      database_identifier: {
        value: this.database.instance.identifier,
        description: "RDS instance identifier of the PostgreSQL database",
      },
      database_endpoint: {
        value: this.database.endpoint,
        description: "PostgreSQL endpoint, address:port",
      },
      database_port: { value: this.database.instance.port, description: "PostgreSQL port" },
      database_master_secret_arn: {
        value: this.database.masterUserSecretArn,
        // the ARN names the secret; its value stays in Secrets Manager
        description: "ARN of the Secrets Manager secret RDS keeps the master credentials in",
      },
      alarm_topic_arn: {
        value: this.alarms.topicArn,
        description: "SNS topic of the alarms in the environment's region",
      },
      secrets_kms_key_arn: {
        value: this.secretsKey.keyArn,
        description: `KMS key of the environment's Secrets Manager secrets (alias/${env.name}/secrets)`,
      },
      log_store_endpoint: {
        value: this.logStore.endpoint,
        description:
          "HTTPS endpoint host of the OpenSearch domain (VPC only; Dashboards at /_dashboards)",
      },
      log_store_domain_name: {
        value: this.logStore.domainName,
        description: "Name of the OpenSearch domain of the environment's logs and traces",
      },
      cluster_security_group_id: {
        value: this.cluster.clusterSecurityGroupId,
        description: "EKS cluster security group (control plane and nodes)",
      },
    };
    const usEast1Topic = this.alarms.usEast1Topic;
    if (usEast1Topic) {
      outputs.alarm_topic_arn_us_east_1 = {
        value: usEast1Topic.arn,
        description: "SNS topic of the CloudFront alarms (us-east-1)",
      };
    }
    for (const [name, output] of Object.entries(outputs)) new TerraformOutput(this, name, output);
    new TerraformOutput(this, "alarm_email_pending_confirmation", {
      description:
        "Per alarm topic region: true while the alerts e-mail subscription is pending confirmation (no alarm reaches it; SNS deletes it after 48 hours)",
      value: this.alarms.emailPendingConfirmation,
    });
    if (Object.keys(this.appCertificates).length > 0) {
      new TerraformOutput(this, "app_certificate_arns", {
        description: "ARN of the issued ACM certificate of each app's host, by app name",
        value: Object.fromEntries(
          Object.entries(this.appCertificates).map(([name, c]) => [name, c.certificateArn]),
        ),
      });
    }
    if (this.pipelineRunners) {
      const runners = this.pipelineRunners;
      new TerraformOutput(this, "pipeline_runners", {
        description:
          "The in-VPC GitHub Actions runners: runs-on label, CodeBuild project, security group, role the deploy role must trust",
        value: {
          // a literal ${{ ... }} for GitHub Actions, not a Terraform interpolation
          runs_on: runners.runsOn.split("${").join("$${"),
          project_name: runners.project.name,
          security_group_id: runners.securityGroupId,
          role_arn: runners.roleArn,
        },
      });
    }
    if (this.cdnCertificate) {
      new TerraformOutput(this, "cdn_certificate_arn", {
        description: "ARN of the issued ACM certificate (us-east-1) of the CDN's domain names",
        value: this.cdnCertificate.certificateArn,
      });
    }
  }
}
