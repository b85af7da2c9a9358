/**
 * The plan guard over plan JSON (the real-Terraform cases are in test/terraform/plan-guard.test.ts)
 * and the allowance file's validation, every message.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AllowanceFileError,
  GUARD_EXIT_CODE,
  formatVerdict,
  guardPlans,
  loadAllowances,
  parseAllowances,
  preventDestroyAddresses,
  type GuardStack,
} from "../../scripts/lib/plan-guard";
import type { PlanJson, PlanResourceChange } from "../../scripts/lib/terraform";

const FILE = "environments/prod.allow.yaml";

function problems(text: string): string[] {
  try {
    parseAllowances(text, FILE, "prod");
  } catch (error) {
    expect(error).toBeInstanceOf(AllowanceFileError);
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((l) => l.trim());
  }
  throw new Error("expected the allowance file to be refused");
}

const VALID =
  "address: aws_db_instance.database\n    reason: r\n    who: w\n    expires: 2027-01-31";

describe("allowance file validation", () => {
  test("a valid file parses, with the optional stack", () => {
    const parsed = parseAllowances(
      `allow:\n  - ${VALID}\n    stack: prod-infrastructure\n  - { address: 'module.a.aws_s3_bucket.b["x"]', reason: r, who: w, expires: 2027-01-31 }\n`,
      FILE,
      "prod",
    );
    expect(parsed).toEqual([
      {
        file: FILE,
        environment: "prod",
        allowance: {
          address: "aws_db_instance.database",
          reason: "r",
          who: "w",
          expires: "2027-01-31",
          stack: "prod-infrastructure",
        },
      },
      expect.objectContaining({
        allowance: expect.objectContaining({ address: 'module.a.aws_s3_bucket.b["x"]' }),
      }),
    ]);
  });

  test("the header names the file and the count", () => {
    expect(() => parseAllowances("allow: 3\n", FILE, "prod")).toThrow(
      "Invalid allowance file environments/prod.allow.yaml: 1 problem\n  allow: received 3; expected a list of allowances",
    );
  });

  test("invalid YAML", () => {
    expect(problems("allow: [\n")).toEqual([
      expect.stringMatching(/^\(yaml\): received ".+"; expected valid YAML$/),
    ]);
  });

  test("an empty file (or comments only) allows nothing; a list at the top is refused", () => {
    expect(parseAllowances("", FILE, "prod")).toEqual([]);
    expect(parseAllowances("# nothing allowed today\n", FILE, "prod")).toEqual([]);
    expect(problems("- a\n")).toEqual([
      '(root): received ["a"]; expected a mapping with an "allow" list',
    ]);
    expect(problems("{}\n")).toEqual([
      "allow: received nothing; expected a list of allowances (required field is missing)",
    ]);
  });

  test("an unknown top-level field", () => {
    expect(problems("allow: []\nallowances: []\n")).toEqual([
      'allowances: received []; expected no field named "allowances" here (allowed: allow)',
    ]);
  });

  test("an entry that is not a mapping", () => {
    expect(problems("allow: [aws_db_instance.database]\n")).toEqual([
      'allow[0]: received "aws_db_instance.database"; expected an allowance { address, reason, who, expires }',
    ]);
  });

  test("missing fields, each named", () => {
    expect(problems("allow:\n  - { address: aws_db_instance.database }\n")).toEqual([
      "allow[0].reason: received nothing; expected a string (required field is missing)",
      "allow[0].who: received nothing; expected a string (required field is missing)",
      "allow[0].expires: received nothing; expected a string (required field is missing)",
    ]);
  });

  test("an unknown field in an entry", () => {
    expect(problems(`allow:\n  - ${VALID}\n    ticket: OPS-1\n`)).toEqual([
      'allow[0].ticket: received "OPS-1"; expected no field named "ticket" here (allowed: address, stack, reason, who, expires)',
    ]);
  });

  test("a malformed address", () => {
    expect(
      problems(`allow:\n  - ${VALID.replace("aws_db_instance.database", "database")}\n`),
    ).toEqual([
      'allow[0].address: received "database"; expected a resource address such as aws_db_instance.database (type.name)',
    ]);
  });

  test("an empty reason, who or stack", () => {
    expect(
      problems(
        `allow:\n  - ${VALID.replace("reason: r", 'reason: " "').replace("who: w", 'who: ""')}\n    stack: ""\n`,
      ),
    ).toEqual([
      'allow[0].stack: received ""; expected a stack name such as prod-infrastructure',
      'allow[0].reason: received " "; expected a written reason (why this destructive change is wanted)',
      'allow[0].who: received ""; expected who approved it (a name or handle)',
    ]);
  });

  test("a date that is not YYYY-MM-DD, or not a real day", () => {
    expect(problems(`allow:\n  - ${VALID.replace("2027-01-31", "31/01/2027")}\n`)).toEqual([
      'allow[0].expires: received "31/01/2027"; expected a date YYYY-MM-DD',
    ]);
    expect(problems(`allow:\n  - ${VALID.replace("2027-01-31", "2027-02-30")}\n`)).toEqual([
      'allow[0].expires: received "2027-02-30"; expected a real calendar date YYYY-MM-DD',
    ]);
    // YAML reads an unquoted 2027-01-31 as a string here (yaml 1.2 core schema), a number is refused
    expect(problems(`allow:\n  - ${VALID.replace("2027-01-31", "20270131")}\n`)).toEqual([
      "allow[0].expires: received 20270131; expected a string",
    ]);
  });

  test("every problem at once", () => {
    expect(problems("allow:\n  - { address: x }\n  - 1\n")).toHaveLength(5);
  });

  test("loadAllowances: none without a file, the file's entries with one", () => {
    const dir = mkdtempSync(join(tmpdir(), "platform-allow-"));
    expect(loadAllowances(dir, "prod")).toEqual([]);
    writeFileSync(join(dir, "prod.allow.yaml"), `allow:\n  - ${VALID}\n`);
    expect(loadAllowances(dir, "prod", "prod.allow.yaml")).toEqual([
      expect.objectContaining({ file: "prod.allow.yaml", environment: "prod" }),
    ]);
  });
});

function change(
  address: string,
  actions: string[],
  extra: Partial<PlanResourceChange["change"]> & { action_reason?: string } = {},
): PlanResourceChange {
  const [type, name] = address.split(".");
  const { action_reason, ...rest } = extra;
  return {
    address,
    mode: "managed",
    type,
    name,
    change: { actions, ...rest },
    ...(action_reason ? { action_reason } : {}),
  };
}

function stack(
  changes: PlanResourceChange[],
  tier: "production" | "development" = "production",
  extra: Partial<GuardStack> = {},
): GuardStack {
  return {
    stack: tier === "production" ? "prod-infrastructure" : "dev-infrastructure",
    environment: tier === "production" ? "prod" : "dev",
    tier,
    plan: { resource_changes: changes } as PlanJson,
    ...extra,
  };
}

const allowance = (address: string, expires = "2027-01-31", extra = "") =>
  parseAllowances(
    `allow:\n  - { address: ${address}, reason: planned, who: alice, expires: ${expires}${extra} }\n`,
    FILE,
    "prod",
  );

describe("guardPlans", () => {
  const TODAY = "2026-12-01";

  test("creations, updates and destroying stateless resources pass", () => {
    const result = guardPlans(
      [
        stack([
          change("aws_db_instance.database", ["create"]),
          change("aws_s3_bucket.site", ["update"], {
            before: { tags: {} },
            after: { tags: { a: "b" } },
          }),
          change("aws_security_group_rule.old", ["delete"]),
          change("aws_iam_role.node", ["delete", "create"]),
          change("aws_kms_key.k", ["no-op"]),
        ]),
      ],
      [],
      TODAY,
    );
    expect(result).toEqual({
      verdict: "pass",
      exitCode: 0,
      findings: [],
      expiredAllowances: [],
      unusedAllowances: [],
      notes: [
        expect.stringContaining("prevent_destroy removal not checked for prod-infrastructure"),
      ],
    });
  });

  test.each([
    [["delete"], "destroy", "destroys aws_s3_bucket.data"],
    [["delete", "create"], "replace", "replaces aws_s3_bucket.data (bucket)"],
    [["create", "delete"], "replace", "replaces aws_s3_bucket.data (bucket)"],
  ])("%j of a stateful resource is blocked in production", (actions, kind, summary) => {
    const result = guardPlans(
      [stack([change("aws_s3_bucket.data", actions, { replace_paths: [["bucket"]] })])],
      [],
      TODAY,
    );
    expect(result.verdict).toBe("fail");
    expect(result.exitCode).toBe(GUARD_EXIT_CODE);
    expect(result.findings).toEqual([
      expect.objectContaining({ kind, summary, outcome: "blocked", tier: "production" }),
    ]);
  });

  test.each([
    ["aws_db_instance", "deletion_protection", true, false],
    ["aws_db_instance", "skip_final_snapshot", false, true],
    ["aws_rds_cluster", "deletion_protection", true, false],
    ["aws_dynamodb_table", "deletion_protection_enabled", true, false],
    ["aws_lb", "enable_deletion_protection", true, false],
    ["aws_s3_bucket", "force_destroy", false, true],
    ["aws_ecr_repository", "force_delete", false, true],
    ["aws_cloudwatch_log_group", "skip_destroy", true, false],
  ])("%s.%s %j -> %j removes protection", (type, attribute, before, after) => {
    const result = guardPlans(
      [
        stack([
          change(`${type}.x`, ["update"], {
            before: { [attribute]: before },
            after: { [attribute]: after },
          }),
        ]),
      ],
      [],
      TODAY,
    );
    expect(result.findings).toEqual([
      expect.objectContaining({
        kind: "protection-removed",
        summary: `turns off ${attribute} on ${type}.x`,
        detail: `${attribute} ${JSON.stringify(before)} → ${JSON.stringify(after)}: the resource loses its protection against deletion`,
        outcome: "blocked",
      }),
    ]);
  });

  test("turning protection on, or leaving it, is no finding", () => {
    const result = guardPlans(
      [
        stack([
          change("aws_db_instance.a", ["update"], {
            before: { deletion_protection: false },
            after: { deletion_protection: true },
          }),
          change("aws_db_instance.b", ["update"], {
            before: { deletion_protection: true },
            after: { deletion_protection: true },
          }),
        ]),
      ],
      [],
      TODAY,
    );
    expect(result.findings).toEqual([]);
  });

  test("a removed prevent_destroy is found only with a base configuration", () => {
    const config = {
      resource: {
        aws_kms_key: { a: { lifecycle: { prevent_destroy: true } }, b: {} },
        aws_s3_bucket: { c: { lifecycle: { prevent_destroy: true } } },
      },
    };
    expect(preventDestroyAddresses(config)).toEqual(["aws_kms_key.a", "aws_s3_bucket.c"]);
    const found = guardPlans(
      [
        stack([], "production", {
          preventDestroy: {
            before: ["aws_kms_key.a", "aws_s3_bucket.c"],
            after: ["aws_s3_bucket.c"],
          },
        }),
      ],
      [],
      TODAY,
    );
    expect(found.notes).toEqual([]);
    expect(found.findings).toEqual([
      expect.objectContaining({
        address: "aws_kms_key.a",
        kind: "protection-removed",
        summary: "removes prevent_destroy from aws_kms_key.a",
        detail: "prevent_destroy removed: KMS key: everything encrypted with it becomes unreadable",
      }),
    ]);
    const unchecked = guardPlans(
      [stack([], "production", { preventDestroy: { after: [] } })],
      [],
      TODAY,
    );
    expect(unchecked.findings).toEqual([]);
    expect(unchecked.notes).toEqual([
      "prevent_destroy removal not checked for prod-infrastructure: no base configuration (npm run plan -- --base <cdktf.out of the base branch>)",
    ]);
  });

  test("development: the same findings as warnings, exit 0", () => {
    const result = guardPlans(
      [stack([change("aws_db_instance.database", ["delete"])], "development")],
      [],
      TODAY,
    );
    expect(result.verdict).toBe("warn");
    expect(result.exitCode).toBe(0);
    expect(result.findings).toEqual([expect.objectContaining({ outcome: "warning" })]);
  });

  test("an allowance is valid through its expiry day, then expired and reported", () => {
    const plan = [stack([change("aws_db_instance.database", ["delete"])])];
    const onTheDay = guardPlans(plan, allowance("aws_db_instance.database", TODAY), TODAY);
    expect(onTheDay.verdict).toBe("warn");
    expect(onTheDay.findings[0]).toMatchObject({ outcome: "allowed", allowance: { who: "alice" } });
    const dayAfter = guardPlans(plan, allowance("aws_db_instance.database", "2026-11-30"), TODAY);
    expect(dayAfter.verdict).toBe("fail");
    expect(dayAfter.expiredAllowances).toEqual([
      expect.objectContaining({ allowance: expect.objectContaining({ expires: "2026-11-30" }) }),
    ]);
  });

  test("an allowance applies to its environment (and stack, when named) only", () => {
    const plan = [stack([change("aws_db_instance.database", ["delete"])])];
    const otherEnv = parseAllowances(
      "allow: [{ address: aws_db_instance.database, reason: r, who: w, expires: 2027-01-31 }]\n",
      "environments/dev.allow.yaml",
      "dev",
    );
    expect(guardPlans(plan, otherEnv, TODAY)).toMatchObject({
      verdict: "fail",
      unusedAllowances: [],
    });
    const otherStack = allowance(
      "aws_db_instance.database",
      "2027-01-31",
      ", stack: prod-workloads",
    );
    expect(guardPlans(plan, otherStack, TODAY)).toMatchObject({
      verdict: "fail",
      unusedAllowances: [],
    });
    const ownStack = allowance(
      "aws_db_instance.database",
      "2027-01-31",
      ", stack: prod-infrastructure",
    );
    expect(guardPlans(plan, ownStack, TODAY).verdict).toBe("warn");
  });

  test("unused allowances are reported", () => {
    const result = guardPlans([stack([])], allowance("aws_s3_bucket.gone"), TODAY);
    expect(result.verdict).toBe("pass");
    expect(result.unusedAllowances).toEqual([
      expect.objectContaining({
        allowance: expect.objectContaining({ address: "aws_s3_bucket.gone" }),
      }),
    ]);
  });

  test("formatVerdict: the terminal lines", () => {
    const result = guardPlans(
      [
        stack([
          change("aws_db_instance.database", ["delete"]),
          change("aws_s3_bucket.b", ["delete"]),
        ]),
      ],
      [
        ...allowance("aws_s3_bucket.b"),
        ...allowance("aws_kms_key.old", "2026-01-01"),
        ...allowance("aws_s3_bucket.unused"),
      ],
      TODAY,
    );
    expect(formatVerdict(result).split("\n")).toEqual([
      "plan guard: BLOCKED (exit 4): 1 destructive change(s) in production without a valid allowance",
      "  blocked: prod-infrastructure destroys aws_db_instance.database",
      "  allowed: prod-infrastructure destroys aws_s3_bucket.b (allowed: planned; alice)",
      `  expired allowance: ${FILE}: aws_kms_key.old expired 2026-01-01 (allows nothing)`,
      `  unused allowance: ${FILE}: aws_s3_bucket.unused (no planned change needs it)`,
      "  note: prevent_destroy removal not checked for prod-infrastructure: no base configuration (npm run plan -- --base <cdktf.out of the base branch>)",
    ]);
    expect(
      formatVerdict(
        guardPlans(
          [stack([], "production", { preventDestroy: { before: [], after: [] } })],
          [],
          TODAY,
        ),
      ),
    ).toBe("plan guard: passed (nothing stateful destroyed, replaced or unprotected)");
  });
});
