/**
 * `npm run release -- lint-migrations <dir> [--phase expand|contract] [--env <environment>]`: the
 * backward-compatibility lint of a folder of migrations (release/migrations/lint.ts). `--env` takes
 * the PostgreSQL major (`database.engineVersion`) and the tier from the environment file; without
 * it the strict side: PostgreSQL 16, production. Prints one line per finding and a summary.
 * Exit codes: 0 no error, 1 errors found, 2 bad input (nothing linted).
 */
import { resolve } from "node:path";
import { environmentDirectory } from "../../config/load";
import type { Tier } from "../../constructs/types";
import { EnvironmentFile, ReleaseRefusal } from "../environment-file";
import {
  displayPath,
  formatFinding,
  lintMigrations,
  MIGRATION_PHASES,
  MigrationLintInputError,
  type LintMigrationsResult,
  type MigrationPhase,
} from "./lint";

/** The PostgreSQL major and tier without `--env`: the strict side. */
export const LINT_DEFAULTS = { pgMajor: 16, tier: "production" as Tier } as const;

/** The command's usage. */
export const LINT_USAGE = `Usage: npm run release -- lint-migrations <dir> [--phase expand|contract] [--env <environment>]

  <dir>            a folder of .sql migrations (*.down.sql are not linted)
  --phase <phase>  expand (default: runs before the promotion; breaking changes are errors)
                   or contract (after it: dropping and renaming are allowed)
  --env <env>      take the PostgreSQL major and the tier from environments/<env>.yaml
                   (default: PostgreSQL ${LINT_DEFAULTS.pgMajor}, tier ${LINT_DEFAULTS.tier})

Exit codes: 0 no error; 1 errors found; 2 bad input, nothing linted.`;

/** What the command needs from its surroundings (tests pass their own). */
export interface LintCommandRuntime {
  /** Relative paths are resolved here. @default process.cwd() */
  readonly cwd?: string;
  /** Folder of environment files. @default PLATFORM_ENV_DIR, else environments/ */
  readonly environmentDirectory?: string;
  /** The squawk binary. @default the installed squawk-cli package's */
  readonly squawk?: string;
  /** Where findings and a clean summary go. @default process.stdout */
  readonly stdout?: (line: string) => void;
  /** Where refusals and a failing summary go. @default process.stderr */
  readonly stderr?: (line: string) => void;
}

interface LintArguments {
  readonly directory: string;
  readonly phase: MigrationPhase;
  readonly env?: string;
}

const OPTIONS = ["--phase", "--env"];

/** Parses the command's arguments (after `lint-migrations`); every problem at once. */
export function parseLintArguments(argv: readonly string[]): LintArguments {
  const problems: string[] = [];
  const positional: string[] = [];
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if (!OPTIONS.includes(name)) {
      problems.push(`unknown option ${name} (options: ${OPTIONS.join(", ")})`);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("--"))) {
      problems.push(`${name}: needs a value`);
      if (value?.startsWith("--")) i--;
    } else values[name] = value;
  }
  if (positional.length !== 1) {
    problems.push(
      `lint-migrations takes <dir> (received ${positional.length === 0 ? "nothing" : positional.join(" ")})`,
    );
  }
  const phase = values["--phase"] ?? "expand";
  if (!(MIGRATION_PHASES as readonly string[]).includes(phase)) {
    problems.push(
      `--phase: received ${JSON.stringify(phase)}; expected ${MIGRATION_PHASES.join(" or ")}`,
    );
  }
  if (problems.length > 0) throw new ReleaseRefusal([...problems, "", LINT_USAGE].join("\n"));
  return { directory: positional[0], phase: phase as MigrationPhase, env: values["--env"] };
}

/** The PostgreSQL major of `database.engineVersion` ("16" or "16.4" -> 16). */
function majorOf(engineVersion: string, file: string): number {
  const major = Number(engineVersion.split(".")[0]);
  if (!Number.isInteger(major) || major <= 0) {
    throw new ReleaseRefusal(
      `${file}: database.engineVersion: received ${JSON.stringify(engineVersion)}; expected a PostgreSQL version such as "16"`,
    );
  }
  return major;
}

/** The lint command: its exit code (0 clean, 1 errors, 2 bad input). */
export async function lintMigrationsCommand(
  argv: readonly string[],
  runtime: LintCommandRuntime = {},
): Promise<number> {
  const stdout = runtime.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stderr = runtime.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cwd = resolve(runtime.cwd ?? process.cwd());
  let result: LintMigrationsResult;
  let source: string;
  let directory: string;
  try {
    const args = parseLintArguments(argv);
    directory = resolve(cwd, args.directory);
    let pgMajor: number = LINT_DEFAULTS.pgMajor;
    let tier: Tier = LINT_DEFAULTS.tier;
    source = "defaults";
    if (args.env !== undefined) {
      const file = EnvironmentFile.read(
        resolve(runtime.environmentDirectory ?? environmentDirectory()),
        args.env,
      );
      pgMajor = majorOf(file.config.database.engineVersion, file.path);
      tier = file.config.tier;
      source = displayPath(file.path, cwd);
    }
    result = await lintMigrations({
      directory,
      phase: args.phase,
      pgMajor,
      tier,
      squawk: runtime.squawk,
    });
  } catch (error) {
    if (error instanceof ReleaseRefusal || error instanceof MigrationLintInputError) {
      stderr(`lint-migrations: refused, nothing linted: ${error.message} [exit 2]`);
      return 2;
    }
    throw error;
  }
  for (const finding of result.findings) stdout(formatFinding(finding, cwd));
  const code = result.errors.length > 0 ? 1 : 0;
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const skipped =
    result.skipped.length > 0
      ? ` (${count(result.skipped.length, "down migration")} not linted)`
      : "";
  const summary =
    `lint-migrations ${displayPath(directory, cwd)}: ` +
    `${count(result.files.length, "file")}${skipped}, phase ${result.phase}, tier ${result.tier}, PostgreSQL ${result.pgMajor} (${source}), squawk ${result.squawkVersion}: ` +
    `${count(result.errors.length, "error")}, ${count(result.warnings.length, "warning")}, ${result.infos.length} info [exit ${code}]`;
  if (code === 0) stdout(summary);
  else stderr(summary);
  return code;
}
