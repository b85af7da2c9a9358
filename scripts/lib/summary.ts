import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A synthesized stack, read back from the cdktf output folder. */
export interface SynthesizedStack {
  readonly name: string;
  /** Folder of the stack (holds cdk.tf.json). */
  readonly directory: string;
  /** Resource count by Terraform type. */
  readonly resourceCounts: Record<string, number>;
  /** Sources of the providers the stack requires, as cdktf writes them (`aws`, `helm`, ...). */
  readonly providerSources: string[];
}

interface Manifest {
  readonly stacks: Record<
    string,
    {
      readonly name: string;
      readonly workingDirectory: string;
      readonly synthesizedStackPath: string;
    }
  >;
}

/** The parts of a stack's Terraform JSON a summary reads. */
interface StackJson {
  readonly resource?: Record<string, Record<string, unknown> | undefined>;
  readonly terraform?: { readonly required_providers?: Record<string, { source?: string }> };
}

/**
 * The summary of one stack from its Terraform JSON, parsed from cdk.tf.json or as it was written
 * (values that are `undefined`, which the written file leaves out, are not counted).
 */
export function summarizeStack(
  name: string,
  directory: string,
  document: unknown,
): SynthesizedStack {
  const json = document as StackJson;
  const resourceCounts: Record<string, number> = {};
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    if (byName === undefined) continue;
    resourceCounts[type] = Object.values(byName).filter((r) => r !== undefined).length;
  }
  const providerSources = Object.values(json.terraform?.required_providers ?? {})
    .filter((p) => p !== undefined)
    .map((p) => p.source ?? "");
  return { name, directory, resourceCounts, providerSources };
}

/** Reads every stack of a cdktf output folder, in manifest order. */
export function readSynthesizedStacks(outdir: string): SynthesizedStack[] {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as Manifest;
  return Object.values(manifest.stacks).map((stack) =>
    summarizeStack(
      stack.name,
      join(outdir, stack.workingDirectory),
      JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8")),
    ),
  );
}

/** Code-unit order, and ICU root collation's for type names (`[a-z0-9_]`): `_`, digits, letters. */
const TYPE_NAME = /^[a-z0-9_]*$/;
const rank = (code: number) => (code === 95 ? 0 : code <= 57 ? code - 47 : code - 86);

/**
 * `a.localeCompare(b)` for Terraform type names without ICU's collator (loading it costs some
 * 8 ms per process): `_` sorts before digits, digits before letters. Other names use
 * `localeCompare`.
 */
export function compareTypeNames(a: string, b: string): number {
  if (!TYPE_NAME.test(a) || !TYPE_NAME.test(b)) return a.localeCompare(b);
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = rank(a.charCodeAt(i)) - rank(b.charCodeAt(i));
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** `name: N resources` then `  type  count` lines, largest count first. */
export function formatSummary(stack: SynthesizedStack): string {
  const entries = Object.entries(stack.resourceCounts).sort(
    (a, b) => b[1] - a[1] || compareTypeNames(a[0], b[0]),
  );
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const width = Math.max(0, ...entries.map(([type]) => type.length));
  return [
    `${stack.name}: ${total} resources in ${entries.length} types (${stack.directory})`,
    ...entries.map(([type, n]) => `  ${type.padEnd(width)}  ${n}`),
  ].join("\n");
}

/**
 * The synthesized stacks named by command-line selectors (`prod` selects every `prod-*` stack,
 * `prod-workloads` one stack; none selects all). Exits 1 with a message when nothing matches.
 */
export function selectStacks(outdir: string, selectors: readonly string[]): SynthesizedStack[] {
  const all = readSynthesizedStacks(outdir);
  const selected = all.filter(
    (s) =>
      selectors.length === 0 ||
      selectors.some((sel) => s.name === sel || s.name.startsWith(`${sel}-`)),
  );
  if (selected.length === 0) {
    process.stderr.write(
      `No stack matches ${selectors.join(", ")}; stacks: ${all.map((s) => s.name).join(", ")}\n`,
    );
    process.exit(1);
  }
  return selected;
}
