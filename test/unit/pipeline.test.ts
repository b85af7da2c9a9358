/**
 * `npm run pipeline`: affected environments, an environment's roles, pending releases, the one
 * plan comment (against a loopback server that answers like GitHub's REST API), and the CLI.
 */
import { spawnSync } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  affectedEnvironments,
  describeEnvironment,
  pendingReleases,
  PLAN_COMMENT_MARKER,
  planCommentBody,
  upsertPlanComment,
} from "../../scripts/lib/pipeline";
import { MAX_COMMENT_CHARS } from "../../scripts/lib/plan-report";
import { ENVIRONMENTS_DIR, REPO_ROOT, environment } from "../helpers";

const ALL = ["dev", "prod", "staging"];

describe("affectedEnvironments", () => {
  test("an environment file or its allowance file: that environment only", () => {
    expect(
      affectedEnvironments(["environments/prod.yaml", "environments/dev.allow.yaml"], ALL),
    ).toEqual({
      environments: ["dev", "prod"],
      reason: "environment files changed (dev, prod)",
    });
  });

  test("shared code: every environment, naming what changed", () => {
    expect(
      affectedEnvironments(
        [
          "environments/dev.yaml",
          "constructs/network.ts",
          "package-lock.json",
          ".github/workflows/main.yml",
          "policy/check.ts",
        ],
        ALL,
      ),
    ).toEqual({
      environments: ALL,
      reason:
        "shared code changed (constructs/network.ts, package-lock.json, .github/workflows/main.yml and 1 more)",
    });
  });

  test("documentation, tests, benchmarks and the release tool change no plan", () => {
    expect(
      affectedEnvironments(
        ["README.md", "test/unit/x.test.ts", "bench/synth.ts", "release/cli.ts"],
        ALL,
      ),
    ).toEqual({
      environments: [],
      reason: "nothing that changes a plan",
    });
  });

  test("a file for an environment that does not exist (any more) plans nothing", () => {
    expect(affectedEnvironments(["environments/qa.yaml"], ALL).environments).toEqual([]);
  });
});

describe("describeEnvironment", () => {
  test("roles, runner and GitHub Environment from the environment file", () => {
    expect(describeEnvironment(environment("prod"), "environments/prod.yaml")).toEqual({
      environment: "prod",
      tier: "production",
      account: "123456789012",
      region: "eu-west-1",
      githubEnvironment: "production",
      planRole: "arn:aws:iam::123456789012:role/prod-github-plan",
      deployRole: "arn:aws:iam::123456789012:role/prod-github-deploy",
      environmentDeployRole: "arn:aws:iam::123456789012:role/platform-deploy",
      runner: "prod-runners",
      apps: ["web"],
    });
    expect(describeEnvironment(environment("dev"), "environments/dev.yaml").githubEnvironment).toBe(
      "dev",
    );
  });

  test("fails without a github section, naming the file", () => {
    expect(() =>
      describeEnvironment(
        environment("dev", (raw: any) => {
          delete raw.github;
          delete raw.apps.web.imageRepository;
        }),
        "environments/dev.yaml",
      ),
    ).toThrow(
      "environments/dev.yaml: github: received nothing; expected a github section (repository, environment): the pipeline's roles come from it (README, Pipeline)",
    );
  });
});

describe("pendingReleases", () => {
  test("an app whose version is what its stable colour runs is not pending", () => {
    expect(pendingReleases(environment("prod"))).toEqual([]);
  });

  test("an app whose version differs is pending, with what runs now", () => {
    const env = environment("staging", (raw: any) => (raw.apps.web.version = "6.8.0"));
    expect(pendingReleases(env)).toEqual([{ app: "web", version: "6.8.0", live: "6.7.0" }]);
  });

  test("fails when the wanted version is not a pinned tag", () => {
    expect(() => environment("prod", (raw: any) => (raw.apps.web.version = "latest"))).toThrow(
      "apps.web.version: a pinned image tag such as 6.7.1 that is also a label value: 1-63 letters, digits, '_', '.' and '-', starting and ending with a letter or digit, not 'latest' (the version the pipeline releases)",
    );
  });
});

describe("planCommentBody", () => {
  test("the marker first, then each environment's report under its name, then the run link", () => {
    const body = planCommentBody(
      [
        { environment: "dev", markdown: "**✅ Safe to apply: 1 to create**\n\nrest\n" },
        { environment: "prod", markdown: "**⛔ Not safe**\n" },
      ],
      "https://github.com/o/r/actions/runs/1",
    );
    expect(body).toBe(
      `${PLAN_COMMENT_MARKER}\n## Terraform plan\n\n### dev\n\n**✅ Safe to apply: 1 to create**\n\nrest\n\n### prod\n\n**⛔ Not safe**\n\n_Saved plans and full reports: [workflow run](https://github.com/o/r/actions/runs/1)._`,
    );
  });

  test("too long for one comment: headlines only", () => {
    const long = `**headline**\n${"x".repeat(MAX_COMMENT_CHARS)}`;
    const body = planCommentBody([{ environment: "dev", markdown: long }]);
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(body).toBe(`${PLAN_COMMENT_MARKER}\n## Terraform plan\n\n### dev\n\n**headline**`);
  });
});

/** A loopback server answering like GitHub's issue-comments API, recording what it was asked. */
async function fakeGithub(existing: { id: number; body: string }[]) {
  const comments = [...existing];
  const requests: { method: string; url: string; auth?: string; body?: any }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => {
      const body = data ? JSON.parse(data) : undefined;
      requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== "Bearer t0ken")
        return send(401, { message: "Bad credentials" });
      const url = new URL(req.url!, "http://x");
      if (req.method === "GET" && url.pathname === "/repos/o/r/issues/7/comments") {
        const page = Number(url.searchParams.get("page"));
        const size = Number(url.searchParams.get("per_page"));
        return send(200, comments.slice((page - 1) * size, page * size));
      }
      if (req.method === "POST" && url.pathname === "/repos/o/r/issues/7/comments") {
        const created = { id: 1000 + comments.length, body: body.body };
        comments.push(created);
        return send(201, created);
      }
      const patch = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (req.method === "PATCH" && patch) {
        const comment = comments.find((c) => c.id === Number(patch[1]))!;
        comment.body = body.body;
        return send(200, comment);
      }
      send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl,
    comments,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("upsertPlanComment", () => {
  const target = (apiUrl: string, token = "t0ken") => ({
    apiUrl,
    token,
    repository: "o/r",
    pullRequest: 7,
  });

  test("creates the comment on the first push, then edits that one comment on every later push", async () => {
    const github = await fakeGithub([{ id: 1, body: "LGTM" }]);
    try {
      expect(
        await upsertPlanComment(target(github.apiUrl), `${PLAN_COMMENT_MARKER}\nfirst`),
      ).toEqual({ action: "created", id: 1001 });
      expect(
        await upsertPlanComment(target(github.apiUrl), `${PLAN_COMMENT_MARKER}\nsecond`),
      ).toEqual({ action: "updated", id: 1001 });
      expect(github.comments.map((c) => c.body)).toEqual([
        "LGTM",
        `${PLAN_COMMENT_MARKER}\nsecond`,
      ]);
      expect(github.requests.every((r) => r.auth === "Bearer t0ken")).toBe(true);
    } finally {
      await github.close();
    }
  });

  test("finds its comment on a later page of a long conversation", async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, body: `comment ${i}` }));
    many[120] = { id: 121, body: `${PLAN_COMMENT_MARKER}\nold` };
    const github = await fakeGithub(many);
    try {
      expect(await upsertPlanComment(target(github.apiUrl), `${PLAN_COMMENT_MARKER}\nnew`)).toEqual(
        { action: "updated", id: 121 },
      );
      expect(github.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        "GET /repos/o/r/issues/7/comments?per_page=100&page=1",
        "GET /repos/o/r/issues/7/comments?per_page=100&page=2",
        "PATCH /repos/o/r/issues/comments/121",
      ]);
    } finally {
      await github.close();
    }
  });

  test("fails with GitHub's status and message, and posts nothing without the marker", async () => {
    const github = await fakeGithub([]);
    try {
      await expect(
        upsertPlanComment(target(github.apiUrl, "wrong"), `${PLAN_COMMENT_MARKER}\nx`),
      ).rejects.toThrow(
        'GitHub API GET /repos/o/r/issues/7/comments?per_page=100&page=1: 401 {"message":"Bad credentials"}',
      );
      await expect(upsertPlanComment(target(github.apiUrl), "no marker")).rejects.toThrow(
        "the comment body must start with the plan comment marker",
      );
      expect(github.comments).toEqual([]);
    } finally {
      await github.close();
    }
  });
});

describe("npm run pipeline", () => {
  const tsx = join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs");
  const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [tsx, join(REPO_ROOT, "scripts/pipeline.ts"), ...args], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, GITHUB_OUTPUT: "", ...env },
    });
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync("git", args, { cwd, encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };

  test("affected: the environments a commit range changes, as a job matrix in GITHUB_OUTPUT", () => {
    const repo = mkdtempSync(join(tmpdir(), "pipeline-git-"));
    cpSync(ENVIRONMENTS_DIR, join(repo, "environments"), { recursive: true });
    git(repo, "init", "-q", "-b", "main");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".");
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base");
    const base = git(repo, "rev-parse", "HEAD");
    const prod = join(repo, "environments/prod.yaml");
    writeFileSync(prod, readFileSync(prod, "utf8").replace("version: 6.7.0 #", "version: 6.8.0 #"));
    git(
      repo,
      "-c",
      "user.email=t@example.com",
      "-c",
      "user.name=t",
      "commit",
      "-qam",
      "want 6.8.0",
    );
    const output = join(repo, "github-output");
    const result = run(["affected", "--base", base, "--head", "HEAD"], repo, {
      GITHUB_OUTPUT: output,
      PLATFORM_ENV_DIR: join(repo, "environments"),
    });
    expect(result.stderr).toBe("affected: prod (environment files changed (prod))\n");
    expect(result.status).toBe(0);
    const lines = readFileSync(output, "utf8").trim().split("\n");
    expect(lines[1]).toBe("any=true");
    expect(JSON.parse(lines[0].replace(/^matrix=/, ""))).toEqual({
      include: [
        expect.objectContaining({
          environment: "prod",
          planRole: "arn:aws:iam::123456789012:role/prod-github-plan",
          runner: "prod-runners",
        }),
      ],
    });
  });

  test("want and pending: the image build's release change, edited in place", () => {
    const dir = mkdtempSync(join(tmpdir(), "pipeline-env-"));
    mkdirSync(dir, { recursive: true });
    cpSync(ENVIRONMENTS_DIR, dir, { recursive: true });
    const env = { PLATFORM_ENV_DIR: dir };
    const before = readFileSync(join(dir, "staging.yaml"), "utf8");
    const want = run(["want", "staging", "web", "6.8.0"], dir, env);
    expect(want.status).toBe(0);
    const after = readFileSync(join(dir, "staging.yaml"), "utf8");
    expect(after).toBe(before.replace("    version: 6.7.0 #", "    version: 6.8.0 #"));
    expect(JSON.parse(run(["pending", "staging"], dir, env).stdout)).toEqual([
      { app: "web", version: "6.8.0", live: "6.7.0" },
    ]);
    const refused = run(["want", "staging", "web", "latest"], dir, env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('apps.web.version: received "latest"');
    expect(readFileSync(join(dir, "staging.yaml"), "utf8")).toBe(after);
  });

  test("refuses an unknown command or environment, naming what exists", () => {
    const cwd = mkdtempSync(join(tmpdir(), "pipeline-"));
    const env = { PLATFORM_ENV_DIR: ENVIRONMENTS_DIR };
    expect(run(["deploy"], cwd, env).stderr).toMatch(
      /^unknown command "deploy"\nusage: npm run pipeline -- affected/,
    );
    expect(run(["describe", "qa"], cwd, env).stderr).toBe(
      'environment: received "qa"; expected one of dev, prod, staging\n',
    );
  });
});
