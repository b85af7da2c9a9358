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
  /** The numbers the verdict rests on (metric gates): e.g. `{ canaryErrorRate: 0.031, canaryRequests: 412 }`. */
  readonly samples?: Readonly<Record<string, number>>;
  /** `observe` mode: the verdict is logged, never acted on. */
  readonly observed?: boolean;
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
   * `rolled-back`, `run-finished`, `failed`, `rollback-failed`, `lock-broken`, `migrated`
   * (with `phase`), `stable-rechecked`, `restarted`.
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
  /** For `migrated`: which migration (`expand` before start, `contract` after promote). */
  readonly phase?: "expand" | "contract";
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

/** The outputs of a deployed stack (the infrastructure stack's database, distribution, topic). */
export interface StackOutputsSource {
  /** Where the state is read from, for messages. */
  readonly location: string;
  /** The outputs by name; throws, naming the location, when there is no state. */
  read(): Promise<Record<string, unknown>>;
}

/** One instant-vector sample of a PromQL query. */
export interface PromSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Instant PromQL queries against the environment's Prometheus. */
export interface PrometheusQuery {
  /** Where it is reached, for messages (a URL, or the service proxy path). */
  readonly location: string;
  /** `GET /api/v1/query?query=...&time=...`: the instant vector (throws on an API error). */
  query(promql: string, timeSeconds?: number): Promise<PromSample[]>;
}

/** Proof that the load balancer serves what the Ingress says (ELBv2, normal mode). */
export interface TrafficVerifier {
  /**
   * Waits until the ALB's live listener rule forwards with these weights to the colours' target
   * groups and every colour with weight > 0 has a healthy target; throws, saying what it last
   * saw, after `timeoutMs`.
   */
  waitForWeights(
    app: { readonly name: string; readonly namespace: string },
    weights: Readonly<Record<Colour, number>>,
    timeoutMs: number,
    progress: (line: string) => void,
  ): Promise<void>;
  /** The deregistration delay of a colour's target group (connections drain this long). */
  deregistrationDelayMs(
    app: { readonly name: string; readonly namespace: string },
    colour: Colour,
  ): Promise<number>;
}

/** The pre-deployment database backup (a manual RDS snapshot). */
export interface DatabaseBackup {
  /**
   * Creates a snapshot of the environment's database named and tagged from the environment,
   * app, version and time, waits until it is `available` (progress on the way), then deletes
   * tool-made snapshots beyond the newest `keep`. Throws (nothing deployed yet) on failure or
   * timeout.
   */
  snapshot(
    request: {
      readonly app: string;
      readonly version: string;
      readonly keep: number;
      readonly timeoutMs: number;
    },
    progress: (line: string) => void,
  ): Promise<{ readonly snapshotId: string; readonly deleted: readonly string[] }>;
}

/** One schema migration to run (the migrate step of start, or `release contract`). */
export interface MigrationRequest {
  readonly environment: string;
  readonly app: string;
  /** The app namespace (where the Job runs). */
  readonly namespace: string;
  /** The version being released (expand), or the stable version (contract). */
  readonly version: string;
  /** `expand` before the idle colour gets the version; `contract` once the old colour serves nothing. */
  readonly phase: "expand" | "contract";
  /** Image with its tag (or digest) the command runs in. */
  readonly image: string;
  /** Command and arguments. */
  readonly command: readonly string[];
  /** The app's database (the command connects as `<app>_migrator`). */
  readonly database: string;
  /** The longest the migration may take. */
  readonly timeoutMs: number;
}

/** How a migration ended. */
export interface MigrationOutcome {
  /** `already-succeeded`: this version's migration ran before (never run twice). */
  readonly outcome: "succeeded" | "failed" | "already-succeeded";
  /** Why it failed: the Job's reason, the exit code. */
  readonly reason?: string;
  readonly durationMs: number;
  /** Where to look: the Job name and a `kubectl` command, or the local command line. */
  readonly where: string;
}

/** Runs migrations: a Kubernetes Job in normal mode, a local process offline. */
export interface MigrationRunner {
  /** Where migrations run, for messages. */
  readonly location: string;
  /** Runs one migration, streaming its log lines; resolves with how it ended (throws only when it could not be started). */
  run(request: MigrationRequest, log: (line: string) => void): Promise<MigrationOutcome>;
}

/** The CloudFront invalidation after a promote. */
export interface CdnInvalidation {
  /** Creates an invalidation of `paths` on the environment's distribution and waits for it. */
  invalidate(
    paths: readonly string[],
    reference: string,
    progress: (line: string) => void,
  ): Promise<{ readonly invalidationId: string }>;
}

/** What a release tells people. */
export interface ReleaseNotice {
  /** What happened. */
  readonly kind:
    | "started"
    | "gate"
    | "promoted"
    | "rolled-back"
    | "rollback-failed"
    | "invalidation-failed"
    | "migrated"
    | "migration-failed"
    | "finished"
    | "failed";
  /** `critical` pages (PagerDuty trigger); `warning` and `info` go to chat and SNS. */
  readonly severity: "info" | "warning" | "critical";
  readonly environment: string;
  readonly app: string;
  readonly version?: string;
  /** Release state when it happened (colours, versions, weights); absent for a pipeline step's notice. */
  readonly state?: ReleaseSnapshot;
  /** One short human sentence. */
  readonly summary: string;
  /** The gate result behind it, when there is one (with its numbers). */
  readonly gate?: GateResult;
  readonly durationMs?: number;
  /** Same for every notice of one release (PagerDuty dedup key). */
  readonly releaseId: string;
}

/** Delivers notices to every configured channel without ever blocking or failing a release. */
export interface Notifier {
  /** Queues a notice; delivery (with retries and backoff) happens in the background. */
  send(notice: ReleaseNotice): void;
  /** Waits for queued deliveries up to `timeoutMs`; returns what could not be delivered, per channel. */
  flush(timeoutMs: number): Promise<{ readonly failed: readonly string[] }>;
}

/** Everything mode-dependent the release tool needs. */
export interface ReleaseBackends {
  readonly lock: ReleaseLock;
  readonly journal: Journal;
  readonly deployedState: DeployedStateSource;
  /** Undefined when there is no cluster to reach (offline without PLATFORM_KUBE_API). */
  kubernetes(): Promise<KubernetesAccess | undefined>;
  /** The outputs of `<env>-infrastructure` (database_identifier, distribution_id, alarm_topic_arn). */
  readonly infrastructure?: StackOutputsSource;
  /** The environment's Prometheus (`--prometheus-url`, or the in-cluster service through the API proxy). */
  prometheus?(): Promise<PrometheusQuery | undefined>;
  /** ALB verification after weight changes (normal mode). */
  readonly traffic?: TrafficVerifier;
  /** The pre-deployment backup (normal mode). */
  readonly backup?: DatabaseBackup;
  /** CDN invalidation (normal mode). */
  readonly cdn?: CdnInvalidation;
  /** Notifications (every mode; channels from the environment file). */
  readonly notifier?: Notifier;
  /** Schema migrations (a Kubernetes Job; offline, a local command when a database URL is set). */
  readonly migrations?: MigrationRunner;
}
