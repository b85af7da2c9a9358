/**
 * An environment file as the release tool reads and edits it: through the `yaml` document API,
 * so comments, key order and flow/block style survive every edit, and re-validated in full after
 * each edit, so nothing invalid is ever written.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { isCollection, isNode, parseDocument, stringify, type Document } from "yaml";
import { parseEnvironment } from "../config/load";
import type { AppConfig, EnvironmentConfig } from "../config/schema";
import { formatProblem, type Problem } from "../constructs/private/validation";
import { otherColour, type Colour } from "../constructs/private/traffic";
import type { ReleaseSnapshot } from "./types";

/** A refusal before any change: bad input, or a state the command cannot act on (exit 2). */
export class ReleaseRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseRefusal";
  }
}

/** The release state of an app, as data. */
export function snapshotOf(app: AppConfig): ReleaseSnapshot {
  const r = app.release;
  return {
    stable: r.stable,
    canaryWeight: r.canaryWeight,
    blue: { version: r.blue.version, chart: r.blue.chart },
    green: { version: r.green.version, chart: r.green.chart },
  };
}

/** One parsed, validated environment file. Edits return a new file; `write` persists it. */
export class EnvironmentFile {
  /** Reads and validates `<directory>/<env>.yaml` (or `.yml`). */
  static read(directory: string, environment: string): EnvironmentFile {
    const candidates = [".yaml", ".yml"].map((ext) => join(directory, `${environment}${ext}`));
    const path = candidates.find((c) => existsSync(c));
    if (!path) {
      throw new ReleaseRefusal(
        `No environment file for "${environment}": looked for ${candidates.join(" and ")} (PLATFORM_ENV_DIR sets the folder)`,
      );
    }
    return new EnvironmentFile(path, readFileSync(path, "utf8"));
  }

  /** The validated configuration. */
  readonly config: EnvironmentConfig;
  private readonly doc: Document;

  /** Parses and validates `text` as the file at `path`; refuses with every problem at once. */
  constructor(
    /** Path of the file. */
    readonly path: string,
    /** Its text. */
    readonly text: string,
  ) {
    const stem = basename(path, extname(path));
    const { config, problems } = parseEnvironment(text, stem);
    if (!config) throw new ReleaseRefusal(describeProblems(path, problems));
    this.config = config;
    this.doc = parseDocument(text);
  }

  /** The app's configuration; refuses naming the apps there are. */
  app(name: string): AppConfig {
    const app = this.config.apps[name];
    if (!app) {
      const known = Object.keys(this.config.apps);
      throw new ReleaseRefusal(
        `${this.path}: no app "${name}" under apps (apps here: ${known.length > 0 ? known.join(", ") : "none"})`,
      );
    }
    return app;
  }

  /** The app's release state. */
  snapshot(app: string): ReleaseSnapshot {
    return snapshotOf(this.app(app));
  }

  /** The colour's entry as plain data and as its exact source text (to restore it later). */
  colourEntry(app: string, colour: Colour): { data: Record<string, unknown>; source: string } {
    const [from, to] = this.range(["apps", app, "release", colour]);
    return {
      data: this.doc.getIn(["apps", app, "release", colour]) as Record<string, unknown>,
      source: this.text.slice(from, to),
    };
  }

  /** `version` on the idle colour, with the app's current chart version and values (start). */
  startOnIdle(app: string, version: string): EnvironmentFile {
    const config = this.app(app);
    const colour = otherColour(config.release.stable);
    const entry = ["apps", app, "release", colour];
    const pinned = config.release[colour];
    // configuration and secrets are pinned like values, written once an app has any (or the
    // entry had some: a removed default clears it)
    const secrets = Object.keys(config.secrets);
    const fields: [string, unknown][] = [
      ["version", version],
      ["chart", config.chart.version],
      ["values", config.values],
    ];
    if (Object.keys(config.config).length > 0 || pinned.config !== undefined)
      fields.push(["config", config.config]);
    if (secrets.length > 0 || pinned.secrets !== undefined) fields.push(["secrets", secrets]);
    const missing = fields.filter(([key]) => !this.doc.hasIn([...entry, key]));
    const present = fields.filter(([key]) => this.doc.hasIn([...entry, key]));
    const node: unknown = this.doc.getIn(entry, true);
    if (missing.length > 0 && isCollection(node) && node.flow) {
      // a flow entry ({ version: ..., chart: ... }) is rewritten whole, on its one line
      const data = {
        ...(node.toJSON() as Record<string, unknown>),
        ...Object.fromEntries(fields),
      };
      return this.splice([{ path: entry, value: data }]);
    }
    const edited = this.splice(present.map(([key, value]) => ({ path: [...entry, key], value })));
    return missing.length > 0 ? edited.withKeysAppended(entry, missing) : edited;
  }

  /** The colour's entry set back to what `colourEntry` returned before a start. */
  restoreEntry(
    app: string,
    colour: Colour,
    previous: { data: Record<string, unknown>; source?: string },
  ): EnvironmentFile {
    const path = ["apps", app, "release", colour];
    return this.splice([{ path, value: previous.data, source: previous.source }]);
  }

  /**
   * `apps.<app>.version` set: the version the pipeline releases next (the image build's release
   * change). Refuses when the file has no such field yet (it is added once by hand, so its place
   * and comment are a person's choice).
   */
  withWantedVersion(app: string, version: string): EnvironmentFile {
    if (this.app(app).version === undefined) {
      throw new ReleaseRefusal(
        `${this.path}: apps.${app}.version: received nothing; expected the field to exist (add "version: <what runs now>" under apps.${app} once; the pipeline then edits it in place)`,
      );
    }
    return this.splice([{ path: ["apps", app, "version"], value: version }]);
  }

  /** `canaryWeight` set (shift, or 0 for a rollback during a canary). */
  withCanaryWeight(app: string, weight: number): EnvironmentFile {
    return this.splice([{ path: ["apps", app, "release", "canaryWeight"], value: weight }]);
  }

  /** `stable` set to `colour` with `canaryWeight: 0` (promote, or rollback after a promote). */
  withStable(app: string, colour: Colour): EnvironmentFile {
    const release = ["apps", app, "release"];
    return this.splice([
      { path: [...release, "stable"], value: colour },
      { path: [...release, "canaryWeight"], value: 0 },
    ]);
  }

  /** Writes the text atomically (a temporary file renamed over the old one). */
  write(): void {
    const temporary = `${this.path}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(temporary, this.text);
    renameSync(temporary, this.path);
  }

  /** The lines that differ from `other`, as a small unified-style diff. */
  diff(other: EnvironmentFile): string {
    return lineDiff(this.text, other.text);
  }

  /**
   * Replaces the source text of nodes in place (everything else, comments and layout included,
   * stays byte for byte), then checks each edited node parses to the intended value. A value
   * is written in the style of the node it replaces: one line for scalars and flow collections,
   * indented block YAML for block collections; `source` (text taken from this file) verbatim.
   */
  private splice(
    edits: readonly { path: string[]; value: unknown; source?: string }[],
  ): EnvironmentFile {
    const located = edits
      .map((edit) => {
        const range = this.range(edit.path);
        const node = this.doc.getIn(edit.path, true);
        let text = edit.source;
        if (text === undefined && isCollection(node) && !node.flow) {
          const column = range[0] - this.text.lastIndexOf("\n", range[0] - 1) - 1;
          const block = stringify(edit.value, { lineWidth: 0 }).trimEnd();
          text = `${block.split("\n").join(`\n${" ".repeat(column)}`)}\n`;
        }
        return { range, text: text ?? inline(edit.value) };
      })
      .sort((a, b) => b.range[0] - a.range[0]);
    let text = this.text;
    for (const { range, text: replacement } of located) {
      text = text.slice(0, range[0]) + replacement + text.slice(range[1]);
    }
    const edited = new EnvironmentFile(this.path, text);
    for (const edit of edits) {
      const json = (v: unknown) => JSON.stringify(isNode(v) ? v.toJSON() : v);
      const got = edited.doc.getIn(edit.path);
      if (json(got) !== json(edit.value)) {
        throw new Error(
          `${this.path}: editing ${edit.path.join(".")} produced ${json(got)} instead of ${json(edit.value)}; nothing was written`,
        );
      }
    }
    return edited;
  }

  /**
   * Keys added at the end of the block mapping at `path`, each on its own line at the mapping's
   * indentation with its value in flow style; everything else stays byte for byte.
   */
  private withKeysAppended(path: string[], entries: readonly [string, unknown][]): EnvironmentFile {
    const node = this.doc.getIn(path, true);
    if (!isCollection(node) || !node.range || node.items.length === 0) {
      throw new ReleaseRefusal(`${this.path}: ${path.join(".")} is not a mapping`);
    }
    const start = node.range[0];
    const column = start - this.text.lastIndexOf("\n", start - 1) - 1;
    const end = node.range[1];
    const lines = entries.map(([key, value]) => `${" ".repeat(column)}${key}: ${inline(value)}`);
    const text =
      this.text[end - 1] === "\n"
        ? `${this.text.slice(0, end)}${lines.join("\n")}\n${this.text.slice(end)}`
        : `${this.text.slice(0, end)}\n${lines.join("\n")}${this.text.slice(end)}`;
    const edited = new EnvironmentFile(this.path, text);
    for (const [key, value] of entries) {
      const got: unknown = edited.doc.getIn([...path, key]);
      if (JSON.stringify(isNode(got) ? got.toJSON() : got) !== JSON.stringify(value)) {
        throw new Error(
          `${this.path}: adding ${[...path, key].join(".")} produced ${JSON.stringify(got)} instead of ${JSON.stringify(value)}; nothing was written`,
        );
      }
    }
    return edited;
  }

  /** Source range [start, end) of the node at `path`; refuses when there is none. */
  private range(path: readonly string[]): [number, number];
  private range(
    path: readonly string[],
    required: false,
  ): [number, number] | [undefined, undefined];
  private range(
    path: readonly string[],
    required = true,
  ): [number, number] | [undefined, undefined] {
    const node = this.doc.getIn(path, true);
    if (isNode(node) && node.range) return [node.range[0], node.range[1]];
    if (!required) return [undefined, undefined];
    throw new ReleaseRefusal(`${this.path}: ${path.join(".")} is missing`);
  }
}

/** A value as YAML on one line (flow style), fit to follow `key: ` in block or flow context. */
function inline(value: unknown): string {
  return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trim();
}

function describeProblems(path: string, problems: readonly Problem[]): string {
  return [
    `${path}: ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed`,
    ...problems.map((p) => `  ${formatProblem(p)}`),
  ].join("\n");
}

/** Changed lines between two texts: the common head and tail trimmed, the middle shown. */
export function lineDiff(before: string, after: string): string {
  const a = before.split("\n");
  const b = after.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail++;
  }
  const removed = a.slice(head, a.length - tail).map((line) => `- ${line}`);
  const added = b.slice(head, b.length - tail).map((line) => `+ ${line}`);
  if (removed.length === 0 && added.length === 0) return "(no change)";
  return [`@@ line ${head + 1}`, ...removed, ...added].join("\n");
}
