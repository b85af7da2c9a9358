#!/usr/bin/env node
/**
 * The synth command's startup snapshot: the whole program (cdktf, the providers, our constructs
 * and policy pack) bundled with esbuild, loaded and warmed up by one synth, and saved as a V8
 * heap (`node --build-snapshot`). `node --snapshot-blob` starts from that heap, so a synth skips
 * reading, compiling and initializing its 450 modules (bin/synth.sh runs it; bin/snapshot-entry.cjs
 * is what is bundled).
 *
 * The snapshot is only ever a faster way to run the same program: it is used while it was built
 * from the sources as they are (every source's stamp, the installed packages and Node's version,
 * bin/program.cjs `programStamp`) and while the environment variables the modules read when they
 * were loaded have the values they had then; otherwise the synth runs from `.build/synth/` as
 * before and a new snapshot is built in the background for the next run.
 *
 * `node bin/snapshot.cjs` builds it now (progress on stderr); `--background` is the quiet form
 * that bin/synth.cjs starts, which holds `.lock` while it builds. PLATFORM_SYNTH_SNAPSHOT=0 turns
 * the snapshot off (neither used nor built), and so does CI (a fresh checkout synthesizes once).
 */
"use strict";
const { spawn, spawnSync } = require("node:child_process");
const { createHash, randomBytes } = require("node:crypto");
const {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} = require("node:fs");
const { dirname, join, resolve } = require("node:path");
const {
  OUT,
  ROOT,
  programSources,
  programStamp,
  refresh,
  writeAtomically,
} = require("./program.cjs");

const DIRECTORY = join(OUT, "snapshot");
/** The V8 heap, and what it was built from. */
const BLOB = join(DIRECTORY, "synth.blob");
const META = join(DIRECTORY, "synth.json");
const LOCK = join(DIRECTORY, ".lock");
/** A lock older than this is left over from a build that died. */
const LOCK_EXPIRES_MS = 5 * 60 * 1000;
const FORMAT = 1; // bump when what the snapshot holds changes: every snapshot is rebuilt

/**
 * What a snapshot is built from: the program (bin/program.cjs `programStamp`) and every file of
 * bin/, which holds the code bundled with it (bin/synth.sh tests the same files for a newer one).
 */
function snapshotStamp(sources = programSources()) {
  const hash = createHash("sha1").update(programStamp(sources));
  for (const file of readdirSync(__dirname).sort()) {
    const stat = statSync(join(__dirname, file));
    if (stat.isFile()) hash.update(`\0bin/${file}\0${stat.size}:${stat.mtimeMs}`);
  }
  return hash.digest("base64");
}

/** Whether snapshots are used and built here (PLATFORM_SYNTH_SNAPSHOT=0 or CI: no). */
function snapshotsEnabled(env = process.env) {
  return env.PLATFORM_SYNTH_SNAPSHOT !== "0" && !env.CI;
}

/** The metadata of the snapshot on disk, when it was built from the program as it is now. */
function freshSnapshot(sources = programSources()) {
  let meta;
  try {
    meta = JSON.parse(readFileSync(META, "utf8"));
  } catch {
    return undefined;
  }
  if (meta.format !== FORMAT || meta.stamp !== snapshotStamp(sources) || !existsSync(BLOB))
    return undefined;
  return meta;
}

/** Takes `.lock` (false when a live build holds it). */
function takeLock() {
  mkdirSync(DIRECTORY, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch {
      const stat = statSync(LOCK, { throwIfNoEntry: false });
      if (stat && Date.now() - stat.mtimeMs < LOCK_EXPIRES_MS) return false;
      rmSync(LOCK, { force: true });
    }
  }
  return false;
}

/**
 * Starts a build in a background process of its own (detached, no output) unless snapshots are
 * off, the one on disk is fresh, or a build is under way. Returns whether it started one.
 */
function rebuildInBackground(sources) {
  if (!snapshotsEnabled() || freshSnapshot(sources)) return false;
  try {
    require.resolve("esbuild", { paths: [ROOT] });
  } catch {
    return false; // an install without dev dependencies: no bundler, no snapshot
  }
  if (!takeLock()) return false;
  // the environments this synth read warm the snapshot up; V8 flags would be baked into it
  const env = { ...process.env, PLATFORM_ENV_DIR: warmUpEnvironments() };
  delete env.NODE_OPTIONS;
  try {
    spawn(process.execPath, [join(__dirname, "snapshot.cjs"), "--background"], {
      cwd: ROOT,
      detached: true,
      stdio: "ignore",
      env,
    }).unref();
    return true;
  } catch {
    rmSync(LOCK, { force: true });
    return false;
  }
}

/** Where `__dirname` and `__filename` of a module are declared in its bundled copy. */
function withModulePaths(text, path) {
  const names = [];
  if (/\b__dirname\b/.test(text)) names.push(`__dirname = ${JSON.stringify(dirname(path))}`);
  if (/\b__filename\b/.test(text)) names.push(`__filename = ${JSON.stringify(path)}`);
  if (names.length === 0) return text;
  const declaration = `var ${names.join(", ")};\n`;
  // after a "#!" line and a "use strict" directive, which have to come first
  const prologue = /^(#![^\n]*\n)?(\s*(["'])use strict\3;?[^\S\n]*\n?)?/.exec(text)[0];
  return `${prologue}${declaration}${text.slice(prologue.length)}`;
}

/**
 * esbuild's plugin for what bundling changes: each module keeps its own `__dirname` and
 * `__filename` (the constructs read files next to them); cdktf's json-stable-stringify is the fast
 * one of bin/fast-load.cjs (when it is 1.3.0's); archiver, which cdktf requires at load for
 * ARCHIVE assets only, is loaded from node_modules when first used.
 */
function bundlePlugin() {
  const fastLoad = join(__dirname, "fast-load.cjs");
  const { isStableStringify130 } = require(fastLoad);
  return {
    name: "platform-synth",
    setup(build) {
      build.onResolve({ filter: /^json-stable-stringify$/ }, ({ resolveDir }) => {
        const real = require.resolve("json-stable-stringify", { paths: [resolveDir] });
        if (!isStableStringify130(real)) return undefined;
        return { path: real, namespace: "platform-stable-stringify" };
      });
      build.onLoad({ filter: /.*/, namespace: "platform-stable-stringify" }, ({ path }) => ({
        contents: [
          `const { stableStringifyFor } = require(${JSON.stringify(fastLoad)});`,
          `module.exports = stableStringifyFor(() => require(${JSON.stringify(path)}));`,
        ].join("\n"),
        resolveDir: dirname(path),
        loader: "js",
      }));
      build.onResolve({ filter: /^archiver$/ }, ({ resolveDir }) => ({
        path: resolveDir,
        namespace: "platform-lazy-archiver",
      }));
      build.onLoad({ filter: /.*/, namespace: "platform-lazy-archiver" }, ({ path }) => ({
        contents: [
          `const { createRequire } = require("node:module");`,
          `let real;`,
          `const load = () => (real ??= createRequire(${JSON.stringify(join(path, "index.js"))})("archiver"));`,
          `module.exports = new Proxy(function archiver() {}, {`,
          `  apply: (_target, self, args) => Reflect.apply(load(), self, args),`,
          `  get: (_target, key) => load()[key],`,
          `  has: (_target, key) => key in load(),`,
          `});`,
        ].join("\n"),
        loader: "js",
      }));
      build.onLoad({ filter: /\.c?js$/ }, ({ path }) => ({
        contents: withModulePaths(readFileSync(path, "utf8"), path),
        loader: "js",
      }));
    },
  };
}

/** The environment folder the snapshot's warm-up synthesizes: the synth's (config/load.ts). */
const warmUpEnvironments = () => resolve(process.env.PLATFORM_ENV_DIR ?? "environments");

/**
 * Builds the snapshot: `.build/synth/` brought up to date, bundled, loaded and warmed up in
 * `node --build-snapshot`, then moved into place with its metadata. Returns what it did; throws
 * with the builder's output when it fails (the snapshot on disk is then left as it was).
 */
async function buildSnapshot(log = () => {}) {
  const started = Date.now();
  const { sources } = refresh();
  const stamp = snapshotStamp(sources);
  const id = randomBytes(8).toString("hex");
  mkdirSync(DIRECTORY, { recursive: true });
  const work = mkdtempSync(join(DIRECTORY, ".build-"));
  try {
    const bundle = join(work, "bundle.cjs");
    const esbuild = require(require.resolve("esbuild", { paths: [ROOT] }));
    await esbuild.build({
      entryPoints: [join(__dirname, "snapshot-entry.cjs")],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      outfile: bundle,
      plugins: [bundlePlugin()],
      external: ["esbuild", "@swc/core"],
      legalComments: "none",
      logLevel: "silent",
    });
    const bundled = Date.now();
    log(`snapshot: bundled the program in ${((bundled - started) / 1000).toFixed(1)} s`);
    const blob = join(work, "synth.blob");
    const env = {
      ...process.env,
      PLATFORM_SNAPSHOT_ID: id,
      PLATFORM_SNAPSHOT_WARM_UP: warmUpEnvironments(),
    };
    delete env.NODE_OPTIONS;
    const result = spawnSync(
      process.execPath,
      ["--snapshot-blob", blob, "--build-snapshot", bundle],
      { cwd: work, env, encoding: "utf8" },
    );
    if (result.status !== 0 || !existsSync(blob))
      throw new Error(
        `node --build-snapshot failed (exit ${result.status ?? result.signal}):\n${result.stderr}`,
      );
    const report = JSON.parse(readFileSync(join(work, "report.json"), "utf8"));
    // without a warm-up a snapshot is no faster than the synth without one
    if (!report.warmedUp) throw new Error(`the warm-up synth failed: ${report.warmUp}`);
    const size = statSync(blob).size;
    renameSync(blob, BLOB);
    const meta = {
      format: FORMAT,
      id,
      stamp,
      node: process.version,
      builtAt: new Date().toISOString(),
      bytes: size,
      warmUp: report.warmUp,
      environmentRead: report.environmentRead,
    };
    writeAtomically(META, `${JSON.stringify(meta, null, 2)}\n`);
    log(
      `snapshot: built ${BLOB} (${(size / 1e6).toFixed(0)} MB) in ${((Date.now() - bundled) / 1000).toFixed(1)} s; warm-up: ${report.warmUp}`,
    );
    return meta;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// run as a command (never inside the bundle, whose modules have no id)
if (module.id === ".") {
  const background = process.argv[2] === "--background";
  // the lock bin/synth.cjs took for this build goes when it ends, however it ends
  if (background) process.once("exit", () => rmSync(LOCK, { force: true }));
  const log = background ? () => {} : (line) => process.stderr.write(`${line}\n`);
  buildSnapshot(log).catch((error) => {
    if (!background) process.stderr.write(`snapshot: ${error.message}\n`);
    process.exitCode = 1;
  });
}

module.exports = {
  BLOB,
  FORMAT,
  META,
  buildSnapshot,
  freshSnapshot,
  rebuildInBackground,
  snapshotsEnabled,
  withModulePaths,
};
