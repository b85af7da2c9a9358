import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers";

/** Lints a snippet as if it were a construct file, with the project's own ESLint config. */
function lint(code: string): string[] {
  const result = spawnSync(
    process.execPath,
    [
      join(REPO_ROOT, "node_modules/eslint/bin/eslint.js"),
      "--stdin",
      "--stdin-filename",
      "constructs/example.ts",
      "--format",
      "json",
    ],
    { cwd: REPO_ROOT, input: code, encoding: "utf8" },
  );
  const [file] = JSON.parse(result.stdout) as { messages: { ruleId: string; message: string }[] }[];
  return file.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("lint rules", () => {
  test.each([
    "@cdktf/provider-aws",
    "@cdktf/provider-aws/lib",
    "@cdktf/provider-kubernetes",
    "@cdktf/provider-helm",
  ])("forbids the provider barrel %s", (specifier) => {
    const messages = lint(`import { x } from "${specifier}";\nexport const y = x;\n`);
    expect(messages).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Import the resource class by deep path/),
    ]);
  });

  test("allows deep imports of provider classes", () => {
    expect(
      lint(`import { Vpc } from "@cdktf/provider-aws/lib/vpc";\nexport const y = Vpc;\n`),
    ).toEqual([]);
  });
});
