/**
 * A release tool test fixture: a temp project with a copy of the staging environment file (fast
 * gates, steady state: no canary), the loopback harness playing its cluster, and `release(...)`
 * running the tool in-process against them.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { offlineReleaseBackends } from "../../release/backends";
import { releaseMain } from "../../release/cli";
import type { JournalEvent, ReleaseBackends } from "../../release/types";
import { ENVIRONMENTS_DIR } from "../helpers";
import { startReleaseHarness, type Behaviour, type ReleaseHarness } from "./release-harness";

/** The shipped staging file (comments and all), with no canary and gates fast enough for tests. */
export function stagingForTests(): string {
  const doc = parseDocument(readFileSync(join(ENVIRONMENTS_DIR, "staging.yaml"), "utf8"));
  doc.setIn(["apps", "web", "release", "canaryWeight"], 0);
  const health = { consecutive: 3, interval: "20ms", timeout: "2s", requestTimeout: "1s" };
  doc.setIn(["apps", "web", "gates", "health"], doc.createNode(health, { flow: true }));
  // no Prometheus here: the metric gate has its own tests against a real server
  doc.setIn(["apps", "web", "gates", "metrics"], false);
  const rollout = { steps: [10], bake: "0s", bakeInterval: "20ms" };
  doc.setIn(["apps", "web", "rollout"], doc.createNode(rollout, { flow: true }));
  return doc.toString({ lineWidth: 0 });
}

/** What a release command printed and returned. */
export interface ReleaseOutcome {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** The fixture. */
export interface ReleaseFixture {
  readonly root: string;
  readonly envDir: string;
  readonly file: string;
  readonly harness: ReleaseHarness;
  /** The environment file's text now. */
  text(): string;
  /** Runs `npm run release -- <argv>` in-process (gates go to the fake ALB unless told). */
  release(
    argv: string[],
    options?: {
      baseUrl?: boolean;
      kube?: boolean;
      lockTtlMs?: number;
      /** Backends to add or replace (traffic verifier, backup, CDN, notifier). */
      extra?: Partial<ReleaseBackends>;
      /** The metric gate's shortest query range (the test Prometheus scrapes every second). */
      metricsMinRangeSeconds?: number;
    },
  ): Promise<ReleaseOutcome>;
  /** The journal's events. */
  journal(): JournalEvent[];
  stop(): Promise<void>;
}

/** The environment variables that point `npm run release` (its own process) at a fixture. */
export function releaseCliEnvironment(f: ReleaseFixture): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PLATFORM_OFFLINE: "1",
    PLATFORM_ENV_DIR: f.envDir,
    PLATFORM_DEPLOY_COMMAND: f.harness.deployCommand,
    PLATFORM_KUBE_API: f.harness.kubeApiUrl,
    PLATFORM_KUBE_TOKEN: f.harness.token,
  };
}

/** Starts a fixture; `edit` changes the file text before the harness seeds the cluster from it. */
export async function releaseFixture(
  behaviours: Record<string, Behaviour> = {},
  edit: (text: string) => string = (t) => t,
): Promise<ReleaseFixture> {
  const root = mkdtempSync(join(tmpdir(), "release-flow-"));
  const envDir = join(root, "environments");
  mkdirSync(envDir);
  const file = join(envDir, "staging.yaml");
  writeFileSync(file, edit(stagingForTests()));
  const harness = await startReleaseHarness({
    environmentDirectory: envDir,
    stateDirectory: join(root, "cdktf.out", "stacks"),
    recordDirectory: join(root, "deploys"),
    behaviours,
  });
  await harness.seed();
  const journalPath = join(root, ".release", "staging-web.jsonl");
  return {
    root,
    envDir,
    file,
    harness,
    text: () => readFileSync(file, "utf8"),
    journal: () =>
      existsSync(journalPath)
        ? readFileSync(journalPath, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as JournalEvent)
        : [],
    async release(argv, options = {}) {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await releaseMain(
        [...argv, ...(options.baseUrl === false ? [] : ["--base-url", harness.albUrl])],
        {
          cwd: root,
          environmentDirectory: envDir,
          offline: true,
          deployCommand: harness.deployCommand,
          actor: "tester",
          lockTtlMs: options.lockTtlMs,
          metricsMinRangeSeconds: options.metricsMinRangeSeconds,
          backends: async (env, app) => ({
            ...offlineReleaseBackends(env, app, root),
            kubernetes: async () =>
              options.kube === false
                ? undefined
                : { server: harness.kubeApiUrl, token: async () => harness.token },
            ...options.extra,
          }),
          stdout: (line) => stdout.push(line),
          stderr: (line) => stderr.push(line),
        },
      );
      return { code, stdout, stderr };
    },
    stop: () => harness.stop(),
  };
}
