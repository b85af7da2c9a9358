/**
 * The release commands (DESIGN.md section 5): start, verify, shift, promote, rollback and run,
 * each a sequence of session steps with its own rollback. Refusals throw ReleaseRefusal before
 * any change (exit 2); a failed gate or deploy rolls back and throws ReleaseFailed (exit 1); a
 * failed rollback throws RollbackFailed (exit 3).
 */
import { durationMs, formatDuration } from "../config/duration";
import { otherColour, type Colour } from "../constructs/private/traffic";
import { ReleaseRefusal, type EnvironmentFile } from "./environment-file";
import {
  DeployFailed,
  describeTraffic,
  ReleaseFailed,
  RollbackFailed,
  type ReleaseSession,
} from "./session";
import type { BakeOutcome } from "./gates/bake";
import { migrateBeforeStart } from "./migrations/step";
import type { GateResult, JournalEvent } from "./types";

/** The canary plan of a run. */
export interface RunPlan {
  /** Canary weights, increasing, each 1-99; promote follows the last. */
  readonly steps: readonly number[];
  /** Bake after each shift and after the promote. */
  readonly bakeMs: number;
}

/** What the caller prints at the end. */
export interface CommandResult {
  readonly summary: string;
}

/** Runs one step; a failed deploy or step error rolls back to `restore` and fails the release. */
async function guarded(
  session: ReleaseSession,
  step: () => Promise<void>,
  restore: () => EnvironmentFile,
  what: string,
): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof RollbackFailed) throw error; // a lost lock: touch nothing more
    const failedAt = Date.now();
    const reason =
      error instanceof DeployFailed
        ? `the deploy to ${what} failed`
        : `${what} failed: ${(error as Error).message}`;
    session.progress(`FAIL ${reason}`);
    if (error instanceof DeployFailed) session.options.stderr(error.tail.replace(/^/gm, "    "));
    await session.journal({
      step: "failed",
      outcome: "failed",
      message: reason,
      to: session.snapshot,
    });
    await session.rollbackTo(restore(), reason, failedAt);
    throw new ReleaseFailed(`${reason}; rolled back to ${describeTraffic(session.snapshot)}`);
  }
}

/**
 * The bake after a traffic change, journalled; a failure rolls back to `restore()` and fails the
 * release. `where` names the route (`{route}` is replaced by the failing one).
 */
async function bakeOrRollBack(
  session: ReleaseSession,
  options: {
    bakeMs: number;
    label: string;
    withPreview: boolean;
    where: string;
    stage?: string;
    version: string;
    restore: () => EnvironmentFile;
  },
): Promise<BakeOutcome> {
  const outcome = await session.bake(options.bakeMs, options.label, options.withPreview);
  const record = {
    step: "baked",
    stage: options.stage,
    version: options.version,
    to: session.snapshot,
    gates: outcome.results,
    durationMs: outcome.durationMs,
  };
  if (outcome.passed) {
    await session.journal({ ...record, outcome: "ok" });
    return outcome;
  }
  const failedAt = Date.now();
  const failure = outcome.failure!;
  const reason = `${failure.gate} failed ${options.where.replace("{route}", failure.route)}: ${failure.detail}`;
  await session.journal({ ...record, outcome: "failed", message: reason });
  await session.rollbackTo(options.restore(), reason, failedAt);
  throw new ReleaseFailed(`${reason}; rolled back to ${describeTraffic(session.snapshot)}`);
}

/**
 * The pre-deployment backup: a manual RDS snapshot in the production tier, or when the app says
 * `release.backup: true` (`false` turns it off). A failure refuses the release: nothing was
 * deployed yet.
 */
async function backupBeforeRelease(
  session: ReleaseSession,
  version: string,
): Promise<string | undefined> {
  const env = session.file.config;
  const wanted = session.app.release.backup ?? env.tier === "production";
  if (!wanted) return undefined;
  const backup = session.options.backends.backup;
  if (session.options.dryRun) {
    session.progress(`dry run: would snapshot the database before releasing ${version}`);
    return undefined;
  }
  if (!backup) {
    session.progress(
      "offline: no database to snapshot (normal mode takes a manual RDS snapshot here)",
    );
    return undefined;
  }
  session.progress(`snapshotting the database before releasing ${version}`);
  const started = Date.now();
  try {
    const result = await backup.snapshot(
      {
        app: session.options.app,
        version,
        keep: env.releaseBackups.keep,
        timeoutMs: durationMs(env.releaseBackups.timeout),
      },
      (line) => session.progress(line),
    );
    await session.journal({
      step: "backed-up",
      outcome: "ok",
      version,
      durationMs: Date.now() - started,
      message: `snapshot ${result.snapshotId}${result.deleted.length ? `; older release snapshots deleted: ${result.deleted.join(", ")}` : ""}`,
    });
    return result.snapshotId;
  } catch (error) {
    await session.journal({
      step: "backed-up",
      outcome: "failed",
      version,
      durationMs: Date.now() - started,
      message: (error as Error).message,
    });
    throw new ReleaseRefusal(
      `the pre-deployment backup failed, so nothing was deployed: ${(error as Error).message}`,
    );
  }
}

/** After a promote that baked well: the CDN invalidation the app asks for (never a rollback). */
async function invalidateAfterPromote(session: ReleaseSession, version: string): Promise<void> {
  const paths = session.app.cdn?.invalidatePaths;
  if (!paths) return;
  const cdn = session.options.backends.cdn;
  if (session.options.dryRun) {
    session.progress(`dry run: would invalidate ${paths.join(" ")} on the CDN`);
    return;
  }
  if (!cdn) {
    session.progress(`offline: no CDN to invalidate (normal mode invalidates ${paths.join(" ")})`);
    return;
  }
  const started = Date.now();
  try {
    const { invalidationId } = await cdn.invalidate(
      paths,
      `release-${session.options.environment}-${session.options.app}-${version}-${session.runId}`,
      (line) => session.progress(line),
    );
    await session.journal({
      step: "invalidated",
      outcome: "ok",
      version,
      durationMs: Date.now() - started,
      message: `CloudFront invalidation ${invalidationId} of ${paths.join(" ")} completed`,
    });
  } catch (error) {
    const message = `the CDN invalidation of ${paths.join(" ")} failed (the release itself is healthy and stays): ${(error as Error).message}`;
    session.progress(`FAIL ${message}`);
    session.postReleaseProblems.push(message);
    await session.journal({
      step: "invalidation-failed",
      outcome: "failed",
      version,
      durationMs: Date.now() - started,
      message,
    });
  }
}

/** `start <version>`: the version on the idle colour, weights unchanged, deployed. */
export async function start(
  session: ReleaseSession,
  version: string,
  stage?: string,
): Promise<CommandResult> {
  const before = session.file;
  const snapshot = session.snapshot;
  const idle = otherColour(snapshot.stable);
  if (snapshot.canaryWeight > 0) {
    throw new ReleaseRefusal(
      `a canary is in progress (${describeTraffic(snapshot)}): starting would change the colour serving ${snapshot.canaryWeight}% of traffic; promote or roll back first`,
    );
  }
  if (snapshot[snapshot.stable].version === version) {
    throw new ReleaseRefusal(
      `${version} is already live on ${snapshot.stable} (stable); the release tool never changes the stable colour`,
    );
  }
  const next = before.startOnIdle(session.options.app, version);
  const previousEntry = before.colourEntry(session.options.app, idle);
  const message = `start ${idle} ${version}`;
  const started = Date.now();
  const snapshotId = await backupBeforeRelease(session, version);
  // expand before the new version runs anywhere; stops (exit 1) when the stable colour breaks
  await migrateBeforeStart(session, version, snapshotId);
  await session.drainBeforeReplacing(idle, await session.options.backends.journal.read(50));
  await guarded(
    session,
    () => session.apply(next, message),
    () => session.file.restoreEntry(session.options.app, idle, previousEntry),
    `start ${version} on ${idle}`,
  );
  await session.journal({
    step: "started",
    outcome: "ok",
    stage,
    version,
    from: before.snapshot(session.options.app),
    to: session.snapshot,
    previousEntry,
    durationMs: Date.now() - started,
    message: `${version} on ${idle} (no traffic; preview route only)`,
  });
  return {
    summary: `${version} started on ${idle}: no traffic yet, reach it through the preview route`,
  };
}

/** `verify`: health and smoke gates through the preview route. Read-only. */
export async function verify(
  session: ReleaseSession,
  stage?: string,
): Promise<CommandResult & { passed: boolean; results: GateResult[] }> {
  const snapshot = session.snapshot;
  const idle = otherColour(snapshot.stable);
  const started = Date.now();
  const outcome = await session.verify();
  await session.journal({
    step: "verified",
    outcome: outcome.passed ? "ok" : "failed",
    stage,
    version: snapshot[idle].version,
    to: snapshot,
    gates: outcome.results,
    durationMs: Date.now() - started,
    message: outcome.failure ? `${outcome.failure.gate}: ${outcome.failure.detail}` : undefined,
  });
  return {
    passed: outcome.passed,
    results: outcome.results,
    summary: outcome.passed
      ? `${idle} ${snapshot[idle].version} verified through the preview route (${outcome.results.length} gate(s) passed)`
      : `${idle} ${snapshot[idle].version} failed verification: ${outcome.failure?.gate}: ${outcome.failure?.detail}`,
  };
}

/** `shift <percent>`: the canary weight set, deployed, then baked; a failure rolls back to 0%. */
export async function shift(
  session: ReleaseSession,
  percent: number,
  bakeMs: number,
  stage?: string,
): Promise<CommandResult> {
  const snapshot = session.snapshot;
  const idle = otherColour(snapshot.stable);
  if (snapshot[idle].version === snapshot[snapshot.stable].version) {
    throw new ReleaseRefusal(
      `${idle} runs the stable version ${snapshot[idle].version}: nothing new to shift traffic to; start a version first`,
    );
  }
  const version = snapshot[idle].version;
  const zero = () => session.file.withCanaryWeight(session.options.app, 0);
  const next = session.file.withCanaryWeight(session.options.app, percent);
  const message = `shift ${percent}% to ${idle} ${version}`;
  const started = Date.now();
  await guarded(
    session,
    async () => {
      await session.apply(next, message);
      await session.verifyTraffic();
    },
    zero,
    message,
  );
  await session.journal({
    step: "shifted",
    outcome: "ok",
    version,
    from: snapshot,
    to: session.snapshot,
    durationMs: Date.now() - started,
  });
  const outcome = await bakeOrRollBack(session, {
    bakeMs,
    label: `${percent}% ${idle} ${version}`,
    withPreview: true,
    where: `on the {route} route during the ${percent}% bake`,
    stage,
    version,
    restore: zero,
  });
  return {
    summary: `${percent}% of traffic on ${idle} ${version}; baked ${formatDuration(outcome.durationMs)}`,
  };
}

/**
 * `promote`: the idle colour becomes stable at weight 0; the old one stays warm. Then a bake on
 * the live route; a failure makes the old colour stable again. `resumed`: a run whose promote
 * was written before it stopped (the file already shows `version` stable): deploy and bake only.
 */
export async function promote(
  session: ReleaseSession,
  bakeMs: number,
  stage?: string,
  resumed?: string,
): Promise<CommandResult> {
  const app = session.options.app;
  const snapshot = session.snapshot;
  const alreadyPromoted = resumed !== undefined && snapshot[snapshot.stable].version === resumed;
  const promoted = alreadyPromoted ? snapshot.stable : otherColour(snapshot.stable);
  const previous = otherColour(promoted);
  if (!alreadyPromoted && snapshot[promoted].version === snapshot[previous].version) {
    throw new ReleaseRefusal(
      `${promoted} runs the stable version ${snapshot[promoted].version}: nothing to promote; start a version first`,
    );
  }
  const version = snapshot[promoted].version;
  const back = () => session.file.withStable(app, previous);
  const message = `promote ${promoted} ${version}`;
  const started = Date.now();
  await guarded(
    session,
    async () => {
      if (alreadyPromoted) await session.deploy(message);
      else await session.apply(session.file.withStable(app, promoted), message);
      await session.verifyTraffic();
    },
    back,
    message,
  );
  await session.journal({
    step: "promoted",
    outcome: "ok",
    version,
    from: snapshot,
    to: session.snapshot,
    durationMs: Date.now() - started,
    message: `${previous} ${snapshot[previous].version} stays running as the warm standby`,
  });
  await bakeOrRollBack(session, {
    bakeMs,
    label: `100% ${promoted} ${version}`,
    withPreview: false,
    where: "on the live route after the promote",
    stage,
    version,
    restore: back,
  });
  await invalidateAfterPromote(session, version);
  return {
    summary: `${promoted} ${version} promoted: 100% of traffic; ${previous} ${snapshot[previous].version} stays warm for an instant rollback`,
  };
}

/** What `rollback` would do now, from the file and the journal. */
export function rollbackTarget(
  session: ReleaseSession,
  events: readonly JournalEvent[],
): { target: EnvironmentFile; describe: string } {
  const app = session.options.app;
  const snapshot = session.snapshot;
  const idle = otherColour(snapshot.stable);
  if (snapshot.canaryWeight > 0) {
    return {
      target: session.file.withCanaryWeight(app, 0),
      describe: `canary ${snapshot.canaryWeight}% on ${idle} ${snapshot[idle].version} back to 0%`,
    };
  }
  const last = [...events]
    .reverse()
    .find(
      (e) =>
        e.outcome === "ok" &&
        (["promoted", "rolled-back"].includes(e.step) || (e.step === "started" && e.previousEntry)),
    );
  if (
    last?.step === "promoted" &&
    last.from &&
    last.to?.stable === snapshot.stable &&
    last.from.stable === idle
  ) {
    return {
      target: session.file.withStable(app, idle),
      describe: `the promote of ${snapshot.stable} ${snapshot[snapshot.stable].version} undone: ${idle} ${snapshot[idle].version} stable again (its pods are still running)`,
    };
  }
  if (last?.step === "started" && last.previousEntry && last.version === snapshot[idle].version) {
    return {
      target: session.file.restoreEntry(app, idle, last.previousEntry),
      describe: `the start of ${last.version} on ${idle} undone (it had no traffic)`,
    };
  }
  throw new ReleaseRefusal(
    `nothing to roll back: ${describeTraffic(snapshot)} with no canary, and the journal's last step (${last ? `${last.step} at ${last.time}` : "none"}) is not a promote or start this file still shows`,
  );
}

/** `rollback`: traffic back to the safe state, the file and the cluster made to agree. */
export async function rollback(session: ReleaseSession): Promise<CommandResult> {
  const events = await session.options.backends.journal.read();
  const { target, describe } = rollbackTarget(session, events);
  await session.rollbackTo(target, `rollback requested by ${session.options.actor}: ${describe}`);
  return { summary: `rolled back: ${describe}; now ${describeTraffic(session.snapshot)}` };
}

/** The stages of a run, in order. */
export function runStages(plan: RunPlan): string[] {
  return ["start", "verify", ...plan.steps.map((w) => `shift ${w}`), "promote"];
}

/** `run <version>`: start, verify, each canary step with its bake, promote with its bake. */
export async function run(
  session: ReleaseSession,
  version: string,
  plan: RunPlan,
  options: { resumeFrom?: string } = {},
): Promise<CommandResult> {
  const stages = runStages(plan);
  const from = options.resumeFrom ? stages.indexOf(options.resumeFrom) : 0;
  const started = Date.now();
  if (!options.resumeFrom) {
    await session.journal({
      step: "run-started",
      outcome: "ok",
      version,
      plan,
      message: `run ${version}: ${stages.join(" → ")}`,
    });
  } else {
    session.progress(
      `resuming run ${version} at "${options.resumeFrom}" (${stages.slice(from).join(" → ")})`,
    );
  }
  try {
    for (const stage of stages.slice(from)) {
      if (stage === "start") {
        const snapshot = session.snapshot;
        const idle = otherColour(snapshot.stable);
        if (options.resumeFrom && snapshot[idle].version === version) {
          session.progress(`${version} is already on ${idle}: deploying to make sure it runs`);
          await guarded(
            session,
            () => session.deploy(`start ${idle} ${version}`),
            () => session.file,
            `start ${version}`,
          );
          await session.journal({
            step: "started",
            outcome: "ok",
            stage,
            version,
            to: session.snapshot,
          });
        } else {
          await start(session, version, stage);
        }
      } else if (stage === "verify") {
        const result = await verify(session, stage);
        if (!result.passed) {
          const failedAt = Date.now();
          const idle = otherColour(session.snapshot.stable);
          const events = await session.options.backends.journal.read(50);
          const startEvent = [...events]
            .reverse()
            .find((e) => e.step === "started" && e.version === version);
          const reason = `verification failed: ${result.summary}`;
          if (startEvent?.previousEntry) {
            await session.rollbackTo(
              session.file.restoreEntry(session.options.app, idle, startEvent.previousEntry),
              reason,
              failedAt,
            );
          } else {
            session.progress(
              "no record of the start in the journal: the version stays on the idle colour (it has no traffic)",
            );
          }
          throw new ReleaseFailed(
            `${reason}; ${idle} is back to ${session.snapshot[idle].version}, ${describeTraffic(session.snapshot)}`,
          );
        }
      } else if (stage.startsWith("shift ")) {
        // resumed after the promote was written: the canary steps are behind it
        if (session.snapshot[session.snapshot.stable].version !== version) {
          await shift(session, Number(stage.slice(6)), plan.bakeMs, stage);
        }
      } else {
        await promote(session, plan.bakeMs, stage, options.resumeFrom ? version : undefined);
      }
    }
  } catch (error) {
    await session.journal({
      step: "run-finished",
      outcome: "failed",
      version,
      to: session.snapshot,
      durationMs: Date.now() - started,
      message: (error as Error).message,
    });
    throw error;
  }
  await session.journal({
    step: "run-finished",
    outcome: "ok",
    version,
    to: session.snapshot,
    durationMs: Date.now() - started,
  });
  const stable = session.snapshot.stable;
  return {
    summary: `released ${version}: ${stable} stable with 100% of traffic in ${formatDuration(Date.now() - started)}`,
  };
}

/** Where an unfinished run stopped, from the journal: its version, plan and next stage. */
export function resumePoint(events: readonly JournalEvent[]): {
  version: string;
  plan: RunPlan;
  next: string;
} {
  const startIndex = events.map((e) => e.step).lastIndexOf("run-started");
  if (startIndex < 0) throw new ReleaseRefusal("--resume: the journal has no run to resume");
  const begun = events[startIndex];
  const after = events.slice(startIndex + 1);
  const ended = after.find((e) =>
    ["run-finished", "rolled-back", "rollback-failed"].includes(e.step),
  );
  if (ended) {
    throw new ReleaseRefusal(
      `--resume: the last run (${begun.version}, started ${begun.time}) already ended: ${ended.step} ${ended.outcome}${ended.message ? ` (${ended.message})` : ""}`,
    );
  }
  if (!begun.version || !begun.plan)
    throw new ReleaseRefusal("--resume: the run-started event has no version or plan");
  // a stage is done when its last event passed: started, verified, or the bake after a shift or the promote
  const done = new Set(
    after
      .filter(
        (e) => e.outcome === "ok" && e.stage && ["started", "verified", "baked"].includes(e.step),
      )
      .map((e) => e.stage),
  );
  const next = runStages(begun.plan).find((stage) => !done.has(stage));
  if (!next) throw new ReleaseRefusal("--resume: every stage of the last run is done");
  return { version: begun.version, plan: begun.plan, next };
}

/** The phase of an app's release for `status`. */
export function phaseOf(
  snapshot: {
    stable: Colour;
    canaryWeight: number;
    blue: { version: string };
    green: { version: string };
  },
  events: readonly JournalEvent[],
): string {
  const idle = otherColour(snapshot.stable);
  if (snapshot.canaryWeight > 0)
    return `canary: ${snapshot.canaryWeight}% on ${idle} ${snapshot[idle].version}`;
  if (snapshot[idle].version === snapshot[snapshot.stable].version)
    return "steady: both colours run the same version";
  const last = [...events]
    .reverse()
    .find(
      (e) =>
        e.outcome === "ok" && ["started", "verified", "promoted", "rolled-back"].includes(e.step),
    );
  if (last?.step === "started" || last?.step === "verified")
    return `${last.step}: ${idle} ${snapshot[idle].version} awaits traffic (preview route only)`;
  if (last?.step === "promoted")
    return `promoted: ${idle} ${snapshot[idle].version} is the warm standby`;
  if (last?.step === "rolled-back")
    return `rolled back: ${idle} ${snapshot[idle].version} holds no traffic`;
  return `steady: ${idle} ${snapshot[idle].version} holds no traffic`;
}

/**
 * `restart <colour>`: rolls the colour's pods (like `kubectl rollout restart`), so they read
 * rotated secrets (environment variables change only when a pod starts). Traffic, versions and
 * the file are untouched; each Deployment's rollout is waited for.
 */
export async function restart(session: ReleaseSession, colour: Colour): Promise<CommandResult> {
  const app = session.app;
  const version = session.snapshot[colour].version;
  // every object a colour renders carries the post-renderer's colour label (colourLabels)
  const selector = `colour=${colour}`;
  if (session.options.dryRun) {
    session.progress(
      `dry run: would restart the Deployments of ${colour} (${selector}) in ${app.namespace}`,
    );
    return { summary: `dry run: ${colour} ${version} would be restarted` };
  }
  const access = await session.options.backends.kubernetes();
  if (!access) {
    throw new ReleaseRefusal(
      "no Kubernetes API to restart pods through (offline: set PLATFORM_KUBE_API)",
    );
  }
  const started = Date.now();
  // loaded when used: @kubernetes/client-node is large and an ES module
  const { restartDeployments } = await import("./migrations/restart");
  const names = await restartDeployments(
    access,
    app.namespace,
    selector,
    `release restart by ${session.options.actor}`,
    { progress: (line) => session.progress(line) },
  );
  await session.journal({
    step: "restarted",
    outcome: "ok",
    version,
    durationMs: Date.now() - started,
    message: `${colour} restarted: ${names.join(", ")}`,
  });
  return {
    summary: `${colour} ${version} restarted (${names.join(", ")}): its pods read configuration and secrets again`,
  };
}
