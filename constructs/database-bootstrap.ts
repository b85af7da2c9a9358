import { createHash } from "node:crypto";
import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { JobV1 } from "@cdktf/provider-kubernetes/lib/job-v1";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { NamespaceSecrets } from "./namespace-secrets";
import type { ExternalSecretsOperator } from "./external-secrets-operator";
import {
  databaseBootstrapProblems,
  databaseBootstrapScript,
  type DatabaseBootstrapEntry,
} from "./private/database-bootstrap";
import { ProblemList, throwIfProblems } from "./private/validation";
import { bootstrapJob, bootstrapJobProblems } from "./private/bootstrap-job";

export type { DatabaseBootstrapEntry } from "./private/database-bootstrap";

/**
 * The psql image of the Job: the Docker official image through ECR Public (reachable from the
 * private subnets through the NAT gateways, no Docker Hub rate limit). psql 17 talks to every
 * server from 9.2 on, so it serves the RDS majors the platform allows. The `postgres` user of
 * the Alpine variant is UID and GID 70.
 */
export const DEFAULT_BOOTSTRAP_IMAGE = "public.ecr.aws/docker/library/postgres:17.6-alpine3.22";
const POSTGRES_UID = 70;

/** Props of {@link DatabaseBootstrap}. */
export interface DatabaseBootstrapProps {
  /** The apps' databases: each gets `<app>_migrator` (owner) and `<app>_app` (DML only). */
  readonly databases: readonly DatabaseBootstrapEntry[];
  /** Address of the PostgreSQL instance (may be a token). */
  readonly host: string;
  /** Port of the instance. @default 5432 */
  readonly port?: number;
  /** The database the master user connects to first. @default "postgres" */
  readonly maintenanceDatabase?: string;
  /** ARN of the Secrets Manager secret RDS keeps the master credentials in (JSON: username, password). */
  readonly masterSecretArn: string;
  /** IRSA role that may read exactly that secret (service account `database-bootstrap` of the namespace). */
  readonly secretsRoleArn: string;
  /** AWS region of the secret. */
  readonly region: string;
  /** The External Secrets Operator that syncs the master secret into the namespace. */
  readonly operator: Pick<ExternalSecretsOperator, "release" | "apiVersion">;
  /** Namespace created for the bootstrap: the only place the master secret is readable in the cluster. @default "platform" */
  readonly namespace?: string;
  /** The psql image. @default DEFAULT_BOOTSTRAP_IMAGE */
  readonly image?: string;
  /** Seconds Terraform waits for the Job to complete. @default 600 */
  readonly timeoutSeconds?: number;
  /** What must exist first (e.g. the database's security group rules). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The service account of the bootstrap's SecretStore (its IRSA role reads the master secret). */
export const DATABASE_BOOTSTRAP_SERVICE_ACCOUNT = "database-bootstrap";
/** The Kubernetes Secret the master credentials are synced into. */
const MASTER_SECRET = "database-master";

/**
 * Creates the apps' databases and roles on the environment's PostgreSQL, idempotently and
 * additively (it never drops anything): a `platform` namespace, the RDS master secret synced into
 * it (the only reader: apps never receive it), the bootstrap script in a ConfigMap, and a Job
 * that runs it with psql as the master user. The Job is named after the script's hash, so it
 * runs on the deploy that adds a database (or changes the script) and never again otherwise;
 * Terraform waits for it to complete and fails the deploy when it fails.
 */
export class DatabaseBootstrap extends Construct {
  /** The namespace. */
  readonly namespaceResource: NamespaceV1;
  /** The Job of the current script. */
  readonly job: JobV1;
  /** Its name: `database-bootstrap-<first 10 hex of the script's SHA-256>`. */
  readonly jobName: string;
  /** The script the Job runs. */
  readonly script: string;
  /** The master secret synced into the namespace. */
  readonly masterSecret: NamespaceSecrets;

  constructor(scope: Construct, id: string, props: DatabaseBootstrapProps) {
    super(scope, id);
    const problems = new ProblemList();
    problems.addAll(databaseBootstrapProblems(props.databases));
    bootstrapJobProblems(problems, props, "postgres:17.6-alpine3.22");
    throwIfProblems(this, problems.problems);

    const namespaceName = props.namespace ?? "platform";
    const labels = {
      "app.kubernetes.io/part-of": "platform",
      "app.kubernetes.io/name": "database-bootstrap",
    };
    this.namespaceResource = new NamespaceV1(this, "namespace", {
      metadata: {
        name: namespaceName,
        labels: {
          "app.kubernetes.io/part-of": "platform",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
    const namespace = this.namespaceResource.metadata.name;
    // Nothing serves in this namespace: no ingress at all.
    new NetworkPolicyV1(this, "network-policy-default-deny", {
      metadata: { name: "default-deny-ingress", namespace, labels },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });

    this.masterSecret = new NamespaceSecrets(this, "master-secret", {
      namespace,
      serviceAccountName: DATABASE_BOOTSTRAP_SERVICE_ACCOUNT,
      roleArn: props.secretsRoleArn,
      region: props.region,
      secrets: {
        [MASTER_SECRET]: {
          username: { name: props.masterSecretArn, key: "username" },
          password: { name: props.masterSecretArn, key: "password" },
        },
      },
      // RDS rotates the master password (every 7 days): a bootstrap after a rotation waits at
      // most this long for the new one (the Job retries meanwhile)
      refreshInterval: "5m",
      operator: props.operator,
      dependsOn: [this.namespaceResource],
    });

    this.script = databaseBootstrapScript(props.databases);
    const hash = createHash("sha256").update(this.script).digest("hex").slice(0, 10);
    this.jobName = `database-bootstrap-${hash}`;
    const configMap = new ConfigMapV1(this, "script", {
      metadata: { name: this.jobName, namespace, labels },
      data: { "bootstrap.sql": this.script },
    });

    const fromMaster = (key: string) => ({
      valueFrom: { secretKeyRef: { name: MASTER_SECRET, key } },
    });
    const timeout = props.timeoutSeconds ?? 600;
    this.job = bootstrapJob(this, {
      name: this.jobName,
      namespace,
      labels,
      timeoutSeconds: timeout,
      // the Secret may lag a rotation by one refresh: a few retries ride it out
      backoffLimit: 4,
      uid: POSTGRES_UID,
      container: {
        name: "psql",
        image: props.image ?? DEFAULT_BOOTSTRAP_IMAGE,
        command: ["psql", "-v", "ON_ERROR_STOP=1", "-f", "/bootstrap/bootstrap.sql"],
        env: [
          { name: "PGHOST", value: props.host },
          { name: "PGPORT", value: String(props.port ?? 5432) },
          { name: "PGDATABASE", value: props.maintenanceDatabase ?? "postgres" },
          { name: "PGUSER", ...fromMaster("username") },
          { name: "PGPASSWORD", ...fromMaster("password") },
          { name: "PGSSLMODE", value: "require" },
          { name: "PGCONNECT_TIMEOUT", value: "10" },
          { name: "PGAPPNAME", value: this.jobName },
        ],
        volumeMount: [
          { name: "script", mountPath: "/bootstrap", readOnly: true },
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
      volume: [
        { name: "script", configMap: { name: this.jobName } },
        { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
      ],
      dependsOn: [configMap, this.masterSecret.release],
    });
  }
}
