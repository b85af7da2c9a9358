import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileJournal } from "../../release/file-journal";
import { FileReleaseLock } from "../../release/file-lock";
import type { JournalEvent, LockInfo } from "../../release/types";
import { REPO_ROOT } from "../helpers";

const info = (holder: string): LockInfo => ({
  id: `${holder}-id`,
  environment: "staging",
  app: "web",
  holder,
  command: "release run staging web 6.8.0",
  acquiredAt: "",
  expiresAt: "",
});

const lockFile = () =>
  join(mkdtempSync(join(tmpdir(), "release-lock-")), ".release", "staging-web.lock");

describe("offline release lock", () => {
  it("is taken once; a second taker learns who holds it", async () => {
    const lock = new FileReleaseLock(lockFile());
    const first = await lock.acquire(info("alice"), 60_000);
    expect(first.acquired).toBe(true);
    const second = await lock.acquire(info("bob"), 60_000);
    expect(second).toMatchObject({
      acquired: false,
      holder: { holder: "alice", command: "release run staging web 6.8.0" },
    });
    if (first.acquired) await first.lock.release();
    expect((await lock.acquire(info("bob"), 60_000)).acquired).toBe(true);
  });

  it("takes over a lock past its expiry and reports it", async () => {
    const path = lockFile();
    const lock = new FileReleaseLock(path);
    await lock.acquire(info("alice"), -1);
    const attempt = await lock.acquire(info("bob"), 60_000);
    expect(attempt).toMatchObject({ acquired: true, tookOver: { holder: "alice" } });
  });

  it("renews and releases only its own lock", async () => {
    const lock = new FileReleaseLock(lockFile());
    const attempt = await lock.acquire(info("alice"), 60_000);
    if (!attempt.acquired) throw new Error("not acquired");
    await lock.forceRelease();
    await lock.acquire(info("bob"), 60_000);
    await expect(attempt.lock.renew()).rejects.toThrow(/is no longer ours: held by bob since/);
    await attempt.lock.release();
    expect((await lock.read())?.holder).toBe("bob");
  });

  it("lets exactly one of several racing processes win", async () => {
    const path = lockFile();
    const script = join(mkdtempSync(join(tmpdir(), "release-race-")), "race.ts");
    writeFileSync(
      script,
      `import { FileReleaseLock } from ${JSON.stringify(join(REPO_ROOT, "release/file-lock"))};
const who = process.argv[2];
new FileReleaseLock(${JSON.stringify(path)})
  .acquire({ id: who, environment: "staging", app: "web", holder: who, command: "race", acquiredAt: "", expiresAt: "" }, 60000)
  .then((a) => process.stdout.write(a.acquired ? "won" : "lost"));`,
    );
    const racers = ["a", "b", "c", "d"].map(
      (who) =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, [
            join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"),
            script,
            who,
          ]);
          let out = "";
          child.stdout.on("data", (c: Buffer) => (out += c.toString()));
          child.on("close", () => resolve(out));
        }),
    );
    const outcomes = await Promise.all(racers);
    expect(outcomes.filter((o) => o === "won")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "lost")).toHaveLength(3);
  });
});

describe("offline release journal", () => {
  it("appends JSON lines and reads the last ones, oldest first", async () => {
    const journal = new FileJournal(
      join(mkdtempSync(join(tmpdir(), "release-journal-")), ".release", "staging-web.jsonl"),
    );
    expect(await journal.read()).toEqual([]);
    const event = (step: string): JournalEvent => ({
      time: new Date().toISOString(),
      actor: "alice",
      environment: "staging",
      app: "web",
      runId: "r1",
      command: "run",
      step,
      outcome: "ok",
    });
    for (const step of ["run-started", "started", "verified"]) await journal.append(event(step));
    expect((await journal.read()).map((e) => e.step)).toEqual([
      "run-started",
      "started",
      "verified",
    ]);
    expect((await journal.read(2)).map((e) => e.step)).toEqual(["started", "verified"]);
  });
});
