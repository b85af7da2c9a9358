/**
 * The policy pack's own cost inside synthesis: resolves every stack once (what synthesis does
 * anyway), then times the rule pack over the resolved JSON. Run by `npm run bench`.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformStack } from "cdktf";
import { buildApp } from "../stacks/app";
import { checkStack, type StackDocument } from "../policy/check";
const { app } = buildApp({ outdir: mkdtempSync(join(tmpdir(), "bench-policy-")), offline: true });
const stacks = app.node.findAll().filter(TerraformStack.isStack);
const t0 = process.hrtime.bigint();
stacks.forEach((s) => s.prepareStack());
const docs = stacks.map((s) => s.toTerraform());
const t1 = process.hrtime.bigint();
for (let i = 0; i < 5; i++) stacks.forEach((s, j) => checkStack(s, docs[j] as StackDocument));
const t2 = process.hrtime.bigint();
process.stdout.write(
  `resolve ${(Number(t1 - t0) / 1e6).toFixed(0)} ms; policy check of ${stacks.length} stacks ${(Number(t2 - t1) / 5e6).toFixed(1)} ms per pass\n`,
);
