/**
 * A test app for the metric gate: a loopback HTTP server whose `/metrics` exposes podinfo's HTTP
 * metrics in the Prometheus text format (podinfo 6.7.1 `pkg/api/http/metrics.go`): the counter
 * `http_requests_total{status}` and the histogram `http_request_duration_seconds{method,path,status}`
 * with client_golang's default buckets. The test drives its "traffic" with
 * {@link MetricsApp.observe}, so what Prometheus scrapes is exactly known.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** client_golang's `prometheus.DefBuckets`, podinfo's histogram buckets. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface HistogramSeries {
  readonly buckets: number[];
  count: number;
  sum: number;
}

const labelText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
    .join(",");

/** A running test app. */
export class MetricsApp {
  private readonly counters = new Map<string, number>();
  private readonly histograms = new Map<string, HistogramSeries>();
  /** How many times `/metrics` was scraped. */
  scrapes = 0;

  private readonly server: Server = createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end("not found\n");
    this.scrapes++;
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(this.render());
  });
  /** `127.0.0.1:<port>`, a Prometheus target. */
  address = "";

  private constructor() {}

  /**
   * Starts an app. `statuses` are exposed at zero from the start (podinfo creates a series on
   * its first request; a series present from the start keeps `increase()` exact in tests).
   */
  static async start(statuses: readonly number[] = [200, 500]): Promise<MetricsApp> {
    const app = new MetricsApp();
    await new Promise<void>((resolve) => app.server.listen(0, "127.0.0.1", resolve));
    app.address = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const status of statuses) app.observe(0, status, 0);
    return app;
  }

  /** Records `count` requests answered with `status` after `latencySeconds` each. */
  observe(count: number, status: number, latencySeconds: number, path = "root"): void {
    const code = String(status);
    this.counters.set(code, (this.counters.get(code) ?? 0) + count);
    const key = labelText({ method: "GET", path, status: code });
    const series = this.histograms.get(key) ?? {
      buckets: DEFAULT_BUCKETS.map(() => 0),
      count: 0,
      sum: 0,
    };
    DEFAULT_BUCKETS.forEach((le, i) => {
      if (latencySeconds <= le) series.buckets[i] += count;
    });
    series.count += count;
    series.sum += count * latencySeconds;
    this.histograms.set(key, series);
  }

  /** Requests recorded so far. */
  get total(): number {
    return [...this.counters.values()].reduce((a, b) => a + b, 0);
  }

  /** The `/metrics` body. */
  render(): string {
    const lines = [
      "# HELP http_requests_total The total number of HTTP requests.",
      "# TYPE http_requests_total counter",
      ...[...this.counters].map(([status, n]) => `http_requests_total{status="${status}"} ${n}`),
      "# HELP http_request_duration_seconds Seconds spent serving HTTP requests.",
      "# TYPE http_request_duration_seconds histogram",
    ];
    for (const [labels, series] of this.histograms) {
      DEFAULT_BUCKETS.forEach((le, i) =>
        lines.push(
          `http_request_duration_seconds_bucket{${labels},le="${le}"} ${series.buckets[i]}`,
        ),
      );
      lines.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${series.count}`);
      lines.push(`http_request_duration_seconds_sum{${labels}} ${series.sum}`);
      lines.push(`http_request_duration_seconds_count{${labels}} ${series.count}`);
    }
    return lines.join("\n") + "\n";
  }

  /** Stops the server. */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
