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

/** Reads every stack of a cdktf output folder, in manifest order. */
export function readSynthesizedStacks(outdir: string): SynthesizedStack[] {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as Manifest;
  return Object.values(manifest.stacks).map((stack) => {
    const json = JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8")) as {
      resource?: Record<string, Record<string, unknown>>;
      terraform?: { required_providers?: Record<string, { source?: string }> };
    };
    const resourceCounts: Record<string, number> = {};
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      resourceCounts[type] = Object.keys(byName).length;
    }
    const providerSources = Object.values(json.terraform?.required_providers ?? {}).map(
      (p) => p.source ?? "",
    );
    return {
      name: stack.name,
      directory: join(outdir, stack.workingDirectory),
      resourceCounts,
      providerSources,
    };
  });
}

/** `name: N resources` then `  type  count` lines, largest count first. */
export function formatSummary(stack: SynthesizedStack): string {
  const entries = Object.entries(stack.resourceCounts).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
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
