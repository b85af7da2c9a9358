/**
 * The S3 backends over real HTTP: a real S3Client (path-style, static fake credentials) against
 * a loopback server playing S3 with its conditional-request semantics. Proves the SDK really
 * sends `If-None-Match: *` and `If-Match`, and that racing processes get exactly one lock.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { S3Journal } from "../../release/aws/s3-journal";
import { S3ReleaseLock } from "../../release/aws/s3-lock";
import { S3DeployedState } from "../../release/aws/s3-state";
import type { JournalEvent, LockInfo } from "../../release/types";
import { FakeS3Server } from "../support/fake-s3-server";

const BUCKET = "example-tfstate-staging";
const KEY = "release/locks/staging/web.json";
const TTL = 15 * 60_000;

const server = new FakeS3Server(2);
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  server.objects.clear();
  server.requests.length = 0;
});

/** One process's client: its own connection pool, like a separate machine. */
const client = () =>
  new S3Client({
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
    maxAttempts: 1,
  });

const info = (who: string, now = Date.now()): LockInfo => ({
  id: `id-${who}`,
  environment: "staging",
  app: "web",
  holder: `${who}@host`,
  command: "run staging web 6.8.0",
  acquiredAt: new Date(now).toISOString(),
  expiresAt: new Date(now + TTL).toISOString(),
});

describe("S3 release lock over HTTP", () => {
  test("processes racing for the lock: exactly one wins, the others are told who", async () => {
    const racers = ["alice", "bob", "carol", "dave", "erin"];
    const attempts = await Promise.all(
      racers.map((who) =>
        new S3ReleaseLock(client(), BUCKET, "staging", "web", { retryDelayMs: 0 }).acquire(
          info(who),
          TTL,
        ),
      ),
    );

    const winners = attempts.filter((a) => a.acquired);
    expect(winners).toHaveLength(1);
    const winner = winners[0].acquired ? winners[0].lock.info : undefined;
    for (const a of attempts.filter((x) => !x.acquired)) {
      expect(a).toEqual({ acquired: false, holder: winner });
    }
    expect(JSON.parse(server.text(BUCKET, KEY)!)).toEqual(winner);

    const creates = server.requestsTo("PUT", BUCKET, KEY);
    expect(creates).toHaveLength(racers.length);
    for (const put of creates) {
      expect(put.headers["if-none-match"]).toBe("*");
      expect(put.headers["if-match"]).toBeUndefined();
      expect(put.headers["x-amz-server-side-encryption"]).toBe("AES256");
    }
  });

  test("a stale lock is taken over with If-Match; renew and release use If-Match too", async () => {
    const staleEtag = server.put(
      BUCKET,
      KEY,
      JSON.stringify({ ...info("bob"), expiresAt: new Date(Date.now() - 1000).toISOString() }),
    );
    const lock = new S3ReleaseLock(client(), BUCKET, "staging", "web");

    const attempt = await lock.acquire(info("alice"), TTL);
    if (!attempt.acquired) throw new Error(`not acquired: ${JSON.stringify(attempt.holder)}`);
    expect(attempt.tookOver?.holder).toBe("bob@host");
    const puts = server.requestsTo("PUT", BUCKET, KEY);
    expect(
      puts.map((p) => p.headers["if-match"] ?? `none-match ${p.headers["if-none-match"]}`),
    ).toEqual(["none-match *", staleEtag]);

    const beforeRenew = server.objects.get(`${BUCKET}/${KEY}`)!.etag;
    await attempt.lock.renew();
    expect(server.requestsTo("PUT", BUCKET, KEY)[2].headers["if-match"]).toBe(beforeRenew);

    const beforeRelease = server.objects.get(`${BUCKET}/${KEY}`)!.etag;
    await attempt.lock.release();
    const [del] = server.requestsTo("DELETE", BUCKET, KEY);
    expect(del.headers["if-match"]).toBe(beforeRelease);
    expect(server.text(BUCKET, KEY)).toBeUndefined();
  });

  test("a lock taken over by someone else is neither renewed nor released", async () => {
    const lock = new S3ReleaseLock(client(), BUCKET, "staging", "web");
    const attempt = await lock.acquire(info("alice"), TTL);
    if (!attempt.acquired) throw new Error("not acquired");
    // --break-lock by bob, who then takes it
    expect((await lock.forceRelease())?.holder).toBe("alice@host");
    const bobs = await new S3ReleaseLock(client(), BUCKET, "staging", "web").acquire(
      info("bob"),
      TTL,
    );
    expect(bobs.acquired).toBe(true);

    await expect(attempt.lock.renew()).rejects.toThrow(/now held by bob@host/);
    await expect(attempt.lock.release()).rejects.toThrow(
      /Refusing to release .* now held by bob@host/,
    );
    expect(JSON.parse(server.text(BUCKET, KEY)!).holder).toBe("bob@host");
  });
});

describe("S3 journal and deployed state over HTTP", () => {
  test("events written one object each, read back across list pages oldest first", async () => {
    const journal = new S3Journal(client(), BUCKET, "staging", "web");
    const steps = ["run-started", "started", "verified", "shifted", "promoted"];
    for (const [i, step] of steps.entries()) {
      const event: JournalEvent = {
        time: new Date(Date.UTC(2025, 0, 31, 12, 0, i)).toISOString(),
        actor: "alice@host",
        environment: "staging",
        app: "web",
        runId: "run-1",
        command: "run",
        step,
        outcome: "ok",
      };
      await journal.append(event);
    }

    expect((await journal.read()).map((e) => e.step)).toEqual(steps);
    expect((await journal.read(2)).map((e) => e.step)).toEqual(["shifted", "promoted"]);
    const lists = server.requests.filter((r) => r.query.get("list-type") === "2");
    expect(lists.length).toBeGreaterThanOrEqual(3); // 5 keys, 2 per page
    for (const put of server.requests.filter((r) => r.method === "PUT")) {
      expect(put.headers["if-none-match"]).toBe("*");
    }
  });

  test("deployed state from <env>-workloads.tfstate; NoSuchKey over the wire is found: false", async () => {
    const source = new S3DeployedState(client(), BUCKET, "staging");
    expect(await source.read("web")).toEqual({
      found: false,
      location: `s3://${BUCKET}/staging-workloads.tfstate`,
      reason: "no state yet: the workloads stack was never deployed",
    });
    server.put(
      BUCKET,
      "staging-workloads.tfstate",
      JSON.stringify({
        version: 4,
        outputs: {
          app_web: {
            value: { stable_colour: "blue", weights: { blue: 100, green: 0 }, host: null },
            type: ["object", {}],
          },
        },
      }),
    );
    const result = await source.read("web");
    expect(result.found && result.app).toEqual({
      stable_colour: "blue",
      weights: { blue: 100, green: 0 },
    });
  });
});
