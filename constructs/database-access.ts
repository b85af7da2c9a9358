import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { DefaultServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/default-service-account-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { DNS_LABEL } from "./private/patterns";
import {
  databaseEnvironment,
  databaseRoles,
  migratorServiceAccount,
} from "./private/database-access";
import { databaseBootstrapProblems } from "./private/database-bootstrap";
import { isToken, ProblemList, throwIfProblems } from "./private/validation";

export {
  DATABASE_ENVIRONMENT_KEYS,
  databaseRoles,
  migratorServiceAccount,
} from "./private/database-access";

/** Props of {@link DatabaseAccess}. */
export interface DatabaseAccessProps {
  /** The app name (its roles are `<app>_app` and `<app>_migrator`, `-` read as `_`). */
  readonly app: string;
  /** The app namespace (created elsewhere; pass the namespace resource in `dependsOn`). */
  readonly namespace: string;
  /** The app's database on the environment's instance. */
  readonly database: string;
  /** Address of the PostgreSQL instance (may be a token). */
  readonly host: string;
  /** Port of the PostgreSQL instance. @default 5432 */
  readonly port?: number;
  /** IRSA role the app's pods (the namespace's `default` service account) connect as `<app>_app` with. */
  readonly runtimeRoleArn: string;
  /** IRSA role the migration Job (service account `<app>-migrator`) connects as `<app>_migrator` with. */
  readonly migratorRoleArn: string;
  /** What must exist first, e.g. the app namespace. @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * An app's way into its PostgreSQL database, with no password: the app namespace's `default`
 * service account (which the app's pods run as) annotated with the IRSA role that may
 * `rds-db:connect` as `<app>_app`, and the service account `<app>-migrator` of the migration
 * Job, whose role may connect as `<app>_migrator`. The roles themselves are created by the
 * database bootstrap; the colours' ConfigMaps carry {@link DatabaseAccess.environment}.
 */
export class DatabaseAccess extends Construct {
  /** The libpq variables of the runtime connection (PGHOST, PGPORT, PGDATABASE, PGUSER, PGSSLMODE). */
  readonly environment: Readonly<Record<string, string>>;
  /** The PostgreSQL roles: `runtime` (`<app>_app`, DML) and `migrator` (`<app>_migrator`, owner). */
  readonly roles: { readonly runtime: string; readonly migrator: string };
  /** Name of the migration Job's service account. */
  readonly migratorServiceAccountName: string;
  /** The app namespace's `default` service account, annotated with the runtime role (pods run as it). */
  readonly runtimeServiceAccount: DefaultServiceAccountV1;
  /** The migration Job's service account. */
  readonly migratorServiceAccount: ServiceAccountV1;

  constructor(scope: Construct, id: string, props: DatabaseAccessProps) {
    super(scope, id);
    const problems = new ProblemList();
    problems.addAll(
      databaseBootstrapProblems([{ app: props.app, database: props.database }]).map((p) => ({
        ...p,
        field: p.field.endsWith(".database.name") ? "database" : "app",
      })),
    );
    if (!isToken(props.namespace)) {
      problems.check(
        DNS_LABEL.test(props.namespace),
        "namespace",
        props.namespace,
        "a DNS-1123 label",
      );
    }
    if (props.port !== undefined) {
      problems.check(
        Number.isInteger(props.port) && props.port >= 1 && props.port <= 65535,
        "port",
        props.port,
        "an integer port from 1 to 65535",
      );
    }
    throwIfProblems(this, problems.problems);

    this.roles = databaseRoles(props.app);
    this.migratorServiceAccountName = migratorServiceAccount(props.app);
    this.environment = databaseEnvironment({
      host: props.host,
      port: String(props.port ?? 5432),
      database: props.database,
      user: this.roles.runtime,
    });
    const dependsOn = props.dependsOn ? [...props.dependsOn] : undefined;
    const irsa = (roleArn: string) => ({ "eks.amazonaws.com/role-arn": roleArn });
    const labels = { "app.kubernetes.io/part-of": props.app };
    this.runtimeServiceAccount = new DefaultServiceAccountV1(this, "runtime-service-account", {
      metadata: { namespace: props.namespace, annotations: irsa(props.runtimeRoleArn), labels },
      // IRSA projects its own token; pods that call the Kubernetes API opt in themselves
      automountServiceAccountToken: false,
      dependsOn,
    });
    this.migratorServiceAccount = new ServiceAccountV1(this, "migrator-service-account", {
      metadata: {
        name: this.migratorServiceAccountName,
        namespace: props.namespace,
        annotations: irsa(props.migratorRoleArn),
        labels: { ...labels, "app.kubernetes.io/component": "migration" },
      },
      // IRSA projects its own token; the Kubernetes API token is not needed
      automountServiceAccountToken: false,
      dependsOn,
    });
  }
}
