/**
 * Notification secrets (webhook URLs, routing keys) are named in the environment file, never
 * written there (`config/schema.ts` `secretRef`): `{ env: VARIABLE }` or `{ file: path }`. This
 * resolves a reference to its value; errors name the variable or the file, never the value.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** A secret reference as the environment file holds it (exactly one of the two fields). */
export interface SecretRef {
  readonly env?: string;
  readonly file?: string;
}

/** Where {@link resolveSecret} reads from (test seams). */
export interface SecretSources {
  /** The environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Relative `file` paths are resolved from here. @default process.cwd() */
  readonly baseDir?: string;
  /** Reads a file as UTF-8. @default fs.readFileSync */
  readonly readFile?: (path: string) => string;
}

/** How a reference is shown in messages: `environment variable SLACK_URL` or `file /run/x`. */
export function describeSecretRef(ref: SecretRef): string {
  return ref.env !== undefined ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/**
 * The value of a secret: the variable's value, or the file's content without surrounding
 * whitespace (a trailing newline is common). Throws `<what>: environment variable X is not set`,
 * `<what>: file F could not be read (ENOENT)` or `... is empty`.
 *
 * @param what what the secret is for, e.g. `notifications.slack[0].webhookUrl`
 */
export function resolveSecret(ref: SecretRef, what: string, sources: SecretSources = {}): string {
  if ((ref.env === undefined) === (ref.file === undefined)) {
    throw new Error(`${what}: exactly one of env (a variable name) or file (a path) is needed`);
  }
  if (ref.env !== undefined) {
    const value = (sources.env ?? process.env)[ref.env];
    if (value === undefined) throw new Error(`${what}: environment variable ${ref.env} is not set`);
    if (value.trim() === "") throw new Error(`${what}: environment variable ${ref.env} is empty`);
    return value.trim();
  }
  const path = resolve(sources.baseDir ?? process.cwd(), ref.file as string);
  let text: string;
  try {
    text = (sources.readFile ?? ((p: string) => readFileSync(p, "utf8")))(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new Error(
      `${what}: file ${path} could not be read${typeof code === "string" ? ` (${code})` : ""}`,
    );
  }
  if (text.trim() === "") throw new Error(`${what}: file ${path} is empty`);
  return text.trim();
}
