/**
 * The release tool as users and the pipeline run it: `tsx scripts/release.ts` in its own process,
 * configured only by environment variables, against the loopback harness. Also a crashed run
 * continued with `--resume`, and `--commit`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  releaseCliEnvironment,
  releaseFixture,
  type ReleaseFixture,
} from "../support/release-fixture";
import { REPO_ROOT } from "../helpers";

jest.setTimeout(90_000);

let fixture: ReleaseFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

/** Spawns the CLI (async: the harness answers from this process). */
function cli(f: ReleaseFixture, args: string[]) {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"),
      join(REPO_ROOT, "scripts/release.ts"),
      ...args,
    ],
    {
      cwd: f.root,
      // its own process group: a kill reaches tsx's child process running the tool too
      detached: true,
      env: { ...releaseCliEnvironment(f), PLATFORM_RELEASE_ACTOR: "ci-bot" },
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("npm run release (its own process, configured by environment variables)", () => {
  it("runs a release with PLATFORM_DEPLOY_COMMAND, PLATFORM_ENV_DIR and PLATFORM_KUBE_API", async () => {
    const f = (fixture = await releaseFixture());
    const result = await cli(f, [
      "run",
      "staging",
      "web",
      "6.8.0",
      "--bake",
      "0s",
      "--base-url",
      f.harness.albUrl,
      "--json",
    ]).done;
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map(
        (l) => JSON.parse(l) as { event: string; step?: string; actor?: string; exitCode?: number },
      );
    expect(events.at(-1)).toMatchObject({ event: "summary", exitCode: 0 });
    expect(events.filter((e) => e.step).every((e) => e.actor === "ci-bot")).toBe(true);
    expect(result.stderr).toMatch(
      /\[staging\/web\] health preview GET \/healthz: 200 in \d+ ms \(3\/3 in a row\)/,
    );
    expect(f.harness.deploys().map((d) => d.stack)).toEqual([
      "staging-workloads",
      "staging-workloads",
      "staging-workloads",
    ]);
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });
  });

  it("continues a crashed run with --resume (after --break-lock) from the journal", async () => {
    const f = (fixture = await releaseFixture());
    const journal = join(f.root, ".release", "staging-web.jsonl");
    const crashed = cli(f, [
      "run",
      "staging",
      "web",
      "6.8.0",
      "--bake",
      "30s",
      "--base-url",
      f.harness.albUrl,
    ]);
    await waitFor(
      "the canary bake",
      () => existsSync(journal) && readFileSync(journal, "utf8").includes('"step":"shifted"'),
    );
    process.kill(-crashed.child.pid!, "SIGKILL");
    await crashed.done;
    expect(f.harness.weights("web")).toEqual({ blue: 10, green: 90 });

    const locked = await cli(f, [
      "run",
      "staging",
      "web",
      "--resume",
      "--bake",
      "0s",
      "--base-url",
      f.harness.albUrl,
    ]).done;
    expect(locked.code).toBe(2);
    expect(locked.stderr).toMatch(
      /another release holds the lock .*: ci-bot since .*"release run staging web 6\.8\.0 --bake 30s/,
    );

    const resumed = await cli(f, [
      "run",
      "staging",
      "web",
      "--resume",
      "--break-lock",
      "the run was killed",
      "--bake",
      "0s",
      "--base-url",
      f.harness.albUrl,
    ]).done;
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming run 6\.8\.0 at "shift 10" \(shift 10 → promote\)/);
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });
    const steps = f.journal().map((e) => e.step);
    expect(steps.slice(steps.indexOf("lock-broken"))).toEqual([
      "lock-broken",
      "shifted",
      "baked",
      "promoted",
      "baked",
      "run-finished",
    ]);

    const again = await cli(f, [
      "run",
      "staging",
      "web",
      "--resume",
      "--base-url",
      f.harness.albUrl,
    ]).done;
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /--resume: the last run \(6\.8\.0, started .*\) already ended: run-finished ok/,
    );
  });
});

describe("release --commit", () => {
  it("commits the environment file after each step with a message naming it", async () => {
    const f = (fixture = await releaseFixture());
    const git = (...args: string[]) => spawnSync("git", args, { cwd: f.root, encoding: "utf8" });
    git("init", "-q");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "initial");
    process.env.GIT_AUTHOR_NAME = process.env.GIT_COMMITTER_NAME = "release-bot";
    process.env.GIT_AUTHOR_EMAIL = process.env.GIT_COMMITTER_EMAIL = "release-bot@example.com";
    try {
      const outcome = await f.release([
        "run",
        "staging",
        "web",
        "6.8.0",
        "--bake",
        "0s",
        "--commit",
      ]);
      expect(outcome.code).toBe(0);
    } finally {
      delete process.env.GIT_AUTHOR_NAME;
      delete process.env.GIT_COMMITTER_NAME;
      delete process.env.GIT_AUTHOR_EMAIL;
      delete process.env.GIT_COMMITTER_EMAIL;
    }
    expect(git("log", "--format=%s").stdout.trim().split("\n")).toEqual([
      "release(staging/web): promote blue 6.8.0",
      "release(staging/web): shift 10% to blue 6.8.0",
      "release(staging/web): start blue 6.8.0",
      "initial",
    ]);
    expect(git("show", "--stat", "--format=", "HEAD").stdout).toMatch(
      /environments\/staging\.yaml \| 4 \+\+--/,
    );
  });

  it("refuses when the environment file has uncommitted changes", async () => {
    const f = (fixture = await releaseFixture());
    const git = (...args: string[]) => spawnSync("git", args, { cwd: f.root, encoding: "utf8" });
    git("init", "-q");
    const outcome = await f.release(["start", "staging", "web", "6.8.0", "--commit"]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.at(-1)).toMatch(
      /--commit: .*staging\.yaml has uncommitted changes; commit or discard them first/,
    );
    expect(f.harness.deploys()).toHaveLength(0);
  });
});
