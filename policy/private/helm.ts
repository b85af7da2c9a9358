/** The values a `helm_release` sets, as rules see them: every `values` document and `set` entry. */
import { parse } from "yaml";
import type { PolicyResource } from "../rule";
import { blocks } from "./values";

/** One value found: its dotted path inside the values and the value. */
export interface FoundValue {
  readonly path: string;
  readonly key: string;
  readonly value: unknown;
}

const parsed = new WeakMap<PolicyResource, unknown[]>();

/** The parsed `values` documents of a release (a document that does not parse is skipped). */
export function valuesDocuments(release: PolicyResource): unknown[] {
  const cached = parsed.get(release);
  if (cached) return cached;
  const documents: unknown[] = [];
  for (const text of Array.isArray(release.config.values) ? release.config.values : []) {
    if (typeof text !== "string") continue;
    try {
      // our constructs render values as JSON (a YAML subset): JSON.parse is many times faster
      documents.push(JSON.parse(text));
    } catch {
      try {
        documents.push(parse(text));
      } catch {
        // a values document with Terraform expressions that do not parse as YAML: not inspected
      }
    }
  }
  parsed.set(release, documents);
  return documents;
}

const found = new WeakMap<PolicyResource, readonly FoundValue[]>();

/** Every leaf and object in the release's values and `set` blocks, depth first (found once). */
export function valuesOf(release: PolicyResource): readonly FoundValue[] {
  const cached = found.get(release);
  if (cached) return cached;
  const values: FoundValue[] = [];
  function walk(value: unknown, path: string, key: string): void {
    if (path) values.push({ path, key, value });
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, key));
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, k);
    }
  }
  for (const document of valuesDocuments(release)) walk(document, "", "");
  for (const entry of [...blocks(release.config.set), ...blocks(release.config.set_sensitive)]) {
    const name = String(entry.name ?? "");
    values.push({ path: name, key: name.split(".").pop() ?? name, value: entry.value });
  }
  found.set(release, values);
  return values;
}
