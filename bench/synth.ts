/**
 * `npm run bench`: how long the main job takes and how much memory it needs.
 *
 * - synth: before (`tsx scripts/synth.ts`) and after: `npm run synth` (`sh bin/synth.sh`, from
 *   the startup snapshot), the same without the snapshot (`node bin/synth.cjs`), after a source
 *   edit (the snapshot is then out of date: the synth runs without it and a new one is built in
 *   the background, timed too) and from scratch; a fresh process each run (startup included, as a
 *   user sees it), wall time, CPU time and peak RSS, median of N runs;
 * - scale: generated folders of 3 environments with 1 to 200 apps, and 3 to 30 environments;
 * - the policy pack's own time over the resolved stacks (bench/policy-pass.ts);
 * - import cost of a provider's barrel versus the deep imports we use (why lint forbids barrels).
 *
 * Prints figures only; it never fails on a number (performance is tracked, not asserted).
 * Usage: npm run bench [-- <runs>]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { scaledEnvironments } from "./scale";

const root = resolve(__dirname, "..");
const runs = Number(process.argv[2] ?? 5);
const tsx = join(root, "node_modules/tsx/dist/cli.mjs");
const timeBinary = spawnSync("sh", ["-c", "command -v /usr/bin/time"], {
  encoding: "utf8",
}).stdout.trim();

interface Sample {
  seconds: number;
  cpuSeconds?: number;
  peakMb?: number;
}

/** The environment of a measured run: snapshots on (CI and the test suites turn them off). */
function runEnvironment(environmentDirectory: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PLATFORM_ENV_DIR: environmentDirectory };
  delete env.PLATFORM_SYNTH_SNAPSHOT;
  delete env.CI;
  return env;
}

/** Runs a command with GNU time's CPU time and peak RSS when available, else wall time only. */
function measure(
  command: string[],
  cwd: string,
  environmentDirectory = join(root, "environments"),
): Sample {
  const started = process.hrtime.bigint();
  const env = runEnvironment(environmentDirectory);
  const result = timeBinary
    ? spawnSync(timeBinary, ["-f", "%M %U %S", ...command], { cwd, encoding: "utf8", env })
    : spawnSync(command[0], command.slice(1), { cwd, encoding: "utf8", env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr}`);
  const [kb, user, system] = timeBinary
    ? (result.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number)
    : [NaN, NaN, NaN];
  return {
    seconds,
    cpuSeconds: Number.isFinite(user + system) ? user + system : undefined,
    peakMb: Number.isFinite(kb) ? kb / 1024 : undefined,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function report(label: string, samples: Sample[]): void {
  const seconds = median(samples.map((s) => s.seconds)).toFixed(2);
  const cpus = samples.flatMap((s) => (s.cpuSeconds === undefined ? [] : [s.cpuSeconds]));
  const cpu = cpus.length > 0 ? `, CPU ${median(cpus).toFixed(2)} s` : "";
  const peaks = samples.flatMap((s) => (s.peakMb === undefined ? [] : [s.peakMb]));
  const memory = peaks.length > 0 ? `, peak RSS ${median(peaks).toFixed(0)} MB` : "";
  const fastest = Math.min(...samples.map((s) => s.seconds)).toFixed(2);
  process.stdout.write(
    `${label.padEnd(50)} median ${seconds} s (fastest ${fastest} s)${cpu}${memory} (${samples.length} runs)\n`,
  );
}

const fresh = () => mkdtempSync(join(tmpdir(), "bench-synth-"));
const synthSh = ["sh", join(root, "bin/synth.sh")];
const synthCjs = [process.execPath, join(root, "bin/synth.cjs")];
const snapshotMeta = join(root, ".build/synth/snapshot/synth.json");
const snapshotLock = join(root, ".build/synth/snapshot/.lock");
const snapshotId = () =>
  existsSync(snapshotMeta)
    ? (JSON.parse(readFileSync(snapshotMeta, "utf8")) as { id: string }).id
    : undefined;

/** Builds the startup snapshot now (what a first synth starts in the background). */
function buildSnapshot(): void {
  const build = spawnSync(process.execPath, [join(root, "bin/snapshot.cjs")], {
    cwd: root,
    encoding: "utf8",
    env: runEnvironment(join(root, "environments")),
  });
  if (build.status !== 0) throw new Error(`bin/snapshot.cjs failed:\n${build.stderr}`);
}

/** Waits for the background build a synth started (when `before` is replaced); its seconds. */
function awaitBackgroundBuild(before: string | undefined): number {
  const started = Date.now();
  while ((snapshotId() === before || existsSync(snapshotLock)) && Date.now() - started < 120_000)
    spawnSync("sleep", ["0.1"]);
  return (Date.now() - started) / 1000;
}

// before: the program through tsx (transpiled in memory on every run), as npm run synth was
report(
  "before: tsx scripts/synth.ts",
  Array.from({ length: runs }, () =>
    measure([process.execPath, tsx, join(root, "scripts/synth.ts")], fresh()),
  ),
);
buildSnapshot();
report(
  "npm run synth (sh bin/synth.sh: startup snapshot)",
  Array.from({ length: runs }, () => measure(synthSh, fresh())),
);
report(
  "without the snapshot (node bin/synth.cjs)",
  Array.from({ length: runs }, () => measure(synthCjs, fresh())),
);
const edited = join(root, "scripts/lib/summary.ts");
const rebuilds: number[] = [];
report(
  "npm run synth after a source edit (1 rebuilt)",
  Array.from({ length: runs }, () => {
    const now = new Date();
    utimesSync(edited, now, now);
    const before = snapshotId();
    const sample = measure(synthSh, fresh());
    rebuilds.push(awaitBackgroundBuild(before));
    return sample;
  }),
);
process.stdout.write(
  `${"  the snapshot then rebuilt in the background in".padEnd(50)} median ${median(rebuilds).toFixed(1)} s\n`,
);
report(
  "npm run synth from scratch (.build removed)",
  Array.from({ length: Math.min(runs, 3) }, () => {
    rmSync(join(root, ".build/synth"), { recursive: true, force: true });
    const sample = measure(synthSh, fresh());
    awaitBackgroundBuild(undefined);
    return sample;
  }),
);
buildSnapshot();

// the policy pack's share of that: the rule pack over the resolved stacks, in process
const policy = spawnSync(process.execPath, [tsx, join(root, "bench/policy-pass.ts")], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, PLATFORM_ENV_DIR: join(root, "environments") },
});
if (policy.status !== 0) throw new Error(`bench/policy-pass.ts failed:\n${policy.stderr}`);
process.stdout.write(`${"policy pack inside synth".padEnd(46)} ${policy.stdout.trim()}\n`);

// scale: generated environment folders, median of up to 3 runs each (time and memory grow with size)
const scaleRuns = Math.min(runs, 3);
process.stdout.write(
  `\nscale (npm run synth: sh bin/synth.sh, median of ${scaleRuns} runs each)\n`,
);
const sizes: [number, number][] = [
  [3, 1],
  [3, 10],
  [3, 100],
  [3, 200],
  [10, 10],
  [30, 10],
];
const timed = new Map<string, number>();
for (const [environments, apps] of sizes) {
  const dir = scaledEnvironments(root, environments, apps);
  const samples = Array.from({ length: scaleRuns }, () => measure(synthSh, fresh(), dir));
  const seconds = median(samples.map((s) => s.seconds));
  const cpu = median(samples.map((s) => s.cpuSeconds ?? NaN));
  const peak = median(samples.map((s) => s.peakMb ?? NaN));
  timed.set(`${environments}x${apps}`, seconds);
  const perApp = (seconds * 1000) / (environments * apps);
  process.stdout.write(
    `  ${String(environments).padStart(2)} environments x ${String(apps).padStart(3)} apps  ${seconds.toFixed(2).padStart(6)} s  CPU ${cpu.toFixed(2).padStart(5)} s  ${peak.toFixed(0).padStart(5)} MB  (${perApp.toFixed(1)} ms per app)\n`,
  );
}
// linear growth: what one more app costs, from 10 to 100 and from 100 to 200 apps per environment
const slope = (from: string, to: string, apps: number) =>
  (((timed.get(to) ?? NaN) - (timed.get(from) ?? NaN)) * 1000) / (3 * apps);
process.stdout.write(
  `  each added app: ${slope("3x10", "3x100", 90).toFixed(1)} ms (10 -> 100 apps), ${slope("3x100", "3x200", 100).toFixed(1)} ms (100 -> 200 apps)\n\n`,
);

const deep = `require("@cdktf/provider-aws/lib/vpc"); require("@cdktf/provider-aws/lib/eks-cluster");`;
const barrel = `require("@cdktf/provider-aws");`;
report(
  "import 2 AWS provider classes by deep path",
  Array.from({ length: runs }, () => measure([process.execPath, "-e", deep], root)),
);
report(
  "import the @cdktf/provider-aws barrel",
  Array.from({ length: Math.min(runs, 3) }, () => measure([process.execPath, "-e", barrel], root)),
);
