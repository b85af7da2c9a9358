import { createHash } from "node:crypto";
import {
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { deserialize, serialize } from "node:v8";
import { parseDocument } from "yaml";
import { z } from "zod";
import { formatProblem, type Problem } from "../constructs/private/validation";
import { environmentSchema, type EnvironmentConfig } from "./schema";
import { fieldPath, valueAt, yamlProblems } from "./problems";
import { crossFieldProblems } from "./rules";
import { readBusinessDashboards } from "../constructs/private/business-dashboards";
import { generatedDashboardUids } from "../constructs/private/grafana-dashboards";

/** A validated environment file and where it came from. */
export interface LoadedEnvironment {
  /** Path of the file, relative to the working directory when possible. */
  readonly file: string;
  /** The validated configuration. */
  readonly config: EnvironmentConfig;
}

/** A problem found in one environment file. */
export interface FileProblem extends Problem {
  readonly file: string;
}

/** Every problem of every environment file, in one message. */
export class EnvironmentConfigError extends Error {
  constructor(readonly problems: readonly FileProblem[]) {
    const files = new Set(problems.map((p) => p.file)).size;
    super(
      [
        `Invalid environment configuration: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}`,
        ...problems.map((p) => `  ${p.file}: ${formatProblem(p)}`),
      ].join("\n"),
    );
    this.name = "EnvironmentConfigError";
  }
}

/** The folder of environment files: `PLATFORM_ENV_DIR`, else `environments/`. */
export function environmentDirectory(): string {
  return resolve(process.env.PLATFORM_ENV_DIR ?? "environments");
}

/**
 * Loads and validates every `*.yaml` file of the folder (except `<env>.allow.yaml`, the plan
 * guard's allowances). Throws one {@link EnvironmentConfigError}
 * listing every problem of every file, so nothing is synthesized from a partly valid set.
 */
export function loadEnvironments(directory = environmentDirectory()): LoadedEnvironment[] {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new EnvironmentConfigError([
      {
        file: directory,
        field: "(folder)",
        received: directory,
        expected: "a folder of <env>.yaml files (PLATFORM_ENV_DIR)",
      },
    ]);
  }
  const files = readdirSync(directory)
    // `<env>.allow.yaml` holds the plan guard's allowances (scripts/lib/plan-guard.ts), not an environment
    .filter((f) => [".yaml", ".yml"].includes(extname(f)) && !/\.allow\.ya?ml$/.test(f))
    .sort();
  if (files.length === 0) {
    throw new EnvironmentConfigError([
      {
        file: directory,
        field: "(folder)",
        received: [],
        expected: "at least one <env>.yaml file",
      },
    ]);
  }
  const problems: FileProblem[] = [];
  const loaded: LoadedEnvironment[] = [];
  for (const f of files) {
    const path = join(directory, f);
    const display = relative(process.cwd(), path).startsWith("..")
      ? path
      : relative(process.cwd(), path);
    const result = parseEnvironment(readFileSync(path, "utf8"), basename(f, extname(f)));
    problems.push(...result.problems.map((p) => ({ ...p, file: display })));
    if (result.config) {
      problems.push(
        ...dashboardFileProblems(result.config, dirname(path)).map((p) => ({
          ...p,
          file: display,
        })),
      );
      loaded.push({ file: display, config: result.config });
    }
  }
  problems.push(...accountProblems(loaded));
  if (problems.length > 0) throw new EnvironmentConfigError(problems);
  return loaded;
}

/**
 * The apps' business dashboard files (`apps.<app>.dashboards`, relative to the environment
 * file's folder): each exists, is a Grafana dashboard, and has a uid of its own.
 */
export function dashboardFileProblems(config: EnvironmentConfig, directory: string): Problem[] {
  const apps = Object.entries(config.apps);
  const files = apps.flatMap(([app, a]) =>
    a.dashboards.map((written, i) => ({
      app,
      path: resolve(directory, written),
      written,
      field: `apps.${app}.dashboards[${i}]`,
    })),
  );
  if (files.length === 0) return [];
  return readBusinessDashboards(files, generatedDashboardUids(apps.map(([app]) => app))).problems;
}

/**
 * Rules across files: an account has one GitHub OIDC provider, so only one environment per account
 * may create it (`github.oidcProvider: create`); the others name its ARN.
 */
function accountProblems(loaded: readonly LoadedEnvironment[]): FileProblem[] {
  const creator = new Map<string, LoadedEnvironment>();
  const problems: FileProblem[] = [];
  for (const environment of loaded) {
    const { config } = environment;
    if (config.github?.oidcProvider !== "create") continue;
    const first = creator.get(config.account);
    if (!first) {
      creator.set(config.account, environment);
      continue;
    }
    problems.push({
      file: environment.file,
      field: "github.oidcProvider",
      received: "create",
      expected: `the ARN of the GitHub OIDC provider that ${first.file} creates in account ${config.account} (arn:aws:iam::${config.account}:oidc-provider/token.actions.githubusercontent.com): an account has one`,
    });
  }
  return problems;
}

/** Parses and validates one file's text; `fileStem` is the file name without extension. */
export function parseEnvironment(
  text: string,
  fileStem: string,
): { config?: EnvironmentConfig; problems: Problem[] } {
  const raw = parseYaml(text);
  if (!raw.ok) return { problems: raw.problems };
  return validateEnvironment(raw.value, fileStem);
}

/** What the YAML parser makes of an environment file: its value, or its syntax problems. */
type ParsedYaml = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

/**
 * Parsed environment files kept between runs (see {@link cacheParsedEnvironments}): the value of
 * every file that parsed without an error, V8-serialized, by a hash of the parser's version and
 * the text.
 */
let parsedCache:
  | { readonly entries: Map<string, Buffer>; readonly used: Set<string>; added: boolean }
  | undefined;

/** What {@link cacheParsedEnvironments} keeps at most: the most recently used entries first. */
const CACHE_LIMITS = { entries: 64, bytes: 8 * 1024 * 1024 };

/**
 * Keeps the parsed YAML of environment files in `path` between runs: a file whose text (and the
 * `yaml` version) is the same as in an earlier run is not parsed again, its value is read back
 * (V8's structured serialization: the same plain objects, arrays, numbers including NaN and
 * -0, and shared references of aliases). Only the YAML parsing is kept: the schema and every
 * rule still check each file on every run. The file is written when the process exits, if this
 * run added an entry or used others than the most recent ones: this run's entries first, then
 * earlier ones, up to {@link CACHE_LIMITS}. An unreadable or unwritable file is ignored. Used by
 * bin/synth.cjs (`.build/synth/.yaml-cache`); without it every file is parsed.
 */
export function cacheParsedEnvironments(path: string): void {
  const entries = new Map<string, Buffer>(); // most recently used first
  try {
    for (const [key, data] of deserialize(readFileSync(path)) as [string, Uint8Array][])
      entries.set(key, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  } catch {
    // no cache yet, or an unreadable one: parse everything
  }
  const cache = { entries, used: new Set<string>(), added: false };
  parsedCache = cache;
  process.once("exit", () => {
    const recent = [...cache.entries.keys()].slice(0, cache.used.size);
    if (!cache.added && recent.every((key) => cache.used.has(key))) return;
    const kept: [string, Buffer][] = [];
    let bytes = 0;
    for (const key of new Set([...cache.used, ...cache.entries.keys()])) {
      const data = cache.entries.get(key)!;
      if (kept.length >= CACHE_LIMITS.entries || bytes + data.length > CACHE_LIMITS.bytes) break;
      kept.push([key, data]);
      bytes += data.length;
    }
    try {
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, serialize(kept));
      renameSync(temporary, path);
    } catch {
      // a read-only build folder: the next run parses again
    }
  });
}

let yamlVersion: string | undefined;

function parseYaml(text: string): ParsedYaml {
  const cache = parsedCache;
  let key: string | undefined;
  if (cache) {
    yamlVersion ??= (
      JSON.parse(readFileSync(require.resolve("yaml/package.json"), "utf8")) as { version: string }
    ).version;
    key = createHash("sha256").update(`yaml@${yamlVersion}\0`).update(text).digest("base64");
    const data = cache.entries.get(key);
    if (data) {
      cache.used.add(key);
      return { ok: true, value: deserialize(data) };
    }
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, problems: yamlProblems(doc) };
  const value: unknown = doc.toJS();
  if (cache && key) {
    try {
      cache.entries.set(key, serialize(value));
      cache.used.add(key);
      cache.added = true;
    } catch {
      // a value V8 cannot serialize: parsed again next time
    }
  }
  return { ok: true, value };
}

/** The schema and the cross-field rules over a parsed environment file. */
function validateEnvironment(
  raw: unknown,
  fileStem: string,
): { config?: EnvironmentConfig; problems: Problem[] } {
  const parsed = environmentSchema.safeParse(raw);
  if (parsed.success) {
    const problems = crossFieldProblems(parsed.data, fileStem);
    return problems.length > 0 ? { problems } : { config: parsed.data, problems };
  }
  // Report everything at once: the shape problems, plus the cross-field problems of every
  // top-level section that is valid on its own.
  const sections: Record<string, unknown> = {};
  const invalid: string[] = [];
  if (raw !== null && typeof raw === "object") {
    for (const [key, schema] of Object.entries(environmentSchema.shape)) {
      const section = (schema as z.ZodTypeAny).safeParse((raw as Record<string, unknown>)[key]);
      if (section.success) sections[key] = section.data;
      else invalid.push(key);
    }
  }
  return {
    problems: [
      ...parsed.error.issues.flatMap((issue) => describeIssue(issue, raw)),
      ...crossFieldProblems(sections as Partial<EnvironmentConfig>, fileStem, invalid),
    ],
  };
}

/** Field names a (wrapped) zod object schema accepts at a path, for "unknown field" messages. */
function knownKeys(path: readonly (string | number)[]): string[] {
  let schema: z.ZodTypeAny | undefined = environmentSchema;
  for (const part of [...path, null]) {
    while (
      schema &&
      !(schema instanceof z.ZodObject) &&
      !(schema instanceof z.ZodRecord) &&
      !(schema instanceof z.ZodArray)
    ) {
      if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault)
        schema = schema._def.innerType;
      else if (schema instanceof z.ZodEffects) schema = schema._def.schema;
      else return [];
    }
    if (part === null) break;
    if (schema instanceof z.ZodObject)
      schema = (schema.shape as Record<string, z.ZodTypeAny>)[String(part)];
    else if (schema instanceof z.ZodRecord) schema = schema._def.valueType;
    else if (schema instanceof z.ZodArray) schema = schema._def.type;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function describeIssue(issue: z.ZodIssue, raw: unknown): Problem[] {
  const received = valueAt(raw, issue.path);
  const field = fieldPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = knownKeys(issue.path).join(", ");
      return issue.keys.map((key) => ({
        field: fieldPath([...issue.path, key]),
        received: valueAt(raw, [...issue.path, key]),
        expected: `no field named "${key}" here (unknown field; allowed: ${allowed})`,
      }));
    }
    case "invalid_type":
      return [
        {
          field,
          received,
          expected:
            received === undefined
              ? `${issue.message === "Required" ? article(issue.expected) : issue.message} (required field is missing)`
              : article(issue.expected),
        },
      ];
    case "invalid_enum_value":
      return [
        {
          field,
          received,
          expected: `one of ${issue.options.map((o) => JSON.stringify(o)).join(" | ")}`,
        },
      ];
    case "too_small":
    case "too_big":
      return [
        { field, received, expected: isZodDefault(issue.message) ? bound(issue) : issue.message },
      ];
    case "invalid_union": {
      // The branches whose type matched the value (e.g. the object form of `false | {...}`)
      // say what is wrong inside it; a value no branch's type matched is described as a whole.
      const typed = issue.unionErrors.filter((e) =>
        e.issues.every(
          (i) =>
            !(
              ["invalid_type", "invalid_literal"].includes(i.code) &&
              i.path.length === issue.path.length
            ),
        ),
      );
      if (typed.length === 1) return typed[0].issues.flatMap((i) => describeIssue(i, raw));
      return [{ field, received, expected: issue.message }];
    }
    default:
      return [{ field, received, expected: issue.message }];
  }
}

/** zod's own wording ("Number must be ...") is replaced by ours; custom messages are kept. */
function isZodDefault(message: string): boolean {
  return /^(Number|Array|String|BigInt|Date) must/.test(message);
}

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`;
}

function bound(issue: z.ZodTooSmallIssue | z.ZodTooBigIssue): string {
  const small = issue.code === "too_small";
  const limit = small ? issue.minimum : issue.maximum;
  switch (issue.type) {
    case "array":
      return `${small ? "at least" : "at most"} ${limit} item${Number(limit) === 1 ? "" : "s"}`;
    case "string":
      return `${small ? "at least" : "at most"} ${limit} characters`;
    default:
      return `a number ${small ? ">=" : "<="} ${limit}`;
  }
}
