/**
 * The colour servers: one loopback HTTP server per colour of an app, answering like podinfo
 * (`/healthz`, `/readyz`, `/`, `/version`) for whatever version was last deployed to the colour,
 * with the behaviour the test gave that version.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Colour } from "../../../constructs/private/traffic";

/**
 * How a version behaves once deployed to a colour:
 * - `"healthy"` (the default): every podinfo path answers 200;
 * - `"broken"`: 500 on every path, `/healthz` included;
 * - `"down"`: no process listens (the fake ALB answers 502);
 * - `{ breaksAfter: n }`: healthy for the first n requests to the colour after the version is
 *   deployed (or the behaviour set), then 500;
 * - `{ slowMs: n }`: each response delayed by n ms (may be combined with `breaksAfter`);
 * - `{ errorRate: r }`: a fraction r (0-1) of the requests outside /healthz and /readyz get a 500
 *   (evenly spread, deterministic): the health probes pass, real traffic errors.
 * Every colour serves `/metrics` as podinfo does (`pkg/api/http/metrics.go`): the counter
 * `http_requests_total{status}` and the histogram `http_request_duration_seconds{le}`, reset
 * when the colour's pods restart.
 */
export type Behaviour =
  | "healthy"
  | "broken"
  | "down"
  | { readonly breaksAfter?: number; readonly slowMs?: number; readonly errorRate?: number };

/** What a colour runs: the version, and a key of everything its Helm release renders. */
export interface ColourRollout {
  readonly version: string;
  /** Chart version and values as JSON: a change restarts the pods even at the same version. */
  readonly revision: string;
}

/** One colour of one app: what it runs and the loopback server that serves it. */
export class ColourServer {
  private server?: Server;
  private rollout?: ColourRollout;
  private served = 0;
  private traffic = 0;
  private readonly statuses = new Map<number, number>();
  private readonly latencies = new Map<number, number>();
  private latencySum = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly app: string,
    readonly colour: Colour,
    private readonly behaviourOf: (version: string) => Behaviour,
  ) {}

  /** The version last deployed to the colour, if any. */
  get version(): string | undefined {
    return this.rollout?.version;
  }

  /** The port a process listens on: undefined before a deploy and while the version is down. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  /** Requests served since the running version was deployed (or its behaviour set). */
  get requestCount(): number {
    return this.served;
  }

  /**
   * Plays a Helm upgrade of the colour: a new version, chart or values restarts the pods (the
   * `breaksAfter` count starts again); the same rollout changes nothing. Resolves to whether the
   * pods were restarted.
   */
  async deploy(rollout: ColourRollout): Promise<boolean> {
    const restarted =
      this.rollout?.version !== rollout.version || this.rollout.revision !== rollout.revision;
    if (restarted) {
      this.rollout = rollout;
      this.resetCounters();
    }
    await this.sync();
    return restarted;
  }

  /** Starts counting `breaksAfter` again (a test changed the behaviour of the running version). */
  async restart(): Promise<void> {
    this.resetCounters();
    await this.sync();
  }

  private resetCounters(): void {
    this.served = 0;
    this.traffic = 0;
    this.statuses.clear();
    this.latencies.clear();
    this.latencySum = 0;
  }

  /** Listens when a version that is not `"down"` is deployed, stops listening otherwise. */
  private async sync(): Promise<void> {
    const up = this.rollout !== undefined && this.behaviourOf(this.rollout.version) !== "down";
    if (up && !this.server) {
      const server = createServer((req, res) => this.handle(req, res));
      this.server = server;
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    } else if (!up && this.server) {
      await this.close();
    }
  }

  /** Stops the process: open connections are cut and delayed responses dropped. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "http://colour").pathname;
    if (path === "/metrics") {
      req.resume();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(this.metrics());
      return;
    }
    const version = this.rollout?.version ?? "";
    const behaviour = this.behaviourOf(version);
    this.served += 1;
    const { breaksAfter, slowMs, errorRate } = typeof behaviour === "object" ? behaviour : {};
    const probe = path === "/healthz" || path === "/readyz";
    if (!probe) this.traffic += 1;
    const erroring =
      !probe &&
      errorRate !== undefined &&
      Math.floor(this.traffic * errorRate) > Math.floor((this.traffic - 1) * errorRate);
    const failing =
      behaviour === "broken" ||
      erroring ||
      (breaksAfter !== undefined && this.served > breaksAfter);
    const started = performance.now();
    const respond = () => {
      if (failing) {
        json(res, 500, { code: 500, message: `harness: ${version} is broken` });
      } else {
        this.podinfo(req, res, version);
      }
      this.observe(res.statusCode, (performance.now() - started) / 1000);
    };
    req.resume();
    if (slowMs) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        respond();
      }, slowMs);
      this.timers.add(timer);
    } else {
      respond();
    }
  }

  private observe(status: number, seconds: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    for (const le of BUCKETS)
      if (seconds <= le) this.latencies.set(le, (this.latencies.get(le) ?? 0) + 1);
    this.latencySum += seconds;
  }

  /** The Prometheus text exposition of podinfo's two HTTP metrics. */
  private metrics(): string {
    const total = [...this.statuses.values()].reduce((a, b) => a + b, 0);
    return [
      "# HELP http_requests_total The total number of HTTP requests.",
      "# TYPE http_requests_total counter",
      // every status podinfo answers with appears from the start (see the gate's note on increase())
      ...[200, 500, ...[...this.statuses.keys()].filter((s) => s !== 200 && s !== 500)].map(
        (status) => `http_requests_total{status="${status}"} ${this.statuses.get(status) ?? 0}`,
      ),
      "# HELP http_request_duration_seconds Seconds spent serving HTTP requests.",
      "# TYPE http_request_duration_seconds histogram",
      ...BUCKETS.map(
        (le) => `http_request_duration_seconds_bucket{le="${le}"} ${this.latencies.get(le) ?? 0}`,
      ),
      `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
      `http_request_duration_seconds_sum ${this.latencySum}`,
      `http_request_duration_seconds_count ${total}`,
      "",
    ].join("\n");
  }

  /** The podinfo 6.x endpoints the release gates probe. */
  private podinfo(req: IncomingMessage, res: ServerResponse, version: string): void {
    const path = new URL(req.url ?? "/", "http://colour").pathname;
    if (path === "/healthz" || path === "/readyz") {
      json(res, 200, { status: "OK" });
    } else if (path === "/version") {
      json(res, 200, { version, commit: "harness" });
    } else if (path === "/") {
      const pod = createHash("sha256").update(version).digest("hex").slice(0, 10);
      json(res, 200, {
        hostname: `${this.app}-${this.colour}-${pod}`,
        version,
        revision: "harness",
        message: `greetings from podinfo v${version}`,
      });
    } else {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("404 page not found\n");
    }
  }
}

/** Prometheus client_golang's default histogram buckets (podinfo uses them). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
