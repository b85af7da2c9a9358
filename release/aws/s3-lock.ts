/**
 * The release lock of normal mode: one object per environment and app in the state bucket,
 * `release/locks/<env>/<app>.json`, whose body is the {@link LockInfo} JSON.
 *
 * Atomicity comes from S3 conditional writes: the lock is created with `If-None-Match: *` (only
 * one writer can create a key), and a stale lock is taken over, renewed or released with
 * `If-Match: <etag>` (only the writer that read the current version can replace or delete it).
 * Expiry is judged by this machine's clock against `expiresAt`: keep the TTL far above any clock
 * skew between the machines that release (minutes, not seconds).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { z } from "zod";
import type { HeldLock, LockAttempt, LockInfo, ReleaseLock } from "../types";
import {
  bodyText,
  isConditionalConflict,
  isNoSuchKey,
  isPreconditionFailed,
  s3Failure,
  s3Url,
  sleep,
} from "./s3-util";

/** Tuning and test seams of {@link S3ReleaseLock}. */
export interface S3ReleaseLockOptions {
  /** The clock, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Attempts on 409 ConditionalRequestConflict or a lock vanishing mid-acquire. @default 5 */
  readonly maxAttempts?: number;
  /** Pause before retrying, multiplied by the attempt number. @default 200 */
  readonly retryDelayMs?: number;
}

/** The key of the release lock of an environment and app: `release/locks/<env>/<app>.json`. */
export function releaseLockKey(environment: string, app: string): string {
  return `release/locks/${environment}/${app}.json`;
}

/** One line on who holds a lock: `alice@host (run staging web 6.8.0) since ..., valid until ...`. */
export function describeHolder(info: LockInfo): string {
  return `${info.holder} (\`${info.command}\`, lock id ${info.id}, since ${info.acquiredAt}, valid until ${info.expiresAt})`;
}

const lockInfoSchema = z.object({
  id: z.string().min(1),
  environment: z.string(),
  app: z.string(),
  holder: z.string(),
  command: z.string(),
  acquiredAt: z.string(),
  expiresAt: z.string().refine((v) => !Number.isNaN(Date.parse(v)), "an ISO 8601 time"),
});

/** A lock object whose body is not a lock record (hand-edited, truncated, another tool's). */
export class LockFormatError extends Error {}

/** Parses a lock body; throws a {@link LockFormatError} naming the object when it is not a lock. */
export function parseLockInfo(text: string, url: string): LockInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LockFormatError(
      `The release lock ${url} is not JSON (${(error as Error).message}); inspect it, or remove it with --break-lock`,
    );
  }
  const parsed = lockInfoSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join(".") || "(root)"}: ${i.message}`,
    );
    throw new LockFormatError(
      `The release lock ${url} is not a lock record (${problems.join("; ")}); inspect it, or remove it with --break-lock`,
    );
  }
  return parsed.data;
}

const CONFLICT = "S3 reported a conflicting conditional write (409 ConditionalRequestConflict)";

/** A lock object as read: its record and the ETag a conditional write must match. */
interface ReadLock {
  readonly info: LockInfo;
  readonly etag: string;
}

/** The release lock in the environment's state bucket. */
export class S3ReleaseLock implements ReleaseLock {
  /** Object key of the lock. */
  readonly key: string;
  /** `s3://bucket/release/locks/<env>/<app>.json`. */
  readonly location: string;
  private readonly now: () => number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  /**
   * @param s3 client for the state bucket's region
   * @param bucket the environment's state bucket (`state.bucket`)
   */
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly environment: string,
    readonly app: string,
    options: S3ReleaseLockOptions = {},
  ) {
    this.key = releaseLockKey(environment, app);
    this.location = s3Url(bucket, this.key);
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  /** {@inheritDoc ReleaseLock.acquire} */
  async acquire(info: LockInfo, ttlMs: number): Promise<LockAttempt> {
    if (!(ttlMs > 0)) throw new Error(`The release lock TTL must be positive, got ${ttlMs} ms`);
    let lastProblem = "";
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await sleep(this.retryDelayMs * (attempt - 1));
      const written: LockInfo = { ...info, expiresAt: this.expiry(ttlMs) };
      try {
        await this.put(written, { IfNoneMatch: "*" });
        return { acquired: true, lock: this.held(written, ttlMs) };
      } catch (error) {
        if (isConditionalConflict(error)) {
          lastProblem = CONFLICT;
          continue;
        }
        if (!isPreconditionFailed(error))
          throw s3Failure("PutObject (If-None-Match: *)", this.location, error);
      }
      // 412: someone holds it (or held it). Live holder: refuse; stale holder: take over.
      const current = await this.readWithEtag();
      if (!current) {
        lastProblem = "the lock kept disappearing between the create and the read";
        continue;
      }
      // our own record: the SDK retried a create whose first response was lost
      if (current.info.id === info.id) {
        return { acquired: true, lock: this.held(current.info, ttlMs) };
      }
      if (!this.isExpired(current.info)) return { acquired: false, holder: current.info };
      const takeover: LockInfo = { ...info, expiresAt: this.expiry(ttlMs) };
      try {
        await this.put(takeover, { IfMatch: current.etag });
        return { acquired: true, lock: this.held(takeover, ttlMs), tookOver: current.info };
      } catch (error) {
        if (isConditionalConflict(error)) {
          lastProblem = CONFLICT;
          continue;
        }
        // NoSuchKey: the stale lock was removed meanwhile; try a plain create again.
        if (isNoSuchKey(error)) continue;
        if (!isPreconditionFailed(error))
          throw s3Failure("PutObject (If-Match)", this.location, error);
      }
      // Someone else replaced the stale lock first: report them, unless it is gone again.
      const winner = await this.readWithEtag();
      if (winner?.info.id === info.id) {
        return { acquired: true, lock: this.held(winner.info, ttlMs), tookOver: current.info };
      }
      if (winner) return { acquired: false, holder: winner.info };
    }
    throw new Error(
      `Could not take the release lock ${this.location} after ${this.maxAttempts} attempts; the last one: ${lastProblem || "the lock kept changing"}`,
    );
  }

  /** {@inheritDoc ReleaseLock.read} */
  async read(): Promise<LockInfo | undefined> {
    return (await this.readWithEtag())?.info;
  }

  /** {@inheritDoc ReleaseLock.forceRelease} */
  async forceRelease(): Promise<LockInfo | undefined> {
    let removed: LockInfo | undefined;
    try {
      removed = await this.read();
    } catch (error) {
      // a body that is not a lock is still removed: that is what --break-lock is for
      if (!(error instanceof LockFormatError)) throw error;
    }
    try {
      await this.delete(undefined);
    } catch (error) {
      throw s3Failure("DeleteObject (--break-lock)", this.location, error);
    }
    return removed;
  }

  /** @internal The lock and its ETag, or undefined when there is no lock object. */
  async readWithEtag(): Promise<ReadLock | undefined> {
    let text: string;
    let etag: string | undefined;
    try {
      const output = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key }),
      );
      etag = output.ETag;
      text = await bodyText(output, this.location);
    } catch (error) {
      if (isNoSuchKey(error)) return undefined;
      throw s3Failure("GetObject", this.location, error);
    }
    if (!etag) throw new Error(`S3 GetObject of ${this.location} returned no ETag`);
    return { info: parseLockInfo(text, this.location), etag };
  }

  /** @internal Writes a lock record under a condition (`If-None-Match: *` or `If-Match`). */
  async put(info: LockInfo, condition: { IfNoneMatch: "*" } | { IfMatch: string }): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        Body: JSON.stringify(info, null, 2) + "\n",
        ContentType: "application/json",
        ServerSideEncryption: "AES256", // as the S3 backend's `encrypt = true` sends it
        ...condition,
      }),
    );
  }

  /** @internal Deletes the lock object, only if it still has `etag` when one is given. */
  async delete(etag: string | undefined): Promise<void> {
    try {
      await this.s3.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key, IfMatch: etag }),
      );
    } catch (error) {
      // a missing key on a conditional delete: already gone, which is what we wanted
      if (isNoSuchKey(error)) return;
      throw error;
    }
  }

  /** @internal `now + ttl` as ISO 8601. */
  expiry(ttlMs: number): string {
    return new Date(this.now() + ttlMs).toISOString();
  }

  /** @internal Whether a lock is past its `expiresAt` by this process's clock. */
  isExpired(info: LockInfo): boolean {
    return Date.parse(info.expiresAt) <= this.now();
  }

  /** @internal Retry settings, for the held lock. */
  retries(): { readonly maxAttempts: number; readonly retryDelayMs: number } {
    return { maxAttempts: this.maxAttempts, retryDelayMs: this.retryDelayMs };
  }

  private held(info: LockInfo, ttlMs: number): HeldLock {
    return new S3HeldLock(this, info, ttlMs);
  }
}

/** Who holds a lock now, for messages. */
function describeNow(now: LockInfo | undefined): string {
  return now ? `It is now held by ${describeHolder(now)}.` : "It is gone now.";
}

/** A lock this process took: renews and releases only while the object still carries our id. */
class S3HeldLock implements HeldLock {
  constructor(
    private readonly lock: S3ReleaseLock,
    private current: LockInfo,
    private readonly ttlMs: number,
  ) {}

  get info(): LockInfo {
    return this.current;
  }

  async renew(): Promise<void> {
    const { maxAttempts, retryDelayMs } = this.lock.retries();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(retryDelayMs * (attempt - 1));
      const found = await this.ours("renew");
      const renewed: LockInfo = {
        ...this.current,
        acquiredAt: this.lock.expiry(0),
        expiresAt: this.lock.expiry(this.ttlMs),
      };
      try {
        await this.lock.put(renewed, { IfMatch: found.etag });
        this.current = renewed;
        return;
      } catch (error) {
        if (isConditionalConflict(error)) continue;
        if (isPreconditionFailed(error) || isNoSuchKey(error)) {
          // the SDK may retry a write whose first response was lost: then the object is ours
          const now = await this.lock.read();
          if (now?.id === renewed.id && now.expiresAt === renewed.expiresAt) {
            this.current = renewed;
            return;
          }
          throw new Error(
            `Could not renew the release lock ${this.lock.location}: it changed while renewing. ${describeNow(now)}`,
          );
        }
        throw s3Failure("PutObject (If-Match, renew)", this.lock.location, error);
      }
    }
    throw new Error(
      `Could not renew the release lock ${this.lock.location}: S3 reported a conflicting conditional write (409) on all ${maxAttempts} attempts`,
    );
  }

  async release(): Promise<void> {
    const { maxAttempts, retryDelayMs } = this.lock.retries();
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(retryDelayMs * (attempt - 1));
      const found = await this.lock.readWithEtag();
      if (!found) return; // nothing left to release (removed with --break-lock, say)
      this.refuseIfNotOurs(found.info, "release");
      try {
        await this.lock.delete(found.etag);
        return;
      } catch (error) {
        if (isConditionalConflict(error)) continue;
        if (isPreconditionFailed(error)) {
          throw new Error(
            `Did not release the release lock ${this.lock.location}: it changed while releasing. ${describeNow(await this.lock.read())}`,
          );
        }
        throw s3Failure("DeleteObject (If-Match)", this.lock.location, error);
      }
    }
    throw new Error(
      `Could not release the release lock ${this.lock.location}: S3 reported a conflicting conditional request (409) on all ${maxAttempts} attempts`,
    );
  }

  /** The current object, after checking it is still our holding. */
  private async ours(action: "renew" | "release"): Promise<ReadLock> {
    const found = await this.lock.readWithEtag();
    if (!found) {
      throw new Error(
        `Cannot ${action} the release lock ${this.lock.location}: it is gone (removed with --break-lock?) although this process (lock id ${this.current.id}) held it`,
      );
    }
    this.refuseIfNotOurs(found.info, action);
    return found;
  }

  private refuseIfNotOurs(info: LockInfo, action: "renew" | "release"): void {
    if (info.id === this.current.id) return;
    throw new Error(
      `Refusing to ${action} the release lock ${this.lock.location}: it is no longer ours (lock id ${this.current.id}); it is now held by ${describeHolder(info)}`,
    );
  }
}
