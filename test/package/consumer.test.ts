/**
 * The package as another team gets it: `npm pack` (which builds dist/ with tsc), the tarball
 * unpacked into a fresh consumer project's node_modules the way npm lays it out, its dependencies
 * and peer dependencies linked from ours (one copy of each, as a real install resolves them), the
 * README's examples compiled with plain `tsc --strict` (CommonJS and ESM NodeNext) and run with
 * plain `node`, and the synthesized stacks checked.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../helpers";

const PACKAGE = "@platform/aws-eks-platform";
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
const tsc = join(REPO_ROOT, "node_modules/typescript/bin/tsc");

/** The ```ts <tag> block of the README. */
function readmeExample(tag: string): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const match = new RegExp("```ts " + tag + "\\n([\\s\\S]*?)```").exec(readme);
  if (!match) throw new Error(`README has no \`\`\`ts ${tag} block`);
  return match[1];
}

let tarball = "";
let files: string[] = [];

beforeAll(() => {
  const out = mkdtempSync(join(tmpdir(), "platform-pack-"));
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", out], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  tarball = join(out, packed[0].filename);
  files = packed[0].files.map((f) => f.path);
}, 240_000);

/** A consumer project with the tarball installed and the dependencies linked. */
function consumer(kind: "commonjs" | "module", source: string): string {
  const dir = mkdtempSync(join(tmpdir(), `platform-consumer-${kind}-`));
  const target = join(dir, "node_modules", PACKAGE);
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"]);
  const links = [
    ...Object.keys(pkg.dependencies),
    ...Object.keys(pkg.peerDependencies),
    "typescript",
    "@types/node",
  ];
  for (const name of links) {
    const link = join(dir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(REPO_ROOT, "node_modules", name), link, "dir");
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: kind }),
  );
  const compilerOptions =
    kind === "commonjs"
      ? { module: "commonjs", moduleResolution: "node" }
      : { module: "NodeNext", moduleResolution: "NodeNext" };
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        strict: true,
        types: ["node"],
        outDir: "out",
        ...compilerOptions,
      },
      include: ["main.ts"],
    }),
  );
  writeFileSync(join(dir, "main.ts"), source);
  return dir;
}

function compileAndRun(dir: string): { stdout: string; stack: (name: string) => any } {
  const compiled = spawnSync(process.execPath, [tsc, "-p", "."], { cwd: dir, encoding: "utf8" });
  expect(compiled.stdout + compiled.stderr).toBe("");
  expect(compiled.status).toBe(0);
  const ran = spawnSync(process.execPath, ["out/main.js"], { cwd: dir, encoding: "utf8" });
  expect(ran.stderr).toBe("");
  expect(ran.status).toBe(0);
  return {
    stdout: ran.stdout,
    stack: (name) =>
      JSON.parse(readFileSync(join(dir, "cdktf.out/stacks", name, "cdk.tf.json"), "utf8")),
  };
}

test("the tarball holds the compiled package and nothing else: no sources, tests, environment files or CI", () => {
  expect(files).toContain("dist/index.js");
  expect(files).toContain("dist/index.d.ts");
  expect(files).toContain("dist/index.d.ts.map");
  expect(files).toContain("dist/constructs/index.js.map");
  expect(files).toContain("dist/constructs/post-renderers/colour-labels.cjs");
  expect(files).toContain("dist/constructs/functions/directory-index.js");
  expect(files).toContain("dist/constructs/functions/alarm-forwarder/index.cjs");
  for (const file of [
    "Chart.yaml",
    "values.yaml",
    "templates/_helpers.tpl",
    "templates/serviceaccount.yaml",
    "templates/secretstore.yaml",
    "templates/externalsecrets.yaml",
  ])
    expect(files).toContain(`dist/constructs/charts/namespace-secrets/${file}`);
  expect(files).toContain("CHANGELOG.md");
  const outside = files.filter(
    (f) => !f.startsWith("dist/") && !["package.json", "README.md", "CHANGELOG.md"].includes(f),
  );
  expect(outside).toEqual([]);
  for (const banned of [
    /\.ts$/,
    /^dist\/test\//,
    /environments\//,
    /cdktf\.out/,
    /\.github/,
    /\.ci\//,
  ])
    expect(files.filter((f) => banned.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
});

test("package.json: compiled entry points, the two public paths only, peer dependencies with our exact ranges", () => {
  expect(pkg.private).toBeUndefined();
  expect(pkg.main).toBe("dist/index.js");
  expect(pkg.types).toBe("dist/index.d.ts");
  expect(Object.keys(pkg.exports)).toEqual([".", "./constructs", "./package.json"]);
  // TypeScript's classic "node" resolution ignores exports: typesVersions maps the subpath's types
  expect(pkg.typesVersions).toEqual({ "*": { constructs: ["dist/constructs/index.d.ts"] } });
  expect(pkg.peerDependencies).toEqual({
    cdktf: ">=0.21.0 <0.22.0",
    constructs: "^10.4.2",
    "@cdktf/provider-aws": "~20.1.0",
    "@cdktf/provider-kubernetes": "~12.1.1",
    "@cdktf/provider-helm": "~12.1.2",
  });
  // our own build uses exactly the versions the ranges start from
  for (const name of Object.keys(pkg.peerDependencies)) {
    expect(pkg.dependencies[name]).toBeUndefined();
    expect(pkg.devDependencies[name]).toBeDefined();
  }
  expect(pkg.scripts.prepack).toBe("node bin/build-package.cjs");
  // the version the code reports is the package's
  expect(readFileSync(join(REPO_ROOT, "version.ts"), "utf8")).toContain(`"${pkg.version}"`);
  expect(readFileSync(join(REPO_ROOT, "CHANGELOG.md"), "utf8")).toContain(`## ${pkg.version}\n`);
});

test("README's CommonJS example compiles with tsc --strict and synthesizes with plain node", () => {
  const dir = consumer("commonjs", readmeExample("consumer-cjs"));
  const { stdout, stack } = compileAndRun(dir);
  expect(stdout).toBe("written: true, findings: 0\n");
  const json = stack("team-a-dev");
  expect(Object.keys(json.resource.aws_vpc)).toHaveLength(1);
  expect(Object.keys(json.resource.aws_nat_gateway)).toHaveLength(1);
  expect(Object.values(json.resource.aws_ecr_repository).map((r: any) => r.name)).toEqual([
    "team-a/api",
  ]);
  expect(Object.values(json.resource.aws_flow_log)).toHaveLength(1);
}, 120_000);

test("README's ESM (NodeNext) example compiles and synthesizes", () => {
  const dir = consumer("module", readmeExample("consumer-esm"));
  const { stack } = compileAndRun(dir);
  const json = stack("team-b");
  expect(Object.values(json.resource.aws_vpc).map((v: any) => v.cidr_block)).toEqual([
    "10.50.0.0/16",
  ]);
  expect(Object.keys(json.resource.aws_subnet).length).toBeGreaterThanOrEqual(9);
}, 120_000);

test("the README's first example (the smallest use) compiles and synthesizes too", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const smallest = /The smallest use[^\n]*\n\n```ts\n([\s\S]*?)```/.exec(readme)![1];
  const dir = consumer("commonjs", smallest);
  const { stack } = compileAndRun(dir);
  expect(Object.keys(stack("team-a").resource.aws_vpc)).toHaveLength(1);
}, 120_000);

test("nothing but the two public paths is reachable", () => {
  const dir = consumer("commonjs", "");
  const resolve = (spec: string) =>
    spawnSync(process.execPath, ["-e", `require.resolve(${JSON.stringify(spec)})`], {
      cwd: dir,
      encoding: "utf8",
    });
  expect(resolve(PACKAGE).status).toBe(0);
  expect(resolve(`${PACKAGE}/constructs`).status).toBe(0);
  const hidden = resolve(`${PACKAGE}/dist/constructs/network`);
  expect(hidden.status).not.toBe(0);
  expect(hidden.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  expect(existsSync(join(dir, "node_modules", PACKAGE, "constructs"))).toBe(false);
  expect(readdirSync(join(dir, "node_modules", PACKAGE)).sort()).toEqual([
    "CHANGELOG.md",
    "README.md",
    "dist",
    "package.json",
  ]);
});
