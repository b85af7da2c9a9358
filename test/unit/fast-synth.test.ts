/**
 * bin/synth.cjs, the synth command's fast path: it keeps `.build/synth/` (the program transpiled by
 * swc) fresh by itself, rebuilding exactly the sources that changed, and runs plain node on it.
 * Tested on a copy of the program, so editing a source does not touch the repository.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ENVIRONMENTS_DIR, REPO_ROOT } from "../helpers";
import { copyOfProgram } from "../support/program-copy";

function synth(dir: string, args: string[] = [], extra: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "fast-synth-run-"));
  return spawnSync(process.execPath, [join(dir, "bin/synth.cjs"), ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      PLATFORM_ENV_DIR: ENVIRONMENTS_DIR,
      PLATFORM_OFFLINE: "1",
      PLATFORM_SYNTH_VERBOSE: "1",
      ...extra,
    },
  });
}

test("builds everything once, then nothing; an edited source is rebuilt alone and takes effect; a removed one loses its output", () => {
  const dir = copyOfProgram("fast-synth-");
  /** PLATFORM_SYNTH_VERBOSE's line: files transpiled, modules from the load cache or compiled. */
  const counts = (stderr: string) => {
    const m =
      /^synth: rebuilt (\d+) files; modules: (\d+) from the cache, (\d+) compiled, (\d+) resolutions cached\n$/.exec(
        stderr,
      );
    if (!m) throw new Error(`unexpected output: ${stderr}`);
    const [rebuilt, cached, compiled, resolved] = m.slice(1).map(Number);
    return { rebuilt, cached, compiled, resolved };
  };
  const first = synth(dir);
  expect(first.status).toBe(0);
  const built = counts(first.stderr);
  expect(built.rebuilt).toBeGreaterThan(100);
  expect(built.cached).toBe(0);
  expect(first.stdout).toContain("Synthesized 6 stacks for 3 environments (offline plan mode)");
  // the local Helm charts, read by path at synthesis, are copied next to the compiled constructs
  for (const file of ["Chart.yaml", "templates/_helpers.tpl", "templates/externalsecrets.yaml"])
    expect(existsSync(join(dir, ".build/synth/constructs/charts/namespace-secrets", file))).toBe(
      true,
    );

  // nothing to transpile; every module's text and code, and most resolutions, from the load cache
  const second = synth(dir);
  expect(second.status).toBe(0);
  const unchanged = counts(second.stderr);
  expect(unchanged).toEqual({
    rebuilt: 0,
    cached: built.compiled,
    compiled: 0,
    resolved: expect.any(Number),
  });
  expect(unchanged.resolved).toBeGreaterThan(built.resolved);

  const summary = join(dir, "scripts/lib/summary.ts");
  writeFileSync(
    summary,
    readFileSync(summary, "utf8").replace("resources in", "resources (edited) in"),
  );
  // the edited file alone is transpiled and compiled again; no resolution changes (same file list)
  const third = synth(dir);
  expect(counts(third.stderr)).toEqual({
    rebuilt: 1,
    cached: built.compiled - 1,
    compiled: 1,
    resolved: unchanged.resolved,
  });
  expect(third.stdout).toMatch(/^prod-infrastructure: \d+ resources \(edited\) in \d+ types/m);

  // a new file changes the file list: every require is resolved again
  writeFileSync(join(dir, "scripts/lib/unused.ts"), "export const unused = 1;\n");
  expect(counts(synth(dir).stderr).resolved).toBeLessThan(unchanged.resolved);
  expect(existsSync(join(dir, ".build/synth/scripts/lib/unused.js"))).toBe(true);
  rmSync(join(dir, "scripts/lib/unused.ts"));
  expect(synth(dir).status).toBe(0);
  expect(existsSync(join(dir, ".build/synth/scripts/lib/unused.js"))).toBe(false);
}, 120_000);

test("runs with V8 flags (NODE_OPTIONS) keep a load cache of their own: neither undoes the other's", () => {
  const dir = copyOfProgram("fast-synth-");
  const compiled = (result: { stderr: string }) =>
    Number(/ (\d+) compiled,/.exec(result.stderr)?.[1] ?? NaN);
  const flags = { NODE_OPTIONS: "--max-old-space-size=3000" };
  expect(compiled(synth(dir))).toBeGreaterThan(400);
  expect(compiled(synth(dir, [], flags))).toBeGreaterThan(400); // V8 rejects the other's code
  expect(compiled(synth(dir, [], flags))).toBe(0);
  expect(compiled(synth(dir))).toBe(0);
}, 120_000);

test("--main runs main.ts (cdktf.json's app, through bin/synth.sh): the same stacks, for cdktf's own CLI", () => {
  const dir = copyOfProgram("fast-synth-");
  const result = synth(dir, ["--main"]);
  expect(result.status).toBe(0);
  expect(JSON.parse(readFileSync(join(REPO_ROOT, "cdktf.json"), "utf8")).app).toBe(
    "sh bin/synth.sh --main",
  );
}, 120_000);

test("a source that does not parse stops with its name and writes no stack", () => {
  const dir = copyOfProgram("fast-synth-");
  writeFileSync(join(dir, "stacks/settings.ts"), "export const broken = ;\n");
  const result = synth(dir);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/^stacks\/settings\.ts: /);
  expect(result.stdout).toBe("");
}, 120_000);

test("environment files are parsed once: an unchanged file is read back from .build/synth/.yaml-cache, an edited one is parsed and checked again", () => {
  const dir = copyOfProgram("fast-synth-");
  const environments = mkdtempSync(join(tmpdir(), "fast-synth-env-"));
  cpSync(ENVIRONMENTS_DIR, environments, { recursive: true });
  const run = () => {
    const cwd = mkdtempSync(join(tmpdir(), "fast-synth-run-"));
    return spawnSync(process.execPath, [join(dir, "bin/synth.cjs")], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, PLATFORM_ENV_DIR: environments, PLATFORM_OFFLINE: "1" },
    });
  };
  const first = run();
  expect(first.status).toBe(0);
  const cache = join(dir, ".build/synth/.yaml-cache");
  expect(existsSync(cache)).toBe(true);
  const second = run();
  expect(second.status).toBe(0);
  expect(second.stdout.replace(/in [\d.]+ s\n$/, "")).toBe(
    first.stdout.replace(/in [\d.]+ s\n$/, ""),
  );
  // an edit is parsed and validated again: an invalid value is reported
  const dev = join(environments, "dev.yaml");
  writeFileSync(dev, readFileSync(dev, "utf8").replace(/^name: dev$/m, "name: Dev_1"));
  const third = run();
  expect(third.status).toBe(1);
  expect(third.stderr).toContain("name");
  // a file that does not parse is reported as before (and never cached)
  writeFileSync(dev, "name: dev\n  bad: [");
  for (const attempt of [run(), run()]) {
    expect(attempt.status).toBe(1);
    expect(attempt.stderr).toMatch(/dev\.yaml/);
  }
});
