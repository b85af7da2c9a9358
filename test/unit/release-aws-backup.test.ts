/**
 * The pre-deployment RDS snapshot against a mocked RDS client: the snapshot id and tags, the
 * waiter (progress, failed status, timeout on a fake clock), and retention that deletes only old
 * tool-made snapshots, only once the new one is available, across DescribeDBSnapshots pages.
 */
import {
  CreateDBSnapshotCommand,
  DBSnapshotNotFoundFault,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RDSServiceException,
  type DBSnapshot,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import {
  RdsDatabaseBackup,
  RELEASE_SNAPSHOT_TAG,
  snapshotIdentifier,
} from "../../release/aws/backup";
import { NOW } from "../support/release-aws";

const rds = mockClient(RDSClient);
const DB = "prod-postgres";
/** NOW is 2023-11-14T22:13:20.000Z. */
const NEW_ID = "release-prod-web-6-8-0-20231114-221320";

beforeEach(() => rds.reset());
afterAll(() => rds.restore());

/** A fake clock that `sleep` advances. */
function clock() {
  const state = { t: NOW, sleeps: [] as number[] };
  return {
    state,
    now: () => state.t,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.t += ms;
    },
  };
}

function backup(c = clock()) {
  return new RdsDatabaseBackup(new RDSClient({ region: "eu-west-1" }), DB, "prod", {
    pollIntervalMs: 10_000,
    now: c.now,
    sleep: c.sleep,
  });
}

const tagged = [{ Key: RELEASE_SNAPSHOT_TAG, Value: "true" }];

function snap(id: string, minutesAgo: number, extra: Partial<DBSnapshot> = {}): DBSnapshot {
  return {
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: DB,
    SnapshotType: "manual",
    Status: "available",
    SnapshotCreateTime: new Date(NOW - minutesAgo * 60_000),
    TagList: tagged,
    ...extra,
  };
}

/** DescribeDBSnapshots by id answers `statuses` in turn (the last one repeats). */
function pollAnswers(...answers: Partial<DBSnapshot>[]) {
  const by = rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: NEW_ID });
  answers.forEach((a, i) => {
    const out = { DBSnapshots: [{ DBSnapshotIdentifier: NEW_ID, ...a }] };
    if (i === answers.length - 1) by.resolves(out);
    else by.resolvesOnce(out);
  });
}

const request = { app: "web", version: "6.8.0", keep: 2, timeoutMs: 60 * 60_000 };

describe("snapshotIdentifier", () => {
  test("env, app, sanitised version and UTC time", () => {
    expect(snapshotIdentifier("prod", "web", "6.8.0", NOW)).toBe(NEW_ID);
    expect(snapshotIdentifier("Prod", "my_app", "v2.0.0+build..7-", NOW)).toBe(
      "release-prod-my-app-v2-0-0-build-7-20231114-221320",
    );
    expect(snapshotIdentifier("prod", "web", "...", NOW)).toBe(
      "release-prod-web-unversioned-20231114-221320",
    );
  });

  test("always obeys the RDS identifier rules, even for a very long version", () => {
    const rule = /^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$/;
    for (const version of ["6.8.0", "1.0.0-rc.1", "x".repeat(300), `${"a.".repeat(150)}b`]) {
      const id = snapshotIdentifier("staging", "web", version, NOW);
      expect(id).toMatch(rule);
      expect(id.length).toBeLessThanOrEqual(255);
      expect(id.endsWith("-20231114-221320")).toBe(true);
    }
  });
});

describe("RdsDatabaseBackup.snapshot", () => {
  test("creates a tagged snapshot, waits for available with progress, returns its id", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    pollAnswers(
      { Status: "creating", PercentProgress: 0 },
      { Status: "creating", PercentProgress: 40 },
      { Status: "creating", PercentProgress: 40 },
      { Status: "available", PercentProgress: 100 },
    );
    rds
      .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB })
      .resolves({ DBSnapshots: [snap(NEW_ID, 0)] });
    const c = clock();
    const lines: string[] = [];

    const result = await backup(c).snapshot(request, (l) => lines.push(l));

    expect(result).toEqual({ snapshotId: NEW_ID, deleted: [] });
    expect(rds.commandCalls(CreateDBSnapshotCommand).map((x) => x.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: DB,
        DBSnapshotIdentifier: NEW_ID,
        Tags: [
          { Key: "platform:release-snapshot", Value: "true" },
          { Key: "environment", Value: "prod" },
          { Key: "app", Value: "web" },
          { Key: "version", Value: "6.8.0" },
          { Key: "created-by", Value: "release-tool" },
        ],
      },
    ]);
    expect(lines).toEqual([
      `backup: creating RDS snapshot ${NEW_ID} of ${DB}`,
      `backup: snapshot ${NEW_ID}: creating (0%)`,
      `backup: snapshot ${NEW_ID}: creating (40%)`,
      `backup: snapshot ${NEW_ID}: available (100%)`,
      `backup: snapshot ${NEW_ID} available after 30s`,
    ]);
    expect(c.state.sleeps).toEqual([10_000, 10_000, 10_000]);
  });

  test("a snapshot not yet visible right after the create is waited for", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    rds
      .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: NEW_ID })
      .rejectsOnce(new DBSnapshotNotFoundFault({ message: "not found", $metadata: {} }))
      .resolves({ DBSnapshots: [{ DBSnapshotIdentifier: NEW_ID, Status: "available" }] });
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB }).resolves({ DBSnapshots: [] });
    await expect(backup().snapshot(request, () => {})).resolves.toMatchObject({
      snapshotId: NEW_ID,
    });
  });

  test("a failed snapshot refuses with its id and status; retention never runs", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    pollAnswers({ Status: "creating", PercentProgress: 10 }, { Status: "failed" });
    rds
      .on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB })
      .resolves({ DBSnapshots: [snap("release-prod-web-1-0-0-20230101-000000", 9999)] });

    await expect(backup().snapshot({ ...request, keep: 1 }, () => {})).rejects.toThrow(
      `RDS snapshot ${NEW_ID} ended in status failed; snapshot ${NEW_ID} is left behind`,
    );
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(0);
    expect(rds.commandCalls(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB })).toHaveLength(
      0,
    );
  });

  test("times out on the injected clock with the id and the last status", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    pollAnswers({ Status: "creating", PercentProgress: 70 });
    const c = clock();
    const started = Date.now();

    const error = await backup(c)
      .snapshot({ ...request, timeoutMs: 25_000 }, () => {})
      .catch((e: Error) => e);

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      `RDS snapshot ${NEW_ID} was not available after 25s (releaseBackups.timeout); last status: creating (70%); snapshot ${NEW_ID} is left behind (tagged platform:release-snapshot=true, so retention deletes it later, or delete it by hand)`,
    );
    expect(c.state.sleeps).toEqual([10_000, 10_000, 5_000]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(0);
  });

  test("a CreateDBSnapshot error names the snapshot, the instance and the AWS error", async () => {
    rds.on(CreateDBSnapshotCommand).rejects(
      new RDSServiceException({
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
        message: "not authorized to perform rds:CreateDBSnapshot",
      }),
    );
    await expect(backup().snapshot(request, () => {})).rejects.toThrow(
      `RDS CreateDBSnapshot ${NEW_ID} of ${DB} failed: AccessDenied (HTTP 403): not authorized to perform rds:CreateDBSnapshot`,
    );
  });

  test("retention: pages through manual snapshots, deletes only old tool-made ones after the new one is available", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    const order: string[] = [];
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: NEW_ID }).callsFake(() => {
      order.push("poll");
      return { DBSnapshots: [{ DBSnapshotIdentifier: NEW_ID, Status: "available" }] };
    });
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB, Marker: undefined }).resolves({
      DBSnapshots: [
        snap("release-prod-web-1-0-0-a", 300),
        snap("hand-made-before-migration", 600, { TagList: [] }),
        snap("release-prod-api-2-0-0-b", 100),
      ],
      Marker: "page-2",
    });
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB, Marker: "page-2" }).resolves({
      DBSnapshots: [
        snap(NEW_ID, 0, { Status: "available" }),
        snap("release-prod-web-0-9-0-c", 900),
        snap("other-tool", 1000, { TagList: [{ Key: RELEASE_SNAPSHOT_TAG, Value: "false" }] }),
        snap("release-prod-web-0-8-0-d", 1200, { Status: "creating" }),
      ],
    });
    rds.on(DeleteDBSnapshotCommand).callsFake((input: { DBSnapshotIdentifier: string }) => {
      order.push(`delete ${input.DBSnapshotIdentifier}`);
      return {};
    });
    const lines: string[] = [];

    const result = await backup().snapshot(request, (l) => lines.push(l));

    // newest two tool-made: the new one and api-2.0.0 (100 min); web-1.0.0 and web-0.9.0 go
    expect(result.deleted).toEqual(["release-prod-web-1-0-0-a", "release-prod-web-0-9-0-c"]);
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((x) => x.args[0].input)).toEqual([
      { DBSnapshotIdentifier: "release-prod-web-1-0-0-a" },
      { DBSnapshotIdentifier: "release-prod-web-0-9-0-c" },
    ]);
    expect(order.indexOf("delete release-prod-web-1-0-0-a")).toBeGreaterThan(
      order.lastIndexOf("poll"),
    );
    const lists = rds
      .commandCalls(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB })
      .map((x) => x.args[0].input);
    expect(lists).toEqual([
      { DBInstanceIdentifier: DB, SnapshotType: "manual", MaxRecords: 100, Marker: undefined },
      { DBInstanceIdentifier: DB, SnapshotType: "manual", MaxRecords: 100, Marker: "page-2" },
    ]);
    expect(lines).toContain(
      "backup: retention keeps release-prod-web-0-8-0-d for now: status creating",
    );
    expect(lines).toContain(
      "backup: deleted old release snapshot release-prod-web-0-9-0-c (keeping the newest 2)",
    );
  });

  test("retention never deletes the new snapshot, even when its create time is missing or old", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    pollAnswers({ Status: "available" });
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB }).resolves({
      DBSnapshots: [
        snap("release-prod-web-5-0-0-a", 10),
        snap(NEW_ID, 99999, { SnapshotCreateTime: undefined }),
      ],
    });
    rds.on(DeleteDBSnapshotCommand).resolves({});
    const result = await backup().snapshot({ ...request, keep: 1 }, () => {});
    expect(result.deleted).toEqual(["release-prod-web-5-0-0-a"]);
  });

  test("a failed delete is reported and the others go on; the backup still succeeds", async () => {
    rds.on(CreateDBSnapshotCommand).resolves({});
    pollAnswers({ Status: "available" });
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: DB }).resolves({
      DBSnapshots: [snap(NEW_ID, 0), snap("release-old-a", 10), snap("release-old-b", 20)],
    });
    rds.on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: "release-old-a" }).rejects(
      new RDSServiceException({
        name: "InvalidDBSnapshotState",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message: "busy",
      }),
    );
    rds.on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: "release-old-b" }).resolves({});
    const lines: string[] = [];
    const result = await backup().snapshot({ ...request, keep: 1 }, (l) => lines.push(l));
    expect(result.deleted).toEqual(["release-old-b"]);
    expect(lines).toContain(
      "backup: could not delete old release snapshot release-old-a: InvalidDBSnapshotState (HTTP 400): busy",
    );
  });

  test("keep below 1 is refused before anything is created", async () => {
    await expect(backup().snapshot({ ...request, keep: 0 }, () => {})).rejects.toThrow(
      "releaseBackups.keep must be a whole number >= 1, got 0",
    );
    expect(rds.calls()).toHaveLength(0);
  });
});
