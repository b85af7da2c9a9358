/**
 * The backward-compatibility lint of migrations, with the real pinned squawk (squawk-cli 2.66.0):
 * the classification by phase and tier, the rule names it relies on, bad input, and the release
 * tool's `lint-migrations` command (exit codes and output lines).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { releaseMain } from "../../release/cli";
import {
  BREAKING_CLIENT_RULES,
  PRODUCTION_RULES,
  SQUAWK_VERSION,
  checkRuleNames,
  checkSquawkVersion,
  classifyRule,
  errorRules,
  lintMigrations,
  squawkBinary,
  type LintMigrationsOptions,
} from "../../release/migrations/lint";
import { FIXTURE_MIGRATIONS } from "../support/migrations-app";

jest.setTimeout(60_000);

const ENVIRONMENTS_DIR = join(__dirname, "..", "..", "environments");

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "migrations-lint-test-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let folders = 0;
/** A folder with these migration files. */
function migrations(files: Record<string, string>): string {
  const dir = join(scratch, `m${++folders}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const CLEAN = "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\n";
const DROP_COLUMN = `${CLEAN}ALTER TABLE items DROP COLUMN IF EXISTS legacy_code;\n`;
const CREATE_INDEX = `${CLEAN}CREATE INDEX IF NOT EXISTS items_name ON items (name);\n`;

const lint = (directory: string, options: Partial<LintMigrationsOptions> = {}) =>
  lintMigrations({ directory, phase: "expand", pgMajor: 16, tier: "production", ...options });
const rules = (findings: readonly { rule: string; level: string }[]) =>
  findings.map((f) => `${f.level} ${f.rule}`);

describe("the pinned squawk", () => {
  test("is resolved from the squawk-cli package (not PATH) and is 2.66.0", async () => {
    const binary = squawkBinary();
    expect(binary).toMatch(/node_modules\/@squawk-cli\/[a-z0-9-]+\/bin\/squawk$/);
    expect(await checkSquawkVersion(binary)).toBe(SQUAWK_VERSION);
  });

  test("another squawk version fails clearly", async () => {
    const fake = join(scratch, "squawk-2.65");
    writeFileSync(fake, "#!/bin/sh\necho 'squawk 2.65.0'\n");
    chmodSync(fake, 0o755);
    await expect(checkSquawkVersion(fake)).rejects.toThrow(
      'received "squawk 2.65.0"; expected "squawk 2.66.0"',
    );
    await expect(lint(migrations({ "001_a.sql": CLEAN }), { squawk: fake })).rejects.toThrow(
      'expected "squawk 2.66.0"',
    );
  });

  test("knows every rule name the classification relies on, and an unknown name fails loudly", async () => {
    const binary = squawkBinary();
    await expect(checkRuleNames(binary)).resolves.toBeUndefined();
    await expect(
      checkRuleNames(binary, ["ban-drop-column", "no-such-rule", "renaming-colum"]),
    ).rejects.toThrow("does not know the rules no-such-rule, renaming-colum");
  });
});

describe("the classification", () => {
  test("expand: the breaking-client rules are errors; contract: info", () => {
    for (const rule of BREAKING_CLIENT_RULES) {
      expect([rule, classifyRule(rule, "expand", "development").level]).toEqual([rule, "error"]);
      expect([rule, classifyRule(rule, "contract", "production").level]).toEqual([rule, "info"]);
    }
  });

  test("production tier: the locking rules are errors in both phases; development: warnings", () => {
    for (const rule of PRODUCTION_RULES) {
      for (const phase of ["expand", "contract"] as const) {
        expect([rule, phase, classifyRule(rule, phase, "production").level]).toEqual([
          rule,
          phase,
          "error",
        ]);
        expect([rule, phase, classifyRule(rule, phase, "development").level]).toEqual([
          rule,
          phase,
          "warning",
        ]);
      }
    }
    expect(classifyRule("prefer-robust-stmts", "expand", "production").level).toBe("warning");
    expect(classifyRule("syntax-error", "contract", "development").level).toBe("error");
  });

  test("the error rules per phase and tier", () => {
    expect(errorRules("expand", "production")).toEqual([
      ...BREAKING_CLIENT_RULES,
      ...PRODUCTION_RULES,
    ]);
    expect(errorRules("expand", "development")).toEqual([...BREAKING_CLIENT_RULES]);
    expect(errorRules("contract", "production")).toEqual([...PRODUCTION_RULES]);
    expect(errorRules("contract", "development")).toEqual([]);
  });
});

describe("lintMigrations with the real squawk", () => {
  test("refuses a DROP COLUMN in expand and accepts it in contract", async () => {
    const dir = migrations({ "003_drop_legacy_code.sql": DROP_COLUMN });
    const expand = await lint(dir);
    expect(rules(expand.errors)).toEqual(["error ban-drop-column"]);
    expect(expand.errors[0]).toMatchObject({
      file: join(dir, "003_drop_legacy_code.sql"),
      line: 3,
      message: "Dropping a column may break existing clients.",
    });
    const contract = await lint(dir, { phase: "contract" });
    expect(contract.errors).toEqual([]);
    expect(rules(contract.infos)).toEqual(["info ban-drop-column"]);
  });

  test("CREATE INDEX without CONCURRENTLY: an error in production, a warning in development", async () => {
    const dir = migrations({ "004_index.sql": CREATE_INDEX });
    const production = await lint(dir);
    expect(rules(production.errors)).toEqual(["error require-concurrent-index-creation"]);
    expect(production.errors[0].help).toBe("Use `concurrently` to avoid blocking writes.");
    expect(rules((await lint(dir, { phase: "contract" })).errors)).toEqual([
      "error require-concurrent-index-creation",
    ]);
    const development = await lint(dir, { tier: "development" });
    expect(development.errors).toEqual([]);
    expect(rules(development.warnings)).toEqual(["warning require-concurrent-index-creation"]);
    const concurrently = migrations({
      "004_index.sql": `${CLEAN}CREATE INDEX CONCURRENTLY IF NOT EXISTS items_name ON items (name);\n`,
    });
    expect((await lint(concurrently)).findings).toEqual([]);
  });

  test("ADD COLUMN ... NOT NULL without a default is an error in expand", async () => {
    const dir = migrations({
      "005_required.sql": `${CLEAN}ALTER TABLE items ADD COLUMN IF NOT EXISTS sku text NOT NULL;\n`,
    });
    expect(rules((await lint(dir, { tier: "development" })).errors)).toEqual([
      "error adding-required-field",
    ]);
  });

  test("a clean migration passes with no finding", async () => {
    const result = await lint(
      migrations({
        "002_add.sql": `${CLEAN}ALTER TABLE items ADD COLUMN IF NOT EXISTS note text;\n`,
      }),
    );
    expect(result.findings).toEqual([]);
    expect(result.files).toHaveLength(1);
  });

  test("the PostgreSQL major reaches squawk: a volatile-free default is slow only before 11", async () => {
    const dir = migrations({
      "006_default.sql": `${CLEAN}ALTER TABLE items ADD COLUMN IF NOT EXISTS c bigint DEFAULT 0;\n`,
    });
    expect(rules((await lint(dir, { pgMajor: 10 })).warnings)).toEqual([
      "warning adding-field-with-default",
    ]);
    expect((await lint(dir, { pgMajor: 16 })).findings).toEqual([]);
  });

  test("a statement squawk cannot parse is an error", async () => {
    const result = await lint(migrations({ "007_bad.sql": "SELEC 1;\n" }), { phase: "contract" });
    expect(result.errors.length).toBeGreaterThan(0);
    expect(new Set(result.errors.map((e) => e.rule))).toEqual(new Set(["syntax-error"]));
  });

  test("the example app's migrations: the breaking one fails expand, the contract one passes contract", async () => {
    expect((await lint(FIXTURE_MIGRATIONS.base)).errors).toEqual([]);
    expect(rules((await lint(FIXTURE_MIGRATIONS.breaking)).errors)).toEqual([
      "error renaming-column",
    ]);
    const contract = await lint(FIXTURE_MIGRATIONS.contract, { phase: "contract" });
    expect(contract.errors).toEqual([]);
    expect(contract.skipped).toEqual([
      join(FIXTURE_MIGRATIONS.contract, "003_drop_items_legacy_code.down.sql"),
    ]);
  });

  test("a missing directory, no .sql files, or only down migrations are clear errors", async () => {
    await expect(lint(join(scratch, "nowhere"))).rejects.toThrow(
      /migrations directory: received ".*nowhere".*expected a folder of \.sql migration files/,
    );
    await expect(lint(migrations({ "README.md": "# none" }))).rejects.toThrow(
      "which has no .sql migration files; expected a folder of .sql migration files",
    );
    await expect(lint(migrations({ "001_a.down.sql": "DROP TABLE a;" }))).rejects.toThrow(
      "(only down migrations: 001_a.down.sql)",
    );
    await expect(
      lintMigrations({
        files: [join(scratch, "no.sql")],
        phase: "expand",
        pgMajor: 16,
        tier: "production",
      }),
    ).rejects.toThrow("expected existing .sql files");
    await expect(lint(migrations({ "001_a.sql": CLEAN }), { pgMajor: 16.4 })).rejects.toThrow(
      "pgMajor: received 16.4; expected a PostgreSQL major version such as 16",
    );
  });

  test("a repository's .squawk.toml cannot switch our rules off", async () => {
    const dir = migrations({
      "003_drop.sql": DROP_COLUMN,
      ".squawk.toml": 'excluded_rules = ["ban-drop-column"]\n',
    });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(rules((await lint(dir)).errors)).toEqual(["error ban-drop-column"]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("npm run release -- lint-migrations", () => {
  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await releaseMain(["lint-migrations", ...argv], {
      cwd: scratch,
      environmentDirectory: ENVIRONMENTS_DIR,
      stdout: (line) => out.push(line),
      stderr: (line) => err.push(line),
    });
    return { code, out, err };
  }

  test("exit 1 with one line per finding and the summary when an error is found", async () => {
    const dir = migrations({ "003_drop.sql": DROP_COLUMN, "003_drop.down.sql": "SELECT 1;" });
    const { code, out, err } = await cli(dir);
    expect(code).toBe(1);
    const name = `${dir.slice(scratch.length + 1)}/003_drop.sql`;
    expect(out).toEqual([
      `${name}:3: error ban-drop-column: Dropping a column may break existing clients. [breaks the stable colour in the expand phase: move it to a contract migration]`,
    ]);
    expect(err).toEqual([
      `lint-migrations ${dir.slice(scratch.length + 1)}: 1 file (1 down migration not linted), phase expand, tier production, PostgreSQL 16 (defaults), squawk 2.66.0: 1 error, 0 warnings, 0 info [exit 1]`,
    ]);
  });

  test("exit 0 in the contract phase, the finding as info", async () => {
    const dir = migrations({ "003_drop.sql": DROP_COLUMN });
    const { code, out, err } = await cli(dir, "--phase", "contract");
    expect([code, err]).toEqual([0, []]);
    expect(out[0]).toMatch(
      /003_drop\.sql:3: info ban-drop-column: .* \[allowed in the contract phase\]$/,
    );
    expect(out[1]).toContain("phase contract, tier production, PostgreSQL 16 (defaults)");
    expect(out[1]).toMatch(/0 errors, 0 warnings, 1 info \[exit 0\]$/);
  });

  test("--env takes the tier and PostgreSQL major from the environment file", async () => {
    const dir = migrations({ "004_index.sql": CREATE_INDEX });
    const dev = await cli(dir, "--env=dev");
    expect(dev.code).toBe(0);
    expect(dev.out[0]).toMatch(
      /004_index\.sql:3: warning require-concurrent-index-creation: During normal index creation, table updates are blocked, but reads are still allowed\. Help: Use `concurrently` to avoid blocking writes\. \[an error in the production tier\]$/,
    );
    expect(dev.out[1]).toContain("tier development, PostgreSQL 16 (");
    expect(dev.out[1]).toContain("environments/dev.yaml)");
    const prod = await cli(dir, "--env", "prod");
    expect(prod.code).toBe(1);
    expect(prod.out[0]).toContain(": error require-concurrent-index-creation:");
  });

  test("exit 2 on bad input, nothing linted", async () => {
    const bad = await cli("--phase", "sideways", "--bogus");
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toContain("unknown option --bogus (options: --phase, --env)");
    expect(bad.err[0]).toContain('--phase: received "sideways"; expected expand or contract');
    expect(bad.err[0]).toContain("lint-migrations takes <dir> (received nothing)");
    expect(bad.out).toEqual([]);
    const missing = await cli(join(scratch, "nowhere"));
    expect([missing.code, missing.err[0]]).toEqual([
      2,
      expect.stringContaining("refused, nothing linted: migrations directory"),
    ]);
    const env = await cli(migrations({ "001_a.sql": CLEAN }), "--env", "nosuch");
    expect([env.code, env.err[0]]).toEqual([
      2,
      expect.stringContaining('No environment file for "nosuch"'),
    ]);
  });
});
