/**
 * `npm run validate [-- <env|stack>...]`: synthesizes, then runs `terraform init -backend=false`
 * and `terraform validate` in every selected stack: no state, no cloud credentials. Providers come
 * from the local mirror when it has them (hashicorp/aws) and from the registry otherwise, so the
 * workloads stacks (kubernetes, helm) need a machine that reaches registry.terraform.io.
 */
import { runMain } from "../stacks/run";
import { selectStacks } from "./lib/summary";
import { initAndValidate } from "./lib/terraform";

const selectors = process.argv.slice(2);
const built = runMain();
if (!built) process.exit(1);
const stacks = selectStacks(built.app.outdir, selectors);
let failed = 0;
for (const stack of stacks) {
  const started = Date.now();
  try {
    initAndValidate(stack.directory, (step) =>
      process.stdout.write(`${stack.name}: terraform ${step}...\n`),
    );
    process.stdout.write(
      `${stack.name}: valid (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
  } catch (error) {
    failed += 1;
    const message = (error as Error).message;
    const hint = /registry\.terraform\.io/.test(message)
      ? "\nhint: this stack needs providers that are not in the local mirror (kubernetes, helm); run it where registry.terraform.io is reachable"
      : "";
    process.stderr.write(`${stack.name}: ${message}${hint}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
