/**
 * Running the deploy of an environment's workloads stack. `PLATFORM_DEPLOY_COMMAND` (any shell
 * command; the stack name is appended) replaces the default `npx cdktf deploy <stack>
 * --auto-approve ...`. `PLATFORM_ENV_DIR` is passed through, so the deploy reads the file the
 * release tool just wrote. Output goes to stderr (stdout stays for `--json` events).
 */
import { spawn } from "node:child_process";
import { writeCliConfig, terraformEnv } from "../scripts/lib/terraform";

/** The default deploy command for a stack (offline adds what runs without the registry). */
export function defaultDeployCommand(stack: string, offline: boolean): string {
  return [
    "npx cdktf deploy",
    stack,
    "--auto-approve",
    // only the workloads stack: its infrastructure dependency is deployed already
    "--ignore-missing-stack-dependencies",
    ...(offline ? ["--skip-provider-lock"] : []),
  ].join(" ");
}

/** How a deploy ended. */
export interface DeployOutcome {
  readonly ok: boolean;
  /** The full command line run. */
  readonly command: string;
  readonly durationMs: number;
  /** The last lines of its output (for messages). */
  readonly tail: string;
}

/** Runs deploys of one stack. */
export class Deployer {
  /** The command line a deploy runs. */
  readonly command: string;

  constructor(
    stack: string,
    private readonly environmentDirectory: string,
    options: { readonly command?: string; readonly offline: boolean; readonly cwd: string },
  ) {
    this.command = options.command
      ? `${options.command} ${stack}`
      : defaultDeployCommand(stack, options.offline);
    this.cwd = options.cwd;
    this.usesDefault = !options.command;
  }

  private readonly cwd: string;
  private readonly usesDefault: boolean;

  /** The command with its environment, to print for a person to run by hand. */
  get manualCommand(): string {
    return `PLATFORM_ENV_DIR=${this.environmentDirectory} ${this.command}`;
  }

  /** Runs the deploy, relaying its output line by line. */
  run(progress: (line: string) => void): Promise<DeployOutcome> {
    const started = Date.now();
    const env = {
      ...(this.usesDefault ? terraformEnv(writeCliConfig()) : process.env),
      PLATFORM_ENV_DIR: this.environmentDirectory,
    };
    const lines: string[] = [];
    return new Promise((resolve) => {
      const child = spawn(this.command, {
        shell: true,
        cwd: this.cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      const relay = (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (line.trim() === "") continue;
          lines.push(line);
          if (lines.length > 20) lines.shift();
          progress(`  | ${line}`);
        }
      };
      child.stdout.on("data", relay);
      child.stderr.on("data", relay);
      const finish = (ok: boolean, extra?: string) => {
        if (extra) lines.push(extra);
        resolve({
          ok,
          command: this.command,
          durationMs: Date.now() - started,
          tail: lines.slice(-5).join("\n"),
        });
      };
      child.on("error", (error) => finish(false, error.message));
      child.on("close", (code, signal) =>
        finish(
          code === 0,
          code === 0 ? undefined : signal ? `killed by ${signal}` : `exit ${code}`,
        ),
      );
    });
  }
}
