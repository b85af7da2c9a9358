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
const {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { createHash } = require("node:crypto");
const { dirname, extname, join, relative } = require("node:path");

const root = join(__dirname, "..");
const out = join(root, ".build", "synth");
/** What the program is made of: TypeScript to transpile, and the files it reads by path. */
const SOURCES = ["main.ts", "version.ts", "config", "constructs", "policy", "stacks", "scripts"];
const MANIFEST = join(out, ".manifest.json");
const CHARTS = join("constructs", "charts") + "/";
const FORMAT = 1; // bump when the transpile options change: everything is rebuilt

function walk(path, found) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) walk(join(path, entry), found);
    return;
  }
  const ext = extname(path);
  if (
    (ext === ".ts" && !path.endsWith(".d.ts")) ||
    ext === ".json" ||
    ext === ".js" ||
    ext === ".cjs" ||
    // the local Helm charts, read by path (Chart.yaml, values.yaml, templates/*.yaml, *.tpl)
    relative(root, path).startsWith(CHARTS)
  )
    found.set(relative(root, path), `${stat.size}:${stat.mtimeMs}`);
}

/** The output file of a source (`x.ts` -> `x.js`; other files keep their name). */
const outputOf = (source) =>
  join(out, source.endsWith(".ts") ? `${source.slice(0, -3)}.js` : source);

function writeAtomically(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/**
 * Brings `.build/synth/` up to date; returns how many files it rebuilt and the epoch of module
 * resolution: it changes when the program's set of files or the installed packages do (npm
 * rewrites node_modules/.package-lock.json on every install), not when a file's content does.
 */
function refresh() {
  const sources = new Map();
  for (const source of SOURCES) walk(join(root, source), sources);
  let previous = {};
  try {
    const manifest = JSON.parse(readFileSync(MANIFEST, "utf8"));
    if (manifest.format === FORMAT) previous = manifest.files;
  } catch {
    // no build yet, or an unreadable manifest: rebuild everything
  }
  let swc;
  let rebuilt = 0;
  for (const [source, key] of sources) {
    if (previous[source] === key && existsSync(outputOf(source))) continue;
    const text = readFileSync(join(root, source), "utf8");
    if (source.endsWith(".ts")) {
      swc = swc ?? require("@swc/core");
      let code;
      try {
        ({ code } = swc.transformSync(text, {
          filename: source,
          swcrc: false,
          configFile: false,
          jsc: { parser: { syntax: "typescript" }, target: "es2022" },
          module: { type: "commonjs" },
        }));
      } catch (error) {
        process.stderr.write(`${source}: ${error.message ?? error}\n`);
        process.exit(1);
      }
      writeAtomically(outputOf(source), code);
    } else {
      writeAtomically(outputOf(source), text);
    }
    rebuilt += 1;
  }
  for (const source of Object.keys(previous))
    if (!sources.has(source)) rmSync(outputOf(source), { force: true });
  if (rebuilt > 0 || Object.keys(previous).length !== sources.size)
    writeAtomically(
      MANIFEST,
      JSON.stringify({ format: FORMAT, files: Object.fromEntries(sources) }),
    );
  const lock = statSync(join(root, "node_modules", ".package-lock.json"), {
    throwIfNoEntry: false,
  });
  const epoch = createHash("sha1")
    .update(`${process.version}\0${lock ? `${lock.size}:${lock.mtimeMs}` : "none"}\0`)
    .update([...sources.keys()].sort().join("\0"))
    .digest("base64");
  return { rebuilt, epoch };
}

const args = process.argv.slice(2);
const main = args[0] === "--main";
if (main) process.argv.splice(2, 1);
const { rebuilt, epoch } = refresh();
// less to load and to do: compiled code cached, no inline source maps, archiver when used, no
// token stack traces, a leaner JSON writer (bin/fast-load.cjs)
const {
  compileCache,
  fastStableStringify,
  lazyArchiver,
  noTokenStackTraces,
  stripInlineSourceMaps,
} = require("./fast-load.cjs");
const loads = compileCache(join(out, ".load-cache"), { epoch });
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
