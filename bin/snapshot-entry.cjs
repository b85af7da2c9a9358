/**
 * What bin/snapshot.cjs bundles and runs under `node --build-snapshot`: it loads every module of
 * the synth program, warms them up with one synth (so the snapshot holds their compiled code), puts
 * cdktf's token registry back as the modules left it, and leaves `main` to run when a synth starts
 * from the snapshot. Built-in modules only at build time (Node's rule for snapshots); `require` is
 * a real one again once `main` runs.
 */
"use strict";
const { createRequire } = require("node:module");
const { mkdtempSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join, resolve } = require("node:path");
const v8 = require("node:v8");

const building = v8.startupSnapshot.isBuildingSnapshot();
const SNAPSHOT_ID = process.env.PLATFORM_SNAPSHOT_ID;

// the environment variables the modules read while they load: their values are baked into the
// heap, so the snapshot is used only while they are unchanged
const environment = process.env;
const environmentRead = new Set();
process.env = new Proxy(environment, {
  get(target, key) {
    if (typeof key === "string") environmentRead.add(key);
    return Reflect.get(target, key);
  },
  has(target, key) {
    if (typeof key === "string") environmentRead.add(key);
    return Reflect.has(target, key);
  },
});
const program = require("./program.cjs");
const snapshot = require("./snapshot.cjs");
const stackTrace = require("cdktf/lib/tokens/private/stack-trace");
const { buildApp } = require("../.build/synth/stacks/app.js");
const { synthesizeWithPolicy } = require("../.build/synth/policy/synth.js");
const { cacheParsedEnvironments } = require("../.build/synth/config/load.js");
require("../.build/synth/stacks/run.js");
require("../.build/synth/policy/rules/index.js");
require("../.build/synth/scripts/lib/summary.js");
process.env = environment;
const environmentAtLoad = Object.fromEntries(
  [...environmentRead].sort().map((key) => [key, environment[key] ?? null]),
);

// cdktf captures a stack trace for every token (bin/fast-load.cjs noTokenStackTraces)
const captureStackTrace = stackTrace.captureStackTrace;
stackTrace.captureStackTrace = () => [];

const WARMED_UP = "synthesized the environments once";

/** cdktf's token registry (cdktf/lib/tokens/private/token-map.js keeps it on the global object). */
const tokenMap = () => globalThis.__cdktfTokenMap;

/**
 * One synth of the environments into a temporary folder, so that the functions it runs are
 * compiled into the snapshot; then the tokens it registered are removed and the counter put back,
 * so that a synth from the snapshot numbers its tokens as a fresh process would.
 */
function warmUp(environmentDirectory) {
  const map = tokenMap();
  const before = map && {
    counter: map.tokenCounter,
    strings: new Set(map.stringTokenMap.keys()),
    numbers: new Set(map.numberTokenMap.keys()),
  };
  const outdir = mkdtempSync(join(tmpdir(), "platform-snapshot-warm-up-"));
  const builtIns = require;
  // eslint-disable-next-line no-global-assign -- the synth resolves files in node_modules
  require = createRequire(join(program.ROOT, "bin", "synth.cjs"));
  try {
    const { app } = buildApp({ environmentDirectory, outdir, today: "2026-01-01" });
    synthesizeWithPolicy(app);
    return WARMED_UP;
  } catch (error) {
    return `skipped (${String(error.message ?? error).split("\n")[0]})`;
  } finally {
    // eslint-disable-next-line no-global-assign -- as Node gave it to the snapshot builder
    require = builtIns;
    rmSync(outdir, { recursive: true, force: true });
    const after = tokenMap();
    if (before) {
      for (const key of [...after.stringTokenMap.keys()])
        if (!before.strings.has(key)) after.stringTokenMap.delete(key);
      for (const key of [...after.numberTokenMap.keys()])
        if (!before.numbers.has(key)) after.numberTokenMap.delete(key);
      after.tokenCounter = before.counter;
    } else delete globalThis.__cdktfTokenMap;
  }
}

/** Why the snapshot cannot run this synth (undefined when it can). */
function unusable() {
  if (!snapshot.snapshotsEnabled()) return "PLATFORM_SYNTH_SNAPSHOT=0 or CI";
  // any node option but a profiler's gets the program as Node loads it (source maps, a preload, an
  // inspector, a loader)
  const options = process.execArgv.filter(
    (flag, i, all) =>
      !/^--(snapshot-blob|cpu-prof|heap-prof)/.test(flag) && all[i - 1] !== "--snapshot-blob",
  );
  if (options.length > 0) return `node options ${options.join(" ")}`;
  if (resolve(process.argv[1] ?? "") !== join(program.ROOT, "bin", "synth.cjs"))
    return `built for ${program.ROOT}`; // the folder was moved or copied
  const meta = snapshot.freshSnapshot();
  if (!meta) return "built from other sources (a source, the installed packages or Node changed)";
  if (meta.id !== SNAPSHOT_ID) return "its file was replaced";
  for (const [key, value] of Object.entries(environmentAtLoad))
    if ((process.env[key] ?? null) !== value) return `${key} changed since it was built`;
  return undefined;
}

function main() {
  const reason = unusable();
  if (reason) {
    if (process.env.PLATFORM_SYNTH_VERBOSE)
      process.stderr.write(`synth: startup snapshot not used: ${reason}\n`);
    // the synth as without a snapshot, the bin/synth.cjs bin/synth.sh named (which builds a new
    // snapshot in the background)
    createRequire(resolve(process.argv[1]))(resolve(process.argv[1]));
    return;
  }
  // eslint-disable-next-line no-global-assign -- the bundle's require: built-ins only until now
  require = createRequire(join(program.ROOT, "bin", "synth.cjs"));
  const verbose = Boolean(process.env.PLATFORM_SYNTH_VERBOSE);
  if (process.env.PLATFORM_SYNTH_STACK_TRACES) stackTrace.captureStackTrace = captureStackTrace;
  if (verbose)
    process.once("exit", () => process.stderr.write("synth: from the startup snapshot\n"));
  cacheParsedEnvironments(join(program.OUT, ".yaml-cache"));
  if (process.argv[2] === "--main") {
    process.argv.splice(2, 1);
    require("../.build/synth/main.js");
  } else require("../.build/synth/scripts/synth.js");
}

if (building) {
  const warmUpResult = process.env.PLATFORM_SNAPSHOT_WARM_UP
    ? warmUp(process.env.PLATFORM_SNAPSHOT_WARM_UP)
    : "none";
  writeFileSync(
    join(process.cwd(), "report.json"),
    JSON.stringify({
      warmedUp: warmUpResult === WARMED_UP,
      warmUp: warmUpResult,
      environmentRead: environmentAtLoad,
    }),
  );
  v8.startupSnapshot.setDeserializeMainFunction(main);
} else {
  main(); // the bundle run as a plain script (bin/snapshot.cjs's tests): the same program
}
