/**
 * The example app with expand/contract migrations (test/fixtures/migrations-app), driven from tests:
 * {@link startFixtureApp} spawns `server.cjs` of one version and waits until it listens;
 * {@link runMigrate} runs `migrate.cjs` to its end. Both connect through the `PG*` variables in
 * `env` (see `PostgresServer.env()`).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

/** The example app's folder. */
export const FIXTURE_APP = join(__dirname, "..", "fixtures", "migrations-app");

/** Its migration folders: the base migrations, one that breaks version 1, and a contract one. */
export const FIXTURE_MIGRATIONS = {
  /** 001 creates items; 002 (expand) adds a nullable column. */
  base: join(FIXTURE_APP, "migrations"),
  /** 003 renames items.name: version 1 (and 2) fail. */
  breaking: join(FIXTURE_APP, "migrations-breaking"),
  /** 003 drops items.legacy_code, which no version reads. */
  contract: join(FIXTURE_APP, "contract"),
} as const;

/** The advisory lock key migrate.cjs holds while it runs. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const MIGRATE_LOCK_KEY: number = require(join(FIXTURE_APP, "migrate.cjs")).LOCK_KEY;

/** Options of {@link startFixtureApp}. */
export interface FixtureAppOptions {
  /** The app version: 1 reads items(id, name); 2 also reads and writes items.description. */
  readonly version: 1 | 2;
  /** The connection (`PG*` variables) and anything else the app should see. */
  readonly env: Readonly<Record<string, string>>;
  /** @default 0: a port the OS picks */
  readonly port?: number;
  /** How long to wait for "listening on". @default 15000 */
  readonly startTimeoutMs?: number;
}

/** A running example app. */
export interface FixtureApp {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** The child's environment: PATH and HOME from ours, then `env` (no stray PG* of the caller). */
function childEnv(env: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** Starts `server.cjs` and resolves once it listens. */
export function startFixtureApp(options: FixtureAppOptions): Promise<FixtureApp> {
  const child = spawn(process.execPath, [join(FIXTURE_APP, "server.cjs")], {
    cwd: FIXTURE_APP,
    env: childEnv({
      ...options.env,
      APP_VERSION: String(options.version),
      PORT: String(options.port ?? 0),
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const stop = async () => {
    if (running) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`the example app did not listen within the timeout; output: ${output}`));
    }, options.startTimeoutMs ?? 15_000);
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening on (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${match[1]}`, output: () => output, stop });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the example app exited (code ${code}) before it listened: ${output}`));
    });
  });
}

/** Runs `migrate.cjs <args>` to its end: the exit status and its output (stdout and stderr). */
export function runMigrate(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(FIXTURE_APP, "migrate.cjs"), ...args], {
      cwd: FIXTURE_APP,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}
