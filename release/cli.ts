/**
 * `npm run release -- <command> <env> <app> [args] [options]`: parses the command line, sets up
 * the session (backends of the mode, the deployer) and maps the outcome to the exit code:
 * 0 done, 1 a gate or deploy failed and the release was rolled back, 2 refused before any
 * change, 3 the rollback itself failed.
 */
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { parseDuration, DURATION_EXPECTED, durationMs } from "../config/duration";
import { environmentDirectory } from "../config/load";
import { colourWeights, otherColour } from "../constructs/private/traffic";
import { releaseBackends } from "./backends";
import {
  phaseOf,
  promote,
  restart,
  resumePoint,
  rollback,
  run,
  shift,
  start,
  verify,
  type CommandResult,
} from "./commands";
import { Deployer } from "./deploy";
import { contract, ReleaseStopped } from "./migrations/step";
import { liveWeights } from "./kubernetes";
import { lintMigrationsCommand } from "./migrations/lint-command";
import { EnvironmentFile, ReleaseRefusal } from "./environment-file";
import { DEFAULT_LOCK_TTL_MS, ReleaseFailed, ReleaseSession, RollbackFailed } from "./session";
import type { ReleaseBackends } from "./types";

/** Exit codes (the pipeline relies on them). */
export const EXIT = {
  done: 0,
  rolledBack: 1,
  refused: 2,
  rollbackFailed: 3,
  releasedWithProblems: 4,
} as const;

export const USAGE = `Usage: npm run release -- <command> <env> [app] [args] [options]

Commands:
  status   <env> [app]            colours, versions, weights, phase, lock, last journal events
  start    <env> <app> <version>  put <version> on the idle colour (no traffic); deploy
  verify   <env> <app>            health and smoke gates through the preview route
  shift    <env> <app> <percent>  canary weight to <percent>; deploy; bake
  promote  <env> <app>            the idle colour becomes stable (weight 0); deploy; bake
  rollback <env> <app>            canary back to 0%, or the previous colour stable again
  run      <env> <app> <version>  start, verify, each canary step with a bake, promote
  contract <env> <app>            after a promote: the destructive migration (migrations.contract)
  restart  <env> <app> <colour>   roll a colour's pods (they read rotated secrets); traffic untouched
  lint-migrations <dir> [--phase expand|contract] [--env <env>]
                                  squawk backward-compatibility lint (exit 0 clean, 1 errors, 2 bad input)

Options:
  --steps 5,25,50        canary steps of run (default: apps.<app>.rollout.steps, else 5)
  --bake <duration>      bake after each shift and the promote, e.g. 5m, 0s (default: rollout.bake)
  --base-url <url>       send HTTP gates there (Host stays the app host) instead of https://<host>
  --prometheus-url <url> query Prometheus there instead of the in-cluster service (API proxy)
  --dry-run              print every edit, deploy and gate; change nothing
  --commit               commit the environment file after each step
  --json                 one JSON object per event on stdout
  --force                release even when the deployed state differs from the file
  --break-lock <reason>  remove a stale lock first (the reason goes to the journal)
  --resume               run: continue the last unfinished run from the journal

Exit codes: 0 done; 1 a gate failed and the release was rolled back (or a migration failed or
broke the stable colour: stopped before any colour change, runbook printed); 2 refused before any
change; 3 the rollback itself failed (the message says where traffic is and what to run);
4 released and healthy, but a step after it failed (the CDN invalidation): not rolled back.`;

/** What the tool needs from its surroundings (tests pass their own). */
export interface ReleaseRuntime {
  /** Project folder: `.release/`, `cdktf.out/` and the default deploy run there. @default process.cwd() */
  readonly cwd?: string;
  /** Folder of environment files. @default PLATFORM_ENV_DIR, else environments/ */
  readonly environmentDirectory?: string;
  /** Offline mode. @default PLATFORM_OFFLINE */
  readonly offline?: boolean;
  /** Deploy command (the stack name is appended). @default PLATFORM_DEPLOY_COMMAND, else npx cdktf deploy */
  readonly deployCommand?: string;
  /** Backends instead of the mode's own. */
  readonly backends?: (env: EnvironmentFile["config"], app: string) => Promise<ReleaseBackends>;
  /** Who runs the release. @default PLATFORM_RELEASE_ACTOR, else GITHUB_ACTOR, else user@host */
  readonly actor?: string;
  /** Lock lifetime. @default 30 minutes */
  readonly lockTtlMs?: number;
  /** The metric gate's shortest query range in seconds. @default 60 */
  readonly metricsMinRangeSeconds?: number;
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
}

interface Parsed {
  command: string;
  positional: string[];
  steps?: number[];
  bakeMs?: number;
  baseUrl?: string;
  prometheusUrl?: string;
  dryRun: boolean;
  commit: boolean;
  json: boolean;
  force: boolean;
  breakLock?: string;
  resume: boolean;
}

/** How long the end of a command waits for notifications still being delivered. */
const NOTIFY_FLUSH_MS = 30_000;

/** The release tool's commands. */
export const COMMANDS = [
  "status",
  "start",
  "verify",
  "shift",
  "promote",
  "rollback",
  "run",
  "contract",
  "restart",
  "lint-migrations",
];
const VALUE_OPTIONS = ["--steps", "--bake", "--base-url", "--prometheus-url", "--break-lock"];
const FLAG_OPTIONS = ["--dry-run", "--commit", "--json", "--force", "--resume"];

/** Parses argv; every problem at once, as a refusal. */
export function parseArguments(argv: readonly string[]): Parsed {
  const problems: string[] = [];
  const positional: string[] = [];
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if (FLAG_OPTIONS.includes(name)) {
      if (inline !== undefined)
        problems.push(`${name} takes no value (received ${JSON.stringify(inline)})`);
      flags.add(name);
    } else if (VALUE_OPTIONS.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) {
        problems.push(`${name}: needs a value`);
        if (value?.startsWith("--")) i--;
      } else values[name] = value;
    } else {
      problems.push(
        `unknown option ${name} (options: ${[...VALUE_OPTIONS, ...FLAG_OPTIONS].join(", ")})`,
      );
    }
  }
  const [command, ...rest] = positional;
  if (!command) problems.push("no command");
  else if (!COMMANDS.includes(command))
    problems.push(`unknown command ${JSON.stringify(command)} (commands: ${COMMANDS.join(", ")})`);

  let steps: number[] | undefined;
  if (values["--steps"] !== undefined) {
    const parts = values["--steps"].split(",").map((p) => p.trim());
    steps = parts.map(Number);
    const valid =
      parts.every((p) => /^\d+$/.test(p)) &&
      steps.every((w) => w >= 1 && w <= 99) &&
      steps.every((w, i) => i === 0 || w > steps![i - 1]);
    if (!valid)
      problems.push(
        `--steps: received ${JSON.stringify(values["--steps"])}; expected increasing canary weights from 1 to 99, such as 5,25,50 (100 is the promote)`,
      );
  }
  let bakeMs: number | undefined;
  if (values["--bake"] !== undefined) {
    bakeMs = parseDuration(values["--bake"]);
    if (bakeMs === undefined)
      problems.push(
        `--bake: received ${JSON.stringify(values["--bake"])}; expected ${DURATION_EXPECTED}`,
      );
  }
  const baseUrl = values["--base-url"];
  if (baseUrl !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(baseUrl)) {
    problems.push(
      `--base-url: received ${JSON.stringify(baseUrl)}; expected http(s)://host[:port] with no path, such as https://my-alb-123.eu-west-1.elb.amazonaws.com`,
    );
  }
  const prometheusUrl = values["--prometheus-url"];
  if (prometheusUrl !== undefined && !/^https?:\/\/\S+$/.test(prometheusUrl)) {
    problems.push(
      `--prometheus-url: received ${JSON.stringify(prometheusUrl)}; expected an http(s) URL such as http://127.0.0.1:9090`,
    );
  }
  const breakLock = values["--break-lock"];
  if (breakLock !== undefined && breakLock.trim().length < 3) {
    problems.push(
      `--break-lock: received ${JSON.stringify(breakLock)}; expected a reason for the journal, such as "run 123 crashed"`,
    );
  }

  const arity: Record<string, [number, number, string]> = {
    status: [1, 2, "<env> [app]"],
    start: [3, 3, "<env> <app> <version>"],
    verify: [2, 2, "<env> <app>"],
    shift: [3, 3, "<env> <app> <percent>"],
    promote: [2, 2, "<env> <app>"],
    rollback: [2, 2, "<env> <app>"],
    contract: [2, 2, "<env> <app>"],
    restart: [3, 3, "<env> <app> <colour>"],
    run: [
      flags.has("--resume") ? 2 : 3,
      3,
      flags.has("--resume") ? "<env> <app> [version]" : "<env> <app> <version>",
    ],
  };
  if (command && arity[command]) {
    const [min, max, shape] = arity[command];
    if (rest.length < min || rest.length > max)
      problems.push(
        `${command} takes ${shape} (received ${rest.length === 0 ? "nothing" : rest.join(" ")})`,
      );
  }
  if (command === "shift" && rest[2] !== undefined && !/^([1-9]|[1-9]\d)$/.test(rest[2])) {
    problems.push(
      `shift: percent: received ${JSON.stringify(rest[2])}; expected an integer from 1 to 99 (100 is promote, 0 is rollback)`,
    );
  }
  if (command === "restart" && rest[2] !== undefined && !["blue", "green"].includes(rest[2])) {
    problems.push(`restart: colour: received ${JSON.stringify(rest[2])}; expected blue or green`);
  }
  if (flags.has("--resume") && command !== "run") problems.push("--resume: only with run");
  if (problems.length > 0) throw new ReleaseRefusal([...problems, "", USAGE].join("\n"));
  return {
    command,
    positional: rest,
    steps,
    bakeMs,
    baseUrl: baseUrl?.replace(/\/$/, ""),
    prometheusUrl,
    dryRun: flags.has("--dry-run"),
    commit: flags.has("--commit"),
    json: flags.has("--json"),
    force: flags.has("--force"),
    breakLock,
    resume: flags.has("--resume"),
  };
}

/** Who is releasing. */
export function releaseActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PLATFORM_RELEASE_ACTOR) return env.PLATFORM_RELEASE_ACTOR;
  if (env.GITHUB_ACTOR)
    return `${env.GITHUB_ACTOR} (GitHub Actions${env.GITHUB_RUN_ID ? ` run ${env.GITHUB_RUN_ID}` : ""})`;
  return `${userInfo().username}@${hostname()}`;
}

/** The release tool: the process exit code. */
export async function releaseMain(
  argv: readonly string[],
  runtime: ReleaseRuntime = {},
): Promise<number> {
  const stdout = runtime.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = runtime.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (argv[0] === "lint-migrations") {
    // its own arguments: a folder, not <env> <app> (release/migrations/lint-command.ts)
    return lintMigrationsCommand(argv.slice(1), {
      cwd: runtime.cwd,
      environmentDirectory: runtime.environmentDirectory,
      stdout,
      stderr,
    });
  }
  let parsed: Parsed;
  try {
    parsed = parseArguments(argv);
  } catch (error) {
    stderr((error as Error).message);
    return EXIT.refused;
  }
  const cwd = resolve(runtime.cwd ?? process.cwd());
  const directory = resolve(runtime.environmentDirectory ?? environmentDirectory());
  const offline =
    runtime.offline ??
    ["1", "true", "yes"].includes((process.env.PLATFORM_OFFLINE ?? "").toLowerCase());
  const [envName, appName, arg] = parsed.positional;
  const emit = (event: Record<string, unknown>) => parsed.json && stdout(JSON.stringify(event));
  const started = Date.now();

  let file: EnvironmentFile;
  try {
    file = EnvironmentFile.read(directory, envName);
    if (appName) file.app(appName);
  } catch (error) {
    stderr((error as Error).message);
    emit({ event: "summary", exitCode: EXIT.refused, message: (error as Error).message });
    return EXIT.refused;
  }
  const backendsFor =
    runtime.backends ??
    ((env, app) =>
      releaseBackends(env, app, {
        offline,
        cwd,
        prometheusUrl: parsed.prometheusUrl,
        report: stderr,
        // a dry run tells nobody, so it needs no webhook secrets
        notify: !parsed.dryRun,
      }));

  if (parsed.command === "status") {
    return status(
      file,
      appName ? [appName] : Object.keys(file.config.apps),
      // status tells nobody: no notifier, so no webhook secrets needed
      runtime.backends ??
        ((env, app) => releaseBackends(env, app, { offline, cwd, notify: false })),
      parsed.json,
      stdout,
    );
  }

  let backends: ReleaseBackends;
  try {
    backends = await backendsFor(file.config, appName);
  } catch (error) {
    const message = `refused, nothing changed: ${(error as Error).message}`;
    stderr(`${envName}/${appName} ${parsed.command}: ${message} [exit ${EXIT.refused}]`);
    emit({ event: "summary", exitCode: EXIT.refused, message });
    return EXIT.refused;
  }
  const stack = `${file.config.name}-workloads`;
  const deployer = new Deployer(stack, directory, {
    command: runtime.deployCommand ?? process.env.PLATFORM_DEPLOY_COMMAND,
    offline,
    cwd,
  });
  const session = new ReleaseSession({
    environment: envName,
    app: appName,
    command: ["release", ...argv].join(" "),
    commandName: parsed.command,
    file,
    backends,
    deployer,
    actor: runtime.actor ?? releaseActor(),
    cwd,
    dryRun: parsed.dryRun,
    commit: parsed.commit,
    force: parsed.force,
    json: parsed.json,
    baseUrl: parsed.baseUrl,
    stdout,
    stderr,
    lockTtlMs: runtime.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
    metricsMinRangeSeconds: runtime.metricsMinRangeSeconds,
  });
  const app = session.app;
  const bakeMs = parsed.bakeMs ?? durationMs(app.rollout.bake);
  const mutating = parsed.command !== "verify";

  let code: number;
  let message: string;
  try {
    let plan: { steps: readonly number[]; bakeMs: number } = {
      steps: parsed.steps ?? app.rollout.steps,
      bakeMs,
    };
    let version = arg;
    let resumeFrom: string | undefined;
    if (parsed.resume) {
      const point = resumePoint(await session.options.backends.journal.read());
      if (version !== undefined && version !== point.version) {
        throw new ReleaseRefusal(
          `--resume: the unfinished run releases ${point.version}, not ${version}`,
        );
      }
      version = point.version;
      plan = {
        steps: parsed.steps ?? point.plan.steps,
        bakeMs: parsed.bakeMs ?? point.plan.bakeMs,
      };
      resumeFrom = point.next;
      const snapshot = session.snapshot;
      if (
        ![snapshot.blue.version, snapshot.green.version].includes(version) &&
        resumeFrom !== "start"
      ) {
        throw new ReleaseRefusal(
          `--resume: the run releases ${version}, but ${file.path} has ${snapshot.blue.version} on blue and ${snapshot.green.version} on green: the file changed since; roll back or start over`,
        );
      }
    }
    if (mutating) {
      await session.begin({
        breakLock: parsed.breakLock,
        drift: parsed.command === "rollback" || parsed.resume ? "warn" : "refuse",
      });
    }
    let result: CommandResult & { passed?: boolean };
    try {
      switch (parsed.command) {
        case "start":
          result = await start(session, version);
          break;
        case "verify":
          result = await verify(session);
          break;
        case "shift":
          result = await shift(session, Number(arg), bakeMs);
          break;
        case "promote":
          result = await promote(session, bakeMs);
          break;
        case "rollback":
          result = await rollback(session);
          break;
        case "contract":
          result = await contract(session);
          break;
        case "restart":
          result = await restart(session, arg as "blue" | "green");
          break;
        default:
          result = await run(session, version, plan, { resumeFrom });
      }
    } finally {
      await session.end();
    }
    code = result.passed === false ? EXIT.rolledBack : EXIT.done;
    message = result.summary;
    if (code === EXIT.done && session.postReleaseProblems.length > 0) {
      code = EXIT.releasedWithProblems;
      message += `; but ${session.postReleaseProblems.join("; ")}`;
    }
    if (parsed.command === "verify" && result.passed === false) {
      const idle = otherColour(session.snapshot.stable);
      message += `; it has no traffic. To undo the start: npm run release -- rollback ${envName} ${appName} (${idle} back to its previous version)`;
    }
  } catch (error) {
    if (error instanceof ReleaseRefusal) {
      code = EXIT.refused;
      message = `refused, nothing changed: ${error.message}`;
    } else if (error instanceof ReleaseStopped) {
      code = EXIT.rolledBack;
      message = `stopped before any colour or traffic change: ${error.message}`;
    } else if (error instanceof ReleaseFailed) {
      code = EXIT.rolledBack;
      message = `failed and rolled back: ${error.message}`;
    } else if (error instanceof RollbackFailed) {
      code = EXIT.rollbackFailed;
      stderr(error.message);
      message = "ROLLBACK INCOMPLETE (see above)";
    } else {
      throw error;
    }
  }
  const notifier = session.options.backends.notifier;
  if (notifier) {
    const { failed } = await notifier.flush(NOTIFY_FLUSH_MS);
    for (const line of failed) stderr(`warning: notification not delivered: ${line}`);
  }
  const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const line = `${envName}/${appName} ${parsed.command}${parsed.dryRun ? " (dry run)" : ""}: ${message} [exit ${code}, ${took}]`;
  if (parsed.json)
    emit({ event: "summary", exitCode: code, message, durationMs: Date.now() - started });
  else if (code === EXIT.done) stdout(line);
  if (code !== EXIT.done) stderr(line);
  return code;
}

async function status(
  file: EnvironmentFile,
  apps: readonly string[],
  backendsFor: NonNullable<ReleaseRuntime["backends"]>,
  json: boolean,
  stdout: (line: string) => void,
): Promise<number> {
  const reports = [];
  for (const name of apps) {
    const snapshot = file.snapshot(name);
    const backends = await backendsFor(file.config, name);
    const [events, deployed, lock] = await Promise.all([
      backends.journal.read(10),
      backends.deployedState.read(name),
      backends.lock.read(),
    ]);
    const app = file.app(name);
    const live = await liveWeights(
      await backends.kubernetes().catch(() => undefined),
      app.namespace,
      name,
    );
    const idle = otherColour(snapshot.stable);
    const weights = colourWeights(snapshot);
    reports.push({
      environment: file.config.name,
      app: name,
      stable: {
        colour: snapshot.stable,
        ...snapshot[snapshot.stable],
        weight: weights[snapshot.stable],
      },
      idle: { colour: idle, ...snapshot[idle], weight: weights[idle] },
      phase: phaseOf(snapshot, events),
      deployed: deployed.found
        ? { ...deployed.app, location: deployed.location }
        : { location: deployed.location, missing: deployed.reason },
      liveWeights: typeof live === "string" ? { unknown: live } : live,
      lock: lock ?? null,
      events,
    });
  }
  if (json) {
    stdout(JSON.stringify({ event: "status", apps: reports }));
    return EXIT.done;
  }
  for (const r of reports) {
    stdout(`${r.environment}/${r.app}: ${r.phase}`);
    stdout(
      `  stable  ${r.stable.colour.padEnd(5)} ${r.stable.version} (chart ${r.stable.chart})  ${r.stable.weight}%`,
    );
    stdout(
      `  idle    ${r.idle.colour.padEnd(5)} ${r.idle.version} (chart ${r.idle.chart})  ${r.idle.weight}%`,
    );
    const d = r.deployed as {
      stable_colour?: string;
      weights?: { blue: number; green: number };
      missing?: string;
      location: string;
    };
    stdout(
      d.missing
        ? `  deployed: unknown (${d.missing})`
        : `  deployed: ${d.stable_colour} stable, blue ${d.weights?.blue}% / green ${d.weights?.green}% (${d.location})`,
    );
    const lw = r.liveWeights as { blue?: number; green?: number; unknown?: string };
    stdout(
      lw.unknown
        ? `  live Ingress: not read (${lw.unknown})`
        : `  live Ingress: blue ${lw.blue}% / green ${lw.green}%`,
    );
    stdout(
      r.lock
        ? `  lock: held by ${r.lock.holder} since ${r.lock.acquiredAt} ("${r.lock.command}"), until ${r.lock.expiresAt}`
        : "  lock: free",
    );
    stdout(r.events.length ? "  last events:" : "  journal: no events yet");
    for (const e of r.events.slice(-5)) {
      stdout(
        `    ${e.time}  ${e.actor}  ${e.command}: ${e.step} ${e.outcome}${e.version ? ` ${e.version}` : ""}${e.message ? ` (${e.message})` : ""}`,
      );
    }
  }
  return EXIT.done;
}
