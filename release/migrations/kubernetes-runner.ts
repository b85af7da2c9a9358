/**
 * Normal mode's migrations: a Kubernetes Job per app, phase and version in the app namespace
 * (`<app>-migrate-<version>`, `<app>-contract-<version>`), as `<app>_migrator` through the
 * `<app>-migrator` service account's IRSA role, run and watched by {@link runMigrationJob}.
 */
import { migratorServiceAccount } from "../../constructs/private/database-access";
import type {
  KubernetesAccess,
  MigrationOutcome,
  MigrationRequest,
  MigrationRunner,
} from "../types";
import { migrationJob } from "./job";

/**
 * The AWS CLI image that turns the service account's role into an RDS authentication token
 * (ECR Public, pinned by tag; override with PLATFORM_MIGRATION_TOKEN_IMAGE).
 */
export const DEFAULT_TOKEN_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.17.0";

/** Where the database is: the infrastructure stack's outputs. */
export interface DatabaseEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Runs migrations as Kubernetes Jobs. */
export class KubernetesMigrationRunner implements MigrationRunner {
  readonly location = "a Kubernetes Job in the app namespace";

  constructor(
    private readonly options: {
      readonly kubernetes: () => Promise<KubernetesAccess | undefined>;
      readonly database: () => Promise<DatabaseEndpoint>;
      readonly region: string;
      readonly tokenImage?: string;
    },
  ) {}

  async run(request: MigrationRequest, log: (line: string) => void): Promise<MigrationOutcome> {
    const access = await this.options.kubernetes();
    if (!access) throw new Error("no Kubernetes API to create the migration Job in");
    const database = await this.options.database();
    const job = migrationJob({
      environment: request.environment,
      app: request.app,
      namespace: request.namespace,
      version: request.version,
      phase: request.phase,
      image: request.image,
      command: request.command,
      database: { host: database.host, port: database.port, name: request.database },
      deadlineSeconds: Math.ceil(request.timeoutMs / 1000),
      serviceAccountName: migratorServiceAccount(request.app),
      tokenImage:
        this.options.tokenImage ??
        process.env.PLATFORM_MIGRATION_TOKEN_IMAGE ??
        DEFAULT_TOKEN_IMAGE,
      region: this.options.region,
    });
    // the Job's own deadline ends it first; the extra minute covers scheduling and image pulls
    // loaded when used: @kubernetes/client-node is large and an ES module
    const { runMigrationJob } = await import("./job-runner");
    const result = await runMigrationJob(access, job, {
      log,
      timeoutMs: request.timeoutMs + 60_000,
    });
    const where = `Job ${result.namespace}/${result.jobName} (kubectl -n ${result.namespace} logs job/${result.jobName})`;
    switch (result.outcome) {
      case "succeeded":
      case "already-succeeded":
        return { outcome: result.outcome, durationMs: result.durationMs, where };
      case "failed":
        return {
          outcome: "failed",
          reason: [
            result.reason,
            result.container ? `container ${result.container}` : undefined,
            result.exitCode !== undefined ? `exit code ${result.exitCode}` : undefined,
            result.terminationMessage ?? result.message,
          ]
            .filter(Boolean)
            .join(", "),
          durationMs: result.durationMs,
          where,
        };
      default:
        return {
          outcome: "failed",
          reason: `no result within ${Math.round(request.timeoutMs / 1000) + 60}s; the Job was left running: ${result.inspect}`,
          durationMs: result.durationMs,
          where,
        };
    }
  }
}
