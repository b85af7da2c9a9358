/**
 * `npm run bench`: how long the main job takes and how much memory it needs.
 *
 * - synth: before (`tsx scripts/synth.ts`) and after (`node bin/synth.cjs`, what `npm run synth`
 *   runs: fresh, after a source edit, from scratch), fresh process each run (module loading
 *   included, as a user sees it), wall time and peak RSS, median of N runs;
 * - scale: generated folders of 3 environments with 1 to 200 apps, and 3 to 30 environments;
 * - the policy pack's own time over the resolved stacks (bench/policy-pass.ts);
 * - import cost of a provider's barrel versus the deep imports we use (why lint forbids barrels).
 *
 * Prints figures only; it never fails on a number (performance is tracked, not asserted).
 * Usage: npm run bench [-- <runs>]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { scaledEnvironments } from "./scale";

const root = resolve(__dirname, "..");
const runs = Number(process.argv[2] ?? 5);
const tsx = join(root, "node_modules/tsx/dist/cli.mjs");

/** Runs a node command with GNU time's peak RSS when available, else wall time only. */
function measure(
  args: string[],
  cwd: string,
  environmentDirectory = join(root, "environments"),
): { seconds: number; peakMb?: number } {
  const started = process.hrtime.bigint();
  const timeBinary = spawnSync("sh", ["-c", "command -v /usr/bin/time"], {
    encoding: "utf8",
  }).stdout.trim();
  const result = timeBinary
    ? spawnSync(timeBinary, ["-f", "%M", process.execPath, ...args], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, PLATFORM_ENV_DIR: environmentDirectory },
      })
    : spawnSync(process.execPath, args, {
        cwd,
        encoding: "utf8",
        env: { ...process.env, PLATFORM_ENV_DIR: environmentDirectory },
      });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  const kb = timeBinary ? Number(result.stderr.trim().split("\n").pop()) : NaN;
  return { seconds, peakMb: Number.isFinite(kb) ? kb / 1024 : undefined };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function report(label: string, samples: { seconds: number; peakMb?: number }[]): void {
  const seconds = median(samples.map((s) => s.seconds)).toFixed(2);
  const peaks = samples.flatMap((s) => (s.peakMb === undefined ? [] : [s.peakMb]));
  const memory = peaks.length > 0 ? `, peak RSS ${median(peaks).toFixed(0)} MB` : "";
  process.stdout.write(
    `${label.padEnd(46)} median ${seconds} s${memory} (${samples.length} runs)\n`,
  );
}

const fresh = () => mkdtempSync(join(tmpdir(), "bench-synth-"));
const synth = join(root, "bin/synth.cjs");
// before: the program through tsx (transpiled in memory on every run), as npm run synth was
report(
  "before: tsx scripts/synth.ts",
  Array.from({ length: runs }, () => measure([tsx, join(root, "scripts/synth.ts")], fresh())),
);
// after: npm run synth = node bin/synth.cjs (precompiled, rebuilt only where sources changed)
measure([synth], fresh()); // make .build/synth fresh first
report(
  "npm run synth (node bin/synth.cjs)",
  Array.from({ length: runs }, () => measure([synth], fresh())),
);
const edited = join(root, "scripts/lib/summary.ts");
report(
  "npm run synth after a source edit (1 rebuilt)",
  Array.from({ length: runs }, () => {
    const now = new Date();
    utimesSync(edited, now, now);
    return measure([synth], fresh());
  }),
);
report(
  "npm run synth from scratch (.build removed)",
  Array.from({ length: Math.min(runs, 3) }, () => {
    rmSync(join(root, ".build/synth"), { recursive: true, force: true });
    return measure([synth], fresh());
  }),
);

// the policy pack's share of that: the rule pack over the resolved stacks, in process
const policy = spawnSync(process.execPath, [tsx, join(root, "bench/policy-pass.ts")], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, PLATFORM_ENV_DIR: join(root, "environments") },
});
if (policy.status !== 0) throw new Error(`bench/policy-pass.ts failed:\n${policy.stderr}`);
process.stdout.write(`${"policy pack inside synth".padEnd(46)} ${policy.stdout.trim()}\n`);

// scale: generated environment folders, one run each (time and peak memory grow with the size)
process.stdout.write("\nscale (node bin/synth.cjs, one run each)\n");
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
  const sample = measure([synth], fresh(), dir);
  timed.set(`${environments}x${apps}`, sample.seconds);
  const perApp = (sample.seconds * 1000) / (environments * apps);
  process.stdout.write(
    `  ${String(environments).padStart(2)} environments x ${String(apps).padStart(3)} apps  ${sample.seconds.toFixed(2).padStart(6)} s  ${sample.peakMb?.toFixed(0).padStart(5) ?? "    ?"} MB  (${perApp.toFixed(1)} ms per app)\n`,
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
  Array.from({ length: runs }, () => measure(["-e", deep], root)),
);
report(
  "import the @cdktf/provider-aws barrel",
  Array.from({ length: Math.min(runs, 3) }, () => measure(["-e", barrel], root)),
);
