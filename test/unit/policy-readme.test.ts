/** The README's table of policy rules lists exactly the pack: id, severity, tiers and description. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RULES } from "../../policy/rules";
import { REPO_ROOT } from "../helpers";

test("README, Policy: one row per rule, in the pack's order, with its severity, tiers and description", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Policy\n"),
    readme.indexOf("## Reviewing a plan\n"),
  );
  const rows = section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/\\([|*])/g, "$1")),
    );
  expect(rows).toEqual(
    RULES.map((r) => [
      `\`${r.id}\``,
      r.severity,
      r.tiers ? r.tiers.join(", ") : "all",
      r.description,
      r.reference,
    ]),
  );
  expect(section).toContain(`${RULES.length} rules, one per file`);
});
