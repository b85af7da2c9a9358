/**
 * The migrate step of `release start`/`run` and `release contract` with REAL migrations on a REAL
 * PostgreSQL (issue 16, Tests): the example app's migrate.cjs runs through LocalMigrationRunner as
 * `web_migrator`, the roles made by the database bootstrap script run as a simulated RDS master
 * (as in database-bootstrap.test.ts), and the stable colour the gates re-check is the example app
 * at version 1, connected as `web_app` (DML only), at `--base-url`. The loopback release harness
 * plays the cluster (environment file, recording deploy, Ingress weights). The scripted-runner
 * version of these flows is test/unit/release-migrations.test.ts; migrate.cjs itself (up → down →
 * up with equal pg_dump, the advisory lock) is test/unit/migrations-app.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { databaseBootstrapScript } from "../../constructs/private/database-bootstrap";
import { databaseRoles } from "../../constructs/private/database-access";
import { LocalMigrationRunner } from "../../release/migrations/local-runner";
import type { JournalEvent } from "../../release/types";
import {
  FIXTURE_APP,
  FIXTURE_MIGRATIONS,
  runMigrate,
  startFixtureApp,
  type FixtureApp,
} from "../support/migrations-app";
import { simulateRdsMaster, startPostgres, type PostgresServer } from "../support/postgres";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(60_000);

const APP = "web";
/** The staging file's `apps.web.database.name`. */
const DATABASE = "web";
const { migrator: MIGRATOR, runtime: RUNTIME } = databaseRoles(APP);
const MIGRATE = join(FIXTURE_APP, "migrate.cjs");
const BASE = ["--dir", FIXTURE_MIGRATIONS.base];
const BREAKING = [...BASE, "--dir", FIXTURE_MIGRATIONS.breaking];
const CONTRACT = [...BASE, "--dir", FIXTURE_MIGRATIONS.contract];

let pg: PostgresServer;
let scratch: string;
let f: ReleaseFixture | undefined;
const apps: FixtureApp[] = [];

/** Runs the bootstrap script with psql as the simulated RDS master (no superuser). */
async function bootstrap() {
  const file = join(scratch, `bootstrap-${Date.now()}.sql`);
  writeFileSync(file, databaseBootstrapScript([{ app: APP, database: DATABASE }]));
  return pg.psql("-U", "master", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", file);
}

const asMigrator = () => pg.env({ user: MIGRATOR, database: DATABASE });
const asRuntime = () => pg.env({ user: RUNTIME, database: DATABASE });

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "release-migrations-pg-"));
  pg = await startPostgres();
  await simulateRdsMaster(pg);
});

afterAll(async () => {
  await pg?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Per test: a fresh `web` database from the bootstrap, migrated to 001 (what version 1 needs). */
beforeEach(async () => {
  await pg.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  const result = await bootstrap();
  if (result.status !== 0) throw new Error(`bootstrap failed: ${result.stderr}`);
  const first = await runMigrate(["up", "1", ...BASE], asMigrator());
  if (first.status !== 0) throw new Error(`migrate up 1 failed: ${first.output}`);
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
  if (f) {
    await f.stop();
    rmSync(f.root, { recursive: true, force: true });
    f = undefined;
  }
});

/** The example app of `version`, connected as the runtime role. */
async function startApp(version: 1 | 2): Promise<FixtureApp> {
  const app = await startFixtureApp({ version, env: asRuntime() });
  apps.push(app);
  return app;
}

async function health(app: FixtureApp): Promise<[number, string]> {
  const res = await fetch(`${app.url}/healthz`);
  return [res.status, await res.text()];
}

/**
 * The release fixture with the staging file's `apps.web` pointed at the example app: smoke checks
 * it answers (GET / lists items, which the podinfo-like harness servers never say), and
 * `migrations` running migrate.cjs over `dirs`.
 */
async function fixture(dirs: readonly string[]): Promise<ReleaseFixture> {
  f = await releaseFixture({}, (text) => {
    const doc = parseDocument(text);
    const smoke = [
      { path: "/healthz", status: 200 },
      { path: "/", status: 200, body: '"items"' },
    ];
    doc.setIn(["apps", APP, "gates", "smoke"], doc.createNode(smoke, { flow: true }));
    const migrations = {
      image: "ghcr.io/example-org/web-migrations",
      command: ["node", MIGRATE, "up", ...dirs],
      down: ["node", MIGRATE, "down", ...dirs],
      contract: ["node", MIGRATE, "up", ...CONTRACT],
    };
    doc.setIn(["apps", APP, "migrations"], doc.createNode(migrations, { flow: true }));
    return doc.toString({ lineWidth: 0 });
  });
  return f;
}

/** Runs a release command with its gates at the stable app and the migrations as web_migrator. */
function release(fx: ReleaseFixture, stable: FixtureApp, argv: string[]) {
  return fx.release([...argv, "--base-url", stable.url], {
    baseUrl: false,
    extra: { migrations: new LocalMigrationRunner(pg.url(MIGRATOR, DATABASE), FIXTURE_APP) },
  });
}

const steps = (events: JournalEvent[]) => events.map((e) => `${e.step} ${e.outcome}`);

async function columns(table = "items"): Promise<string[]> {
  const rows = await pg.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`,
    { database: DATABASE },
  );
  return rows.map((r) => r.column_name);
}

async function applied(): Promise<string[]> {
  const rows = await pg.query<{ name: string }>(
    "SELECT name FROM schema_migrations ORDER BY version",
    { database: DATABASE },
  );
  return rows.map((r) => r.name);
}

/** Owner of every relation in public (tables, sequences, indexes). */
async function owners(): Promise<Record<string, string>> {
  const rows = await pg.query<{ relname: string; owner: string }>(
    `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class
      WHERE relnamespace = 'public'::regnamespace ORDER BY relname`,
    { database: DATABASE },
  );
  return Object.fromEntries(rows.map((r) => [r.relname, r.owner]));
}

/** Runs SQL as a role; the error message, or "ok". */
async function attempt(sql: string, user: string): Promise<string> {
  try {
    await pg.query(sql, { user, database: DATABASE });
    return "ok";
  } catch (error) {
    return (error as Error).message;
  }
}

const post = (app: FixtureApp, body: unknown) =>
  fetch(`${app.url}/`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.status);

describe("release start with a real expand migration", () => {
  test("the bootstrap's roles: web_migrator migrates and owns the schema, web_app serves it with DML only", async () => {
    // before the release: the runtime role cannot change the schema the migrator made
    expect(await attempt("ALTER TABLE items ADD COLUMN x int", RUNTIME)).toMatch(
      /must be owner of table items/,
    );
    expect(await attempt("CREATE TABLE mine (id int)", RUNTIME)).toMatch(
      /permission denied for schema public/,
    );
    const stable = await startApp(1);
    const fx = await fixture(BASE);
    const out = await release(fx, stable, ["start", "staging", APP, "6.8.0"]);
    expect(out.code).toBe(0);
    const all = out.stderr.join("\n");
    expect(all).toContain(
      `running the expand migration of 6.8.0 (a local process against postgresql://${MIGRATOR}@127.0.0.1:${pg.port}/${DATABASE})`,
    );
    expect(out.stderr).toContain("    applied 002_add_items_description");

    expect(await columns()).toEqual(["id", "name", "legacy_code", "description"]);
    expect(await applied()).toEqual(["001_create_items", "002_add_items_description"]);
    expect(await owners()).toEqual({
      items: MIGRATOR,
      items_id_seq: MIGRATOR,
      items_pkey: MIGRATOR,
      schema_migrations: MIGRATOR,
      schema_migrations_pkey: MIGRATOR,
    });
    // the runtime role works on the migrated schema: version 1 writes (table and sequence
    // grants), version 2 reads and writes the new column
    expect(await post(stable, { name: "from 1" })).toBe(201);
    const next = await startApp(2);
    expect(await health(next)).toEqual([200, expect.stringContaining('"ok"')]);
    expect(await post(next, { name: "from 2", description: "new column" })).toBe(201);
    expect(
      await pg.query("SELECT name, description FROM items ORDER BY id", {
        user: RUNTIME,
        database: DATABASE,
      }),
    ).toEqual([
      { name: "from 1", description: null },
      { name: "from 2", description: "new column" },
    ]);
    // and still no DDL, also on what the migration added
    expect(await attempt("ALTER TABLE items DROP COLUMN description", RUNTIME)).toMatch(
      /must be owner of table items/,
    );
    expect(await attempt("TRUNCATE schema_migrations", RUNTIME)).toMatch(
      /permission denied for table schema_migrations/,
    );
  });

  test("a good expand migration runs inside start and the old version's checks still pass", async () => {
    const stable = await startApp(1);
    const fx = await fixture(BASE);
    const out = await release(fx, stable, ["start", "staging", APP, "6.8.0"]);
    expect(out.code).toBe(0);
    const journal = fx.journal();
    expect(steps(journal)).toEqual(["migrated ok", "stable-rechecked ok", "started ok"]);
    expect(journal[0]).toMatchObject({ phase: "expand", version: "6.8.0" });
    expect(journal[0].message).toMatch(
      /^the expand migration of 6\.8\.0 succeeded in .* \(node .*migrate\.cjs up --dir .* in .*\)$/,
    );
    // the re-check ran against the example app (only it lists "items") and version 1 passed
    expect(journal[1]).toMatchObject({ version: "6.7.0" });
    expect(journal[1].gates?.map((g) => [g.gate, g.verdict, g.route])).toEqual([
      ["health", "pass", "live"],
      ["smoke GET /healthz", "pass", "live"],
      ["smoke GET /", "pass", "live"],
    ]);
    expect(await columns()).toContain("description");
    expect(await health(stable)).toEqual([200, expect.stringContaining('"version":"1"')]);
    // the release went on: the idle colour got the new version, traffic did not move
    expect(fx.harness.deploys()).toHaveLength(1);
    expect(fx.harness.colour(APP, "blue").version).toBe("6.8.0");
    expect(fx.harness.weights(APP)).toEqual({ blue: 0, green: 100 });
  });

  test("a migration that breaks the old version is caught by the stable re-check: exit 1, nothing else changed", async () => {
    const stable = await startApp(1);
    const fx = await fixture(BREAKING);
    const before = fx.text();
    const ingress = JSON.stringify(fx.harness.ingress(APP));
    const out = await release(fx, stable, ["start", "staging", APP, "6.8.0"]);
    expect(out.code).toBe(1);
    // the migration did apply (it renamed items.name), and version 1 fails on it
    expect(await applied()).toEqual([
      "001_create_items",
      "002_add_items_description",
      "003_rename_items_name",
    ]);
    expect(await health(stable)).toEqual([
      500,
      expect.stringContaining('column \\"name\\" does not exist'),
    ]);
    const journal = fx.journal();
    expect(steps(journal)).toEqual(["migrated ok", "stable-rechecked failed"]);
    // it was version 1's health check that failed (the 500 above), not a smoke check
    expect(journal[1].gates?.map((g) => [g.gate, g.verdict, g.route])).toEqual([
      ["health", "fail", "live"],
    ]);
    expect(journal[1].gates?.[0].detail).toMatch(
      /^GET \/healthz: not 3 consecutive 2xx .*last: 500 /,
    );
    // nothing else changed: the file byte for byte, no deploy, the colours and traffic
    expect(fx.text()).toBe(before);
    expect(fx.harness.deploys()).toEqual([]);
    expect(fx.harness.colour(APP, "blue").version).toBe("6.7.1");
    expect(fx.harness.weights(APP)).toEqual({ blue: 0, green: 100 });
    expect(JSON.stringify(fx.harness.ingress(APP))).toBe(ingress);
    const all = out.stderr.join("\n");
    expect(all).toContain("the expand migration of 6.8.0 breaks the stable colour green 6.7.0");
    expect(all).toContain("the idle colour was not changed and traffic did not move");
    const down = ["node", MIGRATE, "down", ...BREAKING].join(" ");
    expect(all).toContain(
      `1. Undo the migration: run its down command as ${MIGRATOR} in the same image (ghcr.io/example-org/web-migrations:6.8.0): ${down}`,
    );
    // the runbook's down command, run as the migrator, heals the stable colour
    expect(await runMigrate(["down", ...BREAKING], asMigrator())).toEqual({
      status: 0,
      output: "reverted 003_rename_items_name\n",
    });
    expect(await health(stable)).toEqual([200, expect.any(String)]);
  });

  test("a failing migration (an SQL error) exits 1 before any traffic or colour change, and its transaction rolls back", async () => {
    const failing = mkdtempSync(join(scratch, "failing-"));
    writeFileSync(
      join(failing, "003_half_done.up.sql"),
      "ALTER TABLE items ADD COLUMN half text;\nALTER TABLE no_such_table ADD COLUMN x int;\n",
    );
    expect(await runMigrate(["up", ...BASE], asMigrator())).toMatchObject({ status: 0 });
    const schema = await pg.dump(DATABASE);
    const stable = await startApp(1);
    const fx = await fixture([...BASE, "--dir", failing]);
    const before = fx.text();
    const out = await release(fx, stable, ["start", "staging", APP, "6.8.0"]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('    migrate: failed: relation "no_such_table" does not exist');
    const journal = fx.journal();
    expect(steps(journal)).toEqual(["migrated failed", "stable-rechecked ok"]);
    expect(journal[0].message).toMatch(/^the expand migration of 6\.8\.0 failed: exit code 1 /);
    expect(out.stderr.join("\n")).toContain(
      "the expand migration of 6.8.0 failed: exit code 1 (node ",
    );
    expect(out.stderr.join("\n")).toContain("; the stable colour still passes its checks");
    expect(fx.text()).toBe(before);
    expect(fx.harness.deploys()).toEqual([]);
    expect(fx.harness.colour(APP, "blue").version).toBe("6.7.1");
    expect(fx.harness.weights(APP)).toEqual({ blue: 0, green: 100 });
    // the half-done migration left nothing behind
    expect(await pg.dump(DATABASE)).toEqual(schema);
    expect(await applied()).toEqual(["001_create_items", "002_add_items_description"]);
  });
});

describe("release contract with a real contract migration", () => {
  test("refuses after the expand but before the promote, and changes nothing", async () => {
    const stable = await startApp(1);
    const fx = await fixture(BASE);
    expect((await release(fx, stable, ["start", "staging", APP, "6.8.0"])).code).toBe(0);
    const schema = await pg.dump(DATABASE);
    const out = await release(fx, stable, ["contract", "staging", APP]);
    expect(out.code).toBe(2);
    expect(out.stderr.join("\n")).toContain(
      "the journal has no promote of green 6.7.0: contract follows the promote of the version whose expand migration it completes",
    );
    expect(await columns()).toContain("legacy_code");
    expect(await pg.dump(DATABASE)).toEqual(schema);
    expect(steps(fx.journal())).toEqual(["migrated ok", "stable-rechecked ok", "started ok"]);
  });

  test("after a release run applies the contract migration for real, once", async () => {
    const stable = await startApp(1);
    const fx = await fixture(BASE);
    const run = await release(fx, stable, ["run", "staging", APP, "6.8.0"]);
    expect(run.code).toBe(0);
    expect(fx.harness.weights(APP)).toEqual({ blue: 100, green: 0 });
    expect(await columns()).toEqual(["id", "name", "legacy_code", "description"]);

    const out = await release(fx, stable, ["contract", "staging", APP]);
    expect(out.code).toBe(0);
    expect([...out.stdout, ...out.stderr].join("\n")).toContain(
      "contract migration of 6.8.0 applied",
    );
    expect(out.stderr).toContain("    applied 003_drop_items_legacy_code");
    expect(fx.journal().at(-1)).toMatchObject({
      step: "migrated",
      phase: "contract",
      outcome: "ok",
      version: "6.8.0",
    });
    expect(await columns()).toEqual(["id", "name", "description"]);
    expect(await applied()).toEqual([
      "001_create_items",
      "002_add_items_description",
      "003_drop_items_legacy_code",
    ]);
    expect((await owners()).items).toBe(MIGRATOR);
    // both versions (as web_app) still work: no version reads the dropped column
    expect(await health(stable)).toEqual([200, expect.any(String)]);
    const next = await startApp(2);
    expect(await health(next)).toEqual([200, expect.any(String)]);

    const twice = await release(fx, stable, ["contract", "staging", APP]);
    expect(twice.code).toBe(0);
    expect([...twice.stdout, ...twice.stderr].join("\n")).toContain(
      "the contract migration of 6.8.0 already succeeded",
    );
    expect(twice.stderr.join("\n")).not.toContain("running the contract migration");
  });
});

describe("PLATFORM_MIGRATION_DATABASE_URL", () => {
  test("a bad URL or scheme is refused when the runner is made, naming the variable", () => {
    expect(() => new LocalMigrationRunner("not a url", FIXTURE_APP)).toThrow(
      'PLATFORM_MIGRATION_DATABASE_URL: received "not a url"; expected a URL such as postgres://web_migrator@127.0.0.1:5432/web',
    );
    expect(
      () => new LocalMigrationRunner("mysql://web_migrator@127.0.0.1/web", FIXTURE_APP),
    ).toThrow(
      'PLATFORM_MIGRATION_DATABASE_URL: received "mysql:" as the scheme; expected postgres:// or postgresql://',
    );
    const runner = new LocalMigrationRunner(
      "postgres://web_migrator:s3cret@127.0.0.1:5432/web",
      FIXTURE_APP,
    );
    expect(runner.location).toBe(
      "a local process against postgres://web_migrator@127.0.0.1:5432/web",
    );
  });

  test("release start with a bad URL refuses (exit 2) before the backup or any migration", async () => {
    const stable = await startApp(1);
    const fx = await fixture(BASE);
    const before = fx.text();
    const schema = await pg.dump(DATABASE);
    const saved = process.env.PLATFORM_MIGRATION_DATABASE_URL;
    process.env.PLATFORM_MIGRATION_DATABASE_URL = `mysql://${MIGRATOR}@127.0.0.1:${pg.port}/${DATABASE}`;
    try {
      // no runner passed in: the offline backends make it from the variable
      const out = await fx.release(["start", "staging", APP, "6.8.0", "--base-url", stable.url], {
        baseUrl: false,
      });
      expect(out.code).toBe(2);
      expect(out.stderr.join("\n")).toContain(
        'refused, nothing changed: PLATFORM_MIGRATION_DATABASE_URL: received "mysql:" as the scheme',
      );
    } finally {
      if (saved === undefined) delete process.env.PLATFORM_MIGRATION_DATABASE_URL;
      else process.env.PLATFORM_MIGRATION_DATABASE_URL = saved;
    }
    expect(fx.journal()).toEqual([]);
    expect(fx.text()).toBe(before);
    expect(fx.harness.deploys()).toEqual([]);
    expect(await pg.dump(DATABASE)).toEqual(schema);
  });

  test("the variable, when good, runs the migration like an injected runner", async () => {
    const stable = await startApp(1);
    const fx = await fixture(BASE);
    const saved = process.env.PLATFORM_MIGRATION_DATABASE_URL;
    process.env.PLATFORM_MIGRATION_DATABASE_URL = pg.url(MIGRATOR, DATABASE);
    try {
      const out = await fx.release(["start", "staging", APP, "6.8.0", "--base-url", stable.url], {
        baseUrl: false,
      });
      expect(out.code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.PLATFORM_MIGRATION_DATABASE_URL;
      else process.env.PLATFORM_MIGRATION_DATABASE_URL = saved;
    }
    expect(steps(fx.journal())).toEqual(["migrated ok", "stable-rechecked ok", "started ok"]);
    expect((await owners()).schema_migrations).toBe(MIGRATOR);
  });
});
