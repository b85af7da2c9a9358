/**
 * What the GitHub Actions workflows ask of the repository (`npm run pipeline -- <command>`):
 * which environments a change affects, each environment's roles and runners, the apps whose
 * version is waiting to be released, the one pull-request comment with the plan report, and
 * applying exactly a saved plan.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { EnvironmentConfig } from "../../config/schema";
import { pipelineRunnersName } from "../../config/rules";
import { partitionOf } from "../../constructs/types";
import { MAX_COMMENT_CHARS } from "./plan-report";
import {
  PLANNED_STATE,
  SAVED_PLAN,
  stateFingerprint,
  terraform,
  terraformEnv,
  type StateFingerprint,
} from "./terraform";

/** A refusal of a pipeline command: the message says what is wrong; nothing was changed. */
export class PipelineError extends Error {
  constructor(
    message: string,
    /** The process exit code. @default 1 */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "PipelineError";
  }
}

/** Paths whose changes never change a plan: documentation, tests, benchmarks, the release tool. */
const NO_PLAN_CHANGE: readonly RegExp[] = [
  /\.md$/,
  /^test\//,
  /^bench\//,
  /^docs\//,
  /^release\//,
  /^scripts\/release\.ts$/,
  /^\.gitignore$/,
];

/**
 * The environments a change affects: those whose `environments/<env>.yaml` (or `.allow.yaml`)
 * changed, and every environment when anything shared (constructs, stacks, config, policy,
 * scripts, dependencies, workflows) changed.
 */
export function affectedEnvironments(
  changedFiles: readonly string[],
  environments: readonly string[],
): { readonly environments: string[]; readonly reason: string } {
  const named = new Set<string>();
  const shared: string[] = [];
  for (const file of changedFiles) {
    const match = /^environments\/([^/]+?)(\.allow)?\.ya?ml$/.exec(file);
    if (match) {
      if (environments.includes(match[1])) named.add(match[1]);
      continue;
    }
    if (NO_PLAN_CHANGE.some((pattern) => pattern.test(file))) continue;
    shared.push(file);
  }
  if (shared.length > 0) {
    const shown =
      shared.slice(0, 3).join(", ") + (shared.length > 3 ? ` and ${shared.length - 3} more` : "");
    return { environments: [...environments], reason: `shared code changed (${shown})` };
  }
  const list = environments.filter((e) => named.has(e));
  return {
    environments: list,
    reason:
      list.length > 0
        ? `environment files changed (${list.join(", ")})`
        : "nothing that changes a plan",
  };
}

/** What a workflow needs to know about one environment (a matrix entry). */
export interface PipelineEnvironment {
  readonly environment: string;
  readonly tier: EnvironmentConfig["tier"];
  readonly account: string;
  readonly region: string;
  /** The GitHub Environment deploy jobs name. */
  readonly githubEnvironment: string;
  /** The read-only role of plan jobs. */
  readonly planRole: string;
  /** The role of deploy jobs (GitHub OIDC). */
  readonly deployRole: string;
  /** The environment's deploy role (`deployRoleArn`), which deploy jobs chain into. */
  readonly environmentDeployRole: string;
  /** CodeBuild project of the in-VPC runners (jobs that reach the private cluster), or null. */
  readonly runner: string | null;
  /** The environment's apps. */
  readonly apps: string[];
}

/** The roles and runners of an environment, from its file (its `github` section is required). */
export function describeEnvironment(config: EnvironmentConfig, file: string): PipelineEnvironment {
  if (!config.github) {
    throw new PipelineError(
      `${file}: github: received nothing; expected a github section (repository, environment): the pipeline's roles come from it (README, Pipeline)`,
    );
  }
  const role = (kind: string) =>
    `arn:${partitionOf(config.region)}:iam::${config.account}:role/${config.name}-github-${kind}`;
  return {
    environment: config.name,
    tier: config.tier,
    account: config.account,
    region: config.region,
    githubEnvironment: config.github.environment ?? config.name,
    planRole: role("plan"),
    deployRole: role("deploy"),
    environmentDeployRole: config.deployRoleArn ?? "",
    runner: config.pipeline ? pipelineRunnersName(config) : null,
    apps: Object.keys(config.apps),
  };
}

/** An app whose `version` is not what its stable colour runs: the pipeline releases it. */
export interface PendingRelease {
  readonly app: string;
  readonly version: string;
  /** What the stable colour runs now. */
  readonly live: string;
}

/** The apps whose `apps.<app>.version` differs from the stable colour's version. */
export function pendingReleases(config: EnvironmentConfig): PendingRelease[] {
  return Object.entries(config.apps).flatMap(([app, settings]) => {
    const live = settings.release[settings.release.stable].version;
    return settings.version !== undefined && settings.version !== live
      ? [{ app, version: settings.version, live }]
      : [];
  });
}

/** The hidden first line that marks the pipeline's one plan comment on a pull request. */
export const PLAN_COMMENT_MARKER = "<!-- platform-plan-report -->";

/**
 * The comment's body: the marker, then each environment's report under its name; when that is
 * too long for one comment, each report keeps only its headline and the link to the run.
 */
export function planCommentBody(
  reports: readonly { readonly environment: string; readonly markdown: string }[],
  runUrl?: string,
): string {
  const footer = runUrl ? `\n\n_Saved plans and full reports: [workflow run](${runUrl})._` : "";
  const build = (short: boolean) =>
    [
      PLAN_COMMENT_MARKER,
      "## Terraform plan",
      ...reports.map((r) => {
        const text = short ? r.markdown.split("\n")[0] : r.markdown.trim();
        return `\n### ${r.environment}\n\n${text}`;
      }),
    ].join("\n") + footer;
  const full = build(false);
  return full.length <= MAX_COMMENT_CHARS ? full : build(true);
}

/** Where and how to post: GitHub's REST API. */
export interface CommentTarget {
  /** API root, e.g. `https://api.github.com` (GITHUB_API_URL). */
  readonly apiUrl: string;
  /** A token allowed to write pull-request comments (GITHUB_TOKEN with `pull-requests: write`). */
  readonly token: string;
  /** `owner/name` (GITHUB_REPOSITORY). */
  readonly repository: string;
  /** The pull request's number. */
  readonly pullRequest: number;
  readonly fetchImpl?: typeof fetch;
}

async function github(
  target: CommentTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const response = await (target.fetchImpl ?? fetch)(`${target.apiUrl.replace(/\/$/, "")}${path}`, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${target.token}`,
      "x-github-api-version": "2022-11-28",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const text = await response.text();
    throw new PipelineError(
      `GitHub API ${method} ${path}: ${response.status} ${text.slice(0, 300)}`,
    );
  }
  return response.json();
}

/**
 * Creates the pull request's plan comment, or updates it in place when one with the marker exists
 * (the first one, looking through every page of comments), so each push edits one comment.
 */
export async function upsertPlanComment(
  target: CommentTarget,
  body: string,
): Promise<{ readonly action: "created" | "updated"; readonly id: number }> {
  if (!body.startsWith(PLAN_COMMENT_MARKER))
    throw new PipelineError("the comment body must start with the plan comment marker");
  const issue = `/repos/${target.repository}/issues/${target.pullRequest}`;
  for (let page = 1; ; page++) {
    const comments = (await github(
      target,
      "GET",
      `${issue}/comments?per_page=100&page=${page}`,
    )) as {
      id: number;
      body?: string;
    }[];
    const mine = comments.find((c) => (c.body ?? "").startsWith(PLAN_COMMENT_MARKER));
    if (mine) {
      await github(target, "PATCH", `/repos/${target.repository}/issues/comments/${mine.id}`, {
        body,
      });
      return { action: "updated", id: mine.id };
    }
    if (comments.length < 100) break;
  }
  const created = (await github(target, "POST", `${issue}/comments`, { body })) as { id: number };
  return { action: "created", id: created.id };
}

/**
 * Applies exactly the saved plan of a stack folder (`terraform apply plan.tfplan`; cdktf's deploy
 * would plan again). Refuses, before applying anything, when there is no saved plan or when the
 * state changed since the plan was made (another apply ran in between): plan again then.
 * Terraform itself also refuses a stale plan; this check names both states first.
 */
export function applySavedPlan(stackDir: string, log: (line: string) => void = () => {}): void {
  const plan = join(stackDir, SAVED_PLAN);
  const planned = join(stackDir, PLANNED_STATE);
  if (!existsSync(plan) || !existsSync(planned)) {
    throw new PipelineError(
      `${stackDir}: no saved plan (${SAVED_PLAN} and ${PLANNED_STATE}); run npm run plan for this stack first, then apply what it saved`,
    );
  }
  const env = terraformEnv();
  log("init");
  terraform(["init", "-input=false", "-no-color"], stackDir, env);
  const before = JSON.parse(readFileSync(planned, "utf8")) as StateFingerprint;
  const now = stateFingerprint(stackDir, env);
  if (before.lineage !== now.lineage || before.serial !== now.serial) {
    const show = (s: StateFingerprint) =>
      s.serial === null ? "no state" : `serial ${s.serial} of lineage ${s.lineage}`;
    throw new PipelineError(
      `${stackDir}: the state changed since the plan was made (planned against ${show(before)}, now ${show(now)}); nothing was applied: plan again and review the new plan`,
      2,
    );
  }
  log("apply");
  terraform(["apply", "-input=false", "-no-color", "-auto-approve", SAVED_PLAN], stackDir, env);
}
