/**
 * A copy of the synth program in a temporary folder (bin/, the sources, node_modules linked), so
 * that a test can edit a source or build `.build/synth/` and its snapshot without touching the
 * repository's.
 */
import { cpSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers";

const PROGRAM = [
  "bin",
  "main.ts",
  "version.ts",
  "config",
  "constructs",
  "policy",
  "stacks",
  "scripts",
];

export function copyOfProgram(prefix = "synth-program-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of PROGRAM)
    cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}
