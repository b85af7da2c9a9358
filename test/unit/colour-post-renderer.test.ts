import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Fn, TerraformAsset, TerraformStack, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release } from "@cdktf/provider-helm/lib/release";
import {
  COLOUR_LABELS_ASSET_ID,
  COLOUR_LABELS_SCRIPT,
  colourPostRenderer,
} from "../../constructs/private/colour-post-renderer";
import { REPO_ROOT, testStack, type StackJson } from "../helpers";

const SCRIPT_HASH = createHash("md5")
  .update(readFileSync(COLOUR_LABELS_SCRIPT))
  .digest("hex")
  .toUpperCase();
const ASSET_PATH = `assets/${COLOUR_LABELS_ASSET_ID}/${SCRIPT_HASH}/colour-labels.cjs`;

/** Two apps (web on blue, api on green) in one stack, synthesized into `outdir`. */
function synthTwoApps(outdir: string): { json: StackJson; stackDir: string } {
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "workloads");
  new HelmProvider(stack, "helm", {});
  for (const [name, colour, version] of [
    ["web", "blue", "6.7.1"],
    ["api", "green", "6.7.0"],
  ] as const) {
    const scope = new Construct(stack, name);
    new Release(scope, `release-${colour}`, {
      name: `${name}-${colour}`,
      chart: "podinfo",
      postrender: colourPostRenderer(scope, colour, version),
    });
  }
  app.synth();
  const stackDir = join(outdir, "stacks/workloads");
  const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as StackJson;
  return { json, stackDir };
}

/** The `postrender` of the one helm_release whose Terraform name starts with `prefix`. */
function postrender(json: StackJson, prefix: string): unknown {
  const releases = Object.entries(json.resource?.helm_release ?? {});
  const matching = releases.filter(([key]) => key.startsWith(prefix));
  if (matching.length !== 1) throw new Error(`expected one helm_release ${prefix}*`);
  return matching[0][1].postrender;
}

describe("colourPostRenderer", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "colour-post-renderer-"));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test("synthesizes node <asset path relative to the stack folder> <colour> <version>", () => {
    const { json } = synthTwoApps(tempDir());
    expect(Object.keys(json.resource?.helm_release ?? {})).toHaveLength(2);
    expect(postrender(json, "web_")).toEqual({
      binary_path: "node",
      args: [ASSET_PATH, "blue", "6.7.1"],
    });
    expect(postrender(json, "api_")).toEqual({
      binary_path: "node",
      args: [ASSET_PATH, "green", "6.7.0"],
    });
  });

  test("copies the script into the stack folder, once, with the same content", () => {
    const { stackDir } = synthTwoApps(tempDir());
    const copy = join(stackDir, ASSET_PATH);
    expect(existsSync(copy)).toBe(true);
    expect(readdirSync(join(stackDir, "assets"))).toEqual([COLOUR_LABELS_ASSET_ID]);
    expect(readFileSync(copy, "utf8")).toBe(readFileSync(COLOUR_LABELS_SCRIPT, "utf8"));
  });

  test("the path is the same for every synth, in any output folder", () => {
    const all = (json: StackJson) => Object.values(json.resource?.helm_release ?? {});
    const first = all(synthTwoApps(tempDir()).json).map((r) => r.postrender);
    const second = all(synthTwoApps(join(tempDir(), "elsewhere")).json).map((r) => r.postrender);
    expect(second).toEqual(first);
  });

  test("adds one asset per stack, directly under the stack", () => {
    const stack = testStack();
    const web = new Construct(stack, "web");
    const api = new Construct(stack, "api");
    colourPostRenderer(web, "blue", "1.0.0");
    colourPostRenderer(web, "green", "1.0.1");
    colourPostRenderer(api, "blue", "2.0.0");
    const assets = stack.node.findAll().filter((c) => c instanceof TerraformAsset);
    expect(assets.map((a) => a.node.path)).toEqual([`test/${COLOUR_LABELS_ASSET_ID}`]);
  });

  test("runs from the synthesized stack folder exactly as the helm provider runs it", () => {
    // A project layout: <project>/node_modules beside <project>/cdktf.out.
    const project = tempDir();
    symlinkSync(join(REPO_ROOT, "node_modules"), join(project, "node_modules"));
    const { json, stackDir } = synthTwoApps(join(project, "cdktf.out"));
    const { binary_path: binary, args } = postrender(json, "web_") as {
      binary_path: string;
      args: string[];
    };
    expect(binary).toBe("node");
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "NODE_PATH"));
    const result = spawnSync(process.execPath, args, {
      cwd: stackDir,
      env,
      input: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-blue\n",
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(
      "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-blue\n  labels:\n    colour: blue\n    app.kubernetes.io/version: 6.7.1\n",
    );
  });

  test("rejects a version that is not a label value, naming the construct", () => {
    const stack = testStack();
    const web = new Construct(stack, "web");
    expect(() => colourPostRenderer(web, "blue", "1.0+build")).toThrow(
      `test/web: version "1.0+build" of blue is not a Kubernetes label value: expected at most 63 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting and ending with a letter or digit`,
    );
    expect(() => colourPostRenderer(web, "green", `${"1".repeat(63)}`)).not.toThrow();
    expect(() => colourPostRenderer(web, "green", `${"1".repeat(64)}`)).toThrow(
      /not a Kubernetes label value/,
    );
  });

  test("passes a token version through for the script to check at apply time", () => {
    const stack = testStack();
    const version = new TerraformVariable(stack, "version", { type: "string" });
    const token = Fn.lower(version.stringValue);
    expect(colourPostRenderer(stack, "blue", token).args?.[2]).toBe(token);
  });

  test("refuses a stack child that already uses the asset's construct id", () => {
    const stack = testStack();
    new Construct(stack, COLOUR_LABELS_ASSET_ID);
    expect(() => colourPostRenderer(stack, "blue", "1.0.0")).toThrow(
      `test: the construct id ${COLOUR_LABELS_ASSET_ID} is reserved for the colour-labels post-renderer asset`,
    );
  });
});
