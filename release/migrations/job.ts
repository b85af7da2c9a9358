/**
 * The migrate step's Kubernetes Job (issue 16 section 4): one Job per app and version,
 * `<app>-migrate-<version>`, run in the app namespace as the database role `<app>_migrator`
 * with IAM database authentication. A pure renderer: no API call, no clock, no randomness.
 *
 * The pod has two containers:
 * - `token` (init): the AWS CLI, with the `<app>-migrator` service account's IRSA credentials
 *   (the EKS pod identity webhook injects `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` into
 *   every container of a pod whose service account carries `eks.amazonaws.com/role-arn`), runs
 *   `aws rds generate-db-auth-token` and writes one pgpass line into a memory-backed `emptyDir`;
 * - `migrate`: the migration image and command, with the libpq environment (`PGHOST`, `PGPORT`,
 *   `PGDATABASE`, `PGUSER`, `PGSSLMODE=require`, `PGPASSFILE`) pointing at that file.
 *
 * No password exists anywhere: the token is a 15-minute presigned request, valid for new
 * connections only, so a migration must open its connections within 15 minutes of its start.
 */
import { databaseRoles } from "../../constructs/private/database-access";
import { createHash } from "node:crypto";
import type { V1Container, V1Job, V1ResourceRequirements } from "@kubernetes/client-node";
import {
  RESTRICTED_CONTAINER_SECURITY_CONTEXT,
  restrictedPodSecurityContext,
} from "../../constructs/private/pod-security";

/** Annotation holding the version the Job migrates to, exactly as released (names are sanitized). */
export const MIGRATION_VERSION_ANNOTATION = "platform-release/migration-version";
/** Annotation holding the environment the Job was rendered for. */
export const MIGRATION_ENVIRONMENT_ANNOTATION = "platform-release/environment";
/** Name of the container that runs the migration (its log is the migration's log). */
export const MIGRATION_CONTAINER = "migrate";
/** Name of the init container that writes the pgpass file. */
export const TOKEN_CONTAINER = "token";
/** Where the pgpass file is written (the `PGPASSFILE` of the migration container). */
export const PGPASS_PATH = "/run/pg/pgpass";
/** The UID both containers run as unless the input says otherwise (the distroless `nonroot`). */
export const DEFAULT_MIGRATION_UID = 65532;

/** What the migration Job is rendered from. */
export interface MigrationJobInput {
  /** Environment name (`staging`), recorded as an annotation. */
  readonly environment: string;
  /** App name (`web`): a DNS-1123 label. */
  readonly app: string;
  /** The app namespace the Job runs in. */
  readonly namespace: string;
  /** The version being released (any string: `1.2.3`, `1.2.3+build.7`). */
  readonly version: string;
  /** Which migration: `expand` (before the idle colour changes) or `contract` (after a promote). @default "expand" */
  readonly phase?: "expand" | "contract";
  /** The migration image (the app image at the new version unless the app declares one). */
  readonly image: string;
  /** The migration command and its arguments (the container's `command`). */
  readonly command: readonly string[];
  /** The database the migration connects to. */
  readonly database: { readonly host: string; readonly port: number; readonly name: string };
  /** `activeDeadlineSeconds`: the cluster kills the migration after this long. */
  readonly deadlineSeconds: number;
  /** `<app>-migrator`, whose IRSA role may `rds-db:connect` as `<app>_migrator` only. */
  readonly serviceAccountName: string;
  /** The AWS CLI image for the token, pinned by tag (not `latest`), optionally with a digest (`repo:tag@sha256:<64 hex>`). */
  readonly tokenImage: string;
  /** AWS region of the database (`eu-west-1`). */
  readonly region: string;
  /** UID (and GID, fsGroup) of both containers; default {@link DEFAULT_MIGRATION_UID}. */
  readonly runAsUser?: number;
  /**
   * Whether the migration image runs with a read-only root filesystem (default true: `/tmp` and
   * `HOME=/tmp` are writable `emptyDir`s). Set false for an image that writes elsewhere.
   */
  readonly readOnlyRootFilesystem?: boolean;
  /** Requests and limits of the migration container (default 100m/256Mi requested, 1 CPU/512Mi limit). */
  readonly resources?: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PINNED_IMAGE = /^[^\s@]+:(?!latest(@|$))[\w][\w.-]{0,127}(@sha256:[a-f0-9]{64})?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const MAX_NAME = 63;
const HASH_LENGTH = 8;

/**
 * The Job name for an app and version: `<app>-migrate-<version>` (the contract phase:
 * `<app>-contract-<version>`) made a DNS-1123 label
 * (lowercase; `.`, `_`, `+` and anything else outside `[a-z0-9-]` become `-`; at most 63
 * characters, the limit of the `batch.kubernetes.io/job-name` label the Job controller puts on
 * its pods). A name that is too long is truncated and ends with `-` and 8 hex characters of the
 * SHA-256 of the full, unsanitized name, so two versions that share a long prefix never collide.
 */
export function migrationJobName(
  app: string,
  version: string,
  phase: "expand" | "contract" = "expand",
): string {
  const full = `${app}-${phase === "expand" ? "migrate" : "contract"}-${version}`;
  const sanitized = full
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+$/, "");
  if (sanitized.length <= MAX_NAME) return sanitized;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, HASH_LENGTH);
  const prefix = sanitized.slice(0, MAX_NAME - HASH_LENGTH - 1).replace(/-+$/, "");
  return `${prefix}-${hash}`;
}

/** Every input problem, as sentences. */
function inputProblems(input: MigrationJobInput): string[] {
  const problems: string[] = [];
  if (!DNS_LABEL.test(input.app) || input.app.length > 40) {
    problems.push(
      `app ${JSON.stringify(input.app)} is not a DNS-1123 label of at most 40 characters`,
    );
  }
  if (!DNS_LABEL.test(input.namespace) || input.namespace.length > MAX_NAME) {
    problems.push(`namespace ${JSON.stringify(input.namespace)} is not a DNS-1123 label`);
  }
  if (input.version.trim() === "") problems.push("version is empty");
  if (input.image.trim() === "" || /\s/.test(input.image)) {
    problems.push(`image ${JSON.stringify(input.image)} is not an image reference`);
  }
  if (input.command.length === 0 || input.command.some((part) => part === "")) {
    problems.push("command must be a non-empty list of non-empty strings");
  }
  const { host, port, name } = input.database;
  if (!/^[A-Za-z0-9.-]+$/.test(host))
    problems.push(`database.host ${JSON.stringify(host)} is not a host name`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(`database.port ${port} is not a TCP port`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    problems.push(`database.name ${JSON.stringify(name)} is not a PostgreSQL identifier`);
  }
  if (!Number.isInteger(input.deadlineSeconds) || input.deadlineSeconds < 1) {
    problems.push(`deadlineSeconds ${input.deadlineSeconds} is not a positive whole number`);
  }
  if (!DNS_LABEL.test(input.serviceAccountName)) {
    problems.push(
      `serviceAccountName ${JSON.stringify(input.serviceAccountName)} is not a DNS-1123 label`,
    );
  }
  if (!PINNED_IMAGE.test(input.tokenImage)) {
    problems.push(
      `tokenImage ${JSON.stringify(input.tokenImage)} is not pinned by tag (repository:tag, not latest, optionally @sha256:<64 hex>)`,
    );
  }
  if (!REGION.test(input.region))
    problems.push(`region ${JSON.stringify(input.region)} is not an AWS region`);
  const uid = input.runAsUser ?? DEFAULT_MIGRATION_UID;
  if (!Number.isInteger(uid) || uid < 1) problems.push(`runAsUser ${uid} is not a non-zero UID`);
  return problems;
}

/**
 * The init container's script: the token as the password of one pgpass line
 * (`host:port:database:user:password`, `:` and `\` escaped as libpq reads them), mode 0600
 * (libpq ignores a password file that group or others may read). Values come from the
 * environment, never from the script text, so no input is ever parsed by the shell.
 */
const TOKEN_SCRIPT = [
  "set -eu",
  "umask 077",
  'token="$(aws rds generate-db-auth-token --hostname "$PGHOST" --port "$PGPORT" --username "$PGUSER" --region "$AWS_REGION")"',
  "escape() { printf '%s' \"$1\" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/:/\\\\:/g'; }",
  `printf '%s:%s:%s:%s:%s\\n' "$(escape "$PGHOST")" "$PGPORT" "$(escape "$PGDATABASE")" "$(escape "$PGUSER")" "$(escape "$token")" > "$PGPASSFILE"`,
  'chmod 0600 "$PGPASSFILE"',
  'echo "wrote a pgpass line for $PGUSER@$PGHOST:$PGPORT/$PGDATABASE (IAM database authentication token, valid 15 minutes)"',
].join("\n");

/** The shell script the `token` init container runs (exported for tests and the runbook). */
export function tokenScript(): string {
  return TOKEN_SCRIPT;
}

const TOKEN_RESOURCES: V1ResourceRequirements = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
};
const MIGRATION_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "512Mi" },
};

/**
 * Renders the migration Job of an app and version (see the module comment). Throws one error
 * listing every invalid input.
 */
export function migrationJob(input: MigrationJobInput): V1Job {
  const problems = inputProblems(input);
  if (problems.length > 0) {
    throw new Error(
      `Cannot render the migration Job of ${input.app} ${input.version}: ${problems.join("; ")}`,
    );
  }
  const name = migrationJobName(input.app, input.version, input.phase);
  const uid = input.runAsUser ?? DEFAULT_MIGRATION_UID;
  const labels = {
    "app.kubernetes.io/name": input.app,
    "app.kubernetes.io/component": "migration",
    "app.kubernetes.io/managed-by": "platform-release",
  };
  const annotations = {
    [MIGRATION_VERSION_ANNOTATION]: input.version,
    [MIGRATION_ENVIRONMENT_ANNOTATION]: input.environment,
  };
  const libpq = [
    { name: "PGHOST", value: input.database.host },
    { name: "PGPORT", value: String(input.database.port) },
    { name: "PGDATABASE", value: input.database.name },
    { name: "PGUSER", value: databaseRoles(input.app).migrator },
    { name: "PGPASSFILE", value: PGPASS_PATH },
  ];
  const pgMount = { name: "pg", mountPath: "/run/pg" };
  const tmpMount = { name: "tmp", mountPath: "/tmp" };
  const token: V1Container = {
    name: TOKEN_CONTAINER,
    image: input.tokenImage,
    imagePullPolicy: "IfNotPresent",
    command: ["/bin/sh", "-c", TOKEN_SCRIPT],
    env: [...libpq, { name: "AWS_REGION", value: input.region }, { name: "HOME", value: "/tmp" }],
    resources: TOKEN_RESOURCES,
    securityContext: { ...RESTRICTED_CONTAINER_SECURITY_CONTEXT, capabilities: { drop: ["ALL"] } },
    terminationMessagePolicy: "FallbackToLogsOnError",
    volumeMounts: [pgMount, tmpMount],
  };
  const migrate: V1Container = {
    name: MIGRATION_CONTAINER,
    image: input.image,
    imagePullPolicy: "IfNotPresent",
    command: [...input.command],
    env: [
      ...libpq,
      { name: "PGSSLMODE", value: "require" },
      { name: "MIGRATION_VERSION", value: input.version },
      { name: "HOME", value: "/tmp" },
    ],
    resources: {
      requests: { ...(input.resources ?? MIGRATION_RESOURCES).requests },
      limits: { ...(input.resources ?? MIGRATION_RESOURCES).limits },
    },
    securityContext: {
      ...RESTRICTED_CONTAINER_SECURITY_CONTEXT,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: input.readOnlyRootFilesystem ?? true,
    },
    terminationMessagePolicy: "FallbackToLogsOnError",
    volumeMounts: [{ ...pgMount, readOnly: true }, tmpMount],
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: input.namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: input.deadlineSeconds,
      completions: 1,
      parallelism: 1,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: input.serviceAccountName,
          // IRSA needs no Kubernetes API token: the webhook projects its own sts.amazonaws.com token
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(uid),
          initContainers: [token],
          containers: [migrate],
          volumes: [
            { name: "pg", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
          ],
        },
      },
    },
  };
}
