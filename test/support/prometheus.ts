/**
 * A real Prometheus server for tests: the Debian `prometheus` binary, started on a free loopback
 * port with a generated configuration (1 s scrape interval, static targets with labels such as
 * `service: web-blue`) and a temporary TSDB directory. `.ci/run` installs the package; a missing
 * binary fails the test with how to install it (never a silent skip).
 */
import { freePort, supervise } from "./server-process";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the Debian package installs the server. */
export const PROMETHEUS_BINARY = "/usr/bin/prometheus";

/** One scrape target: `host:port` and the labels Prometheus adds to its series. */
export interface ScrapeTarget {
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A running Prometheus. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s), waits for its exit, removes its data. */
  stop(): Promise<void>;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  readonly targets: readonly ScrapeTarget[];
  /** @default "1s" */
  readonly scrapeInterval?: string;
  /** How long to wait for `/-/ready`. @default 30000 */
  readonly readyTimeoutMs?: number;
}

/** Starts Prometheus scraping `targets` and resolves once it answers `/-/ready`. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BINARY)) {
    throw new Error(
      `${PROMETHEUS_BINARY} not found: the metric gate tests run against a real Prometheus server. ` +
        "Install it with `sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus` " +
        "(.ci/run does this in CI).",
    );
  }
  const interval = options.scrapeInterval ?? "1s";
  const dir = await mkdtemp(join(tmpdir(), "prometheus-test-"));
  // JSON is YAML: no YAML library needed.
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: "apps",
        static_configs: options.targets.map((t) => ({
          targets: [t.address],
          labels: t.labels,
        })),
      },
    ],
  };
  const configFile = join(dir, "prometheus.yml");
  await writeFile(configFile, JSON.stringify(config, null, 2));

  let lastError: Error | undefined;
  // The free port may be taken between picking and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await launch(dir, configFile, port, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      lastError = error as Error;
      if (!/address already in use/i.test(lastError.message)) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error("Prometheus did not start");
}

async function launch(
  dir: string,
  configFile: string,
  port: number,
  readyTimeoutMs: number,
): Promise<PrometheusServer> {
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, `data-${port}`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const server = supervise(child, dir, "SIGTERM");
  const stop = server.stop;

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (server.exitCode() !== undefined) {
      throw new Error(
        `Prometheus exited (code ${server.exitCode()}) before it was ready on ${url}: ${server.stderr().trim() || "no output"}`,
      );
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `Prometheus not ready on ${url} within ${readyTimeoutMs} ms: ${server.stderr().trim() || "no output"}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
