/** Small readers for synthesized Terraform JSON values (blocks, booleans, references). */
import type { PolicyResource } from "../rule";

/** A nested block as a list: cdktf writes single blocks as objects and repeated ones as lists. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter(
    (item): item is Record<string, unknown> => typeof item === "object" && item !== null,
  );
}

/** The first block, or an empty object. */
export function block(value: unknown): Record<string, unknown> {
  return blocks(value)[0] ?? {};
}

/** Terraform's true: the boolean, or the string cdktf writes for some boolean attributes. */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** Terraform's false, including an explicit string. */
export function isFalse(value: unknown): boolean {
  return value === false || value === "false";
}

/** A list attribute as strings (a single string counts as a one-item list). */
export function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => String(item));
}

/** Whether a value is (or contains) a Terraform expression `${...}` (known only at apply time). */
export function isExpression(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

/** Whether an attribute value refers to the resource (`${type.name.attr}` anywhere inside it). */
export function refersTo(value: unknown, target: PolicyResource): boolean {
  if (value === undefined || value === null) return false;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const prefix = `\${${target.address}`;
  let at = text.indexOf(prefix);
  while (at >= 0) {
    const next = text[at + prefix.length];
    if (next === "." || next === "}" || next === "[") return true;
    at = text.indexOf(prefix, at + 1);
  }
  return false;
}

/**
 * Every address `refersTo` finds in a value: `refersTo(value, r)` is `referencedAddresses(value)
 * .has(r.address)` (an address is dot-separated names, none holding `.`, `}` or `[`). Lets a rule
 * index references once instead of testing every pair of resources.
 */
export function referencedAddresses(value: unknown): Set<string> {
  const found = new Set<string>();
  if (value === undefined || value === null) return found;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  for (let at = text.indexOf("${"); at >= 0; at = text.indexOf("${", at + 1)) {
    const start = at + 2;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c !== "." && c !== "}" && c !== "[") continue;
      if (i > start) found.add(text.slice(start, i));
      if (c !== ".") break;
    }
  }
  return found;
}

/** Renders a value found in a resource for a message (`"x"`, `true`, `nothing`). */
export function shown(value: unknown): string {
  if (value === undefined || value === null) return "unset";
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
