/**
 * Offline migrations: the migration command runs as a process on this machine against the
 * PostgreSQL at `PLATFORM_MIGRATION_DATABASE_URL` (a local server, a tunnel to a test
 * database), with libpq's variables set the way the Kubernetes Job sets them. What `start`
 * does around it (journal, stable re-check, runbook) is the same as in normal mode.
 */
import { spawn } from "node:child_process";
import { databaseRoles } from "../../constructs/private/database-access";
import type { MigrationOutcome, MigrationRequest, MigrationRunner } from "../types";

/** The libpq variables of a `postgres://user:password@host:port/database` URL. */
export function libpqEnvironment(url: string, fallback: { user: string; database: string }) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(
      `PLATFORM_MIGRATION_DATABASE_URL: received ${JSON.stringify(url)}; expected a URL such as postgres://web_migrator@127.0.0.1:5432/web`,
    );
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new Error(
      `PLATFORM_MIGRATION_DATABASE_URL: received ${JSON.stringify(parsed.protocol)} as the scheme; expected postgres:// or postgresql://`,
    );
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || fallback.database;
  return {
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || "5432",
    PGDATABASE: database,
    PGUSER: decodeURIComponent(parsed.username) || fallback.user,
    ...(parsed.password ? { PGPASSWORD: decodeURIComponent(parsed.password) } : {}),
  };
}

/** Runs migration commands as local processes. */
export class LocalMigrationRunner implements MigrationRunner {
  readonly location: string;

  constructor(
    private readonly databaseUrl: string,
    /** Where the command runs (the project folder). */
    private readonly cwd: string,
  ) {
    // validate here (URL and scheme), so a bad PLATFORM_MIGRATION_DATABASE_URL refuses before
    // the release does anything, with the message naming the variable (not a bare "Invalid URL")
    libpqEnvironment(databaseUrl, { user: "", database: "" });
    const shown = new URL(databaseUrl);
    shown.password = "";
    this.location = `a local process against ${shown.toString()}`;
  }

  run(request: MigrationRequest, log: (line: string) => void): Promise<MigrationOutcome> {
    const env = libpqEnvironment(this.databaseUrl, {
      user: databaseRoles(request.app).migrator,
      database: request.database,
    });
    const started = Date.now();
    const where = `${request.command.join(" ")} in ${this.cwd}`;
    return new Promise((resolve) => {
      const child = spawn(request.command[0], request.command.slice(1), {
        cwd: this.cwd,
        env: {
          // the caller's own PG* settings (a PGPASSWORD, a PGSSLMODE) never leak into the run
          ...Object.fromEntries(
            Object.entries(process.env).filter(([key]) => !key.startsWith("PG")),
          ),
          ...env,
          MIGRATION_VERSION: request.version,
          MIGRATION_PHASE: request.phase,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGTERM");
      }, request.timeoutMs);
      const lines = (chunk: Buffer, pending: { text: string }) => {
        pending.text += chunk.toString("utf8");
        const parts = pending.text.split("\n");
        pending.text = parts.pop() ?? "";
        for (const line of parts) log(line);
      };
      const out = { text: "" };
      const err = { text: "" };
      child.stdout.on("data", (c: Buffer) => lines(c, out));
      child.stderr.on("data", (c: Buffer) => lines(c, err));
      const finish = (outcome: MigrationOutcome) => {
        clearTimeout(timer);
        for (const rest of [out.text, err.text]) if (rest) log(rest);
        resolve(outcome);
      };
      child.on("error", (error) =>
        finish({
          outcome: "failed",
          reason: `could not start ${request.command[0]}: ${error.message}`,
          durationMs: Date.now() - started,
          where,
        }),
      );
      child.on("close", (code, signal) => {
        const durationMs = Date.now() - started;
        if (code === 0) return finish({ outcome: "succeeded", durationMs, where });
        finish({
          outcome: "failed",
          reason: timedOut
            ? `no result within ${Math.round(request.timeoutMs / 1000)}s (migrations.timeout): stopped`
            : code !== null
              ? `exit code ${code}`
              : `stopped by ${signal}`,
          durationMs,
          where,
        });
      });
    });
  }
}
