/**
 * The release journal of normal mode. S3 cannot append to an object, so every event is its own
 * object, created with `If-None-Match: *` so that nothing is ever overwritten:
 * `release/journal/<env>/<app>/<time>-<runId>-<random>.json`, where `<time>` is the event time
 * as `2025-01-31T12-00-00.123Z` (ISO 8601 with `-` for `:`), so the key order is the time order.
 */
import { randomBytes } from "node:crypto";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Journal, JournalEvent } from "../types";
import { bodyText, isConditionalConflict, isPreconditionFailed, s3Failure, s3Url } from "./s3-util";

/** The key prefix of the journal of an environment and app (ends with `/`). */
export function journalPrefix(environment: string, app: string): string {
  return `release/journal/${environment}/${app}/`;
}

/** `2025-01-31T12:00:00.123Z` → `2025-01-31T12-00-00.123Z`: sortable and free of `:`. */
export function journalTimeStamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/:/g, "-");
}

/** Tuning and test seams of {@link S3Journal}. */
export interface S3JournalOptions {
  /** The random suffix of a key. @default 8 hex digits from crypto.randomBytes */
  readonly random?: () => string;
  /** Objects fetched at once by `read`. @default 8 */
  readonly readConcurrency?: number;
}

/** Attempts at a unique key (a 412 means the random key already exists: pick another). */
const PUT_ATTEMPTS = 3;

/** The release journal in the environment's state bucket. */
export class S3Journal implements Journal {
  /** Key prefix of the events. */
  readonly prefix: string;
  /** `s3://bucket/release/journal/<env>/<app>/`. */
  readonly location: string;
  private readonly random: () => string;
  private readonly readConcurrency: number;
  /** Last key time this instance wrote, so one process's events keep their order within a ms. */
  private lastMs = Number.NEGATIVE_INFINITY;

  /**
   * @param s3 client for the state bucket's region
   * @param bucket the environment's state bucket (`state.bucket`)
   */
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly environment: string,
    readonly app: string,
    options: S3JournalOptions = {},
  ) {
    this.prefix = journalPrefix(environment, app);
    this.location = s3Url(bucket, this.prefix);
    this.random = options.random ?? (() => randomBytes(4).toString("hex"));
    this.readConcurrency = options.readConcurrency ?? 8;
  }

  /** The key an event is written under (the time is made strictly increasing per instance). */
  keyFor(event: JournalEvent): string {
    const eventMs = Date.parse(event.time);
    if (Number.isNaN(eventMs)) {
      throw new Error(
        `Journal event ${event.step} of run ${event.runId} has no valid time (${JSON.stringify(event.time)}); not written to ${this.location}`,
      );
    }
    const ms = Math.max(eventMs, this.lastMs + 1);
    this.lastMs = ms;
    const runId = event.runId.replace(/[^A-Za-z0-9._-]/g, "_") || "no-run";
    return `${this.prefix}${journalTimeStamp(ms)}-${runId}-${this.random()}.json`;
  }

  /** {@inheritDoc Journal.append} */
  async append(event: JournalEvent): Promise<void> {
    const body = JSON.stringify(event) + "\n";
    let lastError: unknown;
    for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
      const key = this.keyFor(event);
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentType: "application/json",
            ServerSideEncryption: "AES256", // as the S3 backend's `encrypt = true` sends it
            IfNoneMatch: "*",
          }),
        );
        return;
      } catch (error) {
        if (!isPreconditionFailed(error) && !isConditionalConflict(error)) {
          throw s3Failure(
            `PutObject (journal event ${event.step})`,
            s3Url(this.bucket, key),
            error,
          );
        }
        // the SDK may retry a write whose first response was lost: then the event is there
        if (isPreconditionFailed(error) && (await this.holds(key, body))) return;
        lastError = error;
      }
    }
    throw s3Failure(
      `PutObject (journal event ${event.step}, ${PUT_ATTEMPTS} fresh keys)`,
      this.location,
      lastError,
    );
  }

  /** Whether `key` exists with exactly `body`. */
  private async holds(key: string, body: string): Promise<boolean> {
    try {
      const output = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await bodyText(output, s3Url(this.bucket, key))) === body;
    } catch {
      return false; // whatever it is, it is not our event: write under a fresh key
    }
  }

  /** {@inheritDoc Journal.read} */
  async read(limit?: number): Promise<JournalEvent[]> {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new Error(`Journal read limit must be a whole number >= 0, got ${limit}`);
    }
    const keys = (await this.listKeys()).sort();
    const wanted = limit === undefined ? keys : keys.slice(Math.max(0, keys.length - limit));
    const events: JournalEvent[] = new Array(wanted.length);
    let next = 0;
    const worker = async () => {
      while (next < wanted.length) {
        const index = next++;
        events[index] = await this.readEvent(wanted[index]);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.readConcurrency, wanted.length) }, worker),
    );
    return events;
  }

  /** Every event key under the prefix, across all `ListObjectsV2` pages. */
  private async listKeys(): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        throw s3Failure("ListObjectsV2", this.location, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key?.endsWith(".json")) keys.push(object.Key);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      if (page.IsTruncated && !token) {
        throw new Error(
          `S3 ListObjectsV2 of ${this.location} said the listing is truncated but gave no continuation token`,
        );
      }
    } while (token);
    return keys;
  }

  private async readEvent(key: string): Promise<JournalEvent> {
    const url = s3Url(this.bucket, key);
    let text: string;
    try {
      const output = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = await bodyText(output, url);
    } catch (error) {
      throw s3Failure("GetObject (journal event)", url, error);
    }
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      throw new Error(`The journal event ${url} is not JSON: ${(error as Error).message}`);
    }
    if (
      typeof event !== "object" ||
      event === null ||
      typeof (event as JournalEvent).step !== "string"
    ) {
      throw new Error(`The journal event ${url} is not a journal event (no "step")`);
    }
    return event as JournalEvent;
  }
}
