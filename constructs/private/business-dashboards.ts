/**
 * Business dashboards: Grafana dashboard JSON files an app lists in the environment file
 * (`apps.<app>.dashboards`), read at synthesis and shipped into the Business folder. The same
 * rules run when the environment files are loaded (`config/load.ts`) and in the `Dashboards`
 * construct, so both say the same thing.
 */
import { readFileSync, statSync } from "node:fs";
import { type Problem } from "./validation";
import { UID_PATTERN, type GrafanaDashboard } from "./grafana-dashboards";

/**
 * The largest dashboard file accepted: a ConfigMap holds at most 1 MiB (data and metadata), and
 * each dashboard is one ConfigMap, so this leaves room for the metadata with a wide margin.
 */
export const MAX_DASHBOARD_BYTES = 512 * 1024;

/** A dashboard file an app ships. */
export interface BusinessDashboardFile {
  /** The app that lists it. */
  readonly app: string;
  /** Path of the file (absolute, or relative to the working directory). */
  readonly path: string;
  /** The field that names it, for messages, e.g. `apps.web.dashboards[0]`. */
  readonly field: string;
  /** The value as written (the path relative to the environment file). @default path */
  readonly written?: string;
}

/** A business dashboard read and checked. */
export interface BusinessDashboard {
  readonly app: string;
  readonly path: string;
  readonly dashboard: GrafanaDashboard;
}

/**
 * Reads and checks every file: it exists and is a file of at most {@link MAX_DASHBOARD_BYTES},
 * parses as JSON, is a Grafana dashboard (an object with a `title` and `panels`), and its `uid`
 * is valid and unique among all of them and the platform's own (`reservedUids`).
 */
export function readBusinessDashboards(
  files: readonly BusinessDashboardFile[],
  reservedUids: readonly string[],
): { dashboards: BusinessDashboard[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const dashboards: BusinessDashboard[] = [];
  const seen = new Map<string, string>(
    reservedUids.map((uid) => [uid, "the platform's own dashboards"]),
  );
  for (const file of files) {
    const received = file.written ?? file.path;
    const problem = (expected: string) => problems.push({ field: file.field, received, expected });
    let size: number;
    try {
      const stat = statSync(file.path);
      if (!stat.isFile()) {
        problem(`a Grafana dashboard JSON file (${file.path} is not a file)`);
        continue;
      }
      size = stat.size;
    } catch {
      problem(
        `a Grafana dashboard JSON file, relative to the environment file (${file.path} does not exist)`,
      );
      continue;
    }
    if (size > MAX_DASHBOARD_BYTES) {
      problem(
        `a dashboard file of at most ${MAX_DASHBOARD_BYTES} bytes (${file.path} has ${size}): it is shipped as one ConfigMap, which holds at most 1 MiB`,
      );
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file.path, "utf8"));
    } catch (error) {
      problem(`a JSON file (${file.path}: ${(error as Error).message})`);
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problem(
        `a Grafana dashboard: a JSON object (${file.path} holds ${Array.isArray(parsed) ? "an array" : JSON.stringify(parsed)})`,
      );
      continue;
    }
    const d = parsed as Record<string, unknown>;
    const wrong: string[] = [];
    if (typeof d.title !== "string" || d.title.trim() === "")
      wrong.push("a non-empty string title");
    if (!Array.isArray(d.panels)) wrong.push("a panels array");
    if (typeof d.uid !== "string" || !UID_PATTERN.test(d.uid))
      wrong.push(`a uid of 1-40 letters, digits, '-' and '_' (received ${JSON.stringify(d.uid)})`);
    if (wrong.length > 0) {
      problem(`a Grafana dashboard with ${wrong.join(", ")} (${file.path})`);
      continue;
    }
    const uid = d.uid as string;
    const owner = seen.get(uid);
    if (owner !== undefined) {
      problem(
        `a dashboard uid unique in the environment (${file.path}: uid "${uid}" is already used by ${owner})`,
      );
      continue;
    }
    seen.set(uid, `${file.field} (${received})`);
    dashboards.push({
      app: file.app,
      path: file.path,
      dashboard: d as unknown as GrafanaDashboard,
    });
  }
  return { dashboards, problems };
}
