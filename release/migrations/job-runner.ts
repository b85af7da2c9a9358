/**
 * Runs a migration Job (rendered by `migrationJob`) through `@kubernetes/client-node` and reports
 * how it ended, streaming the migration container's log as it runs.
 *
 * - Create the Job. One exists already (`409`): `Complete` → `already-succeeded` (a version that
 *   migrated is never migrated again); `Failed` → deleted (`propagationPolicy: Background`), waited
 *   for until it is gone, and created again (a retry of a failed migration); still running → an
 *   error (the release lock should have made that impossible). A Job of that name that records
 *   another version (two versions that sanitize to one name) is an error too.
 * - Follow the Job by **polling** `GET .../jobs/<name>/status` every `pollIntervalMs` rather than
 *   with a watch: each poll is one short request with a fresh token (EKS tokens live 15 minutes,
 *   a watch would have to be re-established with a new one and resumed after `410 Gone`), a dropped
 *   connection costs one interval, and a request every two seconds is nothing to the API server.
 * - Find the Job's pod (label `batch.kubernetes.io/job-name=<name>`, or `job-name=<name>` on
 *   clusters before 1.27; only pods the Job owns by uid, so a deleted Job's lingering pods are
 *   ignored), report its progress (waiting reasons such as `ImagePullBackOff`, scheduling
 *   problems, `FailedCreate` events such as a Pod Security rejection), and stream the `migrate`
 *   container's log with client-node's `Log` (`follow=true`) line by line to `options.log`,
 *   reconnecting (and skipping the lines already seen) if the stream drops while it runs.
 * - Finish on the Job's `Complete` or `Failed` condition (with the reason, the container's exit
 *   code and termination message, and the init container's log when the token step failed), or
 *   when `timeoutMs` has passed: then nothing is deleted and the result says how to inspect it.
 */
import { Writable } from "node:stream";
import type { V1Job, V1Pod, V1ContainerStatus } from "@kubernetes/client-node";
import type { KubernetesAccess } from "../types";
import {
  connect,
  formatDuration,
  isApiStatus,
  kubeCall,
  objectPath,
  type KubeClients,
} from "./kube-client";
import { MIGRATION_CONTAINER, MIGRATION_VERSION_ANNOTATION, TOKEN_CONTAINER } from "./job";

/** How {@link runMigrationJob} reports and how long it waits. */
export interface MigrationJobOptions {
  /** Receives each line of the migration container's log, in order, as it is written. */
  log(line: string): void;
  /** Progress lines (created, pod state, retries); default: `log`. */
  progress?(line: string): void;
  /** Give up waiting (and leave the Job running) after this long. */
  timeoutMs: number;
  /** Time between two status polls; default 2000. */
  pollIntervalMs?: number;
  /** Lines of log kept for the result; default 40. */
  logTailLines?: number;
  /** How long to wait for the log stream to end after the Job finished; default 5000. */
  logGraceMs?: number;
}

/** What every result says. */
interface ResultBase {
  /** The Job's name and namespace. */
  readonly jobName: string;
  readonly namespace: string;
  /** From the call to the result. */
  readonly durationMs: number;
  /** The last lines of the migration's log (and of the token step's log when it failed). */
  readonly logTail: readonly string[];
  /** One sentence for the terminal, the journal and notifications. */
  readonly summary: string;
}

/** How a migration Job ended. */
export type MigrationJobResult =
  | (ResultBase & {
      readonly outcome: "succeeded";
      /** The Job's `completionTime`. */
      readonly completionTime?: string;
    })
  | (ResultBase & {
      /** A Job of that name had already completed: nothing was created or run. */
      readonly outcome: "already-succeeded";
      readonly completionTime?: string;
    })
  | (ResultBase & {
      readonly outcome: "failed";
      /** The Job's `Failed` condition: `BackoffLimitExceeded`, `DeadlineExceeded`... */
      readonly reason: string;
      readonly message: string;
      /** The container that failed (`migrate`, or `token` when the IAM token step failed). */
      readonly container?: string;
      readonly exitCode?: number;
      /** The container's termination message (its last log lines when it wrote none). */
      readonly terminationMessage?: string;
    })
  | (ResultBase & {
      /** `timeoutMs` passed first: the Job was left as it is. */
      readonly outcome: "timed-out";
      /** Commands to inspect it. */
      readonly inspect: string;
    });

/** A migration Job that cannot be run now (one is running, or the name belongs to another version). */
export class MigrationJobConflict extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationJobConflict";
  }
}

type JobState = "active" | "finishing" | "complete" | "failed";

function condition(job: V1Job, type: string) {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

function jobState(job: V1Job): JobState {
  if (condition(job, "Complete")) return "complete";
  if (condition(job, "Failed")) return "failed";
  // Kubernetes 1.31+: the terminal condition follows once the pods have terminated
  if (condition(job, "SuccessCriteriaMet") || condition(job, "FailureTarget")) return "finishing";
  return "active";
}

const iso = (value: unknown): string | undefined =>
  value instanceof Date || (typeof value === "object" && value !== null && "toISOString" in value)
    ? (value as Date).toISOString()
    : typeof value === "string"
      ? value
      : undefined;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

function inspectCommands(namespace: string, name: string): string {
  return `kubectl -n ${namespace} describe job/${name}; kubectl -n ${namespace} logs job/${name} -c ${MIGRATION_CONTAINER}`;
}

/** Streams one container's log to a line callback, resuming after the lines already seen. */
class LogFollower {
  /** Lines passed on so far (over every connection). */
  private emitted = 0;
  private seen = 0;
  private partial = "";
  private controller: AbortController | undefined;
  private settle: (() => void) | undefined;
  state: "idle" | "streaming" | "ended" | "dropped" = "idle";
  lastError: string | undefined;

  constructor(
    private readonly emit: (line: string) => void,
    readonly namespace: string,
    readonly pod: string,
    readonly container: string,
  ) {}

  /** Opens a `follow=true` stream (from the start of the log; seen lines are skipped). */
  async start(clients: KubeClients): Promise<void> {
    this.state = "streaming";
    this.seen = 0;
    this.partial = "";
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.take(chunk.toString("utf8"));
        done();
      },
      final: (done) => {
        this.finish("ended");
        done();
      },
    });
    // node-fetch reports an aborted or broken body as an 'error' on the source stream, which
    // `pipe` does not forward: listen to it, or an abort would be an uncaught exception
    sink.on("pipe", (source: NodeJS.ReadableStream) =>
      source.on("error", (error: Error) => this.finish("dropped", error.message)),
    );
    try {
      const controller = await clients.log.log(this.namespace, this.pod, this.container, sink, {
        follow: true,
      });
      this.controller = controller;
      if (this.state !== "streaming") controller.abort();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.finish(
        "dropped",
        `GET ${objectPath("/api/v1", this.namespace, "pods", this.pod, "log")}?container=${this.container}&follow=true: ${typeof code === "number" ? `${code} ` : ""}${
          (error as Error).message
            ?.split("\n")
            .find((l) => l.startsWith("Message: "))
            ?.slice(9) ?? String(error)
        }`,
      );
    }
  }

  /** Passes on lines of the whole log (a non-follow read) that were not passed on yet. */
  takeWhole(text: string): void {
    this.seen = 0;
    const lines = text.split("\n");
    const last = lines.pop() ?? "";
    for (const line of lines) this.line(line);
    if (last !== "") this.line(last);
    this.partial = "";
  }

  /** Passes on an unterminated last line of a stream that ended. */
  flush(): void {
    if (this.partial !== "") this.line(this.partial);
    this.partial = "";
  }

  /** Resolves when the stream ends or drops, or after `ms`. */
  async waitForEnd(ms: number): Promise<void> {
    if (this.state !== "streaming") return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.settle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Closes the stream. */
  stop(): void {
    const controller = this.controller;
    if (this.state === "streaming") this.finish("dropped", "stopped");
    controller?.abort();
  }

  private take(text: string): void {
    const parts = (this.partial + text).split("\n");
    this.partial = parts.pop() ?? "";
    for (const part of parts) this.line(part);
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, "");
    this.seen++;
    if (this.seen <= this.emitted) return;
    this.emitted++;
    this.emit(line);
  }

  private finish(state: "ended" | "dropped", error?: string): void {
    if (this.state !== "streaming") return;
    this.state = state;
    if (state === "dropped") {
      this.partial = "";
      if (error !== "stopped") this.lastError = error;
    }
    this.controller = undefined;
    this.settle?.();
    this.settle = undefined;
  }
}

function containerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s) => s.name === name);
}

function describePod(pod: V1Pod): string {
  const parts = [`pod ${pod.metadata?.name}: ${pod.status?.phase ?? "Pending"}`];
  const unschedulable = pod.status?.conditions?.find(
    (c) => c.type === "PodScheduled" && c.status === "False",
  );
  if (unschedulable)
    parts.push(`not scheduled (${unschedulable.reason}: ${unschedulable.message ?? ""})`);
  for (const name of [TOKEN_CONTAINER, MIGRATION_CONTAINER]) {
    const state = containerStatus(pod, name)?.state;
    if (state?.waiting) {
      parts.push(
        `${name} waiting (${state.waiting.reason ?? "unknown"}${state.waiting.message ? `: ${state.waiting.message}` : ""})`,
      );
    } else if (state?.running) parts.push(`${name} running`);
    else if (state?.terminated) parts.push(`${name} exited ${state.terminated.exitCode}`);
  }
  return parts.join("; ");
}

/**
 * Runs a migration Job to its end (see the module comment). Throws a
 * {@link MigrationJobConflict} when the Job cannot be run now and a `KubernetesApiError` when
 * the API refuses a request or cannot be reached (`POST /apis/batch/v1/namespaces/web/jobs: 403
 * ...`); a Job that fails is a result, not an error.
 */
export async function runMigrationJob(
  access: KubernetesAccess,
  job: V1Job,
  options: MigrationJobOptions,
): Promise<MigrationJobResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const pollMs = options.pollIntervalMs ?? 2000;
  const tailSize = options.logTailLines ?? 40;
  const graceMs = options.logGraceMs ?? 5000;
  const progress = options.progress ?? options.log;
  const name = job.metadata?.name;
  const namespace = job.metadata?.namespace;
  if (!name || !namespace) {
    throw new Error("runMigrationJob: the Job has no metadata.name or metadata.namespace");
  }
  const version = job.metadata?.annotations?.[MIGRATION_VERSION_ANNOTATION];
  const jobsPath = objectPath("/apis/batch/v1", namespace, "jobs");
  const jobPath = objectPath("/apis/batch/v1", namespace, "jobs", name);
  const podsPath = objectPath("/api/v1", namespace, "pods");
  const what = `migration Job ${namespace}/${name}`;
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > tailSize) tail.shift();
  };
  const base = () => ({
    jobName: name,
    namespace,
    durationMs: Date.now() - started,
    logTail: [...tail],
  });
  const timedOut = (): MigrationJobResult => {
    const inspect = inspectCommands(namespace, name);
    return {
      ...base(),
      outcome: "timed-out",
      inspect,
      summary: `the ${what} did not finish within ${formatDuration(options.timeoutMs)}; it was left as it is (nothing deleted): inspect it with ${inspect}`,
    };
  };

  const readJob = (clients: KubeClients) =>
    kubeCall("GET", jobPath, (o) => clients.batch.readNamespacedJob({ name, namespace }, o));

  /** Waits until the Job is gone; false when the deadline passed first. */
  const waitGone = async (): Promise<boolean> => {
    for (;;) {
      try {
        await readJob(await connect(access));
      } catch (error) {
        if (isApiStatus(error, 404)) return true;
        throw error;
      }
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(pollMs, deadline - Date.now()));
    }
  };

  // 1. create, or decide what to do with the Job of that name
  let created: V1Job | undefined;
  for (let attempt = 0; !created; attempt++) {
    const clients = await connect(access);
    try {
      created = await kubeCall("POST", jobsPath, (o) =>
        clients.batch.createNamespacedJob({ namespace, body: job }, o),
      );
      progress(`created the ${what}${version ? ` (version ${version})` : ""}`);
      break;
    } catch (error) {
      if (!isApiStatus(error, 409) || attempt >= 5) throw error;
    }
    let existing: V1Job;
    try {
      existing = await readJob(clients);
    } catch (error) {
      if (isApiStatus(error, 404)) continue; // deleted in between: create again
      throw error;
    }
    const existingVersion = existing.metadata?.annotations?.[MIGRATION_VERSION_ANNOTATION];
    if (version && existingVersion && existingVersion !== version) {
      throw new MigrationJobConflict(
        `The ${what} already exists for version ${existingVersion}, not ${version} (both versions make the same Job name): delete it (kubectl -n ${namespace} delete job/${name}) or release a version with another name`,
      );
    }
    const state = jobState(existing);
    if (existing.metadata?.deletionTimestamp) {
      progress(`the ${what} is being deleted; waiting until it is gone`);
      if (!(await waitGone())) return timedOut();
      continue;
    }
    if (state === "complete") {
      const completionTime = iso(existing.status?.completionTime);
      return {
        ...base(),
        outcome: "already-succeeded",
        completionTime,
        summary: `the ${what} already succeeded${completionTime ? ` at ${completionTime}` : ""}: version ${existingVersion ?? version ?? "?"} is migrated, nothing was run`,
      };
    }
    if (state === "finishing") {
      progress(`the ${what} exists and is finishing; waiting for its outcome`);
      if (Date.now() >= deadline) return timedOut();
      await sleep(Math.min(pollMs, deadline - Date.now()));
      continue;
    }
    if (state === "failed") {
      const failed = condition(existing, "Failed");
      progress(
        `the ${what} failed before (${failed?.reason ?? "Failed"}: ${failed?.message ?? ""}); deleting it to run the migration again`,
      );
      try {
        await kubeCall("DELETE", jobPath, (o) =>
          clients.batch.deleteNamespacedJob(
            { name, namespace, propagationPolicy: "Background" },
            o,
          ),
        );
      } catch (error) {
        if (!isApiStatus(error, 404)) throw error;
      }
      if (!(await waitGone())) {
        throw new Error(
          `The failed ${what} was deleted but is still there after ${formatDuration(options.timeoutMs)} (finalizers: ${JSON.stringify(existing.metadata?.finalizers ?? [])}): inspect it with kubectl -n ${namespace} get job/${name} -o yaml`,
        );
      }
      continue;
    }
    const startTime = iso(existing.status?.startTime);
    throw new MigrationJobConflict(
      `The ${what}${existingVersion ? ` (version ${existingVersion})` : ""} already exists and is still running${startTime ? ` (started ${startTime}` : " ("}${`, ${existing.status?.active ?? 0} active pod(s))`}: another migration of this version is running, which the release lock should have prevented. Nothing was changed. Inspect it: ${inspectCommands(namespace, name)}`,
    );
  }
  const uid = created.metadata?.uid;

  // 2. follow it to the end
  let follower: LogFollower | undefined;
  let pod: V1Pod | undefined;
  let podGone = false;
  let reportedDrop: string | undefined;
  let lastPodLine = "";
  let polls = 0;
  const reportedEvents = new Set<string>();
  const emit = (line: string) => {
    keep(line);
    options.log(line);
  };
  const findPod = async (clients: KubeClients): Promise<V1Pod | undefined> => {
    for (const label of ["batch.kubernetes.io/job-name", "job-name"]) {
      const labelSelector = `${label}=${name}`;
      const list = await kubeCall("GET", `${podsPath}?labelSelector=${labelSelector}`, (o) =>
        clients.core.listNamespacedPod({ namespace, labelSelector }, o),
      );
      const owned = list.items.filter(
        (p) => !uid || (p.metadata?.ownerReferences ?? []).some((r) => r.uid === uid),
      );
      if (owned.length > 0) {
        return owned.sort((a, b) =>
          String(iso(b.metadata?.creationTimestamp)).localeCompare(
            String(iso(a.metadata?.creationTimestamp)),
          ),
        )[0];
      }
    }
    return undefined;
  };
  const reportEvents = async (clients: KubeClients) => {
    const fieldSelector = `involvedObject.kind=Job,involvedObject.name=${name}`;
    const events = await kubeCall(
      "GET",
      `${objectPath("/api/v1", namespace, "events")}?fieldSelector=${fieldSelector}`,
      (o) => clients.core.listNamespacedEvent({ namespace, fieldSelector }, o),
    );
    for (const event of events.items) {
      if (
        event.type !== "Warning" ||
        (uid && event.involvedObject.uid && event.involvedObject.uid !== uid)
      ) {
        continue;
      }
      const key = `${event.metadata.name}/${event.count ?? 1}`;
      if (reportedEvents.has(key)) continue;
      reportedEvents.add(key);
      progress(`${what}: ${event.reason}: ${event.message ?? ""}`);
    }
  };

  let final: V1Job;
  try {
    for (;;) {
      const clients = await connect(access);
      const current = await kubeCall("GET", `${jobPath}/status`, (o) =>
        clients.batch.readNamespacedJobStatus({ name, namespace }, o),
      );
      const state = jobState(current);
      if (state === "complete" || state === "failed") {
        final = current;
        break;
      }
      polls++;
      if (podGone) {
        // nothing more to read
      } else if (!pod) {
        pod = await findPod(clients);
        if (!pod && polls >= 2) await reportEvents(clients);
      } else {
        try {
          pod = await kubeCall("GET", `${podsPath}/${pod.metadata?.name}`, (o) =>
            clients.core.readNamespacedPod({ name: pod!.metadata!.name!, namespace }, o),
          );
        } catch (error) {
          if (!isApiStatus(error, 404)) throw error;
          // deleted (a deadline kills it): with backoffLimit 0 no other pod follows
          podGone = true;
        }
      }
      if (pod && !podGone) {
        const line = describePod(pod);
        if (line !== lastPodLine) progress(`${what}: ${line}`);
        lastPodLine = line;
        const podName = pod.metadata!.name!;
        if (follower && follower.pod !== podName) {
          follower.stop();
          follower = undefined;
        }
        const migrateState = containerStatus(pod, MIGRATION_CONTAINER)?.state;
        if (migrateState?.running || migrateState?.terminated) {
          follower ??= new LogFollower(emit, namespace, podName, MIGRATION_CONTAINER);
          // (re)connect while the container runs; a dropped stream resumes where it was
          const reconnect =
            follower.state === "idle" ||
            (follower.state !== "streaming" && migrateState.running !== undefined);
          if (reconnect) {
            if (follower.state === "dropped" && follower.lastError !== reportedDrop) {
              reportedDrop = follower.lastError;
              progress(`${what}: the log stream dropped (${follower.lastError}); reconnecting`);
            }
            await follower.start(clients);
          }
        }
      }
      const now = Date.now();
      if (now >= deadline) {
        follower?.stop();
        return timedOut();
      }
      await sleep(Math.min(pollMs, deadline - now));
    }
  } catch (error) {
    follower?.stop();
    throw error;
  }

  // 3. the end: the rest of the log, and why it failed
  const clients = await connect(access);
  try {
    if (!podGone) {
      pod = pod
        ? await kubeCall("GET", `${podsPath}/${pod.metadata?.name}`, (o) =>
            clients.core.readNamespacedPod({ name: pod!.metadata!.name!, namespace }, o),
          )
        : await findPod(clients);
    }
  } catch (error) {
    // the outcome is known: a failed read only costs details
    if (isApiStatus(error, 404)) podGone = true;
    else progress(`${what}: cannot read its pod: ${(error as Error).message}`);
  }
  const migrateRan = (p: V1Pod | undefined) => {
    const state = p && containerStatus(p, MIGRATION_CONTAINER)?.state;
    return !!(state?.running || state?.terminated);
  };
  if (pod && !podGone && !follower && migrateRan(pod)) {
    follower = new LogFollower(emit, namespace, pod.metadata!.name!, MIGRATION_CONTAINER);
  }
  if (follower) {
    if (follower.state === "streaming")
      await follower.waitForEnd(Math.min(graceMs, Math.max(0, deadline - Date.now())));
    if (follower.state === "ended") {
      follower.flush();
    } else if (podGone) {
      follower.stop();
      progress(`${what}: the rest of the migration log is gone with its pod`);
    } else {
      follower.stop();
      const logPath = `${podsPath}/${follower.pod}/log?container=${MIGRATION_CONTAINER}`;
      try {
        const text = await kubeCall("GET", logPath, (o) =>
          clients.core.readNamespacedPodLog(
            { name: follower!.pod, namespace, container: MIGRATION_CONTAINER },
            o,
          ),
        );
        follower.takeWhole(text);
      } catch (error) {
        progress(`${what}: the migration log is not available: ${(error as Error).message}`);
      }
    }
  }

  if (jobState(final) === "complete") {
    const completionTime = iso(final.status?.completionTime);
    return {
      ...base(),
      outcome: "succeeded",
      completionTime,
      summary: `the ${what} succeeded${version ? `: version ${version} is migrated` : ""}`,
    };
  }

  const failedCondition = condition(final, "Failed");
  const reason = failedCondition?.reason ?? "Failed";
  const message = failedCondition?.message ?? "";
  let container: string | undefined;
  let exitCode: number | undefined;
  let terminationMessage: string | undefined;
  if (pod && podGone) {
    progress(
      `${what}: pod ${pod.metadata?.name} is gone (deleted when the Job failed): no exit code`,
    );
  } else if (pod) {
    const token = containerStatus(pod, TOKEN_CONTAINER)?.state?.terminated;
    const migrate = containerStatus(pod, MIGRATION_CONTAINER)?.state?.terminated;
    const failedOne =
      token && token.exitCode !== 0
        ? { name: TOKEN_CONTAINER, state: token }
        : migrate
          ? { name: MIGRATION_CONTAINER, state: migrate }
          : undefined;
    if (failedOne) {
      container = failedOne.name;
      exitCode = failedOne.state.exitCode;
      terminationMessage = failedOne.state.message?.trim() || undefined;
    }
    if (container === TOKEN_CONTAINER) {
      const logPath = `${podsPath}/${pod.metadata?.name}/log?container=${TOKEN_CONTAINER}`;
      try {
        const text = await kubeCall("GET", logPath, (o) =>
          clients.core.readNamespacedPodLog(
            { name: pod!.metadata!.name!, namespace, container: TOKEN_CONTAINER },
            o,
          ),
        );
        for (const line of text.replace(/\n$/, "").split("\n"))
          if (line !== "") emit(`[${TOKEN_CONTAINER}] ${line}`);
      } catch (error) {
        progress(
          `${what}: the ${TOKEN_CONTAINER} container's log is not available: ${(error as Error).message}`,
        );
      }
    }
  }
  const exit =
    container !== undefined && exitCode !== undefined
      ? `; container ${container} exited ${exitCode}${terminationMessage ? `: ${terminationMessage.split("\n").slice(-1)[0]}` : ""}`
      : "";
  return {
    ...base(),
    outcome: "failed",
    reason,
    message,
    container,
    exitCode,
    terminationMessage,
    summary: `the ${what} failed: ${reason}${message ? ` (${message})` : ""}${exit}; inspect it with ${inspectCommands(namespace, name)}`,
  };
}
