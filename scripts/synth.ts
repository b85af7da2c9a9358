/**
 * `npm run synth`: validates every environment file, writes cdktf.out/ for all environments and
 * prints a short summary per stack. Exit 1, with one complete message and nothing written, when an
 * environment file or construct input is invalid.
 */
import { runMain } from "../stacks/run";
import { formatSummary, readSynthesizedStacks } from "./lib/summary";

const started = Date.now();
const built = runMain();
if (built) {
  const stacks = readSynthesizedStacks(built.app.outdir);
  for (const stack of stacks) process.stdout.write(`${formatSummary(stack)}\n\n`);
  const mode = built.offline ? "offline plan mode" : "normal mode";
  process.stdout.write(
    `Synthesized ${stacks.length} stacks for ${built.environments.length} environments (${mode}) into ${built.app.outdir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
