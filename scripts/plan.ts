/**
 * `npm run plan [-- [--base <dir>] <env|stack>...]`: synthesizes, then runs terraform init,
 * validate and plan in each selected stack (the saved plan stays at
 * `cdktf.out/stacks/<stack>/plan.tfplan` for the pipeline to apply exactly), writes the reviewers'
 * report `cdktf.out/plan-report.md` and `.json`, and runs the plan guard over the plans. With
 * PLATFORM_OFFLINE=1 it needs no cloud credentials and no network (hashicorp/aws comes from the
 * local provider mirror); stacks whose providers are not in the mirror (kubernetes, helm) are
 * skipped offline, with a note. `--base` names the `cdktf.out` folder of the base branch, so the
 * guard also sees a removed `prevent_destroy`.
 *
 * Exit codes: 0 planned (guard passed or only warned), 1 synthesis, Terraform or allowance-file
 * error, 4 the guard blocks a destructive change in production.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { environmentDirectory } from "../config/load";
import { todayUtc } from "../constructs/kubernetes-versions";
import { runMain } from "../stacks/run";
import {
  AllowanceFileError,
  formatVerdict,
  guardPlans,
  loadAllowances,
  preventDestroyAddresses,
  type FiledAllowance,
  type GuardStack,
} from "./lib/plan-guard";
import {
  buildReport,
  formatCounts,
  renderJson,
  renderMarkdown,
  summarizePlan,
} from "./lib/plan-report";
import { selectStacks } from "./lib/summary";
import { findProviderMirror, initValidatePlan } from "./lib/terraform";

const args = process.argv.slice(2);
let base: string | undefined;
const selectors: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--base") {
    base = args[++i];
    if (!base || !existsSync(join(base, "stacks"))) {
      process.stderr.write(
        `--base: received ${JSON.stringify(base ?? null)}; expected the cdktf.out folder of the base branch (with a stacks/ folder)\n`,
      );
      process.exit(1);
    }
  } else selectors.push(args[i]);
}

const built = runMain();
if (!built) process.exit(1);

const stacks = selectStacks(built.app.outdir, selectors);
const environmentOf = (stack: string) =>
  built.environments
    .map((e) => e.config)
    .filter((c) => stack.startsWith(`${c.name}-`))
    .sort((a, b) => b.name.length - a.name.length)[0];

// Allowance files are read before anything is planned: an invalid one stops the command.
const allowances: FiledAllowance[] = [];
try {
  const dir = environmentDirectory();
  const names = new Set(stacks.map((s) => environmentOf(s.name)?.name).filter(Boolean));
  for (const name of names) {
    const path = join(dir, `${name}.allow.yaml`);
    const display = relative(process.cwd(), path).startsWith("..")
      ? path
      : relative(process.cwd(), path);
    allowances.push(...loadAllowances(dir, name as string, display));
  }
} catch (error) {
  if (!(error instanceof AllowanceFileError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const mirror = findProviderMirror();
const planned: GuardStack[] = [];
const skipped: { stack: string; reason: string }[] = [];
let failed = 0;
for (const stack of stacks) {
  // cdktf writes short sources ("aws" for hashicorp/aws); only hashicorp/aws is in the mirror.
  const unmirrored = stack.providerSources.filter(
    (source) => !["aws", "hashicorp/aws", "registry.terraform.io/hashicorp/aws"].includes(source),
  );
  if (built.offline && unmirrored.length > 0) {
    const reason = `skipped offline (needs ${unmirrored.join(", ")}, not in the provider mirror)`;
    process.stdout.write(`${stack.name}: ${reason}\n`);
    skipped.push({ stack: stack.name, reason });
    continue;
  }
  const environment = environmentOf(stack.name);
  if (!environment) throw new Error(`${stack.name}: no environment file names this stack`);
  const started = Date.now();
  try {
    const plan = initValidatePlan(
      stack.directory,
      (step) => process.stdout.write(`${stack.name}: terraform ${step}...\n`),
      { offline: built.offline },
    );
    const readConfig = (dir: string) => JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8"));
    const baseDir = base ? join(base, "stacks", stack.name) : undefined;
    planned.push({
      stack: stack.name,
      environment: environment.name,
      tier: environment.tier,
      plan,
      preventDestroy: {
        after: preventDestroyAddresses(readConfig(stack.directory)),
        ...(baseDir
          ? {
              before: existsSync(join(baseDir, "cdk.tf.json"))
                ? preventDestroyAddresses(readConfig(baseDir))
                : [],
            }
          : {}),
      },
    });
    const { counts } = summarizePlan(stack.name, environment.tier, plan);
    process.stdout.write(
      `${stack.name}: plan ok (${formatCounts(counts)}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
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
if (failed > 0) process.exit(1);

const guard = guardPlans(planned, allowances, process.env.PLATFORM_TODAY || todayUtc());
const report = buildReport({
  stacks: planned.map((s) => summarizePlan(s.stack, s.tier, s.plan)),
  guard,
  skipped,
  policy: [
    ...built.policy.findings.map((f) => ({
      ruleId: f.rule,
      severity: f.severity,
      resource: `${f.path} (${f.address})`,
      message: `${f.problem}. ${f.fix}`,
    })),
    ...built.policy.suppressed.map((f) => ({
      ruleId: f.rule,
      severity: f.severity,
      resource: `${f.path} (${f.address})`,
      message: f.problem,
      suppressed: f.suppressedBy.reason,
    })),
  ],
});
const markdown = join(built.app.outdir, "plan-report.md");
writeFileSync(markdown, renderMarkdown(report));
writeFileSync(join(built.app.outdir, "plan-report.json"), renderJson(report));
process.stdout.write(
  `\n${report.headline}\nreport: ${relative(process.cwd(), markdown)} (and plan-report.json)\n`,
);
process.stdout.write(`${formatVerdict(guard)}\n`);
process.exit(guard.exitCode);
