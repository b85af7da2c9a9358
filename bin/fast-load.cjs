/**
 * What bin/synth.cjs changes in module loading and in cdktf so that a synth loads and does less.
 * Each change is narrow, names the file it targets, and is checked by test/unit/fast-load.test.ts
 * against the pinned cdktf 0.21.0 (the test fails when the targeted code changes).
 */
"use strict";
const Module = require("node:module");
const { dirname } = require("node:path");

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
    const at = content.lastIndexOf(INLINE_MAP);
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

module.exports = { lazyArchiver, stripInlineSourceMaps, noTokenStackTraces };
