/**
 * A real PostgreSQL server for tests: Debian's `postgresql` package binaries (initdb, postgres,
 * psql, pg_dump from `/usr/lib/postgresql/<major>/bin`, never PATH), a temporary data directory, a
 * free loopback TCP port and the Unix socket inside the temporary directory, so it never meets the
 * package's own cluster (port 5432, `/var/run/postgresql`). `.ci/run` installs the package; a
 * missing binary fails the test with how to install it (never a silent skip).
 *
 * Root: initdb and postgres refuse to run as root. As root the server runs as the `postgres`
 * system user that the Debian package creates (falling back to `nobody` when there is none),
 * through `setpriv --reuid --regid --clear-groups` (util-linux, present on every Debian; unlike
 * `runuser` it needs no PAM session and no login shell); the temporary directory is handed to that
 * user. Not root: the binaries run as the current user. The clients (psql, pg_dump, `pg`) always
 * run as the current user and connect over TCP to 127.0.0.1 with `trust` authentication.
 */
import { freePort, supervise } from "./server-process";
import { spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";

/** Where Debian's `postgresql-<major>` packages put the server binaries. */
export const POSTGRES_LIB = "/usr/lib/postgresql";

/** The superuser initdb creates. */
export const POSTGRES_SUPERUSER = "postgres";

/** Which user and database a query or client runs as. */
export interface ConnectAs {
  /** @default "postgres" (the superuser) */
  readonly user?: string;
  /** @default "postgres" */
  readonly database?: string;
}

/** What a client command printed and how it exited. */
export interface CommandResult {
  /** The exit status (null when killed by a signal). */
  readonly status: number | null;
  /** Everything it wrote to stdout. */
  readonly stdout: string;
  /** Everything it wrote to stderr. */
  readonly stderr: string;
}

/** A running test server. */
export interface PostgresServer {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The free loopback port it listens on. */
  readonly port: number;
  /** The server's major version, e.g. 15. */
  readonly version: number;
  /** The superuser's name (`postgres`). */
  readonly superuser: string;
  /** The folder of the binaries used (initdb, postgres, psql, pg_dump). */
  readonly binDir: string;
  /** `postgresql://<user>@127.0.0.1:<port>/<db>` (trust authentication: no password). */
  url(user?: string, database?: string): string;
  /** The `PG*` variables libpq and `pg` read, for a child process. */
  env(as?: ConnectAs): Record<string, string>;
  /** Runs `sql` (one or more statements, no parameters) on a fresh connection; the last result's rows. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    as?: ConnectAs,
  ): Promise<Row[]>;
  /**
   * Runs this server's `psql --no-psqlrc` with `args` (PGHOST/PGPORT set; user and database
   * default to the superuser and `postgres`, override them with `-U` and `-d`).
   */
  psql(...args: string[]): Promise<CommandResult>;
  /** `pg_dump --schema-only` of one database, as the superuser; throws when pg_dump fails. */
  dump(database: string): Promise<string>;
  /** Stops the server (fast shutdown, SIGKILL after 10 s), waits for it, removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** Folder of the server binaries. @default PLATFORM_POSTGRES_BIN, else the newest /usr/lib/postgresql/<major>/bin */
  readonly binDir?: string;
  /** How long to wait until the server accepts connections. @default 30000 */
  readonly readyTimeoutMs?: number;
}

/** The newest `/usr/lib/postgresql/<major>/bin` that has initdb, or undefined. */
export function postgresBinDir(): string | undefined {
  if (process.env.PLATFORM_POSTGRES_BIN) return process.env.PLATFORM_POSTGRES_BIN;
  if (!existsSync(POSTGRES_LIB)) return undefined;
  const majors = readdirSync(POSTGRES_LIB)
    .filter((d) => /^\d+$/.test(d) && existsSync(join(POSTGRES_LIB, d, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return majors.length > 0 ? join(POSTGRES_LIB, majors[0], "bin") : undefined;
}

/** As root: the uid and gid of the unprivileged user that runs initdb and postgres. */
interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Root runs the server as `postgres` (the Debian package's system user), else as `nobody`. */
function serverUser(): RunAs | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  const users = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .map((line) => line.split(":"))
    .filter((fields) => fields.length >= 4);
  for (const name of ["postgres", "nobody"]) {
    const entry = users.find((fields) => fields[0] === name);
    if (entry) return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
  }
  throw new Error(
    "running as root, but /etc/passwd has neither a postgres nor a nobody user: initdb and postgres refuse to run as root; create an unprivileged user (Debian's postgresql package creates postgres)",
  );
}

/** The command line that runs `binary` as `user` (through setpriv when root). */
function asUser(user: RunAs | undefined, binary: string, args: string[]): [string, string[]] {
  if (!user) return [binary, args];
  return [
    "setpriv",
    [`--reuid=${user.uid}`, `--regid=${user.gid}`, "--clear-groups", "--", binary, ...args],
  ];
}

/** Runs a command to its end; its output and status. */
function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Creates a cluster in a temporary directory with initdb, starts it on a free loopback port and
 * resolves once it accepts connections. Call `stop()` in afterAll.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? postgresBinDir();
  if (!binDir || !existsSync(join(binDir, "initdb"))) {
    throw new Error(
      `PostgreSQL server binaries not found (${binDir ?? `${POSTGRES_LIB}/<major>/bin`}/initdb): ` +
        "the database tests run against a real server. Install them with " +
        "`sudo apt-get update && sudo apt-get install -y --no-install-recommends postgresql` " +
        "(.ci/run does this in CI), or point PLATFORM_POSTGRES_BIN at a folder with initdb and postgres.",
    );
  }
  const user = serverUser();
  const dir = await mkdtemp(join(tmpdir(), "pg-test-"));
  try {
    if (user) chownSync(dir, user.uid, user.gid);
    const data = join(dir, "data");
    const [initdb, initdbArgs] = asUser(user, join(binDir, "initdb"), [
      `--pgdata=${data}`,
      `--username=${POSTGRES_SUPERUSER}`,
      "--auth=trust",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    const init = await run(initdb, initdbArgs, { cwd: dir });
    if (init.status !== 0) {
      throw new Error(
        `initdb failed (exit ${init.status}${user ? `, as user ${user.name}` : ""}): ${init.stderr.trim() || init.stdout.trim()}`,
      );
    }
    let lastError: Error | undefined;
    // The free port may be taken between picking and binding: try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        return await launch({ dir, data, binDir, user, port }, options.readyTimeoutMs ?? 30_000);
      } catch (error) {
        lastError = error as Error;
        if (!/address already in use|could not bind/i.test(lastError.message)) break;
      }
    }
    throw lastError ?? new Error("PostgreSQL did not start");
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

interface Cluster {
  readonly dir: string;
  readonly data: string;
  readonly binDir: string;
  readonly user: RunAs | undefined;
  readonly port: number;
}

async function launch(cluster: Cluster, readyTimeoutMs: number): Promise<PostgresServer> {
  const { dir, data, binDir, user, port } = cluster;
  const host = "127.0.0.1";
  const [command, args] = asUser(user, join(binDir, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-c",
    `listen_addresses=${host}`,
    "-c",
    `unix_socket_directories=${dir}`,
    // a throwaway cluster: durability buys nothing here
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "log_min_messages=warning",
  ]);
  const child: ChildProcess = spawn(command, args, {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  // SIGINT: fast shutdown (active sessions are ended, no checkpoint wait for clients)
  const server = supervise(child, dir, "SIGINT");
  const stop = server.stop;

  const env = (as: ConnectAs = {}): Record<string, string> => ({
    PGHOST: host,
    PGPORT: String(port),
    PGUSER: as.user ?? POSTGRES_SUPERUSER,
    PGDATABASE: as.database ?? "postgres",
    PGCONNECT_TIMEOUT: "10",
  });
  const query = async <Row extends Record<string, unknown>>(
    sql: string,
    as: ConnectAs = {},
  ): Promise<Row[]> => {
    const client = new Client({
      host,
      port,
      user: as.user ?? POSTGRES_SUPERUSER,
      database: as.database ?? "postgres",
    });
    await client.connect();
    try {
      const result = (await client.query(sql)) as unknown as
        | { rows: Row[] }
        | Array<{ rows: Row[] }>;
      return Array.isArray(result) ? (result[result.length - 1]?.rows ?? []) : result.rows;
    } finally {
      await client.end();
    }
  };
  const clientEnv = () => ({ ...process.env, ...env(), PGPASSWORD: "" });
  let restrictKey: boolean | undefined;

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (server.exitCode() !== undefined) {
      throw new Error(
        `postgres exited (code ${server.exitCode()}) before it accepted connections on ${host}:${port}: ${server.stderr().trim() || "no output"}`,
      );
    }
    try {
      const [row] = await query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      const version = Math.floor(Number(row.v) / 10000);
      return {
        host,
        port,
        version,
        superuser: POSTGRES_SUPERUSER,
        binDir,
        url: (u = POSTGRES_SUPERUSER, db = "postgres") =>
          `postgresql://${encodeURIComponent(u)}@${host}:${port}/${encodeURIComponent(db)}`,
        env,
        query,
        psql: (...psqlArgs: string[]) =>
          run(join(binDir, "psql"), ["--no-psqlrc", ...psqlArgs], { env: clientEnv() }),
        dump: async (database: string) => {
          // pg_dump from 15.14/16.10/17.6 on writes `\restrict <random key>`: a fixed key keeps
          // two dumps of the same schema equal
          restrictKey ??= (await run(join(binDir, "pg_dump"), ["--help"])).stdout.includes(
            "--restrict-key",
          );
          const result = await run(
            join(binDir, "pg_dump"),
            [
              "--schema-only",
              ...(restrictKey ? ["--restrict-key=schemaonlytestdump"] : []),
              database,
            ],
            { env: clientEnv() },
          );
          if (result.status !== 0)
            throw new Error(`pg_dump ${database} failed (exit ${result.status}): ${result.stderr}`);
          return result.stdout;
        },
        stop,
      };
    } catch (error) {
      const code = (error as { code?: string }).code;
      // not listening yet, or "the database system is starting up": wait; anything else is a bug
      const starting = code === "ECONNREFUSED" || code === "57P03";
      if (!starting || Date.now() > deadline) {
        await stop();
        throw new Error(
          `postgres did not accept connections on ${host}:${port} within ${readyTimeoutMs} ms (${(error as Error).message}): ${server.stderr().trim() || "no output"}`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Makes the server look like RDS to a client: the roles `rds_iam` and `rds_superuser` exist, and
 * the master user (`master`) is no superuser but a member of `rds_superuser` with CREATEROLE and
 * CREATEDB, which holds `rds_iam` WITH ADMIN OPTION (RDS lets the master grant it on every major).
 */
export async function simulateRdsMaster(pg: PostgresServer): Promise<void> {
  await pg.query(`
    CREATE ROLE rds_iam NOLOGIN;
    CREATE ROLE rds_superuser NOLOGIN;
    GRANT rds_iam TO rds_superuser WITH ADMIN OPTION;
    CREATE ROLE master LOGIN CREATEROLE CREATEDB NOSUPERUSER IN ROLE rds_superuser;
  `);
}
