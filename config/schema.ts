/**
 * The environment-file contract (DESIGN.md section 4) as a zod schema. Field rules live here;
 * rules that relate several fields live in `rules.ts`. Every message is the *expected* part of
 * "field: received X; expected Y".
 */
import { z } from "zod";
import { NAT_GATEWAY_MODES, TIERS } from "../constructs/types";
import { KUBERNETES_SUPPORT_TYPES } from "../constructs/kubernetes-versions";
import { AWS_REGION } from "../constructs/private/patterns";
import type { AppConfiguration } from "../constructs/private/app-config";
import { DURATION, DURATION_EXPECTED } from "./duration";

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const region = z.string().regex(AWS_REGION, "an AWS region such as eu-west-1");
const accountId = z.string().regex(/^\d{12}$/, "a 12-digit AWS account id as a quoted string");
const roleArn = z
  .string()
  .regex(
    /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,64}$/,
    "an IAM role ARN such as arn:aws:iam::123456789012:role/platform-deploy",
  );
const s3BucketName = z
  .string()
  .regex(
    /^(?=.{3,63}$)[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
  );
const cidrText = z.string(); // checked in rules.ts, where the whole file is known
const retentionDays = z
  .number()
  .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `a CloudWatch Logs retention period: one of ${LOG_RETENTION_DAYS.join(", ")}`,
  });
const count = (min: number) => z.number().int(`an integer`).min(min);
const addonVersion = z
  .string()
  .regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "an EKS add-on version such as v1.19.2-eksbuild.1");

const nodeGroup = z
  .object({
    instanceTypes: z
      .array(
        z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "an EC2 instance type such as m6i.large"),
      )
      .min(1, "at least one instance type"),
    minSize: count(0),
    maxSize: count(1),
    desiredSize: count(0),
    capacityType: z.enum(["ON_DEMAND", "SPOT"]).optional(),
    diskSizeGb: count(20).max(16384).optional(),
    labels: z.record(z.string()).optional(),
  })
  .strict();

const cluster = z
  .object({
    name: z.string().optional(),
    kubernetesVersion: z.string(), // value rule: validateKubernetesClusterProps (the EKS calendar)
    supportType: z.enum(KUBERNETES_SUPPORT_TYPES).optional(),
    endpointPublicAccessCidrs: z.array(cidrText).default([]),
    admins: z.array(z.string()).default([]), // value rule: validateKubernetesClusterProps
    nodeGroups: z.record(nodeGroup).refine((groups) => Object.keys(groups).length > 0, {
      message: "at least one node group",
    }),
    addonVersions: z
      .object({
        "vpc-cni": addonVersion.optional(),
        coredns: addonVersion.optional(),
        "kube-proxy": addonVersion.optional(),
        "aws-ebs-csi-driver": addonVersion.optional(),
      })
      .strict()
      .default({}),
    // value rules: ClusterApiAccess (validateClusterApiAccessProps)
    apiAccess: z
      .object({
        securityGroupIds: z.array(z.string()).default([]),
        cidrs: z.array(z.string()).default([]),
      })
      .strict()
      .default({}),
  })
  .strict();

// In-VPC runners of the pipeline; value rules: PipelineRunners (validatePipelineRunnersProps).
const pipeline = z
  .object({
    repository: z.string(),
    connectionArn: z.string(),
    computeType: z.string().optional(),
    timeoutMinutes: z.number().optional(),
  })
  .strict();

// GitHub Actions OIDC roles of the pipeline; value rules: GithubDeployRoles (validateGithubDeployRolesProps).
const github = z
  .object({
    // owner/name of the one repository whose workflows may assume the roles
    repository: z.string(),
    // the GitHub Environment the deploy jobs name; default: the environment's name
    environment: z.string().optional(),
    // refs deploy jobs may run from; default by tier: production refs/tags/v*.*.*, development refs/heads/main
    deployRefs: z.array(z.string()).optional(),
    // "create" the account's GitHub OIDC provider here (once per account), or the ARN of the existing one
    oidcProvider: z.string().default("create"),
  })
  .strict();

// Value rules of the database section live in the Database construct (validateDatabaseProps).
const database = z
  .object({
    identifier: z.string().optional(),
    engineVersion: z.string(),
    instanceClass: z.string(),
    allocatedStorageGb: z.number(),
    maxAllocatedStorageGb: z.number().optional(),
    backupRetentionDays: z.number().optional(),
    databaseName: z.string().optional(),
    masterUsername: z.string().optional(),
  })
  .strict();

// Value rules of the cdn section live in the StaticSite construct (validateStaticSiteProps).
const cdn = z
  .object({
    domainNames: z.array(z.string()).optional(),
    certificateArn: z.string().optional(),
    webAclArn: z.string().optional(),
    priceClass: z.enum(["PriceClass_100", "PriceClass_200", "PriceClass_All"]).optional(),
    accessLogging: z.boolean().optional(),
    accessLogRetentionDays: z.number().optional(),
    errorDocument: z.string().optional(),
  })
  .strict();

// Value rules of the dns section live in the ExternalDns and DnsValidatedCertificate constructs
// (validateExternalDnsProps, validateDnsValidatedCertificateProps).
const dns = z
  .object({
    zones: z.array(z.object({ id: z.string(), domain: z.string() }).strict()),
  })
  .strict();

// A secret in Secrets Manager (<env>/monitoring/...), and for a JSON secret its key; value rules:
// Monitoring (validateMonitoringProps) and config/rules.ts
const receiverSecret = z.object({ name: z.string(), key: z.string().optional() }).strict();
const webhookReceiver = z.object({ type: z.literal("webhook"), secret: receiverSecret }).strict();
const heartbeatReceiver = z
  .object({
    type: z.literal("webhook", {
      errorMap: () => ({
        message: `"webhook" (with secret): a heartbeat URL pinged every minute, which pages when the pings stop`,
      }),
    }),
    secret: receiverSecret,
  })
  .strict();
const receiver = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("sns"),
      /** @default the environment's alarm topic (alerts.email) */
      topicArn: z.string().optional(),
    })
    .strict(),
  webhookReceiver,
  // the routing key of a PagerDuty Events API v2 integration
  z.object({ type: z.literal("pagerduty"), secret: receiverSecret }).strict(),
  // a Slack incoming-webhook URL and the channel
  z.object({ type: z.literal("slack"), secret: receiverSecret, channel: z.string() }).strict(),
  z
    .object({
      type: z.literal("email"),
      // default: the environment's alarm topic, whose e-mail subscription is alerts.email (SigV4)
      topicArn: z.string().optional(),
      smtp: z
        .object({
          to: z.string(),
          from: z.string(),
          smarthost: z.string(),
          username: z.string(),
          password: receiverSecret,
        })
        .strict()
        .optional(),
    })
    .strict(),
]);

const monitoring = z
  .object({
    receivers: z
      .object({
        critical: receiver.default({ type: "sns" }),
        warning: receiver.default({ type: "sns" }),
        // default: info alerts go nowhere ("null")
        info: receiver.optional(),
        // the dead man's switch: Watchdog posted every minute to a heartbeat URL
        watchdog: heartbeatReceiver.optional(),
      })
      .strict()
      .default({}),
    retentionDays: z.number().optional(),
    storageGb: z.number().optional(),
  })
  .strict();

// Traces (OpenTelemetry Collector -> Jaeger): value rules in OpenTelemetryCollector
// (validateOpenTelemetryCollectorProps); the ratio's default is the tier's (DEFAULT_SAMPLING_RATIOS)
const tracing = z.object({ samplingRatio: z.number().optional() }).strict();

// The OpenSearch domain of logs and traces (LogStore) and the log pipeline; value rules:
// LogStore (validateLogStoreProps) and the bootstrap (logStoreBootstrapProblems), in config/rules.ts.
const logs = z
  .object({
    /** @default DEFAULT_OPENSEARCH_ENGINE_VERSION (pinned) */
    engineVersion: z.string().optional(),
    /** @default by tier: t3.small.search (development), r6g.large.search (production) */
    instanceType: z.string().optional(),
    /** @default by tier: 1 (development), 3 (production, one per AZ) */
    instanceCount: z.number().optional(),
    /** @default by tier: 20 (development), 100 (production) GiB per data node */
    volumeSizeGb: z.number().optional(),
    /** @default m6g.large.search in production (three); none in development */
    dedicatedMasterType: z.string().optional(),
    /** Days the ISM policy keeps a daily log index. @default 7 (development), 30 (production) */
    retentionDays: z.number().optional(),
    /** CloudWatch retention of the domain's own error/slow/audit logs. @default 30 / 365 */
    logRetentionDays: z.number().optional(),
    /** Roles that may search logs and traces (OpenSearch Dashboards). @default cluster.admins */
    readers: z.array(roleArn).optional(),
  })
  .strict();

const duration = z.string().regex(DURATION, DURATION_EXPECTED);

// Configuration values are checked by the BlueGreenRelease rules (configProblems), with messages
// naming each key; typed here as what those rules let through.
const appConfiguration = z.record(z.unknown()).transform((v) => v as AppConfiguration);

// Value rules of an app live in the BlueGreenRelease construct (validateBlueGreenReleaseProps).
// A colour pins everything it renders, so no edit outside its entry can change its release.
const colour = z
  .object({
    version: z.string(),
    chart: z.string({
      required_error:
        "the exact chart version this colour runs, e.g. 6.7.1 (each colour pins its own; apps.<app>.chart.version is only the default for the next colour started)",
    }),
    values: z.record(z.unknown(), {
      required_error:
        "this colour's own Helm values, {} for none (each colour pins its own; apps.<app>.values are only the default for the next colour started)",
    }),
    // this colour's configuration (its ConfigMap <app>-<colour>-config); value rules: BlueGreenRelease
    config: appConfiguration.optional(),
    // the secrets (names under apps.<app>.secrets) this colour's pods get as environment variables
    secrets: z.array(z.string()).optional(),
  })
  .strict();

// One HTTP check of a smoke gate: run against the preview route in verify, and the live and
// preview routes during every bake.
const httpCheck = z
  .object({
    path: z.string().regex(/^\/\S*$/, "an HTTP path starting with /"),
    status: z.number().int("an integer").min(100).max(599).default(200),
    body: z.string().min(1, "a non-empty substring of the response body").optional(),
    maxLatency: duration.optional(),
  })
  .strict();

// The release tool's gates for an app (DESIGN.md section 5).
const gates = z
  .object({
    health: z
      .object({
        consecutive: count(1).max(100).default(3),
        interval: duration.default("2s"),
        timeout: duration.default("2m"),
        requestTimeout: duration.default("5s"),
      })
      .strict()
      .default({}),
    smoke: z.array(httpCheck).default([]),
    command: z
      .object({ run: z.string().min(1, "a shell command"), timeout: duration.default("15m") })
      .strict()
      .optional(),
    // the canary's Prometheus series over each bake window, against thresholds and the stable
    // colour; false turns the gate off
    metrics: z
      .union([
        z.literal(false),
        z
          .object({
            mode: z.enum(["enforce", "observe"]).default("enforce"),
            maxErrorRate: z.number().min(0).max(1).default(0.01),
            maxP95: duration.default("500ms"),
            relative: z
              .object({
                errorRate: z.number().min(0).max(1).default(0.01),
                p95: z.number().min(1).default(1.5),
              })
              .strict()
              .default({}),
            minRequests: count(1).default(50),
            extendWhenInconclusive: count(0).max(5).default(1),
            seriesLabel: z
              .string()
              .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "a Prometheus label name")
              .default("service"),
          })
          .strict(),
      ])
      .default({}),
    // wait after a weight change until the ALB's listener rule carries it and targets are healthy
    verifyTraffic: z
      .object({ timeout: duration.default("5m") })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

// How the release tool moves traffic for an app: canary steps and the bake after each.
const rollout = z
  .object({
    steps: z
      .array(z.number().int("an integer").min(1).max(99))
      .min(1, "at least one canary step")
      .refine((steps) => steps.every((w, i) => i === 0 || w > steps[i - 1]), {
        message: "canary weights in increasing order, such as [5, 25, 50]",
      })
      .default([5]),
    bake: duration.default("5m"),
    bakeInterval: duration.default("10s"),
  })
  .strict()
  .default({});

// Secrets (webhook URLs, routing keys) are named, never written here: an environment variable
// or a file holding the value.
const secretRef = z
  .object({
    env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name")
      .optional(),
    file: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => (r.env === undefined) !== (r.file === undefined), {
    message: "exactly one of env (a variable name) or file (a path) holding the secret",
  });

// Who hears about releases (the release tool).
const notifications = z
  .object({
    /** The environment's SNS alarm topic (alarm_topic_arn output) unless topicArn is given. */
    sns: z.union([z.boolean(), z.object({ topicArn: z.string() }).strict()]).default(true),
    slack: z.array(z.object({ webhookUrl: secretRef }).strict()).default([]),
    pagerduty: z.object({ routingKey: secretRef }).strict().optional(),
    link: z.string().url("a URL such as https://github.com/org/repo/actions").optional(),
  })
  .strict();

const app = z
  .object({
    namespace: z.string(),
    // the version the pipeline releases (npm run pipeline -- pending): release run when it differs from the stable colour's
    version: z.string().optional(),
    // the GitHub repository (owner/name) whose image-build workflow pushes this app's images (its push role)
    imageRepository: z.string().optional(),
    chart: z.object({ repository: z.string(), name: z.string(), version: z.string() }).strict(),
    host: z.string(),
    servicePort: z.number(),
    targetPort: z.number().optional(),
    healthPath: z.string(),
    certificateArn: z.string().optional(),
    sslPolicy: z.string().optional(),
    preview: z
      .object({ header: z.string().optional(), value: z.string().optional() })
      .strict()
      .optional(),
    values: z.record(z.unknown()).default({}),
    // non-secret configuration, key -> string: what the next colour started gets (release start
    // pins it in the colour's entry); value rules: BlueGreenRelease (validateBlueGreenReleaseProps)
    config: appConfiguration.default({}),
    // secrets from AWS Secrets Manager, by name only (never a value): ENV_NAME -> the secret
    // <env>/<app>/... and, for a JSON secret, the key; value rules: appSecretsProblems
    secrets: z
      .record(z.object({ name: z.string(), key: z.string().optional() }).strict())
      .default({}),
    // a database of the environment's RDS instance with the roles <app>_migrator and <app>_app
    database: z.object({ name: z.string() }).strict().optional(),
    // the schema migration the release runs before the idle colour gets a new version
    migrations: z
      .object({
        command: z
          .array(z.string())
          .min(1, "a command and its arguments, such as [npm, run, migrate]"),
        // default: the app's image (values image.repository) at the version being released
        image: z.string().optional(),
        timeout: duration.default("15m"),
        // the runbook's way back: undoes the expand migration (release prints it on a failure)
        down: z.array(z.string()).min(1).optional(),
        // release contract: the destructive steps, run once the old colour serves no traffic
        contract: z.array(z.string()).min(1).optional(),
      })
      .strict()
      .optional(),
    // the app's own Grafana dashboards (JSON files, relative to the environment file), shipped into
    // the Business folder; value rules: readBusinessDashboards (config/load.ts, Dashboards)
    dashboards: z.array(z.string().min(1, "a path to a dashboard JSON file")).default([]),
    podDisruptionBudget: z.boolean().optional(),
    podSecurityStandard: z.enum(["baseline", "restricted"]).optional(),
    autoscaling: z
      .object({
        enabled: z.boolean().optional(),
        minReplicas: z.number().optional(),
        maxReplicas: z.number().optional(),
        targetCpuUtilization: z.number().optional(),
      })
      .strict()
      .optional(),
    gates,
    rollout,
    // after a successful promote: a CloudFront invalidation on the environment's distribution
    cdn: z
      .object({
        invalidatePaths: z
          .array(z.string().regex(/^\/\S*$/, "a path starting with /, such as /* or /index.html"))
          .min(1, "at least one path"),
      })
      .strict()
      .optional(),
    release: z
      .object({
        stable: z.enum(["blue", "green"]),
        canaryWeight: z.number(),
        /** A manual RDS snapshot before start and run. @default true in the production tier */
        backup: z.boolean().optional(),
        blue: colour,
        green: colour,
      })
      .strict(),
  })
  .strict();

export const environmentSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,19}$/, "1-20 lowercase letters, digits and '-', letter first"),
    tier: z.enum(TIERS),
    account: accountId,
    region,
    deployRoleArn: roleArn.optional(),
    state: z.object({ bucket: s3BucketName, region }).strict(),
    tags: z.record(z.string().max(256, "a tag value of at most 256 characters")).default({}),
    network: z
      .object({
        cidr: cidrText,
        availabilityZones: z
          .array(z.string())
          .min(2, "at least 2 availability zones (EKS needs 2)"),
        natGateways: z.enum(NAT_GATEWAY_MODES),
        flowLogRetentionDays: retentionDays,
        subnetPrefixLengths: z
          .object({
            public: z.number().int().optional(),
            private: z.number().int().optional(),
            database: z.number().int().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
    cluster,
    registry: z
      .object({ keepImages: count(1).max(1000) })
      .strict()
      .optional(),
    database,
    dns: dns.optional(),
    cdn: cdn.default({}),
    // value rules: Alarms (validateAlarmsProps)
    alerts: z.object({ email: z.string() }).strict(),
    monitoring: monitoring.default({}),
    tracing: tracing.default({}),
    logs: logs.default({}),
    apps: z.record(app).default({}),
    // the release tool's manual RDS snapshots before a release
    releaseBackups: z
      .object({ keep: count(1).max(100).default(5), timeout: duration.default("60m") })
      .strict()
      .default({}),
    notifications: notifications.optional(),
    pipeline: pipeline.optional(),
    github: github.optional(),
  })
  .strict();

/** A validated environment file. */
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
/** One app of an environment file (`apps.<name>`), validated. */
export type AppConfig = EnvironmentConfig["apps"][string];
export type NodeGroupConfig = EnvironmentConfig["cluster"]["nodeGroups"][string];
