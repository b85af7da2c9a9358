/** The offline release journal: one JSON object per line in `.release/<env>-<app>.jsonl`. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Journal, JournalEvent } from "./types";

/** An append-only JSON Lines file. */
export class FileJournal implements Journal {
  constructor(
    /** Path of the journal file. */
    readonly location: string,
  ) {}

  async append(event: JournalEvent): Promise<void> {
    mkdirSync(dirname(this.location), { recursive: true });
    // One write call per line: appends of a line this size are not interleaved.
    appendFileSync(this.location, `${JSON.stringify(event)}\n`);
  }

  async read(limit?: number): Promise<JournalEvent[]> {
    if (!existsSync(this.location)) return [];
    const events = readFileSync(this.location, "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .flatMap((line, i) => {
        try {
          return [JSON.parse(line) as JournalEvent];
        } catch {
          // a line cut short by a crash: skip it, say so
          process.stderr.write(`${this.location}:${i + 1}: unreadable journal line skipped\n`);
          return [];
        }
      });
    return limit === undefined ? events : events.slice(-limit);
  }
}
