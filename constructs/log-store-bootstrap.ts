import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import {
  logStoreBootstrapPlan,
  logStoreBootstrapProblems,
  type LogStoreBootstrapPlan,
} from "./private/log-store-bootstrap";
import { LOG_STORE_BOOTSTRAP_SERVICE_ACCOUNT } from "./private/log-names";
import { isToken, ProblemList, throwIfProblems } from "./private/validation";
import { bootstrapJob, bootstrapJobProblems } from "./private/bootstrap-job";
import type { Tier } from "./types";

export {
  logStoreBootstrapPlan,
  type LogStoreBootstrapItem,
  type LogStoreBootstrapPlan,
} from "./private/log-store-bootstrap";

/** The script the Job runs with node (plain CommonJS, Node's standard library only). */
export const LOG_STORE_BOOTSTRAP_SCRIPT = join(__dirname, "jobs", "log-store-bootstrap.cjs");

/**
 * The Job's image: the Docker official Node.js image through ECR Public (no Docker Hub rate
 * limit), user `node` (UID 1000).
 */
export const DEFAULT_LOG_STORE_BOOTSTRAP_IMAGE =
  "public.ecr.aws/docker/library/node:22.20.0-alpine3.22";
const NODE_UID = 1000;

/** Props of {@link LogStoreBootstrap}. */
export interface LogStoreBootstrapProps {
  /** The environment's name (index prefix `logs-<env>`). */
  readonly environmentName: string;
  /** Tier: shards, replicas and the default retention of the log indexes. @default "production" */
  readonly tier?: Tier;
  /** Days a daily log index is kept (ISM policy), 1-3650. @default 7 in development, 30 in production */
  readonly retentionDays?: number;
  /** HTTPS endpoint host of the domain (may be a token). */
  readonly endpoint: string;
  /** AWS region of the domain. */
  readonly region: string;
  /** IRSA role of the Job: the domain's fine-grained access control master user. */
  readonly roleArn: string;
  /** Fluent Bit's IAM role ARN, mapped to the `logs_writer` role (a literal: it is part of the plan's hash). */
  readonly writerRoleArn: string;
  /** Jaeger's IAM role ARN, mapped to the `jaeger` role (a literal). */
  readonly tracingRoleArn: string;
  /** People's IAM ARNs, mapped to `logs_reader` and `opensearch_dashboards_user` (literals). */
  readonly readerArns: readonly string[];
  /** Namespace of the Job (must exist; the role trusts its `log-store-bootstrap` service account). */
  readonly namespace: string;
  /** The Node.js image. @default DEFAULT_LOG_STORE_BOOTSTRAP_IMAGE */
  readonly image?: string;
  /** Seconds Terraform waits for the Job (a new domain takes a while to answer). @default 900 */
  readonly timeoutSeconds?: number;
  /** What must exist first (the namespace). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Text Terraform must not interpolate: its `${` and `%{` escaped as `$${` and `%%{`. */
export function terraformLiteral(text: string): string {
  return text.split("${").join("$${").split("%{").join("%%{");
}

const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

/**
 * Prepares the log store for Fluent Bit, Jaeger and people, idempotently: an ISM retention
 * policy per tier, the index template of the daily log indexes (mappings for podinfo's level, msg
 * and ts, the Kubernetes namespace, app and colour), the security plugin's roles mapped to the
 * platform's IAM roles, and OpenSearch Dashboards' saved objects (error tracking by app and
 * colour, the request log). A Job runs the script with node, signing every request with SigV4 as
 * its IRSA role (the domain's master user). The Job is named after the hash of the script and the
 * plan, so it runs when either changes and never again otherwise; Terraform waits for it.
 */
export class LogStoreBootstrap extends Construct {
  /** The Job of the current plan. */
  readonly job: JobV1;
  /** Its name: `log-store-bootstrap-<first 10 hex of the SHA-256 of script and plan>`. */
  readonly jobName: string;
  /** What the Job applies. */
  readonly plan: LogStoreBootstrapPlan;

  constructor(scope: Construct, id: string, props: LogStoreBootstrapProps) {
    super(scope, id);
    const problems = new ProblemList();
    problems.addAll(logStoreBootstrapProblems({ retentionDays: props.retentionDays }));
    const literalArn = (field: string, value: string) =>
      problems.check(
        !isToken(value) && ROLE_ARN.test(value),
        field,
        value,
        "a literal IAM role or user ARN (it is part of the plan, whose hash names the Job)",
      );
    literalArn("writerRoleArn", props.writerRoleArn);
    literalArn("tracingRoleArn", props.tracingRoleArn);
    props.readerArns.forEach((arn, i) => literalArn(`readerArns[${i}]`, arn));
    bootstrapJobProblems(problems, props, "node:22.20.0-alpine3.22");
    throwIfProblems(this, problems.problems);

    this.plan = logStoreBootstrapPlan({
      environmentName: props.environmentName,
      tier: props.tier ?? "production",
      retentionDays: props.retentionDays,
      writerRoleArn: props.writerRoleArn,
      tracingRoleArn: props.tracingRoleArn,
      readerArns: props.readerArns,
    });
    const script = readFileSync(LOG_STORE_BOOTSTRAP_SCRIPT, "utf8");
    const planJson = JSON.stringify(this.plan, null, 2);
    const hash = createHash("sha256")
      .update(script)
      .update("\0")
      .update(planJson)
      .digest("hex")
      .slice(0, 10);
    this.jobName = `log-store-bootstrap-${hash}`;
    const namespace = props.namespace;
    const labels = {
      "app.kubernetes.io/part-of": "platform",
      "app.kubernetes.io/name": "log-store-bootstrap",
    };
    const dependsOn = props.dependsOn ? [...props.dependsOn] : undefined;

    const serviceAccount = new ServiceAccountV1(this, "service-account", {
      metadata: {
        name: LOG_STORE_BOOTSTRAP_SERVICE_ACCOUNT.name,
        namespace,
        labels,
        annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
      },
      automountServiceAccountToken: false,
      dependsOn,
    });
    const configMap = new ConfigMapV1(this, "script", {
      metadata: { name: this.jobName, namespace, labels },
      // the script's template literals would otherwise be Terraform interpolations
      data: { "bootstrap.cjs": terraformLiteral(script), "plan.json": terraformLiteral(planJson) },
      dependsOn,
    });

    const timeout = props.timeoutSeconds ?? 900;
    this.job = bootstrapJob(this, {
      name: this.jobName,
      namespace,
      labels,
      timeoutSeconds: timeout,
      // the script retries inside one run; a pod lost with its node gets one more
      backoffLimit: 1,
      uid: NODE_UID,
      serviceAccountName: serviceAccount.metadata.name,
      container: {
        name: "bootstrap",
        image: props.image ?? DEFAULT_LOG_STORE_BOOTSTRAP_IMAGE,
        command: ["node", "/bootstrap/bootstrap.cjs", "/bootstrap/plan.json"],
        env: [
          { name: "OPENSEARCH_URL", value: `https://${props.endpoint}` },
          { name: "AWS_REGION", value: props.region },
          { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
          { name: "BOOTSTRAP_RETRIES", value: "60" },
          { name: "BOOTSTRAP_RETRY_DELAY_MS", value: "10000" },
        ],
        volumeMount: [{ name: "bootstrap", mountPath: "/bootstrap", readOnly: true }],
      },
      volume: [{ name: "bootstrap", configMap: { name: this.jobName } }],
      dependsOn: [configMap, serviceAccount],
    });
  }
}
