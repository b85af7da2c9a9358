/**
 * `npm run pipeline -- <command>`: what the GitHub Actions workflows ask of the repository.
 *
 *   affected --base <sha> [--head <sha>]   environments a change affects, as a job matrix
 *   describe <env>                          the environment's roles, runner and GitHub Environment
 *   pending <env>                           apps whose version waits to be released
 *   want <env> <app> <version>              set apps.<app>.version in place (the image build's release change)
 *   comment <env>=<report.md>...            create or update the pull request's one plan comment
 *   apply <stack>                           apply exactly the stack's saved plan
 *   backup <env> <label>                    the pre-deployment database snapshot (waits until available)
 *   notify <env> <summary>                  tell the environment's notification channels a step failed
 *
 * Results go to stdout as JSON and, under GitHub Actions, to $GITHUB_OUTPUT. Exit 1 on bad input or
 * a failure, 2 when apply refuses a plan whose state moved on.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { environmentDirectory, EnvironmentConfigError, loadEnvironments } from "../config/load";
import { EnvironmentFile, ReleaseRefusal } from "../release/environment-file";
import {
  affectedEnvironments,
  applySavedPlan,
  describeEnvironment,
  pendingReleases,
  PipelineError,
  planCommentBody,
  upsertPlanComment,
} from "./lib/pipeline";
import { releaseBackends } from "../release/backends";
import { offlineFromEnvironment } from "../stacks/app";
import { durationMs } from "../config/duration";

const USAGE =
  "usage: npm run pipeline -- affected --base <sha> [--head <sha>] | describe <env> | pending <env> | want <env> <app> <version> | comment <env>=<report.md>... | apply <stack> | backup <env> <label> | notify <env> <summary>";

/** Writes `key=value` lines for later steps (GITHUB_OUTPUT), when running under Actions. */
function output(values: Record<string, string>): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) return;
  appendFileSync(
    file,
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
}

function environmentsByName() {
  return new Map(loadEnvironments().map((e) => [e.config.name, e]));
}

function environmentNamed(name: string | undefined) {
  const all = environmentsByName();
  const found = name === undefined ? undefined : all.get(name);
  if (!found)
    throw new PipelineError(
      `environment: received ${JSON.stringify(name ?? null)}; expected one of ${[...all.keys()].join(", ")}`,
    );
  return found;
}

function changedFiles(base: string, head: string): string[] {
  const result = spawnSync("git", ["diff", "--name-only", `${base}...${head}`], {
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new PipelineError(
      `git diff ${base}...${head} failed: ${result.stderr.trim()} (check out with fetch-depth: 0)`,
    );
  return result.stdout.split("\n").filter(Boolean);
}

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  switch (command) {
    case "affected": {
      const flag = (name: string) => {
        const i = rest.indexOf(name);
        return i >= 0 ? rest[i + 1] : undefined;
      };
      const base = flag("--base");
      if (!base) throw new PipelineError(`affected: --base <sha> is required\n${USAGE}`);
      const all = environmentsByName();
      const result = affectedEnvironments(changedFiles(base, flag("--head") ?? "HEAD"), [
        ...all.keys(),
      ]);
      const include = result.environments.map((name) => {
        const e = all.get(name)!;
        return describeEnvironment(e.config, e.file);
      });
      const matrix = JSON.stringify({ include });
      process.stdout.write(`${JSON.stringify({ ...result, include }, null, 2)}\n`);
      process.stderr.write(
        `affected: ${result.environments.join(", ") || "none"} (${result.reason})\n`,
      );
      output({
        matrix,
        any: String(include.length > 0),
        environments: result.environments.join(" "),
      });
      return;
    }
    case "describe": {
      const e = environmentNamed(rest[0]);
      const described = describeEnvironment(e.config, e.file);
      process.stdout.write(`${JSON.stringify(described, null, 2)}\n`);
      output({
        ...Object.fromEntries(
          Object.entries(described).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
          ]),
        ),
      });
      return;
    }
    case "pending": {
      const e = environmentNamed(rest[0]);
      const pending = pendingReleases(e.config);
      process.stdout.write(`${JSON.stringify(pending, null, 2)}\n`);
      output({ releases: JSON.stringify(pending), any: String(pending.length > 0) });
      return;
    }
    case "want": {
      const [name, app, version] = rest;
      if (rest.length !== 3) throw new PipelineError(`want: takes <env> <app> <version>\n${USAGE}`);
      const before = EnvironmentFile.read(environmentDirectory(), name);
      const after = before.withWantedVersion(app, version);
      after.write();
      process.stdout.write(
        `${after.path}: apps.${app}.version ${before.app(app).version} -> ${version}\n${before.diff(after)}\n`,
      );
      return;
    }
    case "comment": {
      const reports = rest.map((arg) => {
        const [environment, file] = arg.split("=");
        if (!environment || !file)
          throw new PipelineError(
            `comment: received ${JSON.stringify(arg)}; expected <env>=<report.md>`,
          );
        return { environment, markdown: readFileSync(file, "utf8") };
      });
      if (reports.length === 0) throw new PipelineError(`comment: no reports given\n${USAGE}`);
      const pullRequest = Number(
        process.env.PR_NUMBER ??
          (process.env.GITHUB_EVENT_PATH
            ? (
                JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH, "utf8")) as {
                  pull_request?: { number?: number };
                }
              ).pull_request?.number
            : undefined),
      );
      const token = process.env.GITHUB_TOKEN;
      const repository = process.env.GITHUB_REPOSITORY;
      const missing = [
        ...(token ? [] : ["GITHUB_TOKEN"]),
        ...(repository ? [] : ["GITHUB_REPOSITORY"]),
        ...(Number.isInteger(pullRequest) && pullRequest > 0
          ? []
          : ["the pull request number (PR_NUMBER or a pull_request event)"]),
      ];
      if (missing.length > 0) throw new PipelineError(`comment: missing ${missing.join(", ")}`);
      const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
      const runUrl = process.env.GITHUB_RUN_ID
        ? `${server}/${repository}/actions/runs/${process.env.GITHUB_RUN_ID}`
        : undefined;
      const result = await upsertPlanComment(
        {
          apiUrl: process.env.GITHUB_API_URL ?? "https://api.github.com",
          token: token!,
          repository: repository!,
          pullRequest,
        },
        planCommentBody(reports, runUrl),
      );
      process.stdout.write(
        `plan comment ${result.action} (id ${result.id}) on ${repository}#${pullRequest}\n`,
      );
      return;
    }
    case "apply": {
      const stack = rest[0];
      if (!stack || rest.length !== 1)
        throw new PipelineError(`apply: takes one stack name\n${USAGE}`);
      const dir = join(process.env.CDKTF_OUTDIR ?? "cdktf.out", "stacks", stack);
      const started = Date.now();
      applySavedPlan(dir, (step) => process.stdout.write(`${stack}: terraform ${step}...\n`));
      process.stdout.write(
        `${stack}: applied the saved plan in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      return;
    }
    case "backup": {
      const [name, label] = rest;
      const e = environmentNamed(name);
      if (!label || rest.length !== 2)
        throw new PipelineError(`backup: takes <env> <label> (the tag or commit)\n${USAGE}`);
      const backends = await releaseBackends(e.config, "pipeline", {
        offline: offlineFromEnvironment(),
        cwd: process.cwd(),
        notify: false,
      });
      if (!backends.backup)
        throw new PipelineError(
          `backup: ${e.config.name} has no database backup offline (PLATFORM_OFFLINE is set)`,
        );
      const result = await backends.backup.snapshot(
        {
          app: "pipeline",
          version: label,
          keep: e.config.releaseBackups.keep,
          timeoutMs: durationMs(e.config.releaseBackups.timeout),
        },
        (line) => process.stdout.write(`backup: ${line}\n`),
      );
      process.stdout.write(`backup: snapshot ${result.snapshotId} is available\n`);
      output({ snapshot: result.snapshotId });
      return;
    }
    case "notify": {
      const [name, ...words] = rest;
      const e = environmentNamed(name);
      const summary = words.join(" ").trim();
      if (!summary) throw new PipelineError(`notify: a summary is required\n${USAGE}`);
      const backends = await releaseBackends(e.config, "pipeline", {
        offline: offlineFromEnvironment(),
        cwd: process.cwd(),
      });
      backends.notifier?.send({
        kind: "failed",
        severity: e.config.tier === "production" ? "critical" : "warning",
        environment: e.config.name,
        app: "pipeline",
        summary,
        releaseId: `pipeline-${process.env.GITHUB_RUN_ID ?? Date.now()}`,
      });
      const result = await backends.notifier?.flush(30_000);
      process.stdout.write(
        `notify: sent to ${e.config.name}'s channels${result && result.failed.length > 0 ? ` (failed: ${result.failed.join("; ")})` : ""}\n`,
      );
      return;
    }
    default:
      throw new PipelineError(
        `${command === undefined ? "no command" : `unknown command ${JSON.stringify(command)}`}\n${USAGE}`,
      );
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (
    error instanceof PipelineError ||
    error instanceof EnvironmentConfigError ||
    error instanceof ReleaseRefusal
  ) {
    process.stderr.write(`${error.message}\n`);
    process.exit(error instanceof PipelineError ? error.exitCode : 1);
  }
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
