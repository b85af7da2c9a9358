/**
 * The backward-compatibility lint of database migrations (DESIGN.md section 8, issue 16): the pinned
 * squawk (npm `squawk-cli`, resolved from the package, never from PATH) with the environment's
 * PostgreSQL major and its JSON reporter, and our classification of its findings:
 *
 * - expand phase (migrations that run while the stable colour still serves traffic): the rules
 *   that break clients of the old schema ({@link BREAKING_CLIENT_RULES}) are errors;
 * - contract phase (after the promotion, once the old colour serves nothing): those are what a
 *   contract migration is for, reported as info;
 * - production tier, both phases: the rules that lock a busy table ({@link PRODUCTION_RULES}) are
 *   errors too (warnings in the development tier);
 * - a file squawk cannot parse (`syntax-error`) is an error; every other finding is a warning.
 *
 * Down migrations (`*.down.sql`) are not linted: they run only to undo, and undoing an expand is
 * destructive by nature. Every run also passes the rule names we rely on to `--include`, which
 * squawk rejects when a name is unknown, so a squawk that renamed a rule fails the lint loudly.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import type { Tier } from "../../constructs/types";

/** The squawk version the classification was written for (package.json pins squawk-cli to it). */
export const SQUAWK_VERSION = "2.66.0";

/** Rules whose statements break clients of the old schema: errors in the expand phase. */
export const BREAKING_CLIENT_RULES = [
  "ban-drop-column",
  "ban-drop-table",
  "renaming-column",
  "renaming-table",
  "changing-column-type",
  "adding-required-field",
  "ban-drop-not-null",
] as const;

/** Rules whose statements lock a busy table: errors in the production tier. */
export const PRODUCTION_RULES = [
  "require-concurrent-index-creation",
  "constraint-missing-not-valid",
] as const;

/** squawk's rule for a file it cannot parse: always an error. */
export const SYNTAX_ERROR_RULE = "syntax-error";

/** When a migration runs: before the promotion (expand) or after it (contract). */
export type MigrationPhase = "expand" | "contract";

/** The phases, for argument checks. */
export const MIGRATION_PHASES: readonly MigrationPhase[] = ["expand", "contract"];

/** How a finding counts: errors fail the lint. */
export type FindingLevel = "error" | "warning" | "info";

/** One squawk finding, classified. */
export interface MigrationFinding {
  /** The migration file (absolute path). */
  readonly file: string;
  /** 1-based line of the statement. */
  readonly line: number;
  /** 1-based column of the statement. */
  readonly column: number;
  /** squawk's rule name, e.g. `ban-drop-column`. */
  readonly rule: string;
  /** Our level for it (see the module comment). */
  readonly level: FindingLevel;
  /** Why it has that level, for the rules we classify (none for squawk's other advice). */
  readonly reason?: string;
  /** squawk's message. */
  readonly message: string;
  /** squawk's help, when it has one. */
  readonly help?: string;
}

/** Options of {@link lintMigrations}: `files`, or a `directory` whose `*.sql` files are linted. */
export interface LintMigrationsOptions {
  /** Migration files (each an existing `.sql` file). @default none: give files or directory */
  readonly files?: readonly string[];
  /**
   * A folder of migrations: its `*.sql` files (not recursive; `*.down.sql` skipped).
   * @default none: give files or directory
   */
  readonly directory?: string;
  /** When the migrations run: expand (before the promotion) or contract (after it). */
  readonly phase: MigrationPhase;
  /** The PostgreSQL major the migrations run on (`database.engineVersion`), e.g. 16. */
  readonly pgMajor: number;
  /** The environment's tier: production makes the locking rules errors. */
  readonly tier: Tier;
  /** The squawk binary. @default the one of the installed squawk-cli package */
  readonly squawk?: string;
}

/** What {@link lintMigrations} found. */
export interface LintMigrationsResult {
  /** The files linted (absolute paths, sorted). */
  readonly files: readonly string[];
  /** Down migrations in the directory, not linted. */
  readonly skipped: readonly string[];
  /** Every finding, by file and line. */
  readonly findings: readonly MigrationFinding[];
  /** The findings of level error: the lint fails when there is one. */
  readonly errors: readonly MigrationFinding[];
  /** The findings of level warning. */
  readonly warnings: readonly MigrationFinding[];
  /** The findings of level info (breaking rules in the contract phase). */
  readonly infos: readonly MigrationFinding[];
  /** The phase linted for. */
  readonly phase: MigrationPhase;
  /** The tier linted for. */
  readonly tier: Tier;
  /** The PostgreSQL major given to squawk. */
  readonly pgMajor: number;
  /** The squawk version that ran. */
  readonly squawkVersion: string;
}

/** Bad input or a broken setup: nothing was linted (the CLI's exit 2). */
export class MigrationLintInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationLintInputError";
  }
}

/** Our level of a squawk rule in a phase and tier, and why. */
export function classifyRule(
  rule: string,
  phase: MigrationPhase,
  tier: Tier,
): { level: FindingLevel; reason?: string } {
  if (rule === SYNTAX_ERROR_RULE)
    return { level: "error", reason: "squawk cannot parse the statement" };
  if ((BREAKING_CLIENT_RULES as readonly string[]).includes(rule)) {
    return phase === "expand"
      ? {
          level: "error",
          reason: "breaks the stable colour in the expand phase: move it to a contract migration",
        }
      : { level: "info", reason: "allowed in the contract phase" };
  }
  if ((PRODUCTION_RULES as readonly string[]).includes(rule)) {
    return tier === "production"
      ? { level: "error", reason: "locks a busy table: an error in the production tier" }
      : { level: "warning", reason: "an error in the production tier" };
  }
  return { level: "warning" };
}

/** The rule names that are errors in a phase and tier (besides `syntax-error`). */
export function errorRules(phase: MigrationPhase, tier: Tier): string[] {
  return [...BREAKING_CLIENT_RULES, ...PRODUCTION_RULES].filter(
    (rule) => classifyRule(rule, phase, tier).level === "error",
  );
}

/** The squawk binary of the installed squawk-cli package (its platform package's executable). */
export function squawkBinary(): string {
  let pkg: { version?: string };
  try {
    pkg = JSON.parse(readFileSync(require.resolve("squawk-cli/package.json"), "utf8")) as {
      version?: string;
    };
  } catch (error) {
    throw new MigrationLintInputError(
      `squawk-cli is not installed (${(error as Error).message}): run npm ci (package.json pins squawk-cli ${SQUAWK_VERSION})`,
    );
  }
  if (pkg.version !== SQUAWK_VERSION) {
    throw new MigrationLintInputError(
      `squawk-cli: received version ${JSON.stringify(pkg.version)}; expected ${SQUAWK_VERSION} (the version the rule classification is written for; run npm ci)`,
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const launcher = require("squawk-cli/js/index.js") as { getBinaryPath(): string };
    return launcher.getBinaryPath();
  } catch (error) {
    throw new MigrationLintInputError(`squawk-cli: no squawk binary: ${(error as Error).message}`);
  }
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, args: readonly string[], cwd?: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    execFile(binary, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new MigrationLintInputError(`squawk (${binary}) did not run: ${error.message}`));
        return;
      }
      resolvePromise({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** `squawk --version` of the binary; throws unless it is {@link SQUAWK_VERSION}. */
export async function checkSquawkVersion(binary: string): Promise<string> {
  const { code, stdout, stderr } = await run(binary, ["--version"]);
  const version = /^squawk (\S+)\s*$/.exec(stdout)?.[1];
  if (code !== 0 || version !== SQUAWK_VERSION) {
    throw new MigrationLintInputError(
      `squawk --version (${binary}): received ${JSON.stringify((stdout || stderr).trim())}; expected "squawk ${SQUAWK_VERSION}" (the version the rule classification is written for)`,
    );
  }
  return version;
}

/** Throws naming every rule squawk does not know (squawk refuses unknown names in `--include`). */
export async function checkRuleNames(
  binary: string,
  rules: readonly string[] = [...BREAKING_CLIENT_RULES, ...PRODUCTION_RULES],
): Promise<void> {
  const unknown: string[] = [];
  for (const rule of rules) {
    const { code, stderr } = await run(binary, [
      `--include=${rule}`,
      "--reporter=json",
      "--version",
    ]);
    if (code !== 0 || /invalid rule name/.test(stderr)) unknown.push(rule);
  }
  if (unknown.length > 0) {
    throw new MigrationLintInputError(
      `squawk ${SQUAWK_VERSION} does not know the rule${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}: expected names of squawk rules (https://squawkhq.com/docs/rules); the lint's classification relies on them`,
    );
  }
}

/** The migration files to lint and the down migrations skipped. */
function migrationFiles(options: LintMigrationsOptions): { files: string[]; skipped: string[] } {
  if ((options.files === undefined) === (options.directory === undefined)) {
    throw new MigrationLintInputError(
      "lintMigrations: expected either files or a directory (exactly one of them)",
    );
  }
  if (options.files !== undefined) {
    const files = options.files.map((f) => resolve(f));
    const bad = files.filter((f) => !f.endsWith(".sql") || !existsSync(f) || !statSync(f).isFile());
    if (files.length === 0 || bad.length > 0) {
      throw new MigrationLintInputError(
        `migration files: received ${JSON.stringify(bad.length > 0 ? bad : options.files)}; expected existing .sql files`,
      );
    }
    return { files: [...new Set(files)].sort(), skipped: [] };
  }
  const directory = resolve(options.directory as string);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new MigrationLintInputError(
      `migrations directory: received ${JSON.stringify(options.directory)} (${directory} does not exist or is no folder); expected a folder of .sql migration files`,
    );
  }
  const sql = readdirSync(directory)
    .filter((f) => f.endsWith(".sql") && statSync(join(directory, f)).isFile())
    .sort()
    .map((f) => join(directory, f));
  const skipped = sql.filter((f) => f.endsWith(".down.sql"));
  const files = sql.filter((f) => !f.endsWith(".down.sql"));
  if (files.length === 0) {
    throw new MigrationLintInputError(
      `migrations directory: received ${JSON.stringify(options.directory)}, which has no .sql migration files${skipped.length > 0 ? ` (only down migrations: ${skipped.map((f) => basename(f)).join(", ")})` : ""}; expected a folder of .sql migration files`,
    );
  }
  return { files, skipped };
}

interface SquawkFinding {
  file: string;
  line: number;
  column: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

/** Lints migrations with squawk and classifies the findings (see the module comment). */
export async function lintMigrations(
  options: LintMigrationsOptions,
): Promise<LintMigrationsResult> {
  if (!MIGRATION_PHASES.includes(options.phase)) {
    throw new MigrationLintInputError(
      `phase: received ${JSON.stringify(options.phase)}; expected ${MIGRATION_PHASES.join(" or ")}`,
    );
  }
  if (!["development", "production"].includes(options.tier)) {
    throw new MigrationLintInputError(
      `tier: received ${JSON.stringify(options.tier)}; expected development or production`,
    );
  }
  if (!Number.isInteger(options.pgMajor) || options.pgMajor < 10 || options.pgMajor > 99) {
    throw new MigrationLintInputError(
      `pgMajor: received ${JSON.stringify(options.pgMajor)}; expected a PostgreSQL major version such as 16`,
    );
  }
  const { files, skipped } = migrationFiles(options);
  const binary = options.squawk ?? squawkBinary();
  const squawkVersion = await checkSquawkVersion(binary);

  // an empty configuration file: an .squawk.toml of the repository must not exclude our rules
  const scratch = mkdtempSync(join(tmpdir(), "squawk-"));
  let result: Run;
  try {
    const config = join(scratch, "squawk.toml");
    writeFileSync(config, "");
    result = await run(
      binary,
      [
        `--config=${config}`,
        "--reporter=json",
        `--pg-version=${options.pgMajor}`,
        ...[...BREAKING_CLIENT_RULES, ...PRODUCTION_RULES].map((rule) => `--include=${rule}`),
        ...files,
      ],
      scratch,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (/invalid rule name/.test(result.stderr)) await checkRuleNames(binary);
  let raw: SquawkFinding[];
  try {
    raw = JSON.parse(result.stdout) as SquawkFinding[];
    if (!Array.isArray(raw)) throw new Error("not a JSON array");
  } catch (error) {
    throw new MigrationLintInputError(
      `squawk (exit ${result.code}) did not report JSON (${(error as Error).message}): ${(result.stderr || result.stdout).trim()}`,
    );
  }
  const findings = raw
    .map((f): MigrationFinding => {
      const { level, reason } = classifyRule(f.rule_name, options.phase, options.tier);
      return {
        file: resolve(scratch, f.file),
        line: f.line + 1,
        column: f.column + 1,
        rule: f.rule_name,
        level,
        ...(reason ? { reason } : {}),
        message: f.message,
        ...(f.help ? { help: f.help } : {}),
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return {
    files,
    skipped,
    findings,
    errors: findings.filter((f) => f.level === "error"),
    warnings: findings.filter((f) => f.level === "warning"),
    infos: findings.filter((f) => f.level === "info"),
    phase: options.phase,
    tier: options.tier,
    pgMajor: options.pgMajor,
    squawkVersion,
  };
}

/** A path for messages: relative to `cwd` when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel === "" || rel.startsWith("..") || resolve(cwd, rel) !== file ? file : rel;
}

/** `file:line: level rule: message Help: help [reason]`, the CLI's line for a finding. */
export function formatFinding(finding: MigrationFinding, cwd?: string): string {
  const help = finding.help ? ` Help: ${finding.help}` : "";
  const reason = finding.reason ? ` [${finding.reason}]` : "";
  return `${displayPath(finding.file, cwd)}:${finding.line}: ${finding.level} ${finding.rule}: ${finding.message}${help}${reason}`;
}
