/**
 * A server process a test started (PostgreSQL, Prometheus): the tail of its stderr for error
 * messages, whether it exited, and a stop that ends it (then SIGKILL after 10 s) and removes its
 * scratch folder.
 */
import type { ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { createServer } from "node:net";

/** What the tests hold of a started server process. */
export interface SupervisedProcess {
  /** The last 4000 characters the process wrote to stderr. */
  stderr(): string;
  /** Its exit code once it exited (null: killed or could not start), undefined while it runs. */
  exitCode(): number | null | undefined;
  /** Resolves with its exit code when it exits. */
  readonly exited: Promise<number | null>;
  /** Stops it with `signal` (SIGKILL after 10 s) unless it exited, then removes `dir`. */
  stop(): Promise<void>;
}

/** Watches `child`; `stop` sends `signal` and removes `dir`. */
export function supervise(
  child: ChildProcess,
  dir: string,
  signal: NodeJS.Signals,
): SupervisedProcess {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => resolve(code));
    child.on("error", () => resolve(null));
  });
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  return {
    stderr: () => stderr,
    exitCode: () => exitCode,
    exited,
    async stop() {
      if (exitCode === undefined) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A free loopback TCP port (the OS picks it; it is closed again before the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
