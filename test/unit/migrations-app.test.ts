/**
 * The example app and its expand/contract migrations against a real PostgreSQL: a migration and
 * its down are inverse (pg_dump --schema-only), an expand migration keeps the old version healthy,
 * a breaking one does not, a failing one changes nothing, and the advisory lock serializes runs.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import {
  FIXTURE_MIGRATIONS,
  MIGRATE_LOCK_KEY,
  runMigrate,
  startFixtureApp,
  type FixtureApp,
} from "../support/migrations-app";
import { startPostgres, type PostgresServer } from "../support/postgres";

jest.setTimeout(120_000);

let pg: PostgresServer;
let scratch: string;
const apps: FixtureApp[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  scratch = mkdtempSync(join(tmpdir(), "migrations-app-test-"));
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await pg?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

let databases = 0;
/** A fresh database; the PG* variables of a connection to it as the superuser. */
async function freshDatabase(): Promise<Record<string, string>> {
  const database = `app_${++databases}`;
  await pg.query(`CREATE DATABASE ${database}`);
  return pg.env({ database });
}

async function start(version: 1 | 2, env: Record<string, string>): Promise<FixtureApp> {
  const app = await startFixtureApp({ version, env });
  apps.push(app);
  return app;
}

async function health(app: FixtureApp): Promise<[number, string]> {
  const res = await fetch(`${app.url}/healthz`);
  return [res.status, await res.text()];
}

async function migrated(env: Record<string, string>): Promise<string[]> {
  const rows = await pg.query<{ name: string }>(
    "SELECT name FROM schema_migrations ORDER BY version",
    { database: env.PGDATABASE },
  );
  return rows.map((r) => r.name);
}

const base = ["--dir", FIXTURE_MIGRATIONS.base];

test("up, down, up leaves the same schema (pg_dump --schema-only), step by step and all at once", async () => {
  const env = await freshDatabase();
  const empty = await pg.dump(env.PGDATABASE);
  expect(await runMigrate(["up", "1", ...base], env)).toEqual({
    status: 0,
    output: "applied 001_create_items\n",
  });
  const afterFirst = await pg.dump(env.PGDATABASE);
  expect(afterFirst).toContain("CREATE TABLE public.items");
  expect(await runMigrate(["up", ...base], env)).toMatchObject({ status: 0 });
  const afterAll = await pg.dump(env.PGDATABASE);
  expect(afterAll).toContain("description text");
  expect(afterAll).not.toEqual(afterFirst);

  // down: the last one
  expect(await runMigrate(["down", ...base], env)).toEqual({
    status: 0,
    output: "reverted 002_add_items_description\n",
  });
  expect(await pg.dump(env.PGDATABASE)).toEqual(afterFirst);
  expect(await runMigrate(["up", ...base], env)).toMatchObject({ status: 0 });
  expect(await pg.dump(env.PGDATABASE)).toEqual(afterAll);

  // down to 0: everything, then up again
  expect(await runMigrate(["down", "0", ...base], env)).toEqual({
    status: 0,
    output: "reverted 002_add_items_description\nreverted 001_create_items\n",
  });
  const down = await pg.dump(env.PGDATABASE);
  expect(down).not.toContain("public.items");
  expect(down).toContain("CREATE TABLE public.schema_migrations");
  expect(down).not.toEqual(empty);
  expect(await runMigrate(["up", ...base], env)).toMatchObject({ status: 0 });
  expect(await pg.dump(env.PGDATABASE)).toEqual(afterAll);
  expect(await migrated(env)).toEqual(["001_create_items", "002_add_items_description"]);
});

test("after the expand migration version 1 stays healthy and version 2 works; before it, version 2 fails", async () => {
  const env = await freshDatabase();
  expect(await runMigrate(["up", "1", ...base], env)).toMatchObject({ status: 0 });
  const v1 = await start(1, env);
  expect(await health(v1)).toEqual([200, expect.stringContaining('"ok"')]);
  const v2early = await start(2, env);
  expect(await health(v2early)).toEqual([500, expect.stringContaining("description")]);

  expect(await runMigrate(["up", ...base], env)).toEqual({
    status: 0,
    output: "applied 002_add_items_description\n",
  });
  expect(await health(v1)).toEqual([200, expect.any(String)]);
  const v2 = await start(2, env);
  expect(await health(v2)).toEqual([200, expect.any(String)]);

  // version 2 writes the new column; version 1 keeps reading and writing its own columns
  const post = (app: FixtureApp, body: unknown) =>
    fetch(`${app.url}/`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.status);
  expect(await post(v2, { name: "a", description: "from 2" })).toBe(201);
  expect(await post(v1, { name: "b" })).toBe(201);
  const list = async (app: FixtureApp) =>
    ((await (await fetch(`${app.url}/`)).json()) as { items: unknown[] }).items;
  expect(await list(v1)).toEqual([
    { id: "1", name: "a" },
    { id: "2", name: "b" },
  ]);
  expect(await list(v2)).toEqual([
    { id: "1", name: "a", description: "from 2" },
    { id: "2", name: "b", description: null },
  ]);
});

test("after the breaking migration version 1's /healthz fails; its down heals it", async () => {
  const env = await freshDatabase();
  expect(await runMigrate(["up", ...base], env)).toMatchObject({ status: 0 });
  const v1 = await start(1, env);
  expect(await health(v1)).toEqual([200, expect.any(String)]);

  const breaking = [...base, "--dir", FIXTURE_MIGRATIONS.breaking];
  expect(await runMigrate(["up", ...breaking], env)).toEqual({
    status: 0,
    output: "applied 003_rename_items_name\n",
  });
  expect(await health(v1)).toEqual([
    500,
    expect.stringContaining('column \\"name\\" does not exist'),
  ]);
  expect(await runMigrate(["down", ...breaking], env)).toMatchObject({ status: 0 });
  expect(await health(v1)).toEqual([200, expect.any(String)]);
});

test("the contract migration drops a column no version reads: both versions stay healthy", async () => {
  const env = await freshDatabase();
  const contract = [...base, "--dir", FIXTURE_MIGRATIONS.contract];
  expect(await runMigrate(["up", "2", ...contract], env)).toMatchObject({ status: 0 });
  const [v1, v2] = [await start(1, env), await start(2, env)];
  expect(await runMigrate(["up", ...contract], env)).toEqual({
    status: 0,
    output: "applied 003_drop_items_legacy_code\n",
  });
  expect(await pg.dump(env.PGDATABASE)).not.toContain("legacy_code");
  expect(await health(v1)).toEqual([200, expect.any(String)]);
  expect(await health(v2)).toEqual([200, expect.any(String)]);
});

test("a failing migration exits 1 and changes nothing: its transaction and its record roll back", async () => {
  const env = await freshDatabase();
  const dir = mkdtempSync(join(scratch, "failing-"));
  writeFileSync(
    join(dir, "003_half_done.up.sql"),
    "ALTER TABLE items ADD COLUMN half text;\nALTER TABLE no_such_table ADD COLUMN x int;\n",
  );
  expect(await runMigrate(["up", ...base], env)).toMatchObject({ status: 0 });
  const before = await pg.dump(env.PGDATABASE);
  const result = await runMigrate(["up", ...base, "--dir", dir], env);
  expect(result.status).toBe(1);
  expect(result.output).toContain('migrate: failed: relation "no_such_table" does not exist');
  expect(await pg.dump(env.PGDATABASE)).toEqual(before);
  expect(await migrated(env)).toEqual(["001_create_items", "002_add_items_description"]);
});

test("bad usage exits 2 and says what is expected", async () => {
  const env = await freshDatabase();
  expect(await runMigrate(["sideways"], env)).toEqual({
    status: 2,
    output: 'migrate: command: received "sideways"; expected up or down\n',
  });
  expect(await runMigrate(["up", "--dir", join(scratch, "nowhere")], env)).toMatchObject({
    status: 2,
    output: expect.stringContaining("nowhere does not exist"),
  });
});

test("two concurrent migrate up runs apply each migration once: the second waits on the advisory lock", async () => {
  const env = await freshDatabase();
  // hold the lock, so both runs are certainly waiting at the same time
  const holder = new Client({
    host: pg.host,
    port: pg.port,
    user: pg.superuser,
    database: env.PGDATABASE,
  });
  await holder.connect();
  try {
    await holder.query("SELECT pg_advisory_lock($1)", [MIGRATE_LOCK_KEY]);
    const runs = [runMigrate(["up", ...base], env), runMigrate(["up", ...base], env)];
    let finished = false; // a run that ends while the lock is held failed to wait: stop polling
    void Promise.race(runs).then(() => (finished = true));
    while (!finished) {
      const [{ waiting }] = await pg.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_locks l JOIN pg_database d ON d.oid = l.database
          WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = '${env.PGDATABASE}'`,
      );
      if (Number(waiting) === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // both were still waiting for the lock the test holds (a run that did not take it would end)
    expect(finished).toBe(false);
    await holder.query("SELECT pg_advisory_unlock($1)", [MIGRATE_LOCK_KEY]);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.status)).toEqual([0, 0]);
    expect(results.map((r) => r.output).sort()).toEqual([
      "applied 001_create_items\napplied 002_add_items_description\n",
      "up: nothing to apply\n",
    ]);
  } finally {
    await holder.end();
  }
  expect(await migrated(env)).toEqual(["001_create_items", "002_add_items_description"]);
});
