/**
 * Tearing down a development-tier environment: workloads first (the AWS Load Balancer Controller
 * is still running while the app Ingresses go, so it deletes the ALBs, target groups and security
 * groups it created), then the infrastructure, then the log groups AWS re-created outside
 * Terraform while the services were being deleted (EKS writes `/aws/eks/<cluster>/cluster` until
 * the control plane is gone and re-creates the group: the next apply would stop at
 * ResourceAlreadyExistsException).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  EnvironmentConfigError,
  loadEnvironments,
  type LoadedEnvironment,
} from "../../config/load";
import { formatProblem } from "../../constructs/private/validation";
import { runMain } from "../../stacks/run";
import { readSynthesizedStacks } from "./summary";

/** The deploy tool when `PLATFORM_DEPLOY_COMMAND` is not set (the project's cdktf CLI). */
export const DEFAULT_DEPLOY_COMMAND = "npx cdktf";
/** The AWS CLI when `PLATFORM_AWS_COMMAND` is not set. */
export const DEFAULT_AWS_COMMAND = "aws";

/** A log group of the infrastructure stack, where it lives. */
export interface StackLogGroup {
  readonly name: string;
  readonly region: string;
}

/** What a teardown needs from its surroundings (tests pass their own). */
export interface DestroyOptions {
  /** Folder of environment files. @default PLATFORM_ENV_DIR, else `environments/` */
  readonly environmentDirectory?: string;
  /** The deploy tool, split on spaces; `destroy <stack> ...` is appended. @default PLATFORM_DEPLOY_COMMAND, else "npx cdktf" */
  readonly deployCommand?: string;
  /** The AWS CLI, split on spaces; `logs delete-log-group ...` is appended. @default PLATFORM_AWS_COMMAND, else "aws" */
  readonly awsCommand?: string;
  /** Where progress goes. @default stdout */
  readonly out?: (line: string) => void;
  /** Where errors go. @default stderr */
  readonly err?: (line: string) => void;
}

/** `npm run destroy -- <env>`: the process exit code of a teardown. */
export function destroyEnvironment(args: readonly string[], options: DestroyOptions = {}): number {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (args.length !== 1 || args[0].startsWith("-")) {
    err("Usage: npm run destroy -- <env>   (a development-tier environment, e.g. dev)");
    return 1;
  }
  const name = args[0];

  // 1. The environment files, before anything runs.
  let environments: LoadedEnvironment[];
  try {
    environments = loadEnvironments(options.environmentDirectory);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) {
      err(error.message);
      return 1;
    }
    throw error;
  }
  const loaded = environments.find((e) => e.config.name === name);
  if (!loaded) {
    err(
      `No environment "${name}": environments are ${environments.map((e) => e.config.name).join(", ")}`,
    );
    return 1;
  }
  const env = loaded.config;
  if (env.tier !== "development") {
    err(
      `${loaded.file}: ${formatProblem({
        field: "tier",
        received: env.tier,
        expected: `"development": npm run destroy tears down development-tier environments only (${env.tier} keeps prevent_destroy, deletion protection and final snapshots; retire it through a reviewed change)`,
      })}`,
    );
    return 1;
  }
  if (["1", "true", "yes"].includes((process.env.PLATFORM_OFFLINE ?? "").toLowerCase())) {
    err(
      "PLATFORM_OFFLINE is set: offline plan mode has a local, empty state and nothing to destroy; unset it to destroy the real environment",
    );
    return 1;
  }

  // 2. Synthesize (normal mode: the S3 backend holding the environment's state).
  out(`Synthesizing ${env.name} ...`);
  const built = runMain({ environmentDirectory: options.environmentDirectory, offline: false });
  if (!built) return 1;
  const workloads = `${env.name}-workloads`;
  const infrastructure = `${env.name}-infrastructure`;
  const logGroups = stackLogGroups(built.app.outdir, infrastructure, env.region);

  // 3. Workloads, then infrastructure; never the infrastructure after a failed workloads destroy
  // (the controller's ALBs and security groups would block the VPC's deletion).
  const deploy = splitCommand(
    options.deployCommand ?? process.env.PLATFORM_DEPLOY_COMMAND ?? DEFAULT_DEPLOY_COMMAND,
  );
  const steps: { stack: string; extra: string[] }[] = [
    { stack: workloads, extra: [] },
    // cdktf refuses to destroy a stack without its dependants unless told: they are gone already
    { stack: infrastructure, extra: ["--ignore-missing-stack-dependencies"] },
  ];
  for (const [i, { stack, extra }] of steps.entries()) {
    const argv = [...deploy.slice(1), "destroy", stack, "--auto-approve", "--skip-synth", ...extra];
    out(`[${i + 1}/3] Destroying ${stack}: ${[deploy[0], ...argv].join(" ")}`);
    const result = spawnSync(deploy[0], argv, { stdio: "inherit", env: process.env });
    if (result.error || result.status !== 0) {
      const why = result.error ? result.error.message : `exit ${result.status}`;
      const rest = steps
        .slice(i + 1)
        .map((s) => s.stack)
        .concat(["the log group cleanup"]);
      err(`${stack}: destroy failed (${why}); not run: ${rest.join(", ")}. Fix it and run again.`);
      return 1;
    }
  }

  // 4. Log groups re-created by AWS after Terraform deleted them.
  const aws = splitCommand(
    options.awsCommand ?? process.env.PLATFORM_AWS_COMMAND ?? DEFAULT_AWS_COMMAND,
  );
  out(`[3/3] Deleting log groups AWS re-created outside Terraform (${logGroups.length} to check)`);
  const failed: string[] = [];
  for (const group of logGroups) {
    const argv = [
      ...aws.slice(1),
      "logs",
      "delete-log-group",
      "--log-group-name",
      group.name,
      "--region",
      group.region,
    ];
    const result = spawnSync(aws[0], argv, { encoding: "utf8", env: process.env });
    if (!result.error && result.status === 0) {
      out(`  ${group.name}: deleted (it had been re-created after terraform destroy)`);
    } else if (!result.error && /ResourceNotFoundException/.test(result.stderr ?? "")) {
      out(`  ${group.name}: already gone`);
    } else {
      const why = result.error
        ? result.error.message
        : (result.stderr || result.stdout || "").trim();
      err(`  ${group.name}: could not delete it: ${why}`);
      failed.push(`${aws[0]} ${argv.join(" ")}`);
    }
  }
  if (failed.length > 0) {
    err(
      `${env.name} is destroyed, but ${failed.length} log group(s) remain and would make the next apply fail with ResourceAlreadyExistsException; delete them with:\n${failed.map((c) => `  ${c}`).join("\n")}`,
    );
    return 1;
  }
  out(`${env.name} destroyed: ${workloads}, ${infrastructure} and their log groups are gone.`);
  return 0;
}

/** Every log group the infrastructure stack declares, with the region of its provider. */
export function stackLogGroups(outdir: string, stackName: string, region: string): StackLogGroup[] {
  const stack = readSynthesizedStacks(outdir).find((s) => s.name === stackName);
  if (!stack) throw new Error(`${stackName} was not synthesized into ${outdir}`);
  const json = JSON.parse(readFileSync(join(stack.directory, "cdk.tf.json"), "utf8")) as {
    resource?: { aws_cloudwatch_log_group?: Record<string, { name?: string; provider?: string }> };
    provider?: { aws?: { alias?: string; region?: string }[] };
  };
  const regions = new Map(
    (json.provider?.aws ?? []).map((p) => [p.alias ? `aws.${p.alias}` : "aws", p.region]),
  );
  return Object.values(json.resource?.aws_cloudwatch_log_group ?? {})
    .filter((g): g is { name: string; provider?: string } => typeof g.name === "string")
    .map((g) => ({ name: g.name, region: regions.get(g.provider ?? "aws") ?? region }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A command line from an environment variable: words separated by spaces (no shell). */
function splitCommand(command: string): string[] {
  const words = command.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new Error("empty deploy or AWS command");
  return words;
}
