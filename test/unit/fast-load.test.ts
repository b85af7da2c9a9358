/**
 * bin/fast-load.cjs: what the synth command changes in module loading and in cdktf. Each change
 * targets a cdktf file by its behaviour in 0.21.0; these tests fail when such a file changes (its
 * fingerprint) and show, in a plain node process (jest has a module system of its own), that each
 * change does what it says and nothing else.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../helpers";

const cdktfFile = (file: string) => join(dirname(require.resolve("cdktf/package.json")), file);
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Runs a CommonJS snippet with bin/fast-load.cjs as `load`; returns its JSON output. */
function run(code: string, env: Record<string, string> = {}): unknown {
  const result = spawnSync(
    process.execPath,
    [
      "-e",
      `const load = require(${JSON.stringify(join(REPO_ROOT, "bin/fast-load.cjs"))});\n${code}`,
    ],
    { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, ...env } },
  );
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

test("the targeted cdktf files are those of 0.21.0 (else: check each change of bin/fast-load.cjs again)", () => {
  expect({
    fs: sha256(cdktfFile("lib/private/fs.js")),
    stackTrace: sha256(cdktfFile("lib/tokens/private/stack-trace.js")),
  }).toEqual({
    fs: "3fb8a5949aac34b84430ab6bd18206360bc399d8e1b89a8266e9083f0abd6d53",
    stackTrace: "48139050d4e88e62c8dfa7a50c5e829b99d655e0255de563c25abae59162e353",
  });
  // archiver is used in one place only: runArchive, run when fs.js is its own process
  const fs = readFileSync(cdktfFile("lib/private/fs.js"), "utf8");
  expect(fs.split("\n").filter((line) => /\barchiver\b/.test(line))).toEqual([
    'const archiver = require("archiver");',
    '        const archive = archiver("zip", {',
  ]);
  expect(fs).toContain("if (require.main === module) {");
});

test("lazyArchiver: cdktf loads without archiver, which loads on its first use and works", () => {
  expect(
    run(`
      load.lazyArchiver();
      require("cdktf");
      const loaded = () => Object.keys(require.cache).filter((f) => /node_modules\\/(archiver|archiver-utils|readable-stream)\\//.test(f)).length;
      const before = loaded();
      const archiver = require(require.resolve("archiver", { paths: [require("path").dirname(require.resolve("cdktf/lib/private/fs.js"))] }));
      const zip = archiver("zip");
      console.log(JSON.stringify({ before, after: loaded() > before + 10, pipe: typeof zip.pipe, formats: archiver.isRegisteredFormat("zip") }));
    `),
  ).toEqual({ before: 1, after: true, pipe: "function", formats: true });
});

test("stripInlineSourceMaps: V8 compiles cdktf's files without their inline source map line, and only that line", () => {
  const result = run(`
    const Module = require("module");
    const compile = Module.prototype._compile;
    const seen = {};
    Module.prototype._compile = function (content, filename, ...rest) {
      seen[filename] = content;
      return compile.call(this, content, filename, ...rest);
    };
    load.stripInlineSourceMaps();
    const { Lazy } = require("cdktf");
    const file = require.resolve("cdktf/lib/tokens/lazy.js");
    const original = require("fs").readFileSync(file, "utf8");
    console.log(JSON.stringify({
      works: typeof Lazy.stringValue,
      inlineMaps: Object.values(seen).filter((c) => c.includes("sourceMappingURL=data:")).length,
      strippedLines: original.split("\\n").length - seen[file].split("\\n").length,
      prefix: original.startsWith(seen[file]),
      originalHadMap: original.includes("\\n//# sourceMappingURL=data:application/json;base64,"),
    }));
  `);
  expect(result).toEqual({
    works: "function",
    inlineMaps: 0,
    strippedLines: 0,
    prefix: true,
    originalHadMap: true,
  });
});

test("noTokenStackTraces: tokens carry no creation stack, unless PLATFORM_SYNTH_STACK_TRACES is set", () => {
  const code = `
    load.noTokenStackTraces();
    const { Lazy, Token, Tokenization } = require("cdktf");
    const token = Tokenization.reverseString(Lazy.stringValue({ produce: () => "x" })).firstToken;
    console.log(JSON.stringify(token.creationStack.length));
  `;
  expect(run(code, { PLATFORM_SYNTH_STACK_TRACES: "" })).toBe(0);
  expect(run(code, { PLATFORM_SYNTH_STACK_TRACES: "1" })).toBeGreaterThan(0);
});
