/**
 * Synthesis with the rule pack as a gate: every stack is synthesized into a staging folder, its
 * Terraform JSON is checked, and only when no `error` finding remains are the stacks moved into the
 * app's output folder. On an error nothing in the output folder changes.
 *
 * This is `App.synth()` with a check between producing and writing: aspects, validations and
 * cdktf's own stack synthesizer run exactly as usual. Each stack's tokens are resolved once, when
 * it is prepared, and that resolution is both what the rules check and what is written
 * (private/stack-json.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { Manifest, TerraformStack, type App } from "cdktf";
import {
  checkStack,
  mergeResults,
  type CheckOptions,
  type PolicyResult,
  type StackDocument,
} from "./check";
import {
  cdktfMatches,
  prepareStack,
  stackJson,
  type PreparedFragments,
} from "./private/stack-json";

/** What {@link synthesizeWithPolicy} did. */
export interface PolicySynthResult extends PolicyResult {
  /** Whether the stacks were written (false when an `error` finding remained). */
  readonly written: boolean;
  /**
   * When written: each stack's Terraform JSON as checked and written (before JSON serialization,
   * which drops `undefined`), in manifest order, with its manifest name and working directory
   * (relative to the output folder). Lets a caller summarize the stacks without reading them back.
   */
  readonly stacks?: readonly SynthesizedDocument[];
}

/** A stack's document as {@link synthesizeWithPolicy} wrote it. */
export interface SynthesizedDocument {
  readonly name: string;
  readonly workingDirectory: string;
  readonly document: StackDocument;
}

/** Replaces `target` with `source` (a file or a folder), creating parents. */
function replace(source: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  renameSync(source, target);
}

/**
 * Synthesizes the app and checks every stack; writes the output only when no error is found.
 * Throws what `App.synth()` throws (construct validation, error annotations).
 */
export function synthesizeWithPolicy(app: App, options: CheckOptions = {}): PolicySynthResult {
  const stacks = app.node.findAll().filter(TerraformStack.isStack);
  // one token resolution per stack (private/stack-json.ts), where cdktf is the one it was written for
  const fragments: PreparedFragments | undefined = cdktfMatches() ? new Map() : undefined;
  // each stack's JSON, captured as cdktf's synthesizer produces it (the method is put back after)
  const documents = new Map<TerraformStack, StackDocument>();
  for (const stack of stacks) {
    const toTerraform = fragments
      ? () => stackJson(stack, fragments)
      : stack.toTerraform.bind(stack);
    stack.toTerraform = () => {
      const document = toTerraform();
      documents.set(stack, document as StackDocument);
      return document;
    };
  }
  const restore = () =>
    stacks.forEach((stack) => delete (stack as Partial<TerraformStack>).toTerraform);
  mkdirSync(app.outdir, { recursive: true });
  const staging = mkdtempSync(join(app.outdir, ".synth-"));
  try {
    const manifest = new Manifest(app.manifest.version, staging, app.manifest.hclOutput);
    const session = { outdir: staging, manifest, skipValidation: app.skipValidation };
    stacks.forEach((stack) => (fragments ? prepareStack(stack, fragments) : stack.prepareStack()));
    stacks.forEach((stack) => stack.synthesizer.synthesize(session));
    if (!app.skipValidation) {
      const problems = app.node.validate();
      if (problems.length > 0)
        throw new Error(`App validation failed:\n  ${problems.join("\n  ")}`);
    }
    // HCL output never calls toTerraform(): resolve the JSON for the check then
    const checked = stacks.map(
      (stack) => documents.get(stack) ?? (stack.toTerraform() as StackDocument),
    );
    const result = mergeResults(stacks.map((stack, i) => checkStack(stack, checked[i], options)));
    if (result.findings.some((f) => f.severity === "error")) return { ...result, written: false };
    const written: SynthesizedDocument[] = [];
    for (const [i, stack] of stacks.entries()) {
      const staged = manifest.forStack(stack);
      const from = join(staging, staged.workingDirectory);
      for (const entry of readdirSync(from))
        replace(join(from, entry), join(app.outdir, staged.workingDirectory, entry));
      Object.assign(app.manifest.forStack(stack), staged);
      written.push({
        name: staged.name,
        workingDirectory: staged.workingDirectory,
        document: checked[i],
      });
    }
    app.manifest.writeToFile();
    // manifest.json's order: cdktf writes it with its keys (the stack names) sorted
    written.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { ...result, written: true, stacks: written };
  } finally {
    restore();
    rmSync(staging, { recursive: true, force: true });
  }
}
