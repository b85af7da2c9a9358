/**
 * Notification secrets: `{ env }` and `{ file }` references resolve to their values; a missing
 * variable, an unreadable or empty file is an error naming the variable or file, never a value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeSecretRef, resolveSecret } from "../../release/notify/secrets";

const WHAT = "notifications.slack[0].webhookUrl";
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "release-secrets-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("an environment variable's value, trimmed", () => {
  const env = { SLACK_WEBHOOK_URL: " https://hooks.example/T1/B1/s3cr3t\n" };
  expect(resolveSecret({ env: "SLACK_WEBHOOK_URL" }, WHAT, { env })).toBe(
    "https://hooks.example/T1/B1/s3cr3t",
  );
});

test("a missing or empty variable is named, with what it is for", () => {
  expect(() => resolveSecret({ env: "SLACK_WEBHOOK_URL" }, WHAT, { env: {} })).toThrow(
    "notifications.slack[0].webhookUrl: environment variable SLACK_WEBHOOK_URL is not set",
  );
  expect(() => resolveSecret({ env: "PD_KEY" }, "pd", { env: { PD_KEY: "  " } })).toThrow(
    "pd: environment variable PD_KEY is empty",
  );
});

test("a file's content without the trailing newline, relative paths from baseDir", () => {
  writeFileSync(join(dir, "routing-key"), "R0UTINGKEY0123456789abcdef012345\n");
  expect(resolveSecret({ file: join(dir, "routing-key") }, "pd")).toBe(
    "R0UTINGKEY0123456789abcdef012345",
  );
  expect(resolveSecret({ file: "routing-key" }, "pd", { baseDir: dir })).toBe(
    "R0UTINGKEY0123456789abcdef012345",
  );
});

test("an unreadable or empty file is named with the error code, never its content", () => {
  const missing = join(dir, "nope");
  expect(() => resolveSecret({ file: missing }, "pd")).toThrow(
    `pd: file ${missing} could not be read (ENOENT)`,
  );
  expect(() => resolveSecret({ file: dir }, "pd")).toThrow(
    `pd: file ${dir} could not be read (EISDIR)`,
  );
  writeFileSync(join(dir, "empty"), "\n");
  expect(() => resolveSecret({ file: join(dir, "empty") }, "pd")).toThrow(
    `pd: file ${join(dir, "empty")} is empty`,
  );
});

test("a reference must name exactly one source", () => {
  expect(() => resolveSecret({}, "pd")).toThrow("pd: exactly one of env");
  expect(() => resolveSecret({ env: "A", file: "b" }, "pd")).toThrow("pd: exactly one of env");
  expect(describeSecretRef({ env: "A" })).toBe("environment variable A");
  expect(describeSecretRef({ file: "/run/b" })).toBe("file /run/b");
});
