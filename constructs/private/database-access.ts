/**
 * An app's access to the environment's PostgreSQL (`apps.<app>.database`): two roles per app,
 * reached with IAM database authentication, never the master secret.
 * - `<app>_migrator` owns the app's database and its schema: the migration Job connects as it;
 * - `<app>_app` may read and write rows only (DML): the app's pods connect as it.
 * The bootstrap script (`database-bootstrap.ts`) creates both; the IAM policies here let exactly
 * one Kubernetes service account connect as each.
 */
import type { PolicyStatement } from "./iam";

/** The two PostgreSQL roles of an app (`-` in the app name becomes `_`). */
export function databaseRoles(app: string): {
  readonly migrator: string;
  readonly runtime: string;
} {
  const base = app.replace(/-/g, "_");
  return { migrator: `${base}_migrator`, runtime: `${base}_app` };
}

/** The Kubernetes service account the migration Job runs as, in the app namespace. */
export function migratorServiceAccount(app: string): string {
  return `${app}-migrator`;
}

/** Where an app's pods find its database (its colours' ConfigMaps carry these, libpq's names). */
export interface DatabaseConnection {
  /** Instance address (a token in the workloads stack). */
  readonly host: string;
  /** Port, as a string. */
  readonly port: string;
  /** The app's database. */
  readonly database: string;
  /** The role the app connects as: `<app>_app`. */
  readonly user: string;
}

/**
 * The ConfigMap entries of a database connection, named as libpq reads them, so `psql` and most
 * PostgreSQL clients connect with no code. The password is an IAM authentication token the app
 * generates with its own role (`rds-db:connect`), valid 15 minutes; TLS is required by the
 * instance's parameter group.
 */
export function databaseEnvironment(connection: DatabaseConnection): Record<string, string> {
  return {
    PGHOST: connection.host,
    PGPORT: connection.port,
    PGDATABASE: connection.database,
    PGUSER: connection.user,
    PGSSLMODE: "require",
  };
}

/** The keys of the database connection in each colour's ConfigMap (known before their values). */
export const DATABASE_ENVIRONMENT_KEYS = ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSSLMODE"];

/**
 * The one statement a database role's IRSA role holds: connect as `user` to the instance
 * `resourceId` (its `DbiResourceId`), nothing else.
 */
export function connectStatement(options: {
  readonly partition?: string;
  readonly region: string;
  readonly account: string;
  readonly resourceId: string;
  readonly user: string;
}): PolicyStatement {
  return {
    Sid: "ConnectAsOwnRole",
    Effect: "Allow",
    Action: "rds-db:connect",
    Resource: `arn:${options.partition ?? "aws"}:rds-db:${options.region}:${options.account}:dbuser:${options.resourceId}/${options.user}`,
  };
}
