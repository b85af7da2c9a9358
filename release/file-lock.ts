/**
 * The offline release lock: `.release/<env>-<app>.lock`, created with an exclusive create
 * (O_EXCL, the file-system analogue of S3's `If-None-Match: *`), so of two racing processes
 * exactly one wins. A stale lock (past `expiresAt`) is taken over by renaming a new lock over it
 * only if it is still the same stale lock.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { randomBytes } from "node:crypto";
import type { HeldLock, LockAttempt, LockInfo, ReleaseLock } from "./types";

/** A lock file on the local disk. */
export class FileReleaseLock implements ReleaseLock {
  constructor(
    /** Path of the lock file. */
    readonly location: string,
  ) {}

  async acquire(info: LockInfo, ttlMs: number): Promise<LockAttempt> {
    mkdirSync(dirname(this.location), { recursive: true });
    const written = withExpiry(info, ttlMs);
    try {
      writeFileSync(this.location, `${JSON.stringify(written, null, 2)}\n`, { flag: "wx" });
      return { acquired: true, lock: this.held(written, ttlMs) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await this.read();
    if (holder && Date.parse(holder.expiresAt) > Date.now()) return { acquired: false, holder };
    // Stale (or unreadable): replace it, then check we are the one that landed.
    const temporary = `${this.location}.${randomBytes(4).toString("hex")}`;
    writeFileSync(temporary, `${JSON.stringify(written, null, 2)}\n`);
    renameSync(temporary, this.location);
    const now = await this.read();
    if (now?.id !== written.id) return { acquired: false, holder: now ?? written };
    return { acquired: true, lock: this.held(written, ttlMs), tookOver: holder };
  }

  async read(): Promise<LockInfo | undefined> {
    try {
      return JSON.parse(readFileSync(this.location, "utf8")) as LockInfo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      if (error instanceof SyntaxError) return undefined;
      throw error;
    }
  }

  async forceRelease(): Promise<LockInfo | undefined> {
    const holder = await this.read();
    rmSync(this.location, { force: true });
    return holder;
  }

  private held(info: LockInfo, ttlMs: number): HeldLock {
    let current = info;
    const location = this.location;
    const read = () => this.read();
    return {
      get info() {
        return current;
      },
      async renew() {
        const now = await read();
        if (now?.id !== current.id) throw lostLock(location, now);
        current = withExpiry(current, ttlMs);
        const temporary = `${location}.${randomBytes(4).toString("hex")}`;
        writeFileSync(temporary, `${JSON.stringify(current, null, 2)}\n`);
        renameSync(temporary, location);
      },
      async release() {
        const now = await read();
        if (now?.id === current.id) rmSync(location, { force: true });
      },
    };
  }
}

/** The lock info with `acquiredAt` now and `expiresAt` a TTL later. */
export function withExpiry(info: LockInfo, ttlMs: number): LockInfo {
  const now = Date.now();
  return {
    ...info,
    acquiredAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
  };
}

function lostLock(location: string, holder: LockInfo | undefined): Error {
  return new Error(
    `the release lock ${location} is no longer ours: ${holder ? `held by ${holder.holder} since ${holder.acquiredAt} (${holder.command})` : "it was removed (--break-lock?)"}`,
  );
}
