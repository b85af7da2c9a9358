/**
 * The pre-deployment database backup (issue 10 section 2): a manual RDS snapshot of the
 * environment's instance, named and tagged from the environment, app, version and time, waited
 * for until `available`; then retention, which deletes tool-made snapshots (and only those: the
 * `platform:release-snapshot=true` tag) beyond the newest `keep`.
 */
import {
  CreateDBSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  type DBSnapshot,
  type RDSClient,
  type Tag,
} from "@aws-sdk/client-rds";
import type { DatabaseBackup } from "../types";
import { awsErrorCode, awsErrorText } from "./aws-errors";
import { sleep as defaultSleep } from "./s3-util";

/** The tag that marks a snapshot as made by the release tool (retention touches nothing else). */
export const RELEASE_SNAPSHOT_TAG = "platform:release-snapshot";

/** RDS limit on a DB snapshot identifier. */
const MAX_SNAPSHOT_ID_LENGTH = 255;

/**
 * One part of a snapshot identifier: lower case, every run of characters other than letters and
 * digits becomes one hyphen, no hyphen at either end (`6.8.0` → `6-8-0`, `v2.0.0+build.7` →
 * `v2-0-0-build-7`). Empty when nothing usable is left.
 */
export function snapshotIdPart(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * The identifier of a release snapshot:
 * `release-<env>-<app>-<version>-<yyyymmdd>-<hhmmss>` (UTC), e.g.
 * `release-prod-web-6-8-0-20250131-120000`. It obeys the RDS rules: 1-255 letters, digits and
 * hyphens, first a letter, no two consecutive hyphens, no hyphen at the end (RDS stores
 * identifiers in lower case, so it is lower case already). A very long version is shortened
 * so that the time always fits.
 */
export function snapshotIdentifier(
  environment: string,
  app: string,
  version: string,
  epochMs: number,
): string {
  const iso = new Date(epochMs).toISOString(); // 2025-01-31T12:00:00.000Z
  const time = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}`;
  const head = ["release", snapshotIdPart(environment), snapshotIdPart(app)]
    .filter(Boolean)
    .join("-");
  const room = MAX_SNAPSHOT_ID_LENGTH - head.length - time.length - 2;
  const versionPart = snapshotIdPart(snapshotIdPart(version).slice(0, Math.max(0, room)));
  return [head, versionPart || "unversioned", time].join("-");
}

/** Whether a snapshot carries the release tool's tag. */
export function isReleaseSnapshot(snapshot: Pick<DBSnapshot, "TagList">): boolean {
  return (snapshot.TagList ?? []).some(
    (tag) => tag.Key === RELEASE_SNAPSHOT_TAG && tag.Value === "true",
  );
}

/** Snapshot statuses that will never become `available`. */
function isFailedStatus(status: string): boolean {
  return (
    status === "failed" ||
    status === "deleting" ||
    status === "deleted" ||
    status.startsWith("incompatible") ||
    status.includes("error")
  );
}

/** `DBSnapshotNotFound` (the wire code) or the SDK's `DBSnapshotNotFoundFault`. */
function isNotFound(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code === "DBSnapshotNotFoundFault" || code === "DBSnapshotNotFound";
}

/** Tuning and test seams of {@link RdsDatabaseBackup}. */
export interface RdsDatabaseBackupOptions {
  /** Time between `DescribeDBSnapshots` polls. @default 15 s */
  readonly pollIntervalMs?: number;
  /** The clock (snapshot time and timeout). @default Date.now */
  readonly now?: () => number;
  /** Waits between polls (tests advance a fake clock). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Manual RDS snapshots of the environment's database instance before a release. */
export class RdsDatabaseBackup implements DatabaseBackup {
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /**
   * @param rds client in the environment's region
   * @param dbInstanceIdentifier the instance (the infrastructure stack's `database_identifier`
   *   output)
   * @param environment the environment name (snapshot name and `environment` tag)
   */
  constructor(
    private readonly rds: RDSClient,
    readonly dbInstanceIdentifier: string,
    readonly environment: string,
    options: RdsDatabaseBackupOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Snapshot, wait until `available`, then retention (see {@link DatabaseBackup.snapshot}). */
  async snapshot(
    request: {
      readonly app: string;
      readonly version: string;
      readonly keep: number;
      readonly timeoutMs: number;
    },
    progress: (line: string) => void,
  ): Promise<{ readonly snapshotId: string; readonly deleted: readonly string[] }> {
    if (!Number.isInteger(request.keep) || request.keep < 1) {
      throw new Error(`releaseBackups.keep must be a whole number >= 1, got ${request.keep}`);
    }
    const started = this.now();
    const snapshotId = snapshotIdentifier(this.environment, request.app, request.version, started);
    const tags: Tag[] = [
      { Key: RELEASE_SNAPSHOT_TAG, Value: "true" },
      { Key: "environment", Value: this.environment },
      { Key: "app", Value: request.app },
      { Key: "version", Value: request.version },
      { Key: "created-by", Value: "release-tool" },
    ];
    progress(`backup: creating RDS snapshot ${snapshotId} of ${this.dbInstanceIdentifier}`);
    try {
      await this.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: this.dbInstanceIdentifier,
          DBSnapshotIdentifier: snapshotId,
          Tags: tags,
        }),
      );
    } catch (error) {
      throw new Error(
        `RDS CreateDBSnapshot ${snapshotId} of ${this.dbInstanceIdentifier} failed: ${awsErrorText(error)}`,
        { cause: error },
      );
    }
    await this.waitAvailable(snapshotId, started + request.timeoutMs, request.timeoutMs, progress);
    progress(
      `backup: snapshot ${snapshotId} available after ${Math.round((this.now() - started) / 1000)}s`,
    );
    const deleted = await this.applyRetention(snapshotId, request.keep, progress);
    return { snapshotId, deleted };
  }

  /** Polls until the snapshot is `available`; throws on a failed status, an error or the deadline. */
  private async waitAvailable(
    snapshotId: string,
    deadline: number,
    timeoutMs: number,
    progress: (line: string) => void,
  ): Promise<void> {
    const leftBehind = `snapshot ${snapshotId} is left behind (tagged ${RELEASE_SNAPSHOT_TAG}=true, so retention deletes it later, or delete it by hand)`;
    let last = "not yet visible";
    let seen = false;
    let reported = "";
    for (;;) {
      let snapshot: DBSnapshot | undefined;
      try {
        const out = await this.rds.send(
          new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }),
        );
        snapshot = out.DBSnapshots?.find((s) => s.DBSnapshotIdentifier === snapshotId);
      } catch (error) {
        if (!isNotFound(error)) {
          throw new Error(
            `RDS DescribeDBSnapshots of ${snapshotId} failed (last status: ${last}): ${awsErrorText(error)}; ${leftBehind}`,
            { cause: error },
          );
        }
      }
      if (!snapshot) {
        if (seen) throw new Error(`RDS snapshot ${snapshotId} disappeared (last status: ${last})`);
      } else {
        seen = true;
        const status = snapshot.Status ?? "unknown";
        last =
          snapshot.PercentProgress === undefined
            ? status
            : `${status} (${snapshot.PercentProgress}%)`;
        if (last !== reported) {
          progress(`backup: snapshot ${snapshotId}: ${last}`);
          reported = last;
        }
        if (status === "available") return;
        if (isFailedStatus(status)) {
          throw new Error(`RDS snapshot ${snapshotId} ended in status ${status}; ${leftBehind}`);
        }
      }
      const left = deadline - this.now();
      if (left <= 0) {
        throw new Error(
          `RDS snapshot ${snapshotId} was not available after ${Math.round(timeoutMs / 1000)}s (releaseBackups.timeout); last status: ${last}; ${leftBehind}`,
        );
      }
      await this.sleep(Math.min(this.pollIntervalMs, left));
    }
  }

  /** Every manual snapshot of the instance, across `DescribeDBSnapshots` pages. */
  private async manualSnapshots(): Promise<DBSnapshot[]> {
    const all: DBSnapshot[] = [];
    let marker: string | undefined;
    do {
      const out = await this.rds.send(
        new DescribeDBSnapshotsCommand({
          DBInstanceIdentifier: this.dbInstanceIdentifier,
          SnapshotType: "manual",
          MaxRecords: 100,
          Marker: marker,
        }),
      );
      all.push(...(out.DBSnapshots ?? []));
      marker = out.Marker || undefined;
    } while (marker);
    return all;
  }

  /**
   * Deletes tool-made snapshots of the instance beyond the newest `keep` (the new one counts and
   * is never deleted; untagged snapshots are never looked at again; one that is not `available`
   * is left alone). Failures here are reported and leave the snapshots in place: the backup
   * itself is done, so they never refuse the release.
   */
  private async applyRetention(
    newId: string,
    keep: number,
    progress: (line: string) => void,
  ): Promise<string[]> {
    let snapshots: DBSnapshot[];
    try {
      snapshots = await this.manualSnapshots();
    } catch (error) {
      progress(
        `backup: retention skipped: listing the snapshots of ${this.dbInstanceIdentifier} failed: ${awsErrorText(error)}`,
      );
      return [];
    }
    const created = (s: DBSnapshot) =>
      s.DBSnapshotIdentifier === newId
        ? Number.POSITIVE_INFINITY
        : (s.SnapshotCreateTime?.getTime() ?? Number.POSITIVE_INFINITY);
    const ours = snapshots
      .filter((s) => s.DBInstanceIdentifier === this.dbInstanceIdentifier && isReleaseSnapshot(s))
      .sort((a, b) => created(b) - created(a));
    const beyond = ours.slice(keep).filter((s) => s.DBSnapshotIdentifier !== newId);
    const deleted: string[] = [];
    for (const snapshot of beyond) {
      const id = snapshot.DBSnapshotIdentifier;
      if (!id) continue;
      if (snapshot.Status !== "available") {
        progress(`backup: retention keeps ${id} for now: status ${snapshot.Status ?? "unknown"}`);
        continue;
      }
      try {
        await this.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
        deleted.push(id);
        progress(`backup: deleted old release snapshot ${id} (keeping the newest ${keep})`);
      } catch (error) {
        progress(`backup: could not delete old release snapshot ${id}: ${awsErrorText(error)}`);
      }
    }
    return deleted;
  }
}
