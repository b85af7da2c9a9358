/**
 * The migrate step inside `release start`/`run` and `release contract` (issue 16, section 4),
 * against the loopback harness: real HTTP gates on the colours' servers, the recording deploy.
 * The migration runner here is scripted (what it would do to a schema is played by changing how
 * the stable version behaves); test/unit/release-migrations-postgres.test.ts runs real
 * migrations on a real PostgreSQL.
 */
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";
import type {
  MigrationOutcome,
  MigrationRequest,
  MigrationRunner,
  Notifier,
  ReleaseNotice,
} from "../../release/types";

jest.setTimeout(60_000);

/** A runner that records requests and plays a script. */
function scriptedRunner(
  script: (
    request: MigrationRequest,
  ) => Promise<Partial<MigrationOutcome>> | Partial<MigrationOutcome>,
): MigrationRunner & { requests: MigrationRequest[] } {
  const requests: MigrationRequest[] = [];
  return {
    location: "scripted runner",
    requests,
    async run(request, log) {
      requests.push(request);
      log(`migrating ${request.database} to ${request.version}`);
      const outcome = await script(request);
      return { outcome: "succeeded", durationMs: 5, where: "job web-migrate-x", ...outcome };
    },
  };
}

function recordingNotifier(): Notifier & { notices: ReleaseNotice[] } {
  const notices: ReleaseNotice[] = [];
  return {
    notices,
    send: (n) => void notices.push(n),
    flush: async () => ({ failed: [] }),
  };
}

describe("release start with migrations", () => {
  let f: ReleaseFixture;
  afterEach(() => f?.stop());

  test("runs the expand migration, re-checks the stable colour, then starts", async () => {
    f = await releaseFixture();
    const runner = scriptedRunner(() => ({}));
    const out = await f.release(["start", "staging", "web", "6.8.0"], {
      extra: { migrations: runner },
    });
    expect(out.code).toBe(0);
    expect(runner.requests).toEqual([
      {
        environment: "staging",
        app: "web",
        namespace: "web",
        version: "6.8.0",
        phase: "expand",
        image: "ghcr.io/example-org/web-migrations:6.8.0",
        command: ["node", "migrate.js", "up"],
        database: "web",
        timeoutMs: 15 * 60_000,
      },
    ]);
    const steps = f.journal().map((e) => `${e.step} ${e.outcome}`);
    expect(steps).toEqual(["migrated ok", "stable-rechecked ok", "started ok"]);
    expect(f.journal()[0]).toMatchObject({ phase: "expand", version: "6.8.0" });
    expect(out.stderr).toContain("    migrating web to 6.8.0");
    expect(f.harness.colour("web", "blue").version).toBe("6.8.0");
  });

  test("a failing migration exits 1 before any colour or traffic change, with the runbook", async () => {
    f = await releaseFixture();
    const before = f.text();
    const notifier = recordingNotifier();
    const runner = scriptedRunner(() => ({ outcome: "failed", reason: "exit code 3" }));
    const out = await f.release(["start", "staging", "web", "6.8.0"], {
      extra: { migrations: runner, notifier },
    });
    expect(out.code).toBe(1);
    expect(f.text()).toBe(before);
    expect(f.harness.deploys()).toHaveLength(0);
    expect(f.harness.colour("web", "blue").version).toBe("6.7.1");
    const summary = out.stderr.find((l) => l.includes("stopped before any colour"))!;
    expect(summary).toContain(
      "the expand migration of 6.8.0 failed: exit code 3 (job web-migrate-x); the stable colour still passes its checks",
    );
    expect(out.stderr.join("\n")).toContain(
      "1. Undo the migration: run its down command as web_migrator in the same image (ghcr.io/example-org/web-migrations:6.8.0): node migrate.js down 1",
    );
    expect(f.journal().map((e) => `${e.step} ${e.outcome}`)).toEqual([
      "migrated failed",
      "stable-rechecked ok",
    ]);
    expect(notifier.notices.map((n) => `${n.kind} ${n.severity}`)).toEqual([
      "migration-failed warning",
    ]);
  });

  test("a migration that breaks the stable colour stops the release, pages, and prints the runbook", async () => {
    f = await releaseFixture();
    const before = f.text();
    const notifier = recordingNotifier();
    // the stable colour (green, 6.7.0) stops working on the migrated schema
    const runner = scriptedRunner(async () => {
      await f.harness.setBehaviour("6.7.0", "broken");
      return {};
    });
    const out = await f.release(["start", "staging", "web", "6.8.0"], {
      extra: { migrations: runner, notifier },
    });
    expect(out.code).toBe(1);
    expect(f.text()).toBe(before);
    expect(f.harness.deploys()).toHaveLength(0);
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
    const all = out.stderr.join("\n");
    expect(all).toContain("the expand migration of 6.8.0 breaks the stable colour green 6.7.0");
    expect(all).toContain("the idle colour was not changed and traffic did not move");
    expect(all).toContain("No pre-release snapshot was taken");
    expect(f.journal().map((e) => `${e.step} ${e.outcome}`)).toEqual([
      "migrated ok",
      "stable-rechecked failed",
    ]);
    expect(notifier.notices.map((n) => `${n.kind} ${n.severity}`)).toEqual([
      "migrated info",
      "migration-failed critical",
    ]);
  });

  test("a version whose migration succeeded is not migrated again", async () => {
    f = await releaseFixture();
    const runner = scriptedRunner(() => ({}));
    expect(
      (await f.release(["start", "staging", "web", "6.8.0"], { extra: { migrations: runner } }))
        .code,
    ).toBe(0);
    expect(
      (await f.release(["rollback", "staging", "web"], { extra: { migrations: runner } })).code,
    ).toBe(0);
    const again = await f.release(["start", "staging", "web", "6.8.0"], {
      extra: { migrations: runner },
    });
    expect(again.code).toBe(0);
    expect(runner.requests).toHaveLength(1);
    expect(again.stderr.join("\n")).toMatch(
      /the migration of 6\.8\.0 succeeded at .*: not run again/,
    );
  });

  test("--dry-run says what it would run and runs nothing", async () => {
    f = await releaseFixture();
    const runner = scriptedRunner(() => ({}));
    const out = await f.release(["start", "staging", "web", "6.8.0", "--dry-run"], {
      extra: { migrations: runner },
    });
    expect(out.code).toBe(0);
    expect(runner.requests).toHaveLength(0);
    expect(out.stderr.join("\n")).toContain(
      "dry run: would run the expand migration of 6.8.0 (node migrate.js up in ghcr.io/example-org/web-migrations:6.8.0, as web_migrator), then re-check the stable colour",
    );
  });

  test("offline with no database URL, the step says how to run it and goes on", async () => {
    f = await releaseFixture();
    const out = await f.release(["start", "staging", "web", "6.8.0"]);
    expect(out.code).toBe(0);
    expect(out.stderr.join("\n")).toContain(
      "offline: no database to migrate (set PLATFORM_MIGRATION_DATABASE_URL to run node migrate.js up here",
    );
  });

  test("an app without migrations runs none", async () => {
    f = await releaseFixture({}, (text) => text.replace(/ {4}migrations:.*\n( {6}.*\n)+/, ""));
    const runner = scriptedRunner(() => ({}));
    expect(
      (await f.release(["start", "staging", "web", "6.8.0"], { extra: { migrations: runner } }))
        .code,
    ).toBe(0);
    expect(runner.requests).toHaveLength(0);
  });
});

describe("release contract", () => {
  let f: ReleaseFixture;
  afterEach(() => f?.stop());

  test("refuses while the previous version still serves traffic, and before a promote", async () => {
    f = await releaseFixture();
    const runner = scriptedRunner(() => ({}));
    const extra = { extra: { migrations: runner } };
    const notPromoted = await f.release(["contract", "staging", "web"], extra);
    expect(notPromoted.code).toBe(2);
    expect(notPromoted.stderr.join("\n")).toContain(
      "the journal has no promote of green 6.7.0: contract follows the promote of the version whose expand migration it completes",
    );
    await f.release(["start", "staging", "web", "6.8.0"], extra);
    await f.release(["shift", "staging", "web", "10"], extra);
    const canary = await f.release(["contract", "staging", "web"], extra);
    expect(canary.code).toBe(2);
    expect(canary.stderr.join("\n")).toContain(
      "a canary is in progress (90% to green 6.7.0, 10% to blue 6.8.0): contract runs only after the promote, once the previous version serves no traffic",
    );
    expect(runner.requests.map((r) => r.phase)).toEqual(["expand"]);
  });

  test("after a promote runs the contract command once, for the stable version", async () => {
    f = await releaseFixture();
    const runner = scriptedRunner(() => ({}));
    const extra = { extra: { migrations: runner } };
    expect((await f.release(["run", "staging", "web", "6.8.0"], extra)).code).toBe(0);
    const out = await f.release(["contract", "staging", "web"], extra);
    expect(out.code).toBe(0);
    expect(runner.requests.map((r) => [r.phase, r.version, r.command.join(" ")])).toEqual([
      ["expand", "6.8.0", "node migrate.js up"],
      ["contract", "6.8.0", "node migrate.js contract"],
    ]);
    expect([...out.stdout, ...out.stderr].join("\n")).toContain(
      "contract migration of 6.8.0 applied",
    );
    const twice = await f.release(["contract", "staging", "web"], extra);
    expect(twice.code).toBe(0);
    expect(runner.requests).toHaveLength(2);
    expect([...twice.stdout, ...twice.stderr].join("\n")).toContain(
      "the contract migration of 6.8.0 already succeeded",
    );
  });

  test("a failing contract migration exits 1 and is journalled", async () => {
    f = await releaseFixture();
    const ok = scriptedRunner(() => ({}));
    expect(
      (await f.release(["run", "staging", "web", "6.8.0"], { extra: { migrations: ok } })).code,
    ).toBe(0);
    const failing = scriptedRunner(() => ({ outcome: "failed", reason: "DeadlineExceeded" }));
    const out = await f.release(["contract", "staging", "web"], { extra: { migrations: failing } });
    expect(out.code).toBe(1);
    expect(f.journal().at(-1)).toMatchObject({
      step: "migrated",
      phase: "contract",
      outcome: "failed",
    });
  });
});
