#!/usr/bin/env node
/**
 * `npm run build` (and `prepack`): the package's dist/ — `tsc -p tsconfig.build.json` (type-checked
 * JavaScript, declarations, declaration and source maps), then the files the constructs read at
 * synthesis time by path (the CloudFront function, the Helm post-renderer, the local Helm charts)
 * next to their modules.
 */
"use strict";
const { spawnSync } = require("node:child_process");
const { cpSync, mkdirSync, rmSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const started = Date.now();
rmSync(join(root, "dist"), { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: ["ignore", 2, 2], // npm pack --json owns stdout
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const dir of [
  "constructs/functions",
  "constructs/post-renderers",
  "constructs/charts",
  "constructs/jobs",
]) {
  mkdirSync(join(root, "dist", dir), { recursive: true });
  cpSync(join(root, dir), join(root, "dist", dir), { recursive: true });
}
process.stderr.write(`build: dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
