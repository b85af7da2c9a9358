/** Durations in environment files and on the command line: `500ms`, `30s`, `5m`, `1h`, `1m30s`. */

/** One or more `<integer><unit>` parts, largest unit first: ms, s, m, h. */
export const DURATION = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** What a duration looks like, for messages. */
export const DURATION_EXPECTED = "a duration such as 500ms, 30s, 5m, 1h or 1m30s";

/** Milliseconds of a duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === "") return undefined;
  const [h, m, s, ms] = match.slice(1).map((part) => Number(part ?? 0));
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

/** A duration for people: `1m30s`, `450ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return ms === 0 ? "0s" : `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return [h ? `${h}h` : "", m ? `${m}m` : "", s || (!h && !m) ? `${s}s` : ""].join("");
}

/** Milliseconds of a duration already validated by the schema; throws on anything else. */
export function durationMs(text: string): number {
  const value = parseDuration(text);
  if (value === undefined)
    throw new Error(`${JSON.stringify(text)}: expected ${DURATION_EXPECTED}`);
  return value;
}
