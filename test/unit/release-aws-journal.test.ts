/**
 * The S3 journal against a mocked S3 client: one object per event under a sortable key, created
 * with If-None-Match, read back across ListObjectsV2 pages oldest first.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { journalTimeStamp, S3Journal } from "../../release/aws/s3-journal";
import type { JournalEvent } from "../../release/types";
import { body, preconditionFailed, s3Error } from "../support/release-aws";

const s3 = mockClient(S3Client);
const BUCKET = "example-tfstate-staging";
const PREFIX = "release/journal/staging/web/";

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

const event = (step: string, time: string, runId = "run-1"): JournalEvent => ({
  time,
  actor: "alice@host",
  environment: "staging",
  app: "web",
  runId,
  command: "run",
  step,
  outcome: "ok",
  version: "6.8.0",
});

function newJournal(randoms: string[] = ["r1", "r2", "r3", "r4"]) {
  const queue = [...randoms];
  return new S3Journal(new S3Client({ region: "eu-west-1" }), BUCKET, "staging", "web", {
    random: () => queue.shift() ?? "rx",
  });
}

describe("S3Journal.append", () => {
  test("writes one object per event with If-None-Match: * under a sortable key", async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
    const started = event("run-started", "2025-01-31T12:00:00.123Z");

    await newJournal().append(started);

    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: BUCKET,
        Key: `${PREFIX}2025-01-31T12-00-00.123Z-run-1-r1.json`,
        Body: JSON.stringify(started) + "\n",
        ContentType: "application/json",
        ServerSideEncryption: "AES256",
        IfNoneMatch: "*",
      },
    ]);
  });

  test("events of one process in the same millisecond keep their order in the keys", async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
    const journal = newJournal(["zz", "aa", "mm"]);
    for (const step of ["started", "verified", "shifted"]) {
      await journal.append(event(step, "2025-01-31T12:00:00.999Z"));
    }
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key as string);
    expect(keys).toEqual([...keys].sort());
    expect(keys[2]).toBe(`${PREFIX}2025-01-31T12-00-01.001Z-run-1-mm.json`);
  });

  test("a key that already exists (412) is retried under a fresh key", async () => {
    s3.on(PutObjectCommand).rejectsOnce(preconditionFailed()).resolves({ ETag: '"e"' });
    s3.on(GetObjectCommand).resolves({ Body: body('{"step": "someone else"}') });
    await newJournal().append(event("started", "2025-01-31T12:00:00.000Z"));
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toMatch(/-r2\.json$/);
  });

  test("a 412 on our own event (the SDK retried a write whose response was lost): written once", async () => {
    const started = event("started", "2025-01-31T12:00:00.000Z");
    s3.on(PutObjectCommand).rejects(preconditionFailed());
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(started) + "\n") });
    await newJournal().append(started);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  test("a run id is made key-safe; an event without a valid time is refused", async () => {
    const journal = newJournal();
    s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
    await journal.append(event("started", "2025-01-31T12:00:00.000Z", "a/b c"));
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input.Key).toBe(
      `${PREFIX}2025-01-31T12-00-00.000Z-a_b_c-r1.json`,
    );
    await expect(journal.append(event("verified", "yesterday"))).rejects.toThrow(
      `Journal event verified of run run-1 has no valid time ("yesterday"); not written to s3://${BUCKET}/${PREFIX}`,
    );
  });

  test("an S3 failure names the object", async () => {
    s3.on(PutObjectCommand).rejects(s3Error("AccessDenied", 403, "Access Denied"));
    await expect(newJournal().append(event("started", "2025-01-31T12:00:00.000Z"))).rejects.toThrow(
      `S3 PutObject (journal event started) of s3://${BUCKET}/${PREFIX}2025-01-31T12-00-00.000Z-run-1-r1.json failed: AccessDenied (HTTP 403)`,
    );
  });
});

describe("S3Journal.read", () => {
  const times = [
    "2025-01-31T12:00:00.000Z",
    "2025-01-31T12:00:01.000Z",
    "2025-01-31T12:00:02.000Z",
    "2025-02-01T08:00:00.000Z",
    "2025-02-01T08:00:00.500Z",
  ];
  const steps = ["run-started", "started", "verified", "shifted", "promoted"];
  const keyOf = (i: number) =>
    `${PREFIX}${journalTimeStamp(Date.parse(times[i]))}-run-1-x${i}.json`;

  beforeEach(() => {
    // two pages, each in no particular order, plus a stray non-event object
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: keyOf(3) }, { Key: keyOf(0) }, { Key: `${PREFIX}README.txt` }],
      IsTruncated: true,
      NextContinuationToken: "page-2",
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: "page-2" }).resolves({
      Contents: [{ Key: keyOf(4) }, { Key: keyOf(1) }, { Key: keyOf(2) }],
      IsTruncated: false,
    });
    times.forEach((time, i) =>
      s3
        .on(GetObjectCommand, { Key: keyOf(i) })
        .resolves({ Body: body(JSON.stringify(event(steps[i], time))) }),
    );
  });

  test("all events across both pages, oldest first", async () => {
    const events = await newJournal().read();
    expect(events.map((e) => e.step)).toEqual(steps);
    const lists = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(lists).toEqual([
      { Bucket: BUCKET, Prefix: PREFIX, ContinuationToken: undefined },
      { Bucket: BUCKET, Prefix: PREFIX, ContinuationToken: "page-2" },
    ]);
  });

  test("the last `limit` events, oldest first, fetching only those", async () => {
    const events = await newJournal().read(2);
    expect(events.map((e) => e.step)).toEqual(["shifted", "promoted"]);
    expect(
      s3
        .commandCalls(GetObjectCommand)
        .map((c) => c.args[0].input.Key)
        .sort(),
    ).toEqual([keyOf(3), keyOf(4)]);
    expect(await newJournal().read(0)).toEqual([]);
    expect((await newJournal().read(50)).map((e) => e.step)).toEqual(steps);
  });

  test("an event object that is not JSON is reported by its key", async () => {
    s3.on(GetObjectCommand, { Key: keyOf(4) }).resolves({ Body: body("{oops") });
    await expect(newJournal().read(1)).rejects.toThrow(
      `The journal event s3://${BUCKET}/${keyOf(4)} is not JSON`,
    );
  });

  test("a bad limit is refused", async () => {
    await expect(newJournal().read(-1)).rejects.toThrow(
      "Journal read limit must be a whole number >= 0, got -1",
    );
  });

  test("location names the prefix", () => {
    expect(newJournal().location).toBe(`s3://${BUCKET}/${PREFIX}`);
  });
});
