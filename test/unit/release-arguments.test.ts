import { parseArguments, releaseActor } from "../../release/cli";
import { defaultDeployCommand } from "../../release/deploy";

const problems = (argv: string[]) => {
  try {
    parseArguments(argv);
    return "";
  } catch (error) {
    return (error as Error).message.split("\n\nUsage")[0];
  }
};

describe("release command line", () => {
  it("reads commands, arguments and options in any order, with = or a space", () => {
    expect(
      parseArguments([
        "run",
        "prod",
        "web",
        "6.8.0",
        "--steps",
        "5,25,50",
        "--bake=0s",
        "--base-url",
        "http://127.0.0.1:8080/",
        "--json",
        "--commit",
      ]),
    ).toMatchObject({
      command: "run",
      positional: ["prod", "web", "6.8.0"],
      steps: [5, 25, 50],
      bakeMs: 0,
      baseUrl: "http://127.0.0.1:8080",
      json: true,
      commit: true,
      dryRun: false,
      force: false,
      resume: false,
    });
    expect(parseArguments(["run", "prod", "web", "--resume"])).toMatchObject({
      resume: true,
      positional: ["prod", "web"],
    });
    expect(parseArguments(["status", "prod"])).toMatchObject({
      command: "status",
      positional: ["prod"],
    });
  });

  it("fails with every problem at once", () => {
    expect(
      problems(["shift", "prod", "web", "100", "--bake", "soon", "--steps", "50,25", "--wat"]),
    ).toBe(
      [
        "unknown option --wat (options: --steps, --bake, --base-url, --prometheus-url, --break-lock, --dry-run, --commit, --json, --force, --resume)",
        '--steps: received "50,25"; expected increasing canary weights from 1 to 99, such as 5,25,50 (100 is the promote)',
        '--bake: received "soon"; expected a duration such as 500ms, 30s, 5m, 1h or 1m30s',
        'shift: percent: received "100"; expected an integer from 1 to 99 (100 is promote, 0 is rollback)',
      ].join("\n"),
    );
  });

  it("fails when a command gets the wrong arguments", () => {
    expect(problems(["start", "prod", "web"])).toBe(
      "start takes <env> <app> <version> (received prod web)",
    );
    expect(problems([])).toBe("no command");
    expect(problems(["deploy", "prod"])).toBe(
      'unknown command "deploy" (commands: status, start, verify, shift, promote, rollback, run, contract, restart, lint-migrations)',
    );
    expect(problems(["verify", "prod", "web", "--resume"])).toBe("--resume: only with run");
  });

  it("fails when an option lacks its value or has a bad one", () => {
    expect(problems(["verify", "prod", "web", "--base-url"])).toBe("--base-url: needs a value");
    expect(problems(["verify", "prod", "web", "--base-url", "ftp://x/y"])).toMatch(
      /^--base-url: received "ftp:\/\/x\/y"; expected http\(s\):\/\/host\[:port\] with no path/,
    );
    expect(problems(["rollback", "prod", "web", "--break-lock", "x"])).toMatch(
      /^--break-lock: received "x"; expected a reason for the journal/,
    );
    expect(problems(["rollback", "prod", "web", "--json=yes"])).toBe(
      '--json takes no value (received "yes")',
    );
  });

  it("names the actor from PLATFORM_RELEASE_ACTOR, then GitHub Actions, then user@host", () => {
    expect(releaseActor({ PLATFORM_RELEASE_ACTOR: "alice" })).toBe("alice");
    expect(releaseActor({ GITHUB_ACTOR: "bob", GITHUB_RUN_ID: "42" })).toBe(
      "bob (GitHub Actions run 42)",
    );
    expect(releaseActor({})).toMatch(/^.+@.+$/);
  });
});

describe("default deploy command", () => {
  it("deploys only the workloads stack, approved, without its deployed dependency", () => {
    expect(defaultDeployCommand("prod-workloads", false)).toBe(
      "npx cdktf deploy prod-workloads --auto-approve --ignore-missing-stack-dependencies",
    );
    expect(defaultDeployCommand("dev-workloads", true)).toBe(
      "npx cdktf deploy dev-workloads --auto-approve --ignore-missing-stack-dependencies --skip-provider-lock",
    );
  });
});
