/**
 * bin/fast-load.cjs: what the synth command changes in module loading and in cdktf. Each cdktf
 * change targets a file by its behaviour in 0.21.0; these tests fail when such a file changes (its
 * fingerprint) and show, in a plain node process (jest has a module system of its own), that each
 * change does what it says and nothing else. The compile cache is checked against what Node's own
 * loader gives a module.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

test("stripInlineSourceMaps: only a last line that is such a comment goes, wherever else the text occurs", () => {
  const dir = mkdtempSync(join(tmpdir(), "strip-maps-"));
  const map = "//# sourceMappingURL=data:application/json;base64,eyJ9";
  const files: Record<string, string> = {
    // the comment text inside the code, then a real map line at the end
    "twice.js": "module.exports = [`\n" + map + "`, 1];\n" + map,
    // a map comment that is not the last line: kept
    "middle.js": `module.exports = 2;\n${map}\nmodule.exports = 3;`,
    // a map line at the end: cut
    "last.js": `module.exports = 4;\n${map}`,
    "none.js": "module.exports = 5;",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const result = run(`
    const Module = require("module");
    const compile = Module.prototype._compile;
    const seen = {};
    Module.prototype._compile = function (content, filename, ...rest) {
      seen[require("path").basename(filename)] = content;
      return compile.call(this, content, filename, ...rest);
    };
    load.stripInlineSourceMaps();
    const values = ${JSON.stringify(Object.keys(files))}.map((f) => require(require("path").join(${JSON.stringify(dir)}, f)));
    console.log(JSON.stringify({ values, seen }));
  `);
  expect(result).toEqual({
    values: [[`\n${map}`, 1], 3, 4, 5],
    seen: {
      "twice.js": files["twice.js"].slice(0, files["twice.js"].lastIndexOf(`\n${map}`) + 1),
      "middle.js": files["middle.js"],
      "last.js": "module.exports = 4;\n",
      "none.js": files["none.js"],
    },
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

describe("fastStableStringify", () => {
  const stringifyFile = join(
    dirname(
      require.resolve("json-stable-stringify", {
        paths: [dirname(cdktfFile("lib/synthesize/synthesizer.js"))],
      }),
    ),
    "index.js",
  );

  test("json-stable-stringify, as cdktf resolves it, is 1.3.0 (else: check the replacement again)", () => {
    expect(sha256(stringifyFile)).toBe(
      "53e378723c97a3bd67d6e3d2ae586056a7a884dd01b88a62ea5e0f2bbf5bf56f",
    );
    // cdktf's calls: the stack JSON and the manifest, with { space: 2 } only
    const calls = ["lib/synthesize/synthesizer.js", "lib/manifest.js"].flatMap((file) =>
      readFileSync(cdktfFile(file), "utf8")
        .split("\n")
        .filter((line) => /\bstringify\(/.test(line))
        .map((line) => line.replace(/^.*?stringify\(/, "stringify(").trim()),
    );
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls)
      expect(call).toMatch(/^stringify\([^()]*(\([^()]*\))?[^()]*, \{ space: 2 \}\)\);?$/);
  });

  test("gives what json-stable-stringify gives, byte for byte, and delegates other options to it", () => {
    const result = run(`
      const path = ${JSON.stringify(stringifyFile)};
      const real = require(path);
      delete require.cache[path];
      load.fastStableStringify();
      const fast = require(path);
      const shared = { s: 1 };
      const holes = [1, , 3];
      const values = [
        undefined, null, 0, -0, 1.5e300, NaN, Infinity, "", String.fromCharCode(97, 34, 92, 10, 0x2028, 233, 0xd83d, 0xde00), true, false,
        [], {}, [[]], [{}], { a: [] }, { a: {} }, [undefined, () => 1, Symbol("s")], holes,
        { b: 1, a: 2, 10: "ten", 9: "nine", "": "empty", é: 1, Z: 2, _: 3, "-": 4 },
        { u: undefined, f() {}, s: Symbol("s"), n: null, d: new Date(0) },
        { toJSON: () => ({ z: 1, y: [1, { x: undefined }] }) },
        { nested: { toJSON() { return undefined; } }, keep: 1 },
        { shared, again: shared, list: [shared, shared] },
        { deep: { deeper: { deepest: [1, [2, [3, { k: "v" }]]] } } },
        [ { b: [ { d: 1, c: 2 } ] }, "x" ],
        Object.assign(Object.create(null), { b: 1, a: 2 }),
      ];
      const same = [];
      for (const value of values)
        for (const options of [undefined, {}, { space: 2 }, { space: 4 }, { space: "\t" }, { space: 0 }, { space: "" }, { space: 1.5 }])
          same.push(fast(value, options) === real(value, options));
      const cyclic = { a: {} };
      cyclic.a.back = cyclic;
      const errors = [fast, real].map((f) => { try { f(cyclic, { space: 2 }); return "none"; } catch (e) { return e.constructor.name + ": " + e.message; } });
      const cmp = (a, b) => (a.key < b.key ? 1 : -1);
      console.log(JSON.stringify({
        replaced: fast !== real,
        same: same.every(Boolean) && same.length === values.length * 8,
        errors,
        delegated: fast({ a: 1, b: 2 }, { cmp }) === real({ a: 1, b: 2 }, { cmp }) && fast({ a: 1, b: 2 }, cmp) === '{"b":2,"a":1}',
        cycles: fast(cyclic, { cycles: true }) === real(cyclic, { cycles: true }),
      }));
    `);
    expect(result).toEqual({
      replaced: true,
      same: true,
      errors: Array(2).fill("TypeError: Converting circular structure to JSON"),
      delegated: true,
      cycles: true,
    });
  });

  test("cdktf's synthesis writes the same files with it", () => {
    const result = run(`
      const { App, TerraformStack, TerraformOutput, TerraformVariable } = require("cdktf");
      const { mkdtempSync, readFileSync, readdirSync } = require("fs");
      const { join } = require("path");
      const synth = () => {
        const outdir = mkdtempSync(join(require("os").tmpdir(), "stable-"));
        const app = new App({ outdir });
        const stack = new TerraformStack(app, "one");
        const v = new TerraformVariable(stack, "v", { type: "list(string)", default: ["b", "a"] });
        new TerraformOutput(stack, "o", { value: { list: v.listValue, empty: [], nested: { z: 1, a: [{}] } } });
        app.synth();
        const read = (file) => readFileSync(join(outdir, file), "utf8");
        return read("manifest.json") + read("stacks/one/cdk.tf.json");
      };
      const before = synth();
      for (const file of Object.keys(require.cache)) delete require.cache[file];
      load.fastStableStringify();
      const after = synth();
      console.log(JSON.stringify({ same: before === after, length: after.length > 100 }));
    `);
    expect(result).toEqual({ same: true, length: true });
  });
});

describe("compileCache", () => {
  const program = () => {
    const dir = mkdtempSync(join(tmpdir(), "compile-cache-"));
    writeFileSync(
      join(dir, "a.js"),
      [
        "const b = require('./b');",
        "module.exports = {",
        "  b: b.value,",
        "  self: this === module.exports,",
        "  file: __filename.endsWith('a.js'),",
        "  dir: __dirname === require('path').dirname(__filename),",
        "  resolved: require.resolve('./b') === require('path').join(__dirname, 'b.js'),",
        "  paths: Array.isArray(require.resolve.paths('x')),",
        "  main: require.main === process.mainModule,",
        "  cache: require.cache === require('module')._cache,",
        "  line: new Error().stack.split('\\n')[1].split(':').slice(-2, -1)[0],",
        "};",
      ].join("\n"),
    );
    writeFileSync(join(dir, "b.js"), "#!/usr/bin/env node\nexports.value = 'one';\n");
    return dir;
  };
  const runIn = (dir: string, cache: boolean, epoch = "1") =>
    run(`
      const counts = ${cache ? `load.compileCache(${JSON.stringify(join(dir, "cache"))}, { epoch: ${JSON.stringify(epoch)} })` : "{}"};
      // which of the program's files are read from disk
      const fs = require("fs");
      const readFileSync = fs.readFileSync;
      const read = [];
      fs.readFileSync = function (file, ...rest) {
        if (String(file).startsWith(${JSON.stringify(dir)})) read.push(require("path").basename(String(file)));
        return readFileSync.call(this, file, ...rest);
      };
      const a = require(${JSON.stringify(join(dir, "a.js"))});
      fs.readFileSync = readFileSync;
      console.log(JSON.stringify({ ...a, counts: { ...counts }, read }));
    `) as Record<string, unknown>;

  test("the modules see what Node gives them; the second run uses the cache and reads no file; an edit of the same length takes effect", () => {
    const dir = program();
    const expected = {
      b: "one",
      self: true,
      file: true,
      dir: true,
      resolved: true,
      paths: true,
      main: true,
      cache: true,
      line: "11",
    };
    const withoutCache = runIn(dir, false);
    expect(withoutCache).toEqual({ ...expected, counts: {}, read: ["a.js", "b.js"] });
    expect(runIn(dir, true)).toEqual({
      ...expected,
      // a.js's require.resolve("./b") after its require("./b")
      counts: { cached: 0, compiled: 2, resolved: 1 },
      read: ["a.js", "b.js"],
    });
    expect(existsSync(join(dir, "cache"))).toBe(true);
    // the texts and code come from the cache, and the require of ./b (and of a.js) is not resolved again
    expect(runIn(dir, true)).toEqual({
      ...expected,
      counts: { cached: 2, compiled: 0, resolved: 3 },
      read: [],
    });
    // same length: V8 alone would accept the stale data (it checks the length of the text)
    writeFileSync(join(dir, "b.js"), "#!/usr/bin/env node\nexports.value = 'two';\n");
    expect(runIn(dir, true)).toEqual({
      ...expected,
      b: "two",
      counts: { cached: 1, compiled: 1, resolved: 3 },
      read: ["b.js"],
    });
    expect(runIn(dir, true)).toEqual({
      ...expected,
      b: "two",
      counts: { cached: 2, compiled: 0, resolved: 3 },
      read: [],
    });
  });

  test("resolutions are kept only under the same epoch: a new one resolves every require again", () => {
    const dir = program();
    runIn(dir, true, "1");
    expect(runIn(dir, true, "1").counts).toEqual({ cached: 2, compiled: 0, resolved: 3 });
    // ./b becomes a folder: under a new epoch (bin/synth.cjs: the program's file list changed)
    // require("./b") finds b/index.js
    rmSync(join(dir, "b.js"));
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "b", "index.js"), "exports.value = 'folder';\n");
    const moved = runIn(dir, true, "2");
    expect(moved.b).toBe("folder");
    expect(moved.counts).toEqual({ cached: 1, compiled: 1, resolved: 1 });
    expect(runIn(dir, true, "2").counts).toEqual({ cached: 2, compiled: 0, resolved: 3 });
  });

  test("an ES module (no CommonJS script) goes to Node's own loader: the same as without the cache", () => {
    const dir = program();
    writeFileSync(join(dir, "b.js"), "export const value = 'esm';\n");
    const { counts, ...withCache } = runIn(dir, true);
    expect({ ...withCache, counts: {} }).toEqual(runIn(dir, false));
    expect(withCache.b).toBe("esm");
    expect(counts).toEqual({ cached: 0, compiled: 1, resolved: 1 });
  });
});
