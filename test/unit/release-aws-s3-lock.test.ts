/**
 * The S3 release lock against a mocked S3 client: the conditional writes it sends and how it
 * reads every S3 answer (412 lost race, 409 conflict, NoSuchKey) into a lock outcome.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { describeHolder, S3ReleaseLock } from "../../release/aws/s3-lock";
import type { LockInfo } from "../../release/types";
import {
  body,
  conditionalConflict,
  lockInfo,
  noSuchKey,
  NOW,
  preconditionFailed,
  s3Error,
} from "../support/release-aws";

const s3 = mockClient(S3Client);
const BUCKET = "example-tfstate-staging";
const KEY = "release/locks/staging/web.json";
const TTL = 15 * 60_000;

let clock = NOW;
const newLock = () =>
  new S3ReleaseLock(new S3Client({ region: "eu-west-1" }), BUCKET, "staging", "web", {
    now: () => clock,
    retryDelayMs: 0,
  });
const lockBody = (info: LockInfo) => JSON.stringify(info, null, 2) + "\n";
const expiresIn = (ms: number) => new Date(clock + ms).toISOString();
const puts = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
const deletes = () => s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input);

beforeEach(() => {
  s3.reset();
  clock = NOW;
});
afterAll(() => s3.restore());

describe("S3ReleaseLock.acquire", () => {
  test("creates the lock object with If-None-Match: * and expiresAt = now + ttl", async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    const lock = newLock();
    const mine = lockInfo("alice");

    const attempt = await lock.acquire(mine, TTL);

    const written = { ...mine, expiresAt: "2023-11-14T22:28:20.000Z" };
    expect(puts()).toEqual([
      {
        Bucket: BUCKET,
        Key: KEY,
        Body: lockBody(written),
        ContentType: "application/json",
        ServerSideEncryption: "AES256",
        IfNoneMatch: "*",
      },
    ]);
    expect(attempt).toEqual({ acquired: true, lock: expect.anything() });
    if (!attempt.acquired) throw new Error("not acquired");
    expect(attempt.lock.info).toEqual(written);
    expect(attempt.tookOver).toBeUndefined();
    expect(lock.location).toBe(`s3://${BUCKET}/${KEY}`);
  });

  test("a live lock is not taken: acquired false, naming the holder and when it expires", async () => {
    const bob = lockInfo("bob", expiresIn(60_000));
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(bob)), ETag: '"bob"' });
    const lock = newLock();

    expect(await lock.read()).toEqual(bob);
    const attempt = await lock.acquire(lockInfo("alice"), TTL);

    expect(attempt).toEqual({ acquired: false, holder: bob });
    expect(puts()).toHaveLength(1); // no take-over attempt
    const line = describeHolder(bob);
    expect(line).toContain("bob@host");
    expect(line).toContain("run staging web 6.8.0");
    expect(line).toContain(`valid until ${bob.expiresAt}`);
  });

  test("lost conditional-write race: the key was free, another process created it first", async () => {
    const other = lockInfo("ci-runner-7", expiresIn(TTL));
    s3.on(GetObjectCommand)
      .rejectsOnce(noSuchKey()) // our read before trying: free
      .resolves({ Body: body(lockBody(other)), ETag: '"other"' });
    s3.on(PutObjectCommand, { IfNoneMatch: "*" }).rejects(preconditionFailed());
    const lock = newLock();

    expect(await lock.read()).toBeUndefined();
    const attempt = await lock.acquire(lockInfo("alice"), TTL);

    expect(attempt).toEqual({ acquired: false, holder: other });
    expect(puts().map((p) => p.IfNoneMatch)).toEqual(["*"]);
    expect(puts().some((p) => p.IfMatch !== undefined)).toBe(false);
  });

  test("an expired lock is taken over with If-Match on the ETag that was read", async () => {
    const stale = lockInfo("bob", expiresIn(-1));
    s3.on(PutObjectCommand, { IfNoneMatch: "*" }).rejects(preconditionFailed());
    s3.on(PutObjectCommand, { IfMatch: '"stale"' }).resolves({ ETag: '"mine"' });
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(stale)), ETag: '"stale"' });
    const mine = lockInfo("alice");

    const attempt = await newLock().acquire(mine, TTL);

    expect(attempt).toEqual({ acquired: true, lock: expect.anything(), tookOver: stale });
    const takeover = puts()[1];
    expect(takeover).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      Body: lockBody({ ...mine, expiresAt: expiresIn(TTL) }),
      ContentType: "application/json",
      ServerSideEncryption: "AES256",
      IfMatch: '"stale"',
    });
    expect(takeover.IfNoneMatch).toBeUndefined();
  });

  test("take-over race lost: a third process replaced the stale lock first", async () => {
    const stale = lockInfo("bob", expiresIn(-60_000));
    const carol = lockInfo("carol", expiresIn(TTL));
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(lockBody(stale)), ETag: '"stale"' })
      .resolves({ Body: body(lockBody(carol)), ETag: '"carol"' });

    const attempt = await newLock().acquire(lockInfo("alice"), TTL);

    expect(attempt).toEqual({ acquired: false, holder: carol });
    expect(puts().map((p) => p.IfMatch ?? `IfNoneMatch ${p.IfNoneMatch}`)).toEqual([
      "IfNoneMatch *",
      '"stale"',
    ]);
  });

  test("409 ConditionalRequestConflict is retried", async () => {
    s3.on(PutObjectCommand).rejectsOnce(conditionalConflict()).resolves({ ETag: '"e"' });
    const attempt = await newLock().acquire(lockInfo("alice"), TTL);
    expect(attempt.acquired).toBe(true);
    expect(puts()).toHaveLength(2);
  });

  test("409 on every attempt: a clear error after a bounded number of tries", async () => {
    s3.on(PutObjectCommand).rejects(conditionalConflict());
    await expect(newLock().acquire(lockInfo("alice"), TTL)).rejects.toThrow(
      `Could not take the release lock s3://${BUCKET}/${KEY} after 5 attempts; the last one: S3 reported a conflicting conditional write (409 ConditionalRequestConflict)`,
    );
    expect(puts()).toHaveLength(5);
  });

  test("the holder vanishing between the 412 and the read: the create is retried", async () => {
    s3.on(PutObjectCommand).rejectsOnce(preconditionFailed()).resolves({ ETag: '"e"' });
    s3.on(GetObjectCommand).rejects(noSuchKey());
    const attempt = await newLock().acquire(lockInfo("alice"), TTL);
    expect(attempt.acquired).toBe(true);
    expect(puts().map((p) => p.IfNoneMatch)).toEqual(["*", "*"]);
  });

  test("a 412 on our own record (the SDK retried a create whose response was lost) is ours", async () => {
    const mine = lockInfo("alice");
    const written = { ...mine, expiresAt: expiresIn(TTL) };
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(written)), ETag: '"e1"' });
    const attempt = await newLock().acquire(mine, TTL);
    expect(attempt.acquired && attempt.lock.info).toEqual(written);
    expect(puts()).toHaveLength(1);
  });

  test("any other S3 error names the operation, the object and the S3 code", async () => {
    s3.on(PutObjectCommand).rejects(s3Error("AccessDenied", 403, "Access Denied"));
    await expect(newLock().acquire(lockInfo("alice"), TTL)).rejects.toThrow(
      `S3 PutObject (If-None-Match: *) of s3://${BUCKET}/${KEY} failed: AccessDenied (HTTP 403): Access Denied`,
    );
  });

  test("a lock object that is not a lock record is reported, not overwritten", async () => {
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand).resolves({ Body: body("{not json"), ETag: '"x"' });
    await expect(newLock().acquire(lockInfo("alice"), TTL)).rejects.toThrow(
      `The release lock s3://${BUCKET}/${KEY} is not JSON`,
    );
    expect(puts()).toHaveLength(1);
  });
});

describe("held S3 lock", () => {
  async function acquired() {
    s3.on(PutObjectCommand, { IfNoneMatch: "*" }).resolves({ ETag: '"e1"' });
    const attempt = await newLock().acquire(lockInfo("alice"), TTL);
    if (!attempt.acquired) throw new Error("not acquired");
    return attempt.lock;
  }

  test("renew: If-Match on the current ETag, expiresAt pushed to now + ttl", async () => {
    const held = await acquired();
    clock += 5 * 60_000;
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(held.info)), ETag: '"e1"' });
    s3.on(PutObjectCommand, { IfMatch: '"e1"' }).resolves({ ETag: '"e2"' });

    await held.renew();

    const renewal = puts()[1];
    expect(renewal.IfMatch).toBe('"e1"');
    expect(JSON.parse(renewal.Body as string)).toEqual({
      ...lockInfo("alice"),
      acquiredAt: expiresIn(0),
      expiresAt: expiresIn(TTL),
    });
    expect(held.info.expiresAt).toBe(expiresIn(TTL));
  });

  test("renew refuses someone else's lock, naming the new holder", async () => {
    const held = await acquired();
    const bob = lockInfo("bob", expiresIn(TTL));
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(bob)), ETag: '"bob"' });

    await expect(held.renew()).rejects.toThrow(
      `Refusing to renew the release lock s3://${BUCKET}/${KEY}: it is no longer ours (lock id id-alice); it is now held by bob@host`,
    );
    expect(puts()).toHaveLength(1); // only the acquire
  });

  test("renew losing the conditional write throws, naming who has it now", async () => {
    const held = await acquired();
    const bob = lockInfo("bob", expiresIn(TTL));
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(lockBody(held.info)), ETag: '"e1"' })
      .resolves({ Body: body(lockBody(bob)), ETag: '"bob"' });
    s3.on(PutObjectCommand, { IfMatch: '"e1"' }).rejects(preconditionFailed());

    await expect(held.renew()).rejects.toThrow(
      /it changed while renewing\. It is now held by bob@host .*valid until/,
    );
  });

  test("renew whose retried write finds our own renewal in place succeeds", async () => {
    const held = await acquired();
    clock += 60_000;
    const renewed = { ...held.info, acquiredAt: expiresIn(0), expiresAt: expiresIn(TTL) };
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(lockBody(held.info)), ETag: '"e1"' })
      .resolves({ Body: body(lockBody(renewed)), ETag: '"e2"' });
    s3.on(PutObjectCommand, { IfMatch: '"e1"' }).rejects(preconditionFailed());
    await held.renew();
    expect(held.info).toEqual(renewed);
  });

  test("renew of a lock removed meanwhile says it is gone", async () => {
    const held = await acquired();
    s3.on(GetObjectCommand).rejects(noSuchKey());
    await expect(held.renew()).rejects.toThrow(
      `Cannot renew the release lock s3://${BUCKET}/${KEY}: it is gone`,
    );
  });

  test("release deletes with If-Match on the ETag of our record", async () => {
    const held = await acquired();
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(held.info)), ETag: '"e1"' });
    s3.on(DeleteObjectCommand).resolves({});

    await held.release();

    expect(deletes()).toEqual([{ Bucket: BUCKET, Key: KEY, IfMatch: '"e1"' }]);
  });

  test("release refuses to delete someone else's lock", async () => {
    const held = await acquired();
    const bob = lockInfo("bob", expiresIn(TTL));
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(bob)), ETag: '"bob"' });
    s3.on(DeleteObjectCommand).resolves({});

    await expect(held.release()).rejects.toThrow(
      `Refusing to release the release lock s3://${BUCKET}/${KEY}: it is no longer ours (lock id id-alice); it is now held by bob@host`,
    );
    expect(deletes()).toEqual([]);
  });

  test("release of a lock that is already gone does nothing", async () => {
    const held = await acquired();
    s3.on(GetObjectCommand).rejects(noSuchKey());
    await held.release();
    expect(deletes()).toEqual([]);
  });

  test("release losing the conditional delete throws naming the new holder", async () => {
    const held = await acquired();
    const bob = lockInfo("bob", expiresIn(TTL));
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(lockBody(held.info)), ETag: '"e1"' })
      .resolves({ Body: body(lockBody(bob)), ETag: '"bob"' });
    s3.on(DeleteObjectCommand).rejects(preconditionFailed());

    await expect(held.release()).rejects.toThrow(
      /Did not release the release lock .*: it changed while releasing\. It is now held by bob@host/,
    );
  });
});

describe("S3ReleaseLock.read and forceRelease", () => {
  test("read: no object is no lock", async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    expect(await newLock().read()).toBeUndefined();
  });

  test("read: a missing bucket is an error, not an empty lock", async () => {
    s3.on(GetObjectCommand).rejects(
      s3Error("NoSuchBucket", 404, "The specified bucket does not exist"),
    );
    await expect(newLock().read()).rejects.toThrow(
      `S3 GetObject of s3://${BUCKET}/${KEY} failed: NoSuchBucket (HTTP 404)`,
    );
  });

  test("forceRelease deletes unconditionally and returns what it removed", async () => {
    const bob = lockInfo("bob");
    s3.on(GetObjectCommand).resolves({ Body: body(lockBody(bob)), ETag: '"bob"' });
    s3.on(DeleteObjectCommand).resolves({});
    expect(await newLock().forceRelease()).toEqual(bob);
    expect(deletes()).toEqual([{ Bucket: BUCKET, Key: KEY }]);
  });

  test("forceRelease removes a body that is not a lock record too", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"hello": 1}'), ETag: '"x"' });
    s3.on(DeleteObjectCommand).resolves({});
    expect(await newLock().forceRelease()).toBeUndefined();
    expect(deletes()).toHaveLength(1);
  });

  test("a record missing fields names them", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"id": "x"}'), ETag: '"x"' });
    await expect(newLock().read()).rejects.toThrow(
      /s3:\/\/example-tfstate-staging\/release\/locks\/staging\/web\.json is not a lock record \(environment: Required; .*expiresAt: Required\)/,
    );
  });
});
