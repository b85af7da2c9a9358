/**
 * Turning parse results into problems (`field: received X; expected Y`): shared by the
 * environment files (`config/load.ts`) and the plan guard's allowance files.
 */
import type { Document } from "yaml";
import type { Problem } from "../constructs/private/validation";

/** Dotted field path of a zod issue path: `apps.web.release[0]`, or `(root)`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return (
    path.reduce<string>(
      (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
      "",
    ) || "(root)"
  );
}

/** The value at a path of parsed data, or undefined. */
export function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/** One problem per YAML syntax error of a parsed document (its first line). */
export function yamlProblems(doc: Document): Problem[] {
  return doc.errors.map((e) => ({
    field: "(yaml)",
    received: e.message.split("\n")[0],
    expected: "valid YAML",
  }));
}
