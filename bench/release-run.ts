/**
 * `npm run bench:release`: how long a whole `npm run release -- run <env> <app> <version>
 * --bake 0s` takes against the loopback harness (fake ALB, fake Kubernetes API, podinfo-like
 * colours, the recording deploy): the tool's own overhead, since a real deploy and bake dominate
 * a real release. Each run is a fresh process (`tsx scripts/release.ts`), as the pipeline runs it.
 * Prints figures and the last run's progress output; never fails on a number.
 * Usage: npm run bench:release [-- <runs>]
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { releaseCliEnvironment, releaseFixture } from "../test/support/release-fixture";

const root = resolve(__dirname, "..");
const runs = Number(process.argv[2] ?? 5);

async function once(): Promise<{
  seconds: number;
  code: number | null;
  stderr: string;
  deploys: number;
}> {
  const fixture = await releaseFixture();
  try {
    const started = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [
        join(root, "node_modules/tsx/dist/cli.mjs"),
        join(root, "scripts/release.ts"),
        "run",
        "staging",
        "web",
        "6.8.0",
        "--bake",
        "0s",
        "--base-url",
        fixture.harness.albUrl,
      ],
      {
        cwd: fixture.root,
        env: releaseCliEnvironment(fixture),
      },
    );
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.on("close", r));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, code, stderr, deploys: fixture.harness.deploys().length };
  } finally {
    await fixture.stop();
  }
}

async function main(): Promise<void> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once());
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length > 0)
    process.stdout.write(`${failed.length} run(s) failed:\n${failed[0].stderr}\n`);
  const seconds = results.map((r) => r.seconds).sort((a, b) => a - b);
  const median = seconds[Math.floor(seconds.length / 2)];
  process.stdout.write(`${results.at(-1)?.stderr ?? ""}\n`);
  process.stdout.write(
    `release run --bake 0s (start, verify, shift 10%, promote; ${results[0].deploys} deploys): median ${median.toFixed(2)} s over ${runs} runs (min ${seconds[0].toFixed(2)} s, max ${seconds.at(-1)!.toFixed(2)} s)\n`,
  );
}

void main();
