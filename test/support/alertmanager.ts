/**
 * A real Alertmanager for tests: the Debian `prometheus-alertmanager` binary (0.25 on Debian 12),
 * started on a free loopback port with clustering off and a temporary data directory, plus
 * `amtool`, and loopback HTTP servers that play the receivers' services. `.ci/run` installs the
 * package; a missing binary fails the test with how to install it (never a silent skip).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, supervise } from "./server-process";

/** Where the Debian package installs the server and its CLI. */
export const ALERTMANAGER_BINARY = "/usr/bin/prometheus-alertmanager";
export const AMTOOL_BINARY = "/usr/bin/amtool";

function requireBinary(path: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${path} not found: the alert routing tests run against a real Alertmanager. ` +
        "Install it with `sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus-alertmanager` " +
        "(.ci/run does this in CI).",
    );
  }
}

/** Runs amtool with `args`; its exit status, stdout, and stdout and stderr together. */
export function amtool(...args: string[]): {
  status: number | null;
  stdout: string;
  output: string;
} {
  requireBinary(AMTOOL_BINARY);
  const result = spawnSync(AMTOOL_BINARY, args, { encoding: "utf8" });
  return {
    status: result.status,
    stdout: result.stdout,
    output: `${result.stdout}${result.stderr}`,
  };
}

/** A running Alertmanager. */
export interface AlertmanagerServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s), waits for its exit, removes its data. */
  stop(): Promise<void>;
}

/** Starts Alertmanager with `configFile` and resolves once it answers `/-/ready`. */
export async function startAlertmanager(configFile: string): Promise<AlertmanagerServer> {
  requireBinary(ALERTMANAGER_BINARY);
  const dir = await mkdtemp(join(tmpdir(), "alertmanager-test-"));
  let lastError: Error | undefined;
  // The free port may be taken between picking and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      ALERTMANAGER_BINARY,
      [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, `data-${port}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // no gossip port: a single instance
        "--cluster.listen-address=",
        "--log.level=warn",
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
        // the SNS notifier must not look for instance metadata
        env: { ...process.env, AWS_EC2_METADATA_DISABLED: "true" },
      },
    );
    const server = supervise(child, dir, "SIGTERM");
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (server.exitCode() !== undefined) {
        lastError = new Error(
          `Alertmanager exited (code ${server.exitCode()}) before it was ready on ${url}: ${server.stderr().trim() || "no output"}`,
        );
        break;
      }
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return { url, stop: server.stop };
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`Alertmanager not ready on ${url}: ${server.stderr().trim()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!/address already in use/i.test(lastError.message)) break;
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error("Alertmanager did not start");
}

/** One request a fake receiver service got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A loopback HTTP server recording every request, answering each path as `answer` says. */
export interface RecordingServer {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** What a fake service answers: status, content type and body. */
export type Answer = (request: ReceivedRequest) => {
  status: number;
  type: string;
  body: string;
};

export async function startRecordingServer(answer: Answer): Promise<RecordingServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      const { status, type, body } = answer(request);
      res.writeHead(status, { "content-type": type });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
