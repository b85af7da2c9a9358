/**
 * What bin/synth.cjs changes in module loading and in cdktf so that a synth loads and does less.
 * Each change is narrow, names the file it targets, and is checked by test/unit/fast-load.test.ts
 * against the pinned cdktf 0.21.0 (the test fails when the targeted code changes).
 */
"use strict";
const { createHash } = require("node:crypto");
const { existsSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const Module = require("node:module");
const { dirname } = require("node:path");
const vm = require("node:vm");

/**
 * cdktf/lib/private/fs.js requires `archiver` at its top (with its dependencies some 250 modules,
 * a sixth of everything a synth loads) for one function, `runArchive`, which only runs when that
 * file is executed as a process of its own (`archiveSync` spawns `node fs.js <src> <dest>` for
 * assets of type ARCHIVE). In this process `archiver` is loaded when first used instead.
 */
function lazyArchiver() {
  const fsModule = require.resolve("cdktf/lib/private/fs.js");
  const path = require.resolve("archiver", { paths: [dirname(fsModule)] });
  if (require.cache[path]) return;
  let real;
  const load = () => {
    if (!real) {
      delete require.cache[path];
      real = require(path);
    }
    return real;
  };
  const stub = new Module(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = new Proxy(function archiver() {}, {
    apply: (_target, self, args) => Reflect.apply(load(), self, args),
    get: (_target, key) => load()[key],
    has: (_target, key) => key in load(),
  });
  require.cache[path] = stub;
}

const INLINE_MAP = "\n//# sourceMappingURL=data:";

/**
 * cdktf and the provider packages end every compiled file with its source map inlined as base64:
 * 8.4 of the 14 MB of JavaScript a synth loads. Without --enable-source-maps nothing reads them,
 * so they are cut off before V8 compiles the file (a last line that is such a comment only).
 */
function stripInlineSourceMaps() {
  if (process.sourceMapsEnabled) return;
  const compile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename, ...rest) {
    // the first occurrence is the last when no line follows it: V8 searches forward much faster
    // (through the code, not the map); else the last one, which has to end the file
    let at = content.indexOf(INLINE_MAP);
    if (at >= 0 && content.indexOf("\n", at + 1) >= 0) at = content.lastIndexOf(INLINE_MAP);
    const text = at >= 0 && content.indexOf("\n", at + 1) < 0 ? content.slice(0, at + 1) : content;
    return compile.call(this, text, filename, ...rest);
  };
}

/**
 * cdktf captures a full stack trace for every token it creates (Intrinsic, Lazy), only to show
 * where a token came from if it is later misused: a fifth of the synthesis time. Targets
 * cdktf/lib/tokens/private/stack-trace.js (`captureStackTrace`, read through its exports object
 * at each call). PLATFORM_SYNTH_STACK_TRACES=1 keeps the traces for debugging such an error.
 */
function noTokenStackTraces() {
  if (process.env.PLATFORM_SYNTH_STACK_TRACES) return;
  require("cdktf/lib/tokens/private/stack-trace").captureStackTrace = () => [];
}

/** SHA-256 of json-stable-stringify 1.3.0's index.js, the code {@link fastStableStringify} replaces. */
const STABLE_STRINGIFY_SHA256 = "53e378723c97a3bd67d6e3d2ae586056a7a884dd01b88a62ea5e0f2bbf5bf56f";

/**
 * json-stable-stringify 1.3.0's `stableStringify(value, { space })`, step for step (toJSON, keys in
 * `sort()` order, `undefined` members left out and `null` in arrays, `[` + indent + `]` for an
 * empty array, the circular-structure TypeError for an object that contains itself), without its
 * per-node overheads: the indent built character by character for each node, the ancestors kept
 * in an array searched linearly, every built-in called through call-bind.
 */
function stableStringify(value, space) {
  const indents = [];
  const indentOf = (level) => (indents[level] ??= `\n${space.repeat(level)}`);
  const colon = space ? ": " : ":";
  const ancestors = new Set();
  const visit = (node, level) => {
    if (node && node.toJSON && typeof node.toJSON === "function") node = node.toJSON();
    if (node === undefined) return undefined;
    if (typeof node !== "object" || node === null) return JSON.stringify(node);
    const indent = space ? indentOf(level) : "";
    const inner = indent + space;
    let out = "";
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++)
        out += `${i > 0 ? "," : ""}${inner}${visit(node[i], level + 1) || "null"}`;
      return `[${out}${indent}]`;
    }
    if (ancestors.has(node)) throw new TypeError("Converting circular structure to JSON");
    ancestors.add(node);
    const keys = Object.keys(node).sort();
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      const item = visit(node[keys[i]], level + 1);
      if (!item) continue;
      out += `${first ? "" : ","}${inner}${JSON.stringify(keys[i])}${colon}${item}`;
      first = false;
    }
    ancestors.delete(node);
    return `{${out}${indent}}`;
  };
  return visit(value, 0);
}

/**
 * json-stable-stringify's export as {@link stableStringify} for calls with no option but `space`,
 * and as the real package (`loadReal()`, called then) for any other call.
 */
function stableStringifyFor(loadReal) {
  return function stableStringifyFast(value, options) {
    const space = options !== null && typeof options === "object" ? options.space || "" : "";
    const plain =
      arguments.length <= 2 &&
      (options === undefined ||
        (options !== null &&
          typeof options === "object" &&
          Object.keys(options).every((key) => key === "space") &&
          (typeof space === "string" || (Number.isSafeInteger(space) && space > 0))));
    if (!plain) return Reflect.apply(loadReal(), this, arguments);
    return stableStringify(value, typeof space === "number" ? " ".repeat(space) : space);
  };
}

/** Whether `path` is json-stable-stringify 1.3.0's index.js, the code {@link stableStringify} replaces. */
function isStableStringify130(path) {
  try {
    return (
      createHash("sha256").update(readFileSync(path)).digest("hex") === STABLE_STRINGIFY_SHA256
    );
  } catch {
    return false;
  }
}

/**
 * cdktf writes every stack's cdk.tf.json and the manifest with json-stable-stringify
 * (cdktf/lib/synthesize/synthesizer.js, lib/manifest.js: `stringify(json, { space: 2 })`), whose
 * generic code is a tenth of a synth. The package as cdktf resolves it is replaced by
 * {@link stableStringifyFor} (the real one loaded for a call with other options), provided its
 * index.js is 1.3.0's; else nothing changes.
 */
function fastStableStringify() {
  const from = dirname(require.resolve("cdktf/lib/synthesize/synthesizer.js"));
  const path = require.resolve("json-stable-stringify", { paths: [from] });
  if (require.cache[path] || !isStableStringify130(path)) return;
  let real;
  const stub = new Module(path);
  stub.filename = path;
  stub.loaded = true;
  stub.exports = stableStringifyFor(() => {
    if (!real) {
      delete require.cache[path];
      real = require(path);
      require.cache[path] = stub;
    }
    return real;
  });
  require.cache[path] = stub;
}

const CACHE_FORMAT = 2;

/**
 * Reads a cache file: `[u32 header length][header JSON][texts and code caches]`, the header
 * `{ format, epoch, files: [file, stamp, text bytes, data bytes][], resolved: [key, file][] }`.
 */
function readCache(path) {
  const files = new Map(); // file -> { stamp, text, bytes (of the text), data }
  const resolved = new Map(); // `<parent folder>\0<request>` -> file
  let epoch;
  try {
    const blob = readFileSync(path);
    const headerLength = blob.readUInt32LE(0);
    let offset = 4 + headerLength;
    const header = JSON.parse(blob.subarray(4, offset).toString());
    if (header.format !== CACHE_FORMAT) return { files, resolved, epoch };
    for (const [file, stamp, textLength, dataLength] of header.files) {
      const bytes = blob.subarray(offset, offset + textLength);
      offset += textLength;
      const data = blob.subarray(offset, offset + dataLength);
      files.set(file, { stamp, text: bytes.toString("utf8"), bytes, data });
      offset += dataLength;
    }
    epoch = header.epoch;
    for (const [key, file] of header.resolved) resolved.set(key, file);
  } catch {
    // no cache yet, or an unreadable one: read, resolve and compile everything
  }
  return { files, resolved, epoch };
}

function writeCache(path, { files, resolved, epoch }) {
  const parts = [];
  const list = [];
  for (const [file, entry] of files) {
    const { stamp, data } = entry;
    const bytes = entry.bytes ?? Buffer.from(entry.text, "utf8"); // kept as read: not encoded again
    list.push([file, stamp, bytes.length, data.length]);
    parts.push(bytes, data);
  }
  const header = Buffer.from(
    JSON.stringify({ format: CACHE_FORMAT, epoch, files: list, resolved: [...resolved] }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, Buffer.concat([length, header, ...parts]));
  renameSync(temporary, path);
}

/** The `require` a module gets (Node 20's makeRequireFunction, lib/internal/modules/helpers.js). */
function requireFunction(module, main) {
  const require = (id) => module.require(id);
  const resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.resolve = resolve;
  require.main = main;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** What identifies a file's content: its size and modification time (as bin/synth.cjs uses). */
const stampOf = (stat) => `${stat.size}:${stat.mtimeMs}`;

/**
 * A load cache for every CommonJS file the process loads: its text (as compiled, so without the
 * inline source map), its V8 code cache (what Node 22's `module.enableCompileCache()` does; Node
 * 20 has none), and where each `require` of it resolved to. Reading 18 MB of files, resolving
 * some thousand requests (each a series of stat calls and package.json reads) and compiling 5 MB of
 * JavaScript are most of the time it takes to load a synth.
 *
 * - Text and code: a file whose size and modification time are those of its entry is compiled
 *   from the entry's text with the entry's code cache, without being read; V8 uses the data only
 *   when its version and flags are those it was made with (it checks, and rejects it otherwise).
 *   Any other file is read and compiled by Node's own loader path, and its entry is replaced.
 * - Resolutions: `require(request)` from a folder gives the file of the last run without
 *   searching, as long as `epoch` is the one they were recorded under. The caller makes the epoch
 *   change whenever a resolution could: the set of the program's files, and the installed
 *   packages (bin/synth.cjs: the file list and node_modules/.package-lock.json). A
 *   `require.resolve` with options, the main module and Node's built-in modules always resolve
 *   as Node does.
 *
 * It replaces `Module.prototype._compile` (node:internal/modules/cjs/loader) for plain CommonJS:
 * the wrapper, `require` with `resolve`, `resolve.paths`, `main`, `extensions` and `cache`, `this`
 * the exports, as Node 20 does; everything else (ES modules, a policy manifest, a file V8 cannot
 * compile as a script) goes to Node's own `_compile`. New and changed entries are written when the
 * process exits, taken after the run so they hold the functions it compiled. Returns how many
 * files were compiled with cached data and without, and how many requests were resolved from the
 * cache, kept up to date.
 */
function compileCache(path, { epoch } = {}) {
  const counts = { cached: 0, compiled: 0, resolved: 0 };
  if (
    process.execArgv.some((flag) =>
      /^--(inspect|experimental-policy|experimental-detect-module)/.test(flag),
    )
  )
    return counts;
  const cache = readCache(path);
  const { files } = cache;
  const resolved = epoch !== undefined && cache.epoch === epoch ? cache.resolved : new Map();
  let resolutionsChanged = resolved !== cache.resolved;
  const fresh = new Map(); // file -> { stamp, text, script }
  const compile = Module.prototype._compile;
  const loadJs = Module._extensions[".js"];
  const resolveFilename = Module._resolveFilename;
  const main = require.main;
  // the stamp of the file being loaded, for _compile (set by the .js loader just before)
  let loading;

  Module._resolveFilename = function (request, parent, isMain, options) {
    if (
      options !== undefined ||
      isMain ||
      !parent ||
      typeof parent.path !== "string" ||
      Module.isBuiltin(request) // Node answers these at once
    )
      return Reflect.apply(resolveFilename, this, arguments);
    const key = `${parent.path}\0${request}`;
    const hit = resolved.get(key);
    if (hit !== undefined) {
      counts.resolved += 1;
      return hit;
    }
    const file = Reflect.apply(resolveFilename, this, arguments);
    resolved.set(key, file);
    resolutionsChanged = true;
    return file;
  };

  Module._extensions[".js"] = function (module, filename) {
    const stat = statSync(filename, { throwIfNoEntry: false });
    const stamp = stat ? stampOf(stat) : undefined;
    const entry = files.get(filename);
    loading = { filename, stamp };
    try {
      if (entry && stamp !== undefined && entry.stamp === stamp)
        return module._compile(entry.text, filename, undefined);
      return Reflect.apply(loadJs, this, arguments);
    } finally {
      loading = undefined;
    }
  };

  Module.prototype._compile = function (content, filename, format) {
    if (format === "module") return compile.call(this, content, filename, format);
    const stamp = loading && loading.filename === filename ? loading.stamp : undefined;
    const text = content.startsWith("#!") ? `//${content.slice(2)}` : content;
    const entry = files.get(filename);
    const cachedData =
      entry && stamp !== undefined && entry.stamp === stamp && entry.text === content
        ? entry.data
        : undefined;
    let script;
    try {
      script = new vm.Script(Module.wrap(text), {
        filename,
        cachedData,
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
    } catch {
      return compile.call(this, content, filename, format); // Node's own error, or ES module
    }
    if (!cachedData || script.cachedDataRejected) {
      if (stamp !== undefined) fresh.set(filename, { stamp, text: content, script });
      counts.compiled += 1;
    } else counts.cached += 1;
    return Reflect.apply(script.runInThisContext({ displayErrors: true }), this.exports, [
      this.exports,
      requireFunction(this, main),
      this,
      filename,
      dirname(filename),
    ]);
  };

  process.once("exit", () => {
    if (fresh.size === 0 && !resolutionsChanged) return;
    for (const [file, { stamp, text, script }] of fresh)
      files.set(file, { stamp, text, data: script.createCachedData() });
    if (fresh.size > 0) for (const file of files.keys()) if (!existsSync(file)) files.delete(file);
    try {
      writeCache(path, { files, resolved, epoch });
    } catch {
      // a read-only build folder: the next run reads, resolves and compiles again
    }
  });
  return counts;
}

module.exports = {
  compileCache,
  fastStableStringify,
  isStableStringify130,
  stableStringifyFor,
  lazyArchiver,
  stripInlineSourceMaps,
  noTokenStackTraces,
  stableStringify,
};
