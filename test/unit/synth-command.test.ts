import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENVIRONMENTS_DIR, REPO_ROOT, environmentFolder, rawEnvironment } from "../helpers";

/** Runs `npm run synth` (bin/synth.cjs: scripts/synth.ts, precompiled) in a fresh working directory. */
function runSynth(envDir: string, extraEnv: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "platform-synth-"));
  const result = spawnSync(process.execPath, [join(REPO_ROOT, "bin/synth.cjs")], {
    cwd,
    env: { ...process.env, PLATFORM_ENV_DIR: envDir, ...extraEnv },
    encoding: "utf8",
  });
  return { ...result, cwd };
}

describe("npm run synth", () => {
  test("writes every environment's infrastructure stack and prints a summary per stack", () => {
    // a fixed day: the shipped versions are in standard support then, so nothing is warned
    const { status, stdout, stderr, cwd } = runSynth(ENVIRONMENTS_DIR, {
      PLATFORM_TODAY: "2026-12-01",
    });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(readdirSync(join(cwd, "cdktf.out/stacks")).sort()).toEqual(
      expect.arrayContaining([
        "dev-infrastructure",
        "prod-infrastructure",
        "staging-infrastructure",
      ]),
    );
    expect(stdout).toMatch(/^prod-infrastructure: \d+ resources in \d+ types/m);
    expect(stdout).toMatch(/^ {2}aws_subnet +9$/m);
    expect(stdout).toMatch(/Synthesized \d+ stacks for 3 environments \(normal mode\)/);
  }, 60_000);

  test("prints a warning to stderr, and still succeeds, for a version out of standard support", () => {
    const prod = rawEnvironment("prod") as Record<string, any>;
    prod.cluster.kubernetesVersion = "1.32";
    // External Secrets Operator 2.8 (secrets, the database bootstrap, receiver keys) is not tested on 1.32 (refused)
    delete prod.apps.web.secrets;
    delete prod.apps.web.database;
    delete prod.apps.web.migrations;
    delete prod.monitoring; // the alert receivers' keys too
    const { status, stderr } = runSynth(environmentFolder({ prod }), {
      PLATFORM_TODAY: "2026-12-01",
    });
    expect(status).toBe(0);
    expect(stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^Warning: .*prod\.yaml: cluster\.kubernetesVersion: "1\.32" is out of EKS standard support since 2026-03-23: .*next 1\.33/,
      ),
    ]);
  }, 60_000);

  test("fails on a bad environment file with one complete message and writes nothing", () => {
    const prod = rawEnvironment("prod") as Record<string, any>;
    prod.network.cidr = "10.30.0.0/33";
    prod.account = "42";
    const dir = environmentFolder({ prod, dev: rawEnvironment("dev") });
    const { status, stdout, stderr, cwd } = runSynth(dir);
    expect(status).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim().split("\n")).toEqual([
      "Invalid environment configuration: 2 problems in 1 file",
      expect.stringMatching(
        /prod\.yaml: account: received "42"; expected a 12-digit AWS account id/,
      ),
      expect.stringMatching(
        /prod\.yaml: network\.cidr: received "10\.30\.0\.0\/33"; expected an IPv4 CIDR block/,
      ),
    ]);
    expect(existsSync(join(cwd, "cdktf.out"))).toBe(false);
  }, 60_000);
});
