/**
 * The seams of the release tool (DESIGN.md section 5): where the lock, the journal, the deployed
 * state and the Kubernetes API come from. Offline mode uses files (`.release/`, the local state
 * file); normal mode uses the environment's state bucket and the EKS cluster (`release/aws/`).
 */
import type { Colour } from "../constructs/private/traffic";

/** Who holds a release lock, since when, doing what, and until when it is valid. */
export interface LockInfo {
  /** Random id of this holding (a renewal or release checks it is still ours). */
  readonly id: string;
  /** Environment name. */
  readonly environment: string;
  /** App name. */
  readonly app: string;
  /** Who: `user@host` or the CI actor (`PLATFORM_RELEASE_ACTOR`). */
  readonly holder: string;
  /** What: the command line, e.g. `run staging web 6.8.0`. */
  readonly command: string;
  /** When it was taken or last renewed (ISO 8601). */
  readonly acquiredAt: string;
  /** After this time (ISO 8601) the lock is stale and may be taken over. */
  readonly expiresAt: string;
}

/** A lock this process holds. */
export interface HeldLock {
  /** The lock as written. */
  readonly info: LockInfo;
  /** Pushes `expiresAt` forward by the TTL; throws when the lock is no longer ours. */
  renew(): Promise<void>;
  /** Removes the lock if it is still ours (never someone else's). */
  release(): Promise<void>;
}

/** The outcome of trying to take a lock. */
export type LockAttempt =
  | {
      readonly acquired: true;
      readonly lock: HeldLock;
      /** A stale lock (past its expiresAt) that was taken over, to report. */
      readonly tookOver?: LockInfo;
    }
  | { readonly acquired: false; readonly holder: LockInfo };

/** One release at a time per environment and app. */
export interface ReleaseLock {
  /** Where the lock lives, for messages (`s3://bucket/key` or a file path). */
  readonly location: string;
  /**
   * Takes the lock atomically (S3 `If-None-Match: *`, or an exclusive file create). A lock past
   * its `expiresAt` is taken over atomically too (S3 `If-Match: <etag>`); a live one is not.
   */
  acquire(info: LockInfo, ttlMs: number): Promise<LockAttempt>;
  /** The current holder, if any. */
  read(): Promise<LockInfo | undefined>;
  /** Deletes whatever lock is there (`--break-lock`); returns what was removed. */
  forceRelease(): Promise<LockInfo | undefined>;
}

/** The release state of one colour as the file pins it. */
export interface ColourSnapshot {
  readonly version: string;
  readonly chart: string;
}

/** The release state of an app: what the environment file says (or said) at one moment. */
export interface ReleaseSnapshot {
  readonly stable: Colour;
  readonly canaryWeight: number;
  readonly blue: ColourSnapshot;
  readonly green: ColourSnapshot;
}

/** The result of one gate check (health, smoke, command; metric gates later). */
export interface GateResult {
  /** Gate name, e.g. `health`, `smoke GET /`, `command`. */
  readonly gate: string;
  /** `inconclusive`: too little evidence to judge (metric gates). */
  readonly verdict: "pass" | "fail" | "inconclusive";
  /** One line on what was seen, e.g. `3/3 probes 2xx, p50 12 ms, max 20 ms`. */
  readonly detail: string;
  /** Which route it ran against. */
  readonly route: "preview" | "live";
  /** How long the check took. */
  readonly durationMs: number;
  /** Per-probe latencies in milliseconds, when the gate probes over HTTP. */
  readonly latenciesMs?: readonly number[];
}

/** One line of the release journal. */
export interface JournalEvent {
  /** ISO 8601 time the event was written. */
  readonly time: string;
  /** Who ran it. */
  readonly actor: string;
  /** Environment and app. */
  readonly environment: string;
  readonly app: string;
  /** Id shared by every event of one `run` (or one single command). */
  readonly runId: string;
  /** The command that wrote it: `start`, `verify`, `shift`, `promote`, `rollback`, `run`. */
  readonly command: string;
  /**
   * What happened: `run-started`, `started`, `verified`, `shifted`, `baked`, `promoted`,
   * `rolled-back`, `run-finished`, `failed`, `rollback-failed`, `lock-broken`.
   */
  readonly step: string;
  /** `ok`, or `failed` with a message. */
  readonly outcome: "ok" | "failed";
  /** The version being released, when there is one. */
  readonly version?: string;
  /** Release state before and after the step. */
  readonly from?: ReleaseSnapshot;
  readonly to?: ReleaseSnapshot;
  /** Gate results of the step. */
  readonly gates?: readonly GateResult[];
  /** How long the step took. */
  readonly durationMs?: number;
  /** A sentence for people. */
  readonly message?: string;
  /** For `run-started`: the options the run needs to be resumed. */
  readonly plan?: { readonly steps: readonly number[]; readonly bakeMs: number };
  /** The stage of a `run` this event completes (`start`, `verify`, `shift 5`, `promote`...). */
  readonly stage?: string;
  /** For `started`: the idle colour's entry before the start (data and source text), to restore it exactly. */
  readonly previousEntry?: { readonly data: Record<string, unknown>; readonly source: string };
  /** For `rolled-back`: milliseconds from the failure to traffic restored on the Ingress. */
  readonly trafficRestoredMs?: number;
}

/** Append-only release journal of one environment and app. */
export interface Journal {
  /** Where it lives, for messages. */
  readonly location: string;
  /** Appends one event durably (never rewrites earlier ones). */
  append(event: JournalEvent): Promise<void>;
  /** The last `limit` events, oldest first (all when no limit). */
  read(limit?: number): Promise<JournalEvent[]>;
}

/** The `app_<name>` output of the workloads stack: what was last deployed. */
export interface DeployedApp {
  readonly host?: string;
  readonly namespace?: string;
  readonly stable_colour: Colour;
  readonly idle_colour?: Colour;
  readonly weights: { readonly blue: number; readonly green: number };
  /** Image version per colour (outputs written before versions were added lack it). */
  readonly versions?: { readonly blue: string; readonly green: string };
}

/** Reading the deployed state. */
export type DeployedStateResult =
  | { readonly found: true; readonly app: DeployedApp; readonly location: string }
  | { readonly found: false; readonly location: string; readonly reason: string };

/** Where the workloads stack's state is read from. */
export interface DeployedStateSource {
  readonly location: string;
  /** The `app_<name>` output. */
  read(app: string): Promise<DeployedStateResult>;
}

/** How to reach the Kubernetes API with the deploy credentials. */
export interface KubernetesAccess {
  /** `https://...` API server URL (no trailing slash). */
  readonly server: string;
  /** PEM CA bundle of the API server, when it is not publicly trusted. */
  readonly caPem?: string;
  /** A bearer token, fetched fresh for each request batch (EKS tokens live 15 minutes). */
  token(): Promise<string>;
}

/** Everything mode-dependent the release tool needs. */
export interface ReleaseBackends {
  readonly lock: ReleaseLock;
  readonly journal: Journal;
  readonly deployedState: DeployedStateSource;
  /** Undefined when there is no cluster to reach (offline without PLATFORM_KUBE_API). */
  kubernetes(): Promise<KubernetesAccess | undefined>;
}
