/**
 * The program the synth command runs, as files: the sources it is made of, their JavaScript mirror
 * in `.build/synth/` ({@link refresh}), and the stamps that say when what was made from them (the
 * load cache, the startup snapshot) is out of date. Shared by bin/synth.cjs and bin/snapshot.cjs
 * (and bundled into the snapshot): Node's built-in modules only.
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

const ROOT = join(__dirname, "..");
/** The JavaScript mirror of the sources, and everything else made from them. */
const OUT = join(ROOT, ".build", "synth");
/**
 * What the program is made of: TypeScript to transpile, and the files it reads by path (bin/synth.sh
 * names them too).
 */
const SOURCES = ["main.ts", "version.ts", "config", "constructs", "policy", "stacks", "scripts"];
const MANIFEST = join(OUT, ".manifest.json");
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
    relative(ROOT, path).startsWith(CHARTS)
  )
    found.set(relative(ROOT, path), `${stat.size}:${stat.mtimeMs}`);
}

/** Every source of the program (relative path) with its stamp: `<size>:<modification time>`. */
function programSources() {
  const sources = new Map();
  for (const source of SOURCES) walk(join(ROOT, source), sources);
  return sources;
}

/**
 * The epoch of module resolution: it changes when the program's set of files or the installed
 * packages do (npm rewrites node_modules/.package-lock.json on every install), or Node's version,
 * not when a file's content does.
 */
function resolutionEpoch(sources) {
  const lock = statSync(join(ROOT, "node_modules", ".package-lock.json"), {
    throwIfNoEntry: false,
  });
  return createHash("sha1")
    .update(`${process.version}\0${lock ? `${lock.size}:${lock.mtimeMs}` : "none"}\0`)
    .update([...sources.keys()].sort().join("\0"))
    .digest("base64");
}

/** What a build of the whole program depends on: the epoch and every source's stamp. */
function programStamp(sources) {
  const hash = createHash("sha1").update(resolutionEpoch(sources));
  for (const [source, stamp] of [...sources].sort(([a], [b]) => (a < b ? -1 : 1)))
    hash.update(`\0${source}\0${stamp}`);
  return hash.digest("base64");
}

/** The output file of a source (`x.ts` -> `x.js`; other files keep their name). */
const outputOf = (source) =>
  join(OUT, source.endsWith(".ts") ? `${source.slice(0, -3)}.js` : source);

function writeAtomically(path, content) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/**
 * Brings `.build/synth/` up to date: every source whose size or modification time changed since
 * the last run is transpiled again with swc (types stripped, no type-check: `npm test`
 * type-checks), other files are copied, and removed sources lose their output. Returns how many
 * files it rebuilt, the sources and the resolution epoch. A source swc cannot parse ends the
 * process with its message (exit 1).
 */
function refresh() {
  const sources = programSources();
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
    const text = readFileSync(join(ROOT, source), "utf8");
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
  return { rebuilt, sources, epoch: resolutionEpoch(sources) };
}

module.exports = {
  OUT,
  ROOT,
  SOURCES,
  programSources,
  programStamp,
  refresh,
  resolutionEpoch,
  writeAtomically,
};
