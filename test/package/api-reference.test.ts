/**
 * `npm run docs`: TypeDoc turns the doc comments of both entry points into the HTML reference
 * (warnings are errors: a broken {@link} fails it). The reference names each construct and shows
 * the `@default` of each optional prop. Every export having a comment is test/unit/api-docs.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers";

test("generates the reference of every construct and props interface, with the defaults", () => {
  const out = mkdtempSync(join(tmpdir(), "platform-docs-"));
  const result = spawnSync(
    process.execPath,
    [join(REPO_ROOT, "node_modules/typedoc/bin/typedoc"), "--out", out],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  expect(result.stdout + result.stderr).not.toMatch(/warning|error/i);
  expect(result.status).toBe(0);
  const classes = readdirSync(join(out, "classes"));
  for (const construct of [
    "Network",
    "KubernetesCluster",
    "Database",
    "StaticSite",
    "BlueGreenRelease",
    "GithubDeployRoles",
  ])
    expect(classes).toContain(`index.${construct}.html`);
  const network = readFileSync(join(out, "interfaces/index.NetworkProps.html"), "utf8");
  expect(network).toContain("natGateways");
  expect(network).toContain("Default");
}, 120_000);
