/** The reviewers' plan report over plan JSON: counts, replace/destroy table, headline, renderings. */
import { guardPlans, parseAllowances, type GuardStack } from "../../scripts/lib/plan-guard";
import {
  MAX_COMMENT_CHARS,
  buildReport,
  changeKind,
  describeReason,
  dottedPath,
  formatCounts,
  renderJson,
  renderMarkdown,
  summarizePlan,
  type PolicyFinding,
} from "../../scripts/lib/plan-report";
import { STATEFUL_TYPES, statefulReason } from "../../scripts/lib/stateful";
import type { PlanJson, PlanResourceChange } from "../../scripts/lib/terraform";

const TODAY = "2026-12-01";

function change(
  address: string,
  actions: string[],
  extra: Partial<PlanResourceChange> = {},
): PlanResourceChange {
  const parts = address.replace(/^data\./, "").split(".");
  return {
    address,
    mode: address.startsWith("data.") ? "data" : "managed",
    type: parts[0],
    name: parts[1],
    change: { actions },
    ...extra,
  };
}

function guardStack(
  stack: string,
  tier: "production" | "development",
  changes: PlanResourceChange[],
): GuardStack {
  return {
    stack,
    environment: stack.split("-")[0],
    tier,
    plan: { resource_changes: changes } as PlanJson,
    preventDestroy: { before: [], after: [] },
  };
}

function report(stacks: GuardStack[], options: { policy?: PolicyFinding[]; allow?: string } = {}) {
  const allowances = options.allow
    ? parseAllowances(options.allow, "environments/prod.allow.yaml", "prod")
    : [];
  return buildReport({
    stacks: stacks.map((s) => summarizePlan(s.stack, s.tier, s.plan)),
    guard: guardPlans(stacks, allowances, TODAY),
    ...(options.policy ? { policy: options.policy } : {}),
  });
}

test("dotted paths", () => {
  expect(dottedPath(["engine"])).toBe("engine");
  expect(dottedPath(["ingress", 0, "cidr_blocks"])).toBe("ingress[0].cidr_blocks");
  expect(dottedPath(["tags", "Name"])).toBe("tags.Name");
});

test("change kinds: replace is delete+create in either order; no-op and read are no change", () => {
  expect(changeKind(["create"])).toBe("create");
  expect(changeKind(["update"])).toBe("update");
  expect(changeKind(["delete"])).toBe("destroy");
  expect(changeKind(["delete", "create"])).toBe("replace");
  expect(changeKind(["create", "delete"])).toBe("replace");
  expect(changeKind(["forget"])).toBe("forget");
  expect(changeKind(["no-op"])).toBeUndefined();
  expect(changeKind(["read"])).toBeUndefined();
});

test("reasons in words; unknown ones as Terraform writes them", () => {
  expect(describeReason("replace_because_cannot_update")).toBe(
    "an attribute cannot be updated in place",
  );
  expect(describeReason("delete_because_no_resource_config")).toBe(
    "removed from the configuration (or renamed)",
  );
  expect(describeReason("replace_because_something_new")).toBe("replace_because_something_new");
  expect(describeReason(undefined)).toBe("");
});

test("the stateful list has a reason for each type", () => {
  expect(Object.keys(STATEFUL_TYPES)).toEqual(
    expect.arrayContaining([
      "aws_db_instance",
      "aws_s3_bucket",
      "aws_kms_key",
      "aws_eks_cluster",
      "aws_ecr_repository",
      "aws_cloudwatch_log_group",
      "aws_secretsmanager_secret",
      "aws_ebs_volume",
      "aws_efs_file_system",
      "aws_dynamodb_table",
    ]),
  );
  for (const reason of Object.values(STATEFUL_TYPES)) expect(reason).toMatch(/^[\w -]+: .+/);
  expect(statefulReason("aws_iam_role")).toBeUndefined();
  expect(statefulReason("toString")).toBeUndefined();
});

test("summarizePlan: counts, sorted changes, data sources and no-ops left out, deposed and moved named", () => {
  const summary = summarizePlan("prod-infrastructure", "production", {
    resource_changes: [
      change("aws_vpc.main", ["create"]),
      change("aws_subnet.a", ["create"]),
      change("aws_s3_bucket.site", ["update"]),
      change("aws_db_instance.database", ["delete", "create"], {
        change: { actions: ["delete", "create"], replace_paths: [["engine"], ["tags", "x"]] },
        action_reason: "replace_because_cannot_update",
      }),
      change("aws_iam_role.old", ["delete"], {
        action_reason: "delete_because_no_resource_config",
      }),
      change("aws_iam_role.cbd", ["create", "delete"], { deposed: "abc123" }),
      change("aws_kms_key.k", ["no-op"]),
      change("data.aws_iam_policy_document.p", ["read"]),
      change("aws_sqs_queue.renamed", ["update"], { previous_address: "aws_sqs_queue.old" }),
    ],
  });
  expect(summary.counts).toEqual({ create: 2, update: 2, replace: 2, destroy: 1 });
  expect(summary.changes.map((c) => c.address)).toEqual([
    "aws_db_instance.database",
    "aws_iam_role.cbd (deposed abc123)",
    "aws_iam_role.old",
    "aws_s3_bucket.site",
    "aws_sqs_queue.renamed",
    "aws_subnet.a",
    "aws_vpc.main",
  ]);
  expect(summary.changes[0]).toEqual({
    address: "aws_db_instance.database",
    type: "aws_db_instance",
    kind: "replace",
    actions: ["delete", "create"],
    replacePaths: ["engine", "tags.x"],
    actionReason: "replace_because_cannot_update",
    stateful: STATEFUL_TYPES.aws_db_instance,
  });
  expect(summary.changes[4].previousAddress).toBe("aws_sqs_queue.old");
});

test("formatCounts names only what changes", () => {
  expect(formatCounts({ create: 3, update: 1, replace: 0, destroy: 0 })).toBe(
    "3 to create, 1 to update",
  );
  expect(formatCounts({ create: 0, update: 0, replace: 1, destroy: 2 })).toBe(
    "1 to replace, 2 to destroy",
  );
  expect(formatCounts({ create: 0, update: 0, replace: 0, destroy: 0 })).toBe("no changes");
});

describe("the headline agrees with the guard", () => {
  test("safe", () => {
    const r = report([
      guardStack("prod-infrastructure", "production", [
        change("aws_vpc.main", ["create"]),
        change("aws_subnet.a", ["create"]),
        change("aws_subnet.b", ["create"]),
        change("aws_s3_bucket.site", ["update"]),
      ]),
    ]);
    expect(r.safe).toBe(true);
    expect(r.headline).toBe(
      "✅ Safe to apply: 3 to create, 1 to update, nothing replaced or destroyed",
    );
  });

  test("replacing a stateless resource is safe, and says what it does", () => {
    const r = report([
      guardStack("prod-infrastructure", "production", [
        change("aws_iam_role.r", ["delete", "create"]),
      ]),
    ]);
    expect(r.headline).toBe("✅ Safe to apply: 1 to replace");
  });

  test("not safe: the blocked changes, at most three, then how many more", () => {
    const r = report([
      guardStack("prod-infrastructure", "production", [
        change("aws_db_instance.database", ["delete", "create"], {
          change: { actions: ["delete", "create"], replace_paths: [["engine"]] },
        }),
        change("aws_s3_bucket.a", ["delete"]),
        change("aws_s3_bucket.b", ["delete"]),
        change("aws_s3_bucket.c", ["delete"]),
        change("aws_s3_bucket.d", ["delete"]),
      ]),
    ]);
    expect(r.safe).toBe(false);
    expect(r.headline).toBe(
      "⛔ Not safe: prod-infrastructure replaces aws_db_instance.database (engine); prod-infrastructure destroys aws_s3_bucket.a; prod-infrastructure destroys aws_s3_bucket.b; and 2 more",
    );
  });

  test("development findings and allowed ones: safe with care", () => {
    const dev = report([
      guardStack("dev-infrastructure", "development", [change("aws_s3_bucket.a", ["delete"])]),
    ]);
    expect(dev.safe).toBe(true);
    expect(dev.headline).toBe(
      "⚠️ Safe to apply with care: 1 to destroy; 1 destructive change(s) in development (warnings)",
    );
    const allowed = report(
      [guardStack("prod-infrastructure", "production", [change("aws_s3_bucket.a", ["delete"])])],
      {
        allow:
          "allow: [{ address: aws_s3_bucket.a, reason: moved to archive, who: alice, expires: 2027-01-31 }]\n",
      },
    );
    expect(allowed.safe).toBe(true);
    expect(allowed.headline).toBe(
      "⚠️ Safe to apply with care: 1 to destroy; 1 destructive change(s) allowed by an allowance",
    );
  });
});

describe("Markdown", () => {
  const stacks = [
    guardStack("prod-infrastructure", "production", [
      change("aws_db_instance.database", ["delete", "create"], {
        change: { actions: ["delete", "create"], replace_paths: [["engine"]] },
        action_reason: "replace_because_cannot_update",
      }),
      change("aws_s3_bucket.logs", ["delete"], {
        action_reason: "delete_because_no_resource_config",
      }),
      change("aws_iam_role.r", ["delete"]),
      change("aws_vpc.main", ["create"]),
    ]),
    guardStack("dev-infrastructure", "development", [change("aws_subnet.a", ["update"])]),
  ];
  const allow = [
    "allow:",
    "  - { address: aws_s3_bucket.logs, reason: 'logs | moved', who: bob, expires: 2027-01-31 }",
    "  - { address: aws_kms_key.old, reason: r, who: w, expires: 2026-01-01 }",
    "  - { address: aws_kms_key.unused, reason: r, who: w, expires: 2027-01-01 }",
    "",
  ].join("\n");
  const markdown = renderMarkdown(report(stacks, { allow }));

  test("the headline first, then the counts per stack", () => {
    const lines = markdown.split("\n");
    expect(lines[0]).toBe(
      "**⛔ Not safe: prod-infrastructure replaces aws_db_instance.database (engine)**",
    );
    expect(markdown).toContain("| prod-infrastructure | production | 1 | 0 | **1** | **2** |");
    expect(markdown).toContain("| dev-infrastructure | development | 0 | 1 | 0 | 0 |");
  });

  test("the guard's findings with their allowance (table cells escaped)", () => {
    expect(markdown).toContain(
      "| ⛔ blocked | prod-infrastructure | `aws_db_instance.database` | replaced (engine): database: its data and automated backups go with it |  |",
    );
    expect(markdown).toContain(
      "| ✅ allowed | prod-infrastructure | `aws_s3_bucket.logs` | destroyed: S3 bucket: its objects | logs \\| moved (bob, until 2027-01-31) |",
    );
  });

  test("expired and unused allowances", () => {
    expect(markdown).toContain(
      "- expired allowance for `aws_kms_key.old` in environments/prod.allow.yaml (expired 2026-01-01; it allows nothing)",
    );
    expect(markdown).toContain(
      "- unused allowance for `aws_kms_key.unused` in environments/prod.allow.yaml (no planned change needs it; remove it)",
    );
  });

  test("every replace and destroy with what forces it; stateful ones highlighted", () => {
    expect(markdown).toContain(
      "| prod-infrastructure | replace | **`aws_db_instance.database`** 🗄️ database: its data and automated backups go with it | `engine` | an attribute cannot be updated in place |",
    );
    expect(markdown).toContain(
      "| prod-infrastructure | destroy | **`aws_s3_bucket.logs`** 🗄️ S3 bucket: its objects |  | removed from the configuration (or renamed) |",
    );
    expect(markdown).toContain("| prod-infrastructure | destroy | `aws_iam_role.r` |  |  |");
  });

  test("the full resource list, collapsed per stack", () => {
    expect(markdown).toContain(
      "<details>\n<summary>prod-infrastructure: 1 to create, 1 to replace, 2 to destroy (4 resources)</summary>\n\n```\n-/+    aws_db_instance.database  [stateful]\n-      aws_iam_role.r\n-      aws_s3_bucket.logs  [stateful]\n+      aws_vpc.main\n```\n\n</details>",
    );
    expect(markdown).toContain("~      aws_subnet.a");
  });

  test("no policy section without findings; one with them", () => {
    expect(markdown).not.toContain("Policy");
    const withPolicy = renderMarkdown(
      report(stacks, {
        policy: [
          {
            ruleId: "S3-001",
            severity: "warning",
            resource: "aws_s3_bucket.logs",
            message: "enable versioning",
          },
        ],
      }),
    );
    expect(withPolicy).toContain("### Policy findings");
    expect(withPolicy).toContain(
      "| warning | `S3-001` | `aws_s3_bucket.logs` | enable versioning |",
    );
  });

  test("suppressed findings are listed collapsed with their reasons; none active says so", () => {
    const text = renderMarkdown(
      report(stacks, {
        policy: [
          {
            ruleId: "iam-no-wildcard-resource",
            severity: "error",
            resource: "prod-infrastructure/cluster/policy (aws_iam_role_policy.p)",
            message:
              'statement 2 allows ec2:CreateSecurityGroup on Resource "*" without a condition',
            suppressed: "the controller's published policy | kept verbatim",
          },
        ],
      }),
    );
    expect(text).toContain("### Policy findings\n\n_None: every rule of the policy pack passes._");
    expect(text).toContain(
      "<details>\n<summary>1 suppressed with a reason</summary>\n\n| rule | resource | reason |\n| --- | --- | --- |\n| `iam-no-wildcard-resource` | `prod-infrastructure/cluster/policy (aws_iam_role_policy.p)` | the controller's published policy \\| kept verbatim |\n\n</details>",
    );
  });

  test("too long for one comment: the full lists are left out, with a note", () => {
    const many = Array.from({ length: 1500 }, (_, i) =>
      change(`aws_route.route_with_a_long_name_${i}`, ["create"]),
    );
    const long = renderMarkdown(report([guardStack("prod-infrastructure", "production", many)]));
    expect(long.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(long).not.toContain("<details>");
    expect(long).toContain(
      "_The full resource lists are too long for one comment: see plan-report.json._",
    );
  });
});

test("JSON holds the same data, without a policy key when none was given", () => {
  const r = report([
    guardStack("prod-infrastructure", "production", [change("aws_s3_bucket.a", ["delete"])]),
  ]);
  const json = JSON.parse(renderJson(r));
  expect(json).toEqual(JSON.parse(JSON.stringify(r)));
  expect(json).not.toHaveProperty("policy");
  expect(json.guard).toMatchObject({ verdict: "fail", exitCode: 4 });
  expect(json.stacks[0].changes[0]).toMatchObject({ address: "aws_s3_bucket.a", kind: "destroy" });
});
