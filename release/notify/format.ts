/**
 * The words of a release notice, shared by every channel: a title (`[prod/web] rolled back
 * 6.8.0`), the summary sentence, and facts (colours with versions and weights, the gate and its
 * numbers, the duration, the release id and the link) as short label/value pairs.
 */
import { COLOURS, colourWeights } from "../../constructs/private/traffic";
import type { GateResult, ReleaseNotice } from "../types";

/** One fact of a notice, e.g. `{ label: "Traffic", value: "blue 6.7.0 95% (stable), ..." }`. */
export interface NoticeFact {
  readonly label: string;
  readonly value: string;
}

/** A notice in words. */
export interface FormattedNotice {
  /** `[prod/web] rolled back 6.8.0`. */
  readonly title: string;
  /** The notice's sentence. */
  readonly summary: string;
  /** Traffic, gate, duration, release, link (those that apply). */
  readonly facts: readonly NoticeFact[];
  /** Title, summary and facts as plain text lines (SNS, e-mail). */
  readonly text: string;
}

/** `250ms`, `5s`, `3m 4s`, `1h 2m`: a duration for people. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

/** What happened, in a few words, by kind. */
function headline(notice: ReleaseNotice): string {
  const version = notice.version ? ` ${notice.version}` : "";
  switch (notice.kind) {
    case "started":
      return `release of${version || " a version"} started`;
    case "gate":
      return notice.gate
        ? `gate ${notice.gate.gate}: ${notice.gate.verdict}${notice.gate.observed ? " (observe only)" : ""}`
        : "gate result";
    case "promoted":
      return `promoted${version}`;
    case "rolled-back":
      return `rolled back${version}`;
    case "rollback-failed":
      return `ROLLBACK FAILED${version}`;
    case "invalidation-failed":
      return `CDN invalidation failed${version ? ` after promoting${version}` : ""}`;
    case "migrated":
      return `schema migration${version ? ` for${version}` : ""} applied`;
    case "migration-failed":
      return `SCHEMA MIGRATION FAILED${version ? ` for${version}` : ""}`;
    case "finished":
      return `release of${version || " a version"} finished`;
    case "failed":
      // a notice without release state is a pipeline step's (npm run pipeline -- notify)
      return notice.state ? `release of${version || " a version"} failed` : `failed${version}`;
  }
}

/** `blue 6.7.0 95% (stable), green 6.8.0 5%`: both colours, their versions and weights. */
export function trafficText(state: NonNullable<ReleaseNotice["state"]>): string {
  const weights = colourWeights(state);
  return COLOURS.map(
    (c) => `${c} ${state[c].version} ${weights[c]}%${c === state.stable ? " (stable)" : ""}`,
  ).join(", ");
}

/** `smoke GET /: fail on preview: 500 in 12 ms (errorRate=0.031, requests=412)`. */
export function gateText(gate: GateResult): string {
  const samples = Object.entries(gate.samples ?? {})
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : Number(v.toPrecision(4))}`)
    .join(", ");
  return `${gate.gate}: ${gate.verdict}${gate.observed ? " (observe only)" : ""} on ${gate.route}: ${gate.detail}${samples ? ` (${samples})` : ""}`;
}

/**
 * A notice in words.
 *
 * @param link the environment's `notifications.link` (a pipeline or dashboard URL), if any
 */
export function formatNotice(notice: ReleaseNotice, link?: string): FormattedNotice {
  const title = `[${notice.environment}/${notice.app}] ${headline(notice)}`;
  const facts: NoticeFact[] = notice.state
    ? [{ label: "Traffic", value: trafficText(notice.state) }]
    : [];
  if (notice.gate) facts.push({ label: "Gate", value: gateText(notice.gate) });
  if (notice.durationMs !== undefined) {
    facts.push({ label: "Duration", value: formatDuration(notice.durationMs) });
  }
  facts.push({ label: "Release", value: notice.releaseId });
  if (link) facts.push({ label: "Link", value: link });
  const text = [title, notice.summary, ...facts.map((f) => `${f.label}: ${f.value}`)].join("\n");
  return { title, summary: notice.summary, facts, text };
}
