/**
 * One release command on one app: the lock, the drift check, each step (write the file, commit
 * it, deploy), the journal, the gates on both routes, and the rollback that puts traffic back
 * first (a patch of the Ingress's weighted action) and then makes the file and the cluster agree.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { durationMs, formatDuration } from "../config/duration";
import type { AppConfig } from "../config/schema";
import {
  colourWeights,
  otherColour,
  trafficAnnotations,
  type Colour,
} from "../constructs/private/traffic";
import type { Deployer } from "./deploy";
import type { EnvironmentFile } from "./environment-file";
import { ReleaseRefusal } from "./environment-file";
import { bake, type BakeOutcome } from "./gates/bake";
import { commandGate } from "./gates/command";
import type { Gate, GateContext } from "./gates/gate";
import { healthGate, healthProbe } from "./gates/health";
import { metricGate } from "./gates/metrics";
import type { HttpTarget } from "./gates/http";
import { smokeGates } from "./gates/smoke";
import { getIngress, patchIngressAnnotations } from "./kubernetes";
import type {
  GateResult,
  HeldLock,
  JournalEvent,
  LockInfo,
  ReleaseBackends,
  ReleaseNotice,
  ReleaseSnapshot,
} from "./types";

/** A gate failed or a deploy failed, and the release was rolled back (exit 1). */
export class ReleaseFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseFailed";
  }
}

/** The rollback itself failed: the message says where traffic is and what to run (exit 3). */
export class RollbackFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RollbackFailed";
  }
}

/** Everything a command needs from its surroundings. */
export interface SessionOptions {
  readonly environment: string;
  readonly app: string;
  /** The command line, for the lock and the journal. */
  readonly command: string;
  /** The command name (`start`, `run`...). */
  readonly commandName: string;
  readonly file: EnvironmentFile;
  readonly backends: ReleaseBackends;
  readonly deployer: Deployer;
  readonly actor: string;
  /** Project folder (the external smoke command runs there). */
  readonly cwd: string;
  readonly dryRun: boolean;
  readonly commit: boolean;
  readonly force: boolean;
  readonly json: boolean;
  /** `--base-url`: where HTTP gates go instead of `https://<host>`. */
  readonly baseUrl?: string;
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  /** Lock lifetime; renewed between steps and bake rounds. */
  readonly lockTtlMs: number;
  /** The metric gate's shortest query range (seconds). @default 60 (4 scrapes of 15 s) */
  readonly metricsMinRangeSeconds?: number;
}

/** Lock lifetime when nothing else is said: long enough for a deploy, renewed while working. */
export const DEFAULT_LOCK_TTL_MS = 30 * 60 * 1000;

/** A release command in progress. */
export class ReleaseSession {
  /** The file as it is now (after the last step written). */
  file: EnvironmentFile;
  /** Problems after a healthy release (a failed CDN invalidation): reported, never rolled back. */
  readonly postReleaseProblems: string[] = [];
  readonly runId = `${new Date().toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(3).toString("hex")}`;
  private lock?: HeldLock;
  private lastRenewal = 0;
  private renewTimer?: NodeJS.Timeout;
  private lockLost?: Error;
  private readonly label: string;

  constructor(readonly options: SessionOptions) {
    this.file = options.file;
    this.label = `${options.environment}/${options.app}`;
  }

  /** The app's configuration in the current file. */
  get app(): AppConfig {
    return this.file.app(this.options.app);
  }

  /** The current release state. */
  get snapshot(): ReleaseSnapshot {
    return this.file.snapshot(this.options.app);
  }

  /** A progress line on stderr. */
  progress(line: string): void {
    this.options.stderr(`[${this.label}] ${line}`);
  }

  /**
   * Before any change: `--break-lock`, the lock, and the drift check (refusals exit 2).
   * `drift: "warn"` for commands that repair (rollback, resume).
   */
  async begin(options: { breakLock?: string; drift: "refuse" | "warn" }): Promise<void> {
    const { backends } = this.options;
    if (this.options.dryRun) {
      const holder = await backends.lock.read();
      if (holder && Date.parse(holder.expiresAt) > Date.now() && !options.breakLock) {
        throw new ReleaseRefusal(lockHeldMessage(this.label, backends.lock.location, holder));
      }
      await this.checkDrift(options.drift);
      return;
    }
    if (options.breakLock !== undefined) {
      const removed = await backends.lock.forceRelease();
      this.progress(
        removed
          ? `lock broken (${options.breakLock}): it was held by ${removed.holder} since ${removed.acquiredAt} for "${removed.command}"`
          : `--break-lock: there was no lock at ${backends.lock.location}`,
      );
      if (removed) {
        await this.journal({
          step: "lock-broken",
          outcome: "ok",
          message: `lock of ${removed.holder} ("${removed.command}", since ${removed.acquiredAt}) broken: ${options.breakLock}`,
        });
      }
    }
    const info: LockInfo = {
      id: randomBytes(8).toString("hex"),
      environment: this.options.environment,
      app: this.options.app,
      holder: this.options.actor,
      command: this.options.command,
      acquiredAt: "",
      expiresAt: "",
    };
    const attempt = await backends.lock.acquire(info, this.options.lockTtlMs);
    if (!attempt.acquired) {
      throw new ReleaseRefusal(lockHeldMessage(this.label, backends.lock.location, attempt.holder));
    }
    this.lock = attempt.lock;
    this.lastRenewal = Date.now();
    // renewed in the background too, so a deploy longer than the TTL keeps the lock
    this.renewTimer = setInterval(() => {
      this.keepAlive().catch((error: unknown) => (this.lockLost ??= error as Error));
    }, this.options.lockTtlMs / 3);
    this.renewTimer.unref();
    if (attempt.tookOver) {
      this.progress(
        `took over a stale lock of ${attempt.tookOver.holder} ("${attempt.tookOver.command}", expired ${attempt.tookOver.expiresAt})`,
      );
    }
    try {
      await this.checkDrift(options.drift);
      if (this.options.commit) this.checkCommittable();
    } catch (error) {
      await this.end();
      throw error;
    }
  }

  /** Releases the lock (always called, also after failures). */
  async end(): Promise<void> {
    clearInterval(this.renewTimer);
    const lock = this.lock;
    this.lock = undefined;
    try {
      await lock?.release();
    } catch (error) {
      // never hide the release's own outcome behind a lock problem
      this.progress(`warning: could not release the lock: ${(error as Error).message}`);
    }
  }

  /**
   * Renews the lock when a third of its lifetime has passed. A lock that is no longer ours
   * (someone ran --break-lock) stops the release where it is: another release owns the app now.
   */
  async keepAlive(): Promise<void> {
    if (this.lockLost) throw new LockLost(this.label, this.lockLost, this.snapshot);
    if (!this.lock || Date.now() - this.lastRenewal < this.options.lockTtlMs / 3) return;
    try {
      await this.lock.renew();
    } catch (error) {
      this.lockLost = error as Error;
      throw new LockLost(this.label, this.lockLost, this.snapshot);
    }
    this.lastRenewal = Date.now();
  }

  /** Refuses (or warns) when the deployed state differs from the file. */
  private async checkDrift(mode: "refuse" | "warn"): Promise<void> {
    const { backends, app } = this.options;
    const deployed = await backends.deployedState.read(app);
    const snapshot = this.snapshot;
    let differences: string[];
    if (!deployed.found) {
      const what = `nothing is deployed to compare the file with: ${deployed.reason}`;
      if (mode === "warn" || this.options.force) {
        this.progress(`warning: ${what}; going on`);
        return;
      }
      throw new ReleaseRefusal(
        `${this.label}: ${what}. Deploy the workloads stack first (${this.options.deployer.manualCommand}), or pass --force.`,
      );
    } else {
      differences = [];
      const weights = colourWeights(snapshot);
      const d = deployed.app;
      if (d.stable_colour !== snapshot.stable) {
        differences.push(`stable colour: file ${snapshot.stable}, deployed ${d.stable_colour}`);
      }
      if (d.weights.blue !== weights.blue || d.weights.green !== weights.green) {
        differences.push(
          `weights: file blue ${weights.blue}/green ${weights.green}, deployed blue ${d.weights.blue}/green ${d.weights.green}`,
        );
      }
      for (const colour of ["blue", "green"] as const) {
        const version = d.versions?.[colour];
        if (version !== undefined && version !== snapshot[colour].version) {
          differences.push(
            `${colour} version: file ${snapshot[colour].version}, deployed ${version}`,
          );
        }
      }
    }
    if (differences.length === 0) return;
    const what = `the deployed state (${deployed.location}) differs from ${this.file.path}:\n${differences.map((d) => `  ${d}`).join("\n")}`;
    if (mode === "warn" || this.options.force) {
      this.progress(
        `warning: ${what}\n  going on (${mode === "warn" ? "this command repairs it" : "--force"})`,
      );
      return;
    }
    throw new ReleaseRefusal(
      `${this.label}: ${what}\nThe last deploy failed, or the file was edited without a deploy. Deploy to reconcile (${this.options.deployer.manualCommand}), or pass --force to release from the file as it is.`,
    );
  }

  /** `--commit` needs a Git work tree and no uncommitted change to the file. */
  private checkCommittable(): void {
    const path = this.file.path;
    const status = git(dirname(path), ["status", "--porcelain", "--", path]);
    if (status.status !== 0) {
      throw new ReleaseRefusal(`--commit: ${path} is not in a Git work tree (${status.output})`);
    }
    if (status.output !== "") {
      throw new ReleaseRefusal(
        `--commit: ${path} has uncommitted changes; commit or discard them first, so each release commit holds only its step`,
      );
    }
  }

  /**
   * One step: writes `next`, commits it, deploys. A failed deploy is thrown as
   * {@link DeployFailed}; the caller decides the rollback. Dry run: prints and changes nothing.
   */
  async apply(next: EnvironmentFile, message: string): Promise<void> {
    const changed = next.text !== this.file.text;
    if (this.options.dryRun) {
      this.progress(`dry run: ${message}`);
      this.options.stderr(changed ? indent(this.file.diff(next)) : "    (file unchanged)");
      this.progress(`dry run: would deploy: ${this.options.deployer.manualCommand}`);
      this.file = next;
      return;
    }
    await this.keepAlive();
    if (changed) {
      next.write();
      this.file = next; // from here on a rollback starts from what is on disk
      this.progress(`${next.path}: ${message}`);
      if (this.options.commit) this.commitFile(`release(${this.label}): ${message}`, true);
    }
    await this.deploy(message);
  }

  /** Runs the deploy; throws DeployFailed. */
  async deploy(why: string): Promise<void> {
    if (this.options.dryRun) return;
    this.progress(`deploying (${why}): ${this.options.deployer.command}`);
    const outcome = await this.options.deployer.run((line) => this.options.stderr(line));
    if (!outcome.ok) throw new DeployFailed(outcome.tail, outcome.durationMs);
    this.progress(`deployed in ${formatDuration(outcome.durationMs)}`);
  }

  /**
   * Rolls back to `target`: traffic first (the Ingress's weighted and preview actions patched to
   * what `target` renders), then the file, then the deploy that reconciles (it finds the Ingress
   * already as wanted). A failure here is {@link RollbackFailed} with the exact state.
   */
  async rollbackTo(target: EnvironmentFile, reason: string, failedAt = Date.now()): Promise<void> {
    const wanted = target.snapshot(this.options.app);
    const summary = describeTraffic(wanted);
    if (this.options.dryRun) {
      this.progress(`dry run: would roll back (${reason}) to ${summary}`);
      await this.apply(target, `rollback to ${summary}`);
      return;
    }
    this.progress(`rolling back (${reason}) to ${summary}`);
    const traffic = await this.switchTraffic(wanted);
    const restoredMs = traffic.patched || traffic.alreadyThere ? Date.now() - failedAt : undefined;
    if (traffic.patched) {
      this.progress(
        `traffic restored on the Ingress in ${formatDuration(restoredMs ?? 0)}: ${summary}`,
      );
    }
    const before = this.snapshot;
    try {
      if (target.text !== this.file.text) {
        target.write();
        this.progress(`${target.path}: rollback to ${summary}`);
        if (this.options.commit)
          this.commitFile(`release(${this.label}): rollback to ${summary} (${reason})`, false);
      }
      this.file = target;
      await this.deploy("reconcile the rollback");
      await this.verifyTraffic().catch((error: unknown) =>
        this.progress(
          `warning: the ALB does not show the rolled-back weights yet: ${(error as Error).message}`,
        ),
      );
    } catch (error) {
      const why = error instanceof DeployFailed ? error.tail : (error as Error).message;
      const trafficState =
        traffic.patched || traffic.alreadyThere
          ? `Traffic is safe: the live Ingress already sends ${summary}.`
          : traffic.error
            ? `Traffic may NOT be restored: the Ingress could not be patched (${traffic.error}); it may still send ${describeTraffic(before)}.`
            : `Traffic may NOT be restored: there is no Kubernetes API to patch (PLATFORM_KUBE_API unset offline); it may still send ${describeTraffic(before)}.`;
      await this.journal({
        step: "rollback-failed",
        outcome: "failed",
        from: before,
        to: wanted,
        message: `${reason}; the reconciling deploy failed: ${why}`,
      });
      throw new RollbackFailed(
        [
          `${this.label}: ROLLBACK INCOMPLETE. ${trafficState}`,
          `${target.path} says ${summary}; the deploy that makes the cluster agree failed:`,
          indent(why),
          `Run it again by hand until it succeeds:`,
          `  ${this.options.deployer.manualCommand}`,
          `then check: npm run release -- status ${this.options.environment} ${this.options.app}`,
        ].join("\n"),
      );
    }
    await this.journal({
      step: "rolled-back",
      outcome: "ok",
      from: before,
      to: wanted,
      message: reason,
      trafficRestoredMs: restoredMs,
    });
  }

  /** Patches the Ingress's traffic annotations to what `wanted` renders, when there is a cluster. */
  private async switchTraffic(
    wanted: ReleaseSnapshot,
  ): Promise<{ patched: boolean; alreadyThere: boolean; error?: string }> {
    const app = this.app;
    let access;
    try {
      access = await this.options.backends.kubernetes();
    } catch (error) {
      this.progress(`cannot reach the Kubernetes API: ${(error as Error).message}`);
      return { patched: false, alreadyThere: false, error: (error as Error).message };
    }
    if (!access) {
      this.progress("no Kubernetes API configured (offline): traffic moves with the deploy");
      return { patched: false, alreadyThere: false };
    }
    const annotations = trafficAnnotations(this.options.app, app.servicePort, wanted);
    try {
      const live = await getIngress(access, app.namespace, this.options.app);
      const current = live.metadata.annotations ?? {};
      if (Object.entries(annotations).every(([k, v]) => current[k] === v)) {
        this.progress("the live Ingress already sends traffic as wanted");
        return { patched: false, alreadyThere: true };
      }
      const patched = await patchIngressAnnotations(
        access,
        app.namespace,
        this.options.app,
        annotations,
      );
      const after = patched.metadata.annotations ?? {};
      const wrong = Object.keys(annotations).filter((k) => after[k] !== annotations[k]);
      if (wrong.length > 0)
        throw new Error(`the patched Ingress still has other ${wrong.join(", ")}`);
      return { patched: true, alreadyThere: false };
    } catch (error) {
      this.progress(`could not patch the Ingress: ${(error as Error).message}`);
      return { patched: false, alreadyThere: false, error: (error as Error).message };
    }
  }

  /** Appends to the journal (and prints the event with --json). Dry runs write nothing. */
  async journal(
    event: Omit<JournalEvent, "time" | "actor" | "environment" | "app" | "runId" | "command">,
  ): Promise<void> {
    if (this.options.dryRun) return;
    const full: JournalEvent = {
      time: new Date().toISOString(),
      actor: this.options.actor,
      environment: this.options.environment,
      app: this.options.app,
      runId: this.runId,
      command: this.options.commandName,
      ...event,
    };
    if (this.options.json) this.options.stdout(JSON.stringify({ event: "journal", ...full }));
    this.notify(full);
    try {
      await this.options.backends.journal.append(full);
    } catch (error) {
      // the journal is a record, never a reason to leave traffic half-moved
      this.progress(
        `warning: could not write the journal (${this.options.backends.journal.location}): ${(error as Error).message}`,
      );
    }
  }

  /** Tells people about a journal event that matters to them (never blocks, never fails). */
  private notify(event: JournalEvent): void {
    const notifier = this.options.backends.notifier;
    const kind = noticeKind(event);
    if (!notifier || !kind) return;
    const failing = event.gates?.find((g) => g.verdict !== "pass" && !g.observed);
    const gate = kind.kind === "gate" ? (failing ?? event.gates?.[0]) : failing;
    notifier.send({
      ...kind,
      environment: this.options.environment,
      app: this.options.app,
      version: event.version,
      state: event.to ?? this.snapshot,
      summary: `${this.label} ${event.command}: ${event.step}${event.outcome === "failed" ? " FAILED" : ""}${event.version ? ` ${event.version}` : ""}${event.message ? `: ${event.message}` : ""}`,
      gate,
      durationMs: event.durationMs,
      releaseId: this.runId,
    });
  }

  /**
   * After a weight change is deployed: waits until the ALB serves it (listener rule weights,
   * healthy targets), when the mode can see the ALB. A timeout throws (the step failed).
   */
  async verifyTraffic(): Promise<void> {
    const verifier = this.options.backends.traffic;
    if (this.options.dryRun || !verifier) return;
    const app = this.app;
    await verifier.waitForWeights(
      { name: this.options.app, namespace: app.namespace },
      colourWeights(this.snapshot),
      durationMs(app.gates.verifyTraffic.timeout),
      (line) => this.progress(line),
    );
  }

  /**
   * Before the idle colour's pods are replaced: if it was promoted away from recently, waits
   * out its target group's deregistration delay, so connections to it drain first.
   */
  async drainBeforeReplacing(colour: Colour, events: readonly JournalEvent[]): Promise<void> {
    const verifier = this.options.backends.traffic;
    if (this.options.dryRun || !verifier) return;
    const promoted = [...events].reverse().find((e) => e.step === "promoted" && e.outcome === "ok");
    if (!promoted || promoted.to?.stable === colour) return;
    const delay = await verifier.deregistrationDelayMs(
      { name: this.options.app, namespace: this.app.namespace },
      colour,
    );
    let left = Date.parse(promoted.time) + delay - Date.now();
    while (left > 0) {
      this.progress(
        `${colour} left the live route at ${promoted.time}: waiting ${formatDuration(left)} for its connections to drain (deregistration delay ${formatDuration(delay)})`,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 10_000)));
      left = Date.parse(promoted.time) + delay - Date.now();
    }
  }

  /** The HTTP target of a route. */
  target(route: "preview" | "live"): HttpTarget {
    const app = this.app;
    const header = app.preview?.header ?? "X-Preview";
    const value = app.preview?.value ?? "true";
    return {
      baseUrl: this.options.baseUrl ?? `https://${app.host}`,
      host: app.host,
      headers: route === "preview" ? { [header]: value } : {},
      route,
    };
  }

  /** A gate context for a route and the colour under test. */
  context(route: "preview" | "live", colour: Colour): GateContext {
    return {
      environment: this.options.environment,
      app: this.options.app,
      colour,
      version: this.snapshot[colour].version,
      target: this.target(route),
      progress: (line) => this.progress(line),
    };
  }

  /** The verify gates: health until N in a row, each smoke check, the external command. */
  verifyGates(): Gate[] {
    const app = this.app;
    const gates = [
      healthGate(app.healthPath, app.gates.health),
      ...smokeGates(app.gates.smoke, app.gates.health.requestTimeout),
    ];
    if (app.gates.command) {
      gates.push(
        commandGate(app.gates.command.run, durationMs(app.gates.command.timeout), this.options.cwd),
      );
    }
    return gates;
  }

  /**
   * The gates of a bake: one health probe and each smoke check per round, and the metric gate
   * (canary against stable over the window so far) unless the app turns it off.
   */
  bakeGates(canary: Colour): Gate[] {
    const app = this.app;
    const gates = [
      healthProbe(app.healthPath, app.gates.health),
      ...smokeGates(app.gates.smoke, app.gates.health.requestTimeout),
    ];
    if (app.gates.metrics !== false) {
      const prometheus = this.options.backends.prometheus;
      gates.push(
        metricGate(app.gates.metrics, {
          app: this.options.app,
          canaryColour: canary,
          stableColour: otherColour(canary),
          prometheus: async () => (prometheus ? prometheus() : undefined),
          minRangeSeconds: this.options.metricsMinRangeSeconds,
        }),
      );
    }
    return gates;
  }

  /**
   * The stable colour's health and smoke gates through the live route (after a migration: does
   * the version serving users still work on the new schema?); stops at the first failure.
   */
  async verifyStable(): Promise<{ passed: boolean; results: GateResult[]; failure?: GateResult }> {
    const stable = this.snapshot.stable;
    const context = this.context("live", stable);
    const app = this.app;
    const gates = [
      healthGate(app.healthPath, app.gates.health),
      ...smokeGates(app.gates.smoke, app.gates.health.requestTimeout),
    ];
    this.progress(`re-checking stable ${stable} ${context.version} through the live route`);
    return this.runGates(gates, context);
  }

  /** Runs gates in order, printing each result; stops at the first failure. */
  private async runGates(
    gates: readonly Gate[],
    context: GateContext,
  ): Promise<{ passed: boolean; results: GateResult[]; failure?: GateResult }> {
    const results: GateResult[] = [];
    for (const gate of gates) {
      const result = await gate.check(context);
      results.push(result);
      this.progress(
        `${result.verdict === "pass" ? "pass" : "FAIL"} ${result.gate}: ${result.detail}`,
      );
      if (result.verdict !== "pass") return { passed: false, results, failure: result };
    }
    return { passed: true, results };
  }

  /** Runs the verify gates against the preview route (the idle colour); stops at the first failure. */
  async verify(): Promise<{ passed: boolean; results: GateResult[]; failure?: GateResult }> {
    const idle = otherColour(this.snapshot.stable);
    const context = this.context("preview", idle);
    if (this.options.dryRun) {
      this.progress(
        `dry run: would verify ${idle} ${context.version} through the preview route: ${this.verifyGates()
          .map((g) => g.name)
          .join(", ")}`,
      );
      return { passed: true, results: [] };
    }
    this.progress(
      `verifying ${idle} ${context.version} through the preview route (${Object.entries(
        context.target.headers,
      )
        .map(([k, v]) => `${k}: ${v}`)
        .join("")})`,
    );
    return this.runGates(this.verifyGates(), context);
  }

  /** Bakes the current traffic split: live route, and the canary through the preview route while it is idle. */
  async bake(durationMsValue: number, label: string, withPreview: boolean): Promise<BakeOutcome> {
    const app = this.app;
    const snapshot = this.snapshot;
    const canary = withPreview ? otherColour(snapshot.stable) : snapshot.stable;
    const contexts = [
      this.context("live", canary),
      ...(withPreview ? [this.context("preview", canary)] : []),
    ];
    if (this.options.dryRun) {
      this.progress(`dry run: would bake ${label} for ${formatDuration(durationMsValue)}`);
      return { passed: true, results: [], rounds: 0, durationMs: 0 };
    }
    this.progress(
      `baking ${label} for ${formatDuration(durationMsValue)} (every ${app.rollout.bakeInterval}; routes: ${contexts.map((c) => c.target.route).join(", ")})`,
    );
    const outcome = await bake({
      durationMs: durationMsValue,
      intervalMs: durationMs(app.rollout.bakeInterval),
      gates: this.bakeGates(canary),
      extendWhenInconclusive:
        app.gates.metrics === false ? 0 : app.gates.metrics.extendWhenInconclusive,
      contexts,
      label: `bake ${label}`,
      progress: (line) => this.progress(line),
      onRound: () => this.keepAlive(),
    });
    if (outcome.failure) {
      this.progress(
        `FAIL ${outcome.failure.gate} on the ${outcome.failure.route} route: ${outcome.failure.detail}`,
      );
    } else {
      this.progress(
        `bake passed: ${outcome.rounds} round(s) in ${formatDuration(outcome.durationMs)}`,
      );
    }
    return outcome;
  }

  private commitFile(message: string, required: boolean): void {
    const path = this.file.path;
    const cwd = dirname(path);
    const add = git(cwd, ["add", "--", path]);
    const commit = add.status === 0 ? git(cwd, ["commit", "-q", "-m", message, "--", path]) : add;
    if (commit.status === 0) {
      this.progress(`committed: ${message}`);
      return;
    }
    if (required) throw new Error(`--commit: git commit failed: ${commit.output}`);
    this.progress(`warning: --commit: git commit failed: ${commit.output}`);
  }
}

/** The lock was taken from this release: it stops without another change (exit 3). */
export class LockLost extends RollbackFailed {
  constructor(label: string, cause: Error, snapshot: ReleaseSnapshot) {
    super(
      `${label}: stopped without further changes: ${cause.message}. Another release now owns this app; the file says ${describeTraffic(snapshot)}. Check with: npm run release -- status ${label.replace("/", " ")}`,
    );
    this.name = "LockLost";
  }
}

/** A deploy failed (its last output lines). */
export class DeployFailed extends Error {
  constructor(
    readonly tail: string,
    readonly durationMs: number,
  ) {
    super(`deploy failed: ${tail}`);
    this.name = "DeployFailed";
  }
}

/** Which notice a journal event is, if any. */
function noticeKind(event: JournalEvent): Pick<ReleaseNotice, "kind" | "severity"> | undefined {
  const failed = event.outcome === "failed";
  switch (event.step) {
    case "run-started":
      return { kind: "started", severity: "info" };
    case "started":
      return event.command === "run" ? undefined : { kind: "started", severity: "info" };
    case "verified":
    case "baked":
      return { kind: "gate", severity: failed ? "warning" : "info" };
    case "promoted":
      return { kind: "promoted", severity: "info" };
    case "rolled-back":
      return { kind: "rolled-back", severity: "critical" };
    case "rollback-failed":
      return { kind: "rollback-failed", severity: "critical" };
    case "invalidation-failed":
      return { kind: "invalidation-failed", severity: "warning" };
    case "migrated":
      return failed
        ? { kind: "migration-failed", severity: "warning" }
        : { kind: "migrated", severity: "info" };
    case "stable-rechecked":
      // the stable colour serves users and fails on the migrated schema: someone must act now
      return failed ? { kind: "migration-failed", severity: "critical" } : undefined;
    case "run-finished":
      return failed
        ? { kind: "failed", severity: "warning" }
        : { kind: "finished", severity: "info" };
    default:
      return undefined;
  }
}

/** `100% to green 6.8.0` or `95% to blue 6.7.1, 5% to green 6.8.0`. */
export function describeTraffic(snapshot: ReleaseSnapshot): string {
  const weights = colourWeights(snapshot);
  const stable = snapshot.stable;
  const canary = otherColour(stable);
  const parts = [`${weights[stable]}% to ${stable} ${snapshot[stable].version}`];
  if (weights[canary] > 0)
    parts.push(`${weights[canary]}% to ${canary} ${snapshot[canary].version}`);
  return parts.join(", ");
}

function lockHeldMessage(label: string, location: string, holder: LockInfo): string {
  return `${label}: another release holds the lock (${location}): ${holder.holder} since ${holder.acquiredAt}, "${holder.command}", valid until ${holder.expiresAt}. Wait for it, or if it is stale pass --break-lock "<reason>".`;
}

function git(cwd: string, args: string[]): { status: number; output: string } {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.error) return { status: 1, output: result.error.message };
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}`.trim() };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
