/**
 * The database bootstrap script: one psql script that gives each app its database and two roles,
 * run by a Kubernetes Job with `psql` as the RDS master user. Pure functions, no I/O.
 *
 * The RDS master user is not a superuser: it is a member of `rds_superuser` with CREATEROLE and
 * CREATEDB. What it may do differs between PostgreSQL 15 and 16, and the script is written for both:
 *
 * - PostgreSQL 15: CREATEROLE may create roles and grant membership in any non-superuser role;
 *   CREATE DATABASE ... OWNER r needs membership in r.
 * - PostgreSQL 16 (RDS `engineVersion: "16"`): a CREATEROLE user gets ADMIN OPTION on each role it
 *   creates, but with INHERIT FALSE and SET FALSE (`createrole_self_grant` is empty by default), and
 *   CREATE DATABASE ... OWNER r needs the right to SET ROLE r. So the script grants each migrator
 *   role to `CURRENT_USER` (a plain GRANT: SET TRUE, INHERIT by the member's default), which a
 *   creator holding ADMIN OPTION may do (PostgreSQL's create_role regression test grants a created
 *   role back to its creator), and checks that right with `pg_has_role(..., 'SET')` on 16 and
 *   `'MEMBER'` before (the SET privilege type does not exist on 15). Granting `rds_iam` needs ADMIN
 *   OPTION on it from 16 on; the RDS documentation has the master user run `GRANT rds_iam TO <user>`
 *   on every major, so RDS gives the master that right (through `rds_superuser`).
 *
 * Verified here against a real PostgreSQL 15 (test/unit/database-bootstrap.test.ts simulates the RDS
 * master: LOGIN CREATEROLE CREATEDB NOSUPERUSER, member of `rds_superuser`, which the test gives
 * `rds_iam` WITH ADMIN OPTION to model the right above). The 16-only branch (the SET check) is not
 * exercised on 15. The script holds on 16 because nothing in it relies on CREATEROLE's pre-16
 * reach: the roles it alters and grants are roles the master created (ADMIN OPTION) or `rds_iam`,
 * and every statement that needs the migrator's identity (CREATE DATABASE ... OWNER, the database
 * and schema grants, ALTER DEFAULT PRIVILEGES) runs after the explicit grant, under
 * `SET ROLE <app>_migrator`. Connecting to the app's database after PUBLIC lost CONNECT works
 * through that membership (INHERIT, the master's default).
 *
 * Idempotent and additive: every statement is guarded (`\gexec` on a catalog query, or a `DO`
 * block) or a GRANT/REVOKE whose second run leaves the catalog as it was. It never drops anything,
 * never revokes from the app roles, and never changes an owner: a database owned by someone else, a
 * `public` schema owned by someone else, or an app role with more than DML rights stops the script
 * (`ON_ERROR_STOP`) with what to fix by hand.
 */
import { databaseRoles } from "./database-access";
import { formatProblem, type Problem } from "./validation";

/** One app's database. */
export interface DatabaseBootstrapEntry {
  /** The app's name, a DNS label such as `web` or `billing-api` (roles map `-` to `_`). */
  readonly app: string;
  /** The database's name: a lowercase PostgreSQL identifier, e.g. `billing`. */
  readonly database: string;
}

/** The role the master user must be able to grant (IAM database authentication on RDS). */
export const RDS_IAM_ROLE = "rds_iam";

/** Database names the bootstrap never creates or takes over (PostgreSQL's and RDS's own). */
export const RESERVED_DATABASES = ["postgres", "template0", "template1", "rdsadmin"] as const;

/** PostgreSQL's identifier length limit (NAMEDATALEN - 1). */
const MAX_IDENTIFIER = 63;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** The longer suffix, `_migrator`, must still fit in 63 characters. */
const MAX_APP = MAX_IDENTIFIER - "_migrator".length;

/** Every problem of the entries (empty when they are valid); fields are `apps.<app>.database.name`. */
export function databaseBootstrapProblems(entries: readonly DatabaseBootstrapEntry[]): Problem[] {
  const problems: Problem[] = [];
  if (entries.length === 0) {
    problems.push({
      field: "apps.*.database",
      received: [],
      expected: "at least one app with a database to bootstrap",
    });
  }
  const apps = new Map<string, number>();
  const databases = new Map<string, string>();
  for (const { app, database } of entries) {
    const field = `apps.${app}`;
    if (typeof app !== "string" || !DNS_LABEL.test(app) || app.length > MAX_APP) {
      problems.push({
        field,
        received: app,
        expected: `an app name that is a DNS label (lowercase letters, digits and -, letter first) of at most ${MAX_APP} characters, so that ${"<app>_migrator"} fits PostgreSQL's ${MAX_IDENTIFIER}`,
      });
    }
    apps.set(app, (apps.get(app) ?? 0) + 1);
    if (apps.get(app) === 2) {
      problems.push({ field, received: app, expected: "each app once in the bootstrap" });
    }
    const name = `${field}.database.name`;
    if (typeof database !== "string" || !IDENTIFIER.test(database)) {
      problems.push({
        field: name,
        received: database,
        expected:
          "a PostgreSQL identifier: a lowercase letter or _ first, then lowercase letters, digits or _",
      });
    } else if (database.length > MAX_IDENTIFIER) {
      problems.push({
        field: name,
        received: database,
        expected: `at most ${MAX_IDENTIFIER} characters (PostgreSQL truncates longer identifiers)`,
      });
    } else if ((RESERVED_DATABASES as readonly string[]).includes(database)) {
      problems.push({
        field: name,
        received: database,
        expected: `a database of the app's own, not one of ${RESERVED_DATABASES.join(", ")}`,
      });
    } else {
      const owner = databases.get(database);
      if (owner !== undefined && owner !== app) {
        problems.push({
          field: name,
          received: database,
          expected: `a database no other app uses (apps.${owner} has it; a database has one migrator owner)`,
        });
      }
      databases.set(database, owner ?? app);
    }
  }
  return problems;
}

/** `"name"`: the names are validated identifiers, so quoting is all they need. */
const ident = (name: string) => `"${name}"`;
/** `'text'` with quotes doubled. */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The psql script that bootstraps every entry (run it as the RDS master user, e.g.
 * `psql -v ON_ERROR_STOP=1 -f bootstrap.sql`; it sets ON_ERROR_STOP itself too). Throws one
 * error listing every invalid entry.
 */
export function databaseBootstrapScript(entries: readonly DatabaseBootstrapEntry[]): string {
  const problems = databaseBootstrapProblems(entries);
  if (problems.length > 0) {
    throw new Error(
      [
        `database bootstrap: ${problems.length} problem${problems.length === 1 ? "" : "s"}`,
        ...problems.map((p) => `  ${formatProblem(p)}`),
      ].join("\n"),
    );
  }
  const lines = [
    "-- Database bootstrap (generated by constructs/private/database-bootstrap.ts): idempotent,",
    "-- additive, never drops. Run with psql as the RDS master user.",
    "\\set ON_ERROR_STOP on",
    "SELECT current_database() AS bootstrap_home \\gset",
    "DO $bootstrap$",
    "BEGIN",
    `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(RDS_IAM_ROLE)}) THEN`,
    `    RAISE EXCEPTION 'role ${RDS_IAM_ROLE} does not exist: IAM database authentication needs an RDS instance (iam_database_authentication_enabled)';`,
    "  END IF;",
    "END",
    "$bootstrap$;",
  ];
  for (const entry of entries) lines.push("", ...entryScript(entry));
  return `${lines.join("\n")}\n`;
}

function entryScript({ app, database }: DatabaseBootstrapEntry): string[] {
  const roles = databaseRoles(app);
  const db = ident(database);
  const migrator = ident(roles.migrator);
  const runtime = ident(roles.runtime);
  const exists = (role: string) => `EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(role)})`;
  const memberOf = (role: string, member: string) =>
    `EXISTS (SELECT FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ${literal(role)} AND u.rolname = ${literal(member)})`;
  const lines = [`-- ${app}: database ${database}, roles ${roles.migrator} and ${roles.runtime}`];
  lines.push(
    `\\echo 'bootstrap ${app}: database ${database}, roles ${roles.migrator}, ${roles.runtime}'`,
  );

  for (const role of [roles.migrator, roles.runtime]) {
    lines.push(
      `SELECT 'CREATE ROLE ${ident(role)} LOGIN' WHERE NOT ${exists(role)} \\gexec`,
      `SELECT 'ALTER ROLE ${ident(role)} LOGIN' WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(role)} AND NOT rolcanlogin) \\gexec`,
      `SELECT 'GRANT ${RDS_IAM_ROLE} TO ${ident(role)}' WHERE NOT ${memberOf(RDS_IAM_ROLE, role)} \\gexec`,
    );
  }
  // An existing role of the wrong shape is not "fixed" by taking rights away: it stops the script.
  lines.push(
    "DO $bootstrap$",
    "BEGIN",
    `  IF EXISTS (SELECT FROM pg_roles WHERE rolname IN (${literal(roles.migrator)}, ${literal(roles.runtime)}) AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)) THEN`,
    `    RAISE EXCEPTION 'role ${roles.migrator} or ${roles.runtime} exists with SUPERUSER, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS: expected plain LOGIN roles; the bootstrap never takes rights away, fix the role by hand';`,
    "  END IF;",
    `  IF pg_has_role(${literal(roles.runtime)}, ${literal(roles.migrator)}, 'MEMBER') THEN`,
    `    RAISE EXCEPTION 'role ${roles.runtime} is a member of ${roles.migrator}: the runtime role must not run DDL; revoke the membership by hand';`,
    "  END IF;",
    // PostgreSQL 16: CREATE DATABASE ... OWNER and SET ROLE need the SET option, which the
    // automatic ADMIN grant to a CREATEROLE creator lacks; PostgreSQL 15: membership is enough.
    `  IF NOT pg_has_role(CURRENT_USER, ${literal(roles.migrator)}, CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN`,
    `    EXECUTE 'GRANT ${migrator} TO CURRENT_USER';`,
    "  END IF;",
    `  IF EXISTS (SELECT FROM pg_database WHERE datname = ${literal(database)} AND datdba <> ${literal(roles.migrator)}::regrole) THEN`,
    `    RAISE EXCEPTION 'database ${database} exists and is owned by %, expected ${roles.migrator}: the bootstrap never changes an owner; run ALTER DATABASE ${database} OWNER TO ${roles.migrator} by hand if that is right', (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${literal(database)});`,
    "  END IF;",
    "END",
    "$bootstrap$;",
    `SELECT 'CREATE DATABASE ${db} OWNER ${migrator}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${literal(database)}) \\gexec`,
    // as the owner: the grants are the owner's, and nothing depends on the master's own rights
    `SET ROLE ${migrator};`,
    `REVOKE CONNECT, TEMPORARY ON DATABASE ${db} FROM PUBLIC;`,
    `GRANT CONNECT ON DATABASE ${db} TO ${migrator}, ${runtime};`,
    "RESET ROLE;",
    `\\connect ${db}`,
    "DO $bootstrap$",
    "BEGIN",
    "  IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'public') NOT IN",
    `     ('pg_database_owner'::regrole, ${literal(roles.migrator)}::regrole) THEN`,
    `    RAISE EXCEPTION 'schema public of database ${database} is owned by %, expected ${roles.migrator} (or pg_database_owner, the database owner); change it by hand', (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public');`,
    "  END IF;",
    "END",
    "$bootstrap$;",
    `SET ROLE ${migrator};`,
    "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
    `GRANT USAGE ON SCHEMA public TO ${runtime};`,
    // what the migrator creates later, then what already exists
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${runtime};`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} GRANT USAGE, SELECT ON SEQUENCES TO ${runtime};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${runtime};`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${runtime};`,
    "RESET ROLE;",
    `\\connect :"bootstrap_home"`,
  );
  return lines;
}
