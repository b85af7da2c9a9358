/**
 * Scripted controllers for the fake API server (fake-kube-api.ts): what the Job controller, the
 * kubelet and the Deployment controller would do, step by step, so tests can drive a "cluster".
 */
import { randomUUID } from "node:crypto";
import type { FakeKubeApi, KubeObject } from "./fake-kube-api";

/** What one Job's pod does. */
export interface JobScript {
  /** Lines the first init container prints. */
  readonly initLog?: readonly string[];
  /** Exit code of the first init container (default 0; non-zero fails the pod before the main container). */
  readonly initExitCode?: number;
  /** Lines the main container prints, one per step. */
  readonly log?: readonly string[];
  /** Exit code of the main container (default 0: the Job completes; non-zero: BackoffLimitExceeded). */
  readonly exitCode?: number;
  /** Termination message of the main container (default: its last log lines when it failed). */
  readonly terminationMessage?: string;
  /** The main container never exits: the Job fails with DeadlineExceeded at its deadline. */
  readonly hang?: boolean;
  /** Milliseconds between steps (default 5). */
  readonly stepMs?: number;
  /** Milliseconds before the pod is created (default: one step). */
  readonly podDelayMs?: number;
  /** Label the pod as clusters before 1.27 do: `job-name`/`controller-uid` only. */
  readonly legacyLabels?: boolean;
  /**
   * With `hang`: the deadline counts from the moment a client follows the main container's log
   * (so a test that asserts on streamed lines does not depend on how fast the client attaches).
   */
  readonly waitForFollower?: boolean;
  /** Never create the pod (as when admission rejects it); the Job stays active. */
  readonly noPod?: boolean;
}

/** Options of the Job controller. */
export interface JobControllerOptions {
  /** Milliseconds per second of `activeDeadlineSeconds` (default 1000; tests use a few). */
  readonly msPerDeadlineSecond?: number;
}

/** A running scripted controller. */
export interface RunningController {
  /** Stops it: no further step runs. */
  stop(): void;
  /** Resolves when every started script has finished (or failed: errors are rethrown). */
  settled(): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * Plays the Job controller and the kubelet for each Job created while it runs that `scriptFor`
 * returns a script for: creates the Job's pod (owned by the Job, with its template's labels),
 * runs the init and main containers (statuses, logs), and sets the Job's status and conditions
 * as Kubernetes 1.31+ does (`SuccessCriteriaMet` then `Complete`; `FailureTarget` then `Failed`
 * with `BackoffLimitExceeded` or `DeadlineExceeded`, the pod deleted on a deadline).
 */
export function startJobController(
  fake: FakeKubeApi,
  scriptFor: (job: KubeObject) => JobScript | undefined,
  options: JobControllerOptions = {},
): RunningController {
  let stopped = false;
  const runs: Promise<void>[] = [];
  const unsubscribe = fake.onChange((event) => {
    if (event.type !== "ADDED" || event.object.kind !== "Job") return;
    const script = scriptFor(event.object);
    if (script) runs.push(run(event.object, script));
  });

  // pending waits end at once when the controller stops
  const pending = new Set<() => void>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.add(done);
    });

  async function run(job: KubeObject, script: JobScript): Promise<void> {
    const step = script.stepMs ?? 5;
    const ns = job.metadata.namespace!;
    const jobName = job.metadata.name;
    const msPerSecond = options.msPerDeadlineSecond ?? 1000;
    const updateJob = (mutate: (j: KubeObject) => void) => {
      if (!stopped && fake.get("batch/v1", "Job", ns, jobName))
        fake.update("batch/v1", "Job", ns, jobName, mutate);
    };
    const startedAt = Date.now();
    updateJob((j) => {
      j.status = { ...j.status, startTime: now(), active: 1, ready: 0 };
    });
    await wait(script.podDelayMs ?? step);
    if (stopped || script.noPod) return;
    const template = job.spec.template;
    const inits: string[] = (template.spec.initContainers ?? []).map(
      (c: { name: string }) => c.name,
    );
    const mains: string[] = template.spec.containers.map((c: { name: string }) => c.name);
    const podName = `${jobName}-${randomUUID().slice(0, 5)}`;
    const waiting = (reason: string) => ({
      state: { waiting: { reason } },
      ready: false,
      restartCount: 0,
    });
    fake.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: podName,
        namespace: ns,
        labels: Object.fromEntries(
          Object.entries(template.metadata.labels as Record<string, string>).filter(
            ([key]) => !script.legacyLabels || !key.startsWith("batch.kubernetes.io/"),
          ),
        ),
        annotations: { ...(template.metadata.annotations ?? {}) },
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: jobName,
            uid: job.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: structuredClone(template.spec),
      status: {
        phase: "Pending",
        initContainerStatuses: inits.map((name) => ({
          name,
          image: "x",
          imageID: "",
          ...waiting("PodInitializing"),
        })),
        containerStatuses: mains.map((name) => ({
          name,
          image: "x",
          imageID: "",
          ...waiting("PodInitializing"),
        })),
      },
    });
    const setContainer = (name: string, state: Record<string, unknown>, phase?: string) => {
      if (stopped || !fake.get("v1", "Pod", ns, podName)) return;
      fake.update("v1", "Pod", ns, podName, (p) => {
        for (const list of [p.status.initContainerStatuses, p.status.containerStatuses]) {
          for (const s of list) if (s.name === name) s.state = state;
        }
        if (phase) p.status.phase = phase;
      });
    };
    const print = (container: string, lines: readonly string[] | undefined) => {
      for (const line of lines ?? [])
        if (!stopped) fake.writeLog(ns, podName, container, `${line}\n`);
    };
    const failJob = (reason: string, message: string) =>
      updateJob((j) => {
        const at = now();
        j.status = {
          ...j.status,
          active: 0,
          failed: 1,
          ready: 0,
          conditions: [
            {
              type: "FailureTarget",
              status: "True",
              reason,
              message,
              lastProbeTime: at,
              lastTransitionTime: at,
            },
            {
              type: "Failed",
              status: "True",
              reason,
              message,
              lastProbeTime: at,
              lastTransitionTime: at,
            },
          ],
        };
      });
    const terminated = (exitCode: number, message?: string) => ({
      terminated: {
        exitCode,
        reason: exitCode === 0 ? "Completed" : "Error",
        ...(message ? { message } : {}),
        startedAt: now(),
        finishedAt: now(),
      },
    });

    for (const init of inits.slice(0, 1)) {
      await wait(step);
      setContainer(init, { running: { startedAt: now() } });
      print(init, script.initLog);
      await wait(step);
      const code = script.initExitCode ?? 0;
      setContainer(init, terminated(code), code === 0 ? undefined : "Failed");
      if (!stopped) fake.endLog(ns, podName, init);
      if (code !== 0) {
        await wait(step);
        failJob("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        return;
      }
    }
    for (const init of inits.slice(1)) setContainer(init, terminated(0));
    const main = mains[0];
    await wait(step);
    setContainer(main, { running: { startedAt: now() } }, "Running");
    updateJob((j) => {
      j.status = { ...j.status, ready: 1 };
    });
    for (const line of script.log ?? []) {
      await wait(step);
      if (stopped) return;
      fake.writeLog(ns, podName, main, `${line}\n`);
    }
    if (script.hang) {
      const deadlineMs = (job.spec.activeDeadlineSeconds ?? 3600) * msPerSecond;
      let from = startedAt;
      if (script.waitForFollower) {
        while (!stopped && fake.openLogStreams() === 0) await wait(step);
        from = Date.now();
      }
      await wait(Math.max(0, from + deadlineMs - Date.now()));
      if (stopped) return;
      // the Job controller kills the pod at the deadline
      fake.endLog(ns, podName, main);
      fake.delete("v1", "Pod", ns, podName);
      await wait(step);
      failJob("DeadlineExceeded", "Job was active longer than specified deadline");
      return;
    }
    await wait(step);
    const code = script.exitCode ?? 0;
    const lines = script.log ?? [];
    const message =
      script.terminationMessage ?? (code !== 0 ? lines.slice(-3).join("\n") : undefined);
    setContainer(main, terminated(code, message), code === 0 ? "Succeeded" : "Failed");
    if (!stopped) fake.endLog(ns, podName, main);
    await wait(step);
    if (code === 0) {
      updateJob((j) => {
        const at = now();
        j.status = {
          ...j.status,
          active: 0,
          ready: 0,
          succeeded: 1,
          completionTime: at,
          conditions: [
            {
              type: "SuccessCriteriaMet",
              status: "True",
              reason: "CompletionsReached",
              message: "Reached expected number of succeeded pods",
              lastProbeTime: at,
              lastTransitionTime: at,
            },
            {
              type: "Complete",
              status: "True",
              reason: "CompletionsReached",
              message: "Reached expected number of succeeded pods",
              lastProbeTime: at,
              lastTransitionTime: at,
            },
          ],
        };
      });
    } else {
      failJob("BackoffLimitExceeded", "Job has reached the specified backoff limit");
    }
  }

  return {
    stop() {
      stopped = true;
      unsubscribe();
      for (const done of [...pending]) done();
    },
    async settled() {
      await Promise.all(runs);
    },
  };
}

/** A Job in a finished (or running) state, to seed the store with. */
export function seedJobStatus(
  fake: FakeKubeApi,
  namespace: string,
  name: string,
  state: "Complete" | "Failed" | "active",
): void {
  fake.update("batch/v1", "Job", namespace, name, (j) => {
    const at = now();
    j.status =
      state === "active"
        ? { startTime: at, active: 1 }
        : state === "Complete"
          ? {
              startTime: at,
              completionTime: at,
              succeeded: 1,
              conditions: [
                {
                  type: "Complete",
                  status: "True",
                  reason: "CompletionsReached",
                  lastProbeTime: at,
                  lastTransitionTime: at,
                },
              ],
            }
          : {
              startTime: at,
              failed: 1,
              conditions: [
                {
                  type: "Failed",
                  status: "True",
                  reason: "BackoffLimitExceeded",
                  message: "Job has reached the specified backoff limit",
                  lastProbeTime: at,
                  lastTransitionTime: at,
                },
              ],
            };
  });
}

/** A minimal valid Deployment. */
export function deploymentObject(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  replicas = 2,
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "app", image: "ghcr.io/stefanprodan/podinfo:6.7.1" }] },
      },
    },
  };
}

/** How the scripted Deployment controller rolls a Deployment out. */
export interface RolloutScript {
  /** Stop before the rollout completes (one new replica updated, none available). */
  readonly stall?: boolean;
  /** Give up like the real controller after `progressDeadlineSeconds`. */
  readonly progressDeadlineExceeded?: boolean;
  /**
   * Awaited after each status change before the rollout moves on (until the controller stops):
   * a test makes it wait until the status was read, so no state is missed however slow the
   * machine is. @default the next step follows after `stepMs`
   */
  readonly afterStep?: () => Promise<void>;
}

/**
 * Plays the Deployment controller: each time a Deployment's generation moves past its
 * `observedGeneration`, rolls it out over a few steps (observed, new replicas updated one by
 * one with a surge pod, old ones gone, all available), as `kubectl rollout status` would see it.
 */
export function startDeploymentController(
  fake: FakeKubeApi,
  scriptFor: (deployment: KubeObject) => RolloutScript = () => ({}),
  stepMs = 5,
): RunningController {
  let stopped = false;
  let stop: () => void = () => undefined;
  const stoppedSignal = new Promise<void>((resolve) => (stop = resolve));
  const runs: Promise<void>[] = [];
  const rolling = new Set<string>();
  const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const unsubscribe = fake.onChange((event) => {
    const d = event.object;
    if (event.type === "DELETED" || d.kind !== "Deployment") return;
    const generation = d.metadata.generation ?? 1;
    const key = `${d.metadata.namespace}/${d.metadata.name}/${generation}`;
    if ((d.status?.observedGeneration ?? 0) >= generation || rolling.has(key)) return;
    rolling.add(key);
    runs.push(roll(d, generation, scriptFor(d)));
  });

  async function roll(d: KubeObject, generation: number, script: RolloutScript): Promise<void> {
    const ns = d.metadata.namespace!;
    const name = d.metadata.name;
    const replicas: number = d.spec.replicas ?? 1;
    const set = (status: Record<string, unknown>) => {
      if (!stopped && fake.get("apps/v1", "Deployment", ns, name)) {
        fake.update("apps/v1", "Deployment", ns, name, (o) => {
          o.status = { ...o.status, ...status };
        });
      }
    };
    const observed = async () => {
      if (script.afterStep) await Promise.race([script.afterStep(), stoppedSignal]);
    };
    const progressing = (status: string, reason: string, message: string) => ({
      type: "Progressing",
      status,
      reason,
      message,
      lastUpdateTime: now(),
      lastTransitionTime: now(),
    });
    await wait(stepMs);
    set({
      observedGeneration: generation,
      replicas: replicas + 1,
      updatedReplicas: 0,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        progressing("True", "ReplicaSetUpdated", `ReplicaSet "${name}-new" is progressing.`),
      ],
    });
    await observed();
    for (let updated = 1; updated <= replicas; updated++) {
      await wait(stepMs);
      if (script.stall || script.progressDeadlineExceeded) {
        set({ updatedReplicas: 1 });
        if (script.progressDeadlineExceeded) {
          await wait(stepMs);
          set({
            conditions: [
              progressing(
                "False",
                "ProgressDeadlineExceeded",
                `ReplicaSet "${name}-new" has timed out progressing.`,
              ),
            ],
          });
        }
        return;
      }
      const last = updated === replicas;
      set({
        replicas: last ? replicas : replicas + 1,
        updatedReplicas: updated,
        readyReplicas: last ? replicas : replicas,
        availableReplicas: last ? replicas : replicas,
        unavailableReplicas: 0,
      });
      await observed();
    }
    await wait(stepMs);
    set({
      conditions: [
        {
          type: "Available",
          status: "True",
          reason: "MinimumReplicasAvailable",
          message: "Deployment has minimum availability.",
          lastUpdateTime: now(),
          lastTransitionTime: now(),
        },
        progressing(
          "True",
          "NewReplicaSetAvailable",
          `ReplicaSet "${name}-new" has successfully progressed.`,
        ),
      ],
    });
  }

  return {
    stop() {
      stopped = true;
      stop();
      unsubscribe();
    },
    async settled() {
      await Promise.all(runs);
    },
  };
}
