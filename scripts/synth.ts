/**
 * `npm run synth [-- --policy-report <file.json>]`: validates every environment file, writes
 * cdktf.out/ for all environments through the policy pack and prints a short summary per stack.
 * Exit 1, with one complete message and nothing written, when an environment file or construct
 * input is invalid or a policy rule of severity error fails. `--policy-report` (or
 * PLATFORM_POLICY_REPORT) also writes the findings as JSON and, next to it, as SARIF.
 */
import { runMain } from "../stacks/run";
import { RULES } from "../policy/rules";
import { join } from "node:path";
import { formatSummary, readSynthesizedStacks, summarizeStack } from "./lib/summary";

const started = Date.now();
const args = process.argv.slice(2);
let policyReport: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--policy-report" && args[i + 1] && !args[i + 1].startsWith("--")) {
    policyReport = args[++i];
  } else {
    process.stderr.write(
      `${args[i]}: ${args[i] === "--policy-report" ? "expected a file name after --policy-report (e.g. policy.json)" : "unknown argument; expected --policy-report <file.json>"}\n`,
    );
    process.exit(1);
  }
}

const built = runMain({ policyReport });
if (built) {
  // the documents just written, from memory (the files only when the result has none)
  const { outdir } = built.app;
  const stacks = built.policy.stacks
    ? built.policy.stacks.map((s) =>
        summarizeStack(s.name, join(outdir, s.workingDirectory), s.document),
      )
    : readSynthesizedStacks(outdir);
  for (const stack of stacks) process.stdout.write(`${formatSummary(stack)}\n\n`);
  const mode = built.offline ? "offline plan mode" : "normal mode";
  const { findings, suppressed } = built.policy;
  process.stdout.write(
    `Policy: ${RULES.length} rules, ${findings.filter((f) => f.severity === "error").length} errors, ${findings.filter((f) => f.severity === "warning").length} warnings, ${suppressed.length} suppressed with reasons${policyReport ? ` (report: ${policyReport} and its .sarif)` : ""}\n`,
  );
  process.stdout.write(
    `Synthesized ${stacks.length} stacks for ${built.environments.length} environments (${mode}) into ${built.app.outdir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}
