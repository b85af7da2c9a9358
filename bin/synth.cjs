#!/usr/bin/env node
/**
 * The synth command users run: `npm run synth` (scripts/synth.ts) and cdktf.json's app, so also
 * `npx cdktf synth` (main.ts, with `--main`). It runs the program from `.build/synth/`, a
 * JavaScript mirror of the TypeScript sources kept fresh here: before each run, every source whose
 * size or modification time changed since the last run is transpiled again with swc (types
 * stripped, no type-check: `npm test` type-checks), and removed sources lose their output. Plain
 * `node` then loads the compiled files: no TypeScript compiler on the synth path. Next to them:
 * `.load-cache` (each module's text, compiled code and resolved requires, bin/fast-load.cjs) and
 * `.yaml-cache` (parsed environment files, config/load.ts `cacheParsedEnvironments`).
 */
"use strict";
const { createHash } = require("node:crypto");
const { join } = require("node:path");
const { OUT: out, refresh } = require("./program.cjs");

const args = process.argv.slice(2);
const main = args[0] === "--main";
if (main) process.argv.splice(2, 1);
const { rebuilt, sources, epoch } = refresh();
// less to load and to do: compiled code cached, no inline source maps, archiver when used, no
// token stack traces, a leaner JSON writer (bin/fast-load.cjs)
const {
  compileCache,
  fastStableStringify,
  lazyArchiver,
  noTokenStackTraces,
  stripInlineSourceMaps,
} = require("./fast-load.cjs");
// V8 flags (in NODE_OPTIONS or node's own options) decide which code caches V8 accepts: one
// cache for each set of options, so that runs with and without them do not undo each other
const options = [
  process.env.NODE_OPTIONS ?? "",
  ...process.execArgv.filter(
    (flag, i, all) => !flag.startsWith("--snapshot-blob") && all[i - 1] !== "--snapshot-blob",
  ),
]
  .join(" ")
  .trim();
const cacheName = options
  ? `.load-cache-${createHash("sha1").update(options).digest("hex").slice(0, 12)}`
  : ".load-cache";
const loads = compileCache(join(out, cacheName), { epoch });
stripInlineSourceMaps();
lazyArchiver();
noTokenStackTraces();
fastStableStringify();
if (process.env.PLATFORM_SYNTH_VERBOSE)
  process.once("exit", () =>
    process.stderr.write(
      `synth: rebuilt ${rebuilt} files; modules: ${loads.cached} from the cache, ${loads.compiled} compiled, ${loads.resolved} resolutions cached\n`,
    ),
  );
// environment files whose text is unchanged are not parsed again (the schema and rules still run)
require(join(out, "config/load.js")).cacheParsedEnvironments(join(out, ".yaml-cache"));
require(join(out, main ? "main.js" : "scripts/synth.js"));
// a startup snapshot for the next synth (bin/synth.sh), when this one succeeded and the snapshot
// on disk is missing or out of date: built in the background (bin/snapshot.cjs)
if (!process.exitCode) require("./snapshot.cjs").rebuildInBackground(sources);
