/**
 * `npm run plan [-- <env|stack>...]`: synthesizes, then runs terraform init, validate and plan in
 * each selected stack and prints what would change. With PLATFORM_OFFLINE=1 it needs no cloud
 * credentials and no network (hashicorp/aws comes from the local provider mirror); stacks whose
 * providers are not in the mirror (kubernetes, helm) are skipped offline, with a note.
 */
import { runMain } from "../stacks/run";
import { selectStacks } from "./lib/summary";
import { findProviderMirror, initValidatePlan } from "./lib/terraform";

const selectors = process.argv.slice(2);
const built = runMain();
if (!built) process.exit(1);

const stacks = selectStacks(built.app.outdir, selectors);
const mirror = findProviderMirror();
let failed = 0;
for (const stack of stacks) {
  // cdktf writes short sources ("aws" for hashicorp/aws); only hashicorp/aws is in the mirror.
  const unmirrored = stack.providerSources.filter(
    (source) => !["aws", "hashicorp/aws", "registry.terraform.io/hashicorp/aws"].includes(source),
  );
  if (built.offline && unmirrored.length > 0) {
    process.stdout.write(
      `${stack.name}: skipped offline (needs ${unmirrored.join(", ")}, not in the provider mirror)\n`,
    );
    continue;
  }
  const started = Date.now();
  try {
    const plan = initValidatePlan(stack.directory, (step) =>
      process.stdout.write(`${stack.name}: terraform ${step}...\n`),
    );
    const counts: Record<string, number> = {};
    for (const change of plan.resource_changes ?? []) {
      const action = change.change.actions.join("/");
      counts[action] = (counts[action] ?? 0) + 1;
    }
    const summary =
      Object.entries(counts)
        .map(([action, n]) => `${n} ${action}`)
        .join(", ") || "no changes";
    process.stdout.write(
      `${stack.name}: plan ok (${summary}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } catch (error) {
    failed += 1;
    process.stderr.write(`${stack.name}: ${(error as Error).message}\n`);
  }
}
if (built.offline && !mirror) {
  process.stdout.write(
    "note: no provider mirror found; providers were installed from the registry\n",
  );
}
process.exit(failed > 0 ? 1 : 0);
