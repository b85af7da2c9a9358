/**
 * The synth command's startup snapshot (bin/snapshot.cjs, bin/snapshot-entry.cjs, bin/synth.sh):
 * a synth from it writes byte for byte what the synth without it writes, and it is used only while
 * it was built from the program as it is: an edited source, a changed environment variable the
 * modules read when loaded, node options, PLATFORM_SYNTH_SNAPSHOT=0 or a blob Node cannot load all
 * run the program from `.build/synth/` instead, and an edit gets a new snapshot in the background.
 * Each test works on its own copy of the program.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ENVIRONMENTS_DIR, REPO_ROOT } from "../helpers";
import { copyOfProgram } from "../support/program-copy";
import { scaledEnvironments } from "../../bench/scale";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build script
const { withModulePaths } = require("../../bin/snapshot.cjs") as {
  withModulePaths: (text: string, path: string) => string;
};

const FROM_SNAPSHOT = "synth: from the startup snapshot\n";
const NOT_USED = /^synth: startup snapshot not used: (.*)$/m;

/** The environment of a synth with snapshots on (the suites turn them off, and so does CI). */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.PLATFORM_SYNTH_SNAPSHOT;
  delete env.CI;
  delete env.NODE_OPTIONS;
  return { ...env, PLATFORM_ENV_DIR: ENVIRONMENTS_DIR, PLATFORM_SYNTH_VERBOSE: "1", ...extra };
}

/** `npm run synth` of a copy: bin/synth.sh in a fresh working folder. */
function synth(dir: string, extra: Record<string, string> = {}, args: string[] = []) {
  const cwd = mkdtempSync(join(tmpdir(), "synth-snapshot-run-"));
  const result = spawnSync("sh", [join(dir, "bin/synth.sh"), ...args], {
    cwd,
    encoding: "utf8",
    env: environment(extra),
  });
  return { ...result, outdir: join(cwd, "cdktf.out") };
}

function buildSnapshot(dir: string, extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [join(dir, "bin/snapshot.cjs")], {
    cwd: dir,
    encoding: "utf8",
    env: environment(extra),
  });
  expect(result.stderr).toMatch(/warm-up: synthesized the environments once/);
  expect(result.status).toBe(0);
}

/** Every file of a folder, by relative path, with its content. */
function tree(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (path: string) => {
    if (statSync(path).isDirectory()) readdirSync(path).forEach((e) => visit(join(path, e)));
    else files[relative(root, path)] = readFileSync(path, "utf8");
  };
  visit(root);
  return files;
}

const meta = (dir: string) =>
  JSON.parse(readFileSync(join(dir, ".build/synth/snapshot/synth.json"), "utf8")) as {
    id: string;
    stamp: string;
    environmentRead: Record<string, string | null>;
  };

test.each([
  ["the shipped environments", {}],
  ["offline plan mode", { PLATFORM_OFFLINE: "1" }],
  ["3 generated environments of 3 apps", { generated: "3x3" }],
])(
  "%s: a synth from the snapshot writes byte for byte what the synth without it writes",
  (_name, options: Record<string, string>) => {
    const dir = copyOfProgram("synth-snapshot-");
    const { generated, ...extra } = options;
    if (generated) {
      const [environments, apps] = generated.split("x").map(Number);
      extra.PLATFORM_ENV_DIR = scaledEnvironments(REPO_ROOT, environments, apps);
    }
    buildSnapshot(dir, extra);
    const fromSnapshot = synth(dir, extra);
    expect(fromSnapshot.stderr).toContain(FROM_SNAPSHOT);
    expect(fromSnapshot.status).toBe(0);
    const without = synth(dir, { ...extra, PLATFORM_SYNTH_SNAPSHOT: "0" });
    expect(without.status).toBe(0);
    expect(without.stderr).not.toContain("startup snapshot");
    expect(tree(fromSnapshot.outdir)).toEqual(tree(without.outdir));
    // the summary too, but for the time it took
    const untimed = (stdout: string) => stdout.replace(/ in [\d.]+ s\n$/, "");
    expect(untimed(fromSnapshot.stdout)).toBe(untimed(without.stdout));
    expect(fromSnapshot.stdout).toContain("Policy: ");
  },
  120_000,
);

test("--main (cdktf.json's app) runs main.ts from the snapshot", () => {
  const dir = copyOfProgram("synth-snapshot-");
  buildSnapshot(dir);
  const result = synth(dir, {}, ["--main"]);
  expect(result.status).toBe(0);
  expect(result.stderr).toContain(FROM_SNAPSHOT);
  expect(result.stdout).toBe(""); // main.ts prints no summary
  expect(readdirSync(join(result.outdir, "stacks")).sort()).toEqual([
    "dev-infrastructure",
    "dev-workloads",
    "prod-infrastructure",
    "prod-workloads",
    "staging-infrastructure",
    "staging-workloads",
  ]);
}, 120_000);

test("an edited source: the synth runs without the snapshot (with the edit), builds a new one in the background, and the next synth starts from it", async () => {
  const dir = copyOfProgram("synth-snapshot-");
  buildSnapshot(dir);
  const before = meta(dir);
  const summary = join(dir, "scripts/lib/summary.ts");
  writeFileSync(
    summary,
    readFileSync(summary, "utf8").replace("resources in", "resources (edited) in"),
  );
  // newer than the snapshot: bin/synth.sh runs bin/synth.cjs at once
  const edited = synth(dir);
  expect(edited.status).toBe(0);
  expect(edited.stderr).not.toContain("startup snapshot");
  expect(edited.stderr).toMatch(/^synth: rebuilt 1 files; /m);
  expect(edited.stdout).toMatch(/^prod-infrastructure: \d+ resources \(edited\) in/m);
  // the background build: a new snapshot, then the lock it held is gone
  const lock = join(dir, ".build/synth/snapshot/.lock");
  for (let waited = 0; waited < 90_000; waited += 250) {
    if (meta(dir).id !== before.id && !existsSync(lock)) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  expect(meta(dir).id).not.toBe(before.id);
  expect(meta(dir).stamp).not.toBe(before.stamp);
  const next = synth(dir);
  expect(next.stderr).toContain(FROM_SNAPSHOT);
  expect(next.stdout).toMatch(/^prod-infrastructure: \d+ resources \(edited\) in/m);
}, 150_000);

test("a changed source that is not newer than the snapshot (an old modification time) is found by its stamp: the snapshot hands over", () => {
  const dir = copyOfProgram("synth-snapshot-");
  buildSnapshot(dir);
  const summary = join(dir, "scripts/lib/summary.ts");
  writeFileSync(
    summary,
    readFileSync(summary, "utf8").replace("resources in", "resources (edited) in"),
  );
  const long = new Date("2020-01-01T00:00:00Z");
  utimesSync(summary, long, long);
  const result = synth(dir);
  expect(result.status).toBe(0);
  expect(NOT_USED.exec(result.stderr)?.[1]).toBe(
    "built from other sources (a source, the installed packages or Node changed)",
  );
  expect(result.stdout).toMatch(/^prod-infrastructure: \d+ resources \(edited\) in/m);
}, 120_000);

test("bin/synth.sh looks for newer files among exactly the program's sources and bin/", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS build script
  const { SOURCES } = require("../../bin/program.cjs") as { SOURCES: string[] };
  const script = readFileSync(join(REPO_ROOT, "bin/synth.sh"), "utf8");
  const listed = /find ([^\\\n]+)\\\n/.exec(script)?.[1].trim().split(/\s+/);
  expect(listed).toEqual([...SOURCES, "bin"]);
});

test("not used when an environment variable read while the modules loaded has changed, with node options, or when turned off", () => {
  const dir = copyOfProgram("synth-snapshot-");
  buildSnapshot(dir, { PLATFORM_SYNTH_SNAPSHOT: "1" });
  const read = meta(dir).environmentRead;
  // cdktf reads TERRAFORM_BINARY_NAME when its util module loads
  expect(read).toHaveProperty("TERRAFORM_BINARY_NAME", null);
  const changed = synth(dir, { TERRAFORM_BINARY_NAME: "tofu" });
  expect(changed.status).toBe(0);
  expect(NOT_USED.exec(changed.stderr)?.[1]).toBe(
    "TERRAFORM_BINARY_NAME changed since it was built",
  );
  // cdktf's CLI sets NODE_OPTIONS to --max-old-space-size=4096 when it is empty: dropped
  const cdktf = synth(dir, { NODE_OPTIONS: "--max-old-space-size=4096" });
  expect(cdktf.status).toBe(0);
  expect(cdktf.stderr).toContain(FROM_SNAPSHOT);
  // other V8 flags in NODE_OPTIONS would not match the snapshot's: bin/synth.sh does not try it
  const options = synth(dir, { NODE_OPTIONS: "--max-old-space-size=2048" });
  expect(options.status).toBe(0);
  expect(options.stderr).not.toContain("startup snapshot");
  expect(options.stderr).toMatch(/^synth: rebuilt 0 files; /m);
  const off = synth(dir, { PLATFORM_SYNTH_SNAPSHOT: "0" });
  expect(off.stderr).not.toContain("startup snapshot");
  // run directly with a node option: the snapshot hands over to bin/synth.cjs
  const direct = spawnSync(
    process.execPath,
    [
      "--snapshot-blob",
      join(dir, ".build/synth/snapshot/synth.blob"),
      "--enable-source-maps",
      join(dir, "bin/synth.cjs"),
    ],
    {
      cwd: mkdtempSync(join(tmpdir(), "synth-snapshot-run-")),
      encoding: "utf8",
      env: environment(),
    },
  );
  expect(direct.status).toBe(0);
  expect(NOT_USED.exec(direct.stderr)?.[1]).toBe("node options --enable-source-maps");
}, 120_000);

test("a snapshot this Node cannot load (exit 14) is skipped: the synth runs without it", () => {
  const dir = copyOfProgram("synth-snapshot-");
  buildSnapshot(dir);
  // a snapshot built with a V8 flag: Node refuses it without that flag, before running anything
  const work = mkdtempSync(join(tmpdir(), "synth-snapshot-"));
  writeFileSync(
    join(work, "entry.cjs"),
    'require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {});\n',
  );
  const build = spawnSync(
    process.execPath,
    [
      "--max-semi-space-size=32",
      "--snapshot-blob",
      join(dir, ".build/synth/snapshot/synth.blob"),
      "--build-snapshot",
      join(work, "entry.cjs"),
    ],
    { cwd: work, encoding: "utf8", env: environment() },
  );
  expect(build.status).toBe(0);
  const result = synth(dir);
  expect(result.status).toBe(0);
  expect(result.stderr).toContain("Failed to load the startup snapshot");
  expect(result.stderr).toMatch(/^synth: rebuilt 0 files; /m);
  expect(result.stdout).toContain("Synthesized 6 stacks for 3 environments");
}, 120_000);

test("each bundled module keeps its own __dirname and __filename, after its #! line and 'use strict'", () => {
  const path = "/x/y/z.js";
  expect(withModulePaths("module.exports = 1;\n", path)).toBe("module.exports = 1;\n");
  expect(withModulePaths('"use strict";\nrequire(__dirname + "/a");\n', path)).toBe(
    '"use strict";\nvar __dirname = "/x/y";\nrequire(__dirname + "/a");\n',
  );
  expect(
    withModulePaths("#!/usr/bin/env node\n'use strict';\nrun(__filename, __dirname);\n", path),
  ).toBe(
    '#!/usr/bin/env node\n\'use strict\';\nvar __dirname = "/x/y", __filename = "/x/y/z.js";\nrun(__filename, __dirname);\n',
  );
});

test("a synth loads no TLS or HTTP client module (so bin/synth.sh may start Node without NODE_EXTRA_CA_CERTS)", () => {
  const dir = copyOfProgram("synth-snapshot-");
  const probe = [
    `process.argv.splice(1, 0, ${JSON.stringify(join(dir, "bin/synth.cjs"))});`,
    `process.on("exit", () => process.stderr.write("modules: " + process.moduleLoadList.join(",") + "\\n"));`,
    `require(process.argv[1]);`,
  ].join("\n");
  const result = spawnSync(process.execPath, ["-e", probe], {
    cwd: mkdtempSync(join(tmpdir(), "synth-snapshot-run-")),
    encoding: "utf8",
    env: environment({ PLATFORM_SYNTH_SNAPSHOT: "0" }),
  });
  expect(result.status).toBe(0);
  const modules = /^modules: (.*)$/m.exec(result.stderr)?.[1].split(",") ?? [];
  expect(modules).toContain("NativeModule fs"); // the probe saw the module list
  expect(modules.filter((m) => /^NativeModule (tls|https|http|http2|_tls_wrap)$/.test(m))).toEqual(
    [],
  );
  expect(readFileSync(join(dir, "bin/synth.sh"), "utf8")).toMatch(/^unset NODE_EXTRA_CA_CERTS$/m);
}, 60_000);

test("a copied or moved checkout does not use the snapshot built for the old folder", () => {
  const dir = copyOfProgram("synth-snapshot-");
  buildSnapshot(dir);
  const moved = mkdtempSync(join(tmpdir(), "synth-snapshot-moved-"));
  // cp -a keeps every modification time to the nanosecond: nothing looks edited
  expect(spawnSync("cp", ["-a", `${dir}/.`, moved]).status).toBe(0);
  const result = synth(moved);
  expect(result.status).toBe(0);
  expect(NOT_USED.exec(result.stderr)?.[1]).toBe(`built for ${dir}`);
  expect(result.stdout).toContain("Synthesized 6 stacks for 3 environments");
}, 120_000);
