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
 * - `{ slowMs: n }`: each response delayed by n ms (may be combined with `breaksAfter`).
 */
export type Behaviour =
  | "healthy"
  | "broken"
  | "down"
  | { readonly breaksAfter?: number; readonly slowMs?: number };

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
      this.served = 0;
    }
    await this.sync();
    return restarted;
  }

  /** Starts counting `breaksAfter` again (a test changed the behaviour of the running version). */
  async restart(): Promise<void> {
    this.served = 0;
    await this.sync();
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
    const version = this.rollout?.version ?? "";
    const behaviour = this.behaviourOf(version);
    this.served += 1;
    const { breaksAfter, slowMs } = typeof behaviour === "object" ? behaviour : {};
    const failing =
      behaviour === "broken" || (breaksAfter !== undefined && this.served > breaksAfter);
    const respond = () => {
      if (failing) {
        json(res, 500, { code: 500, message: `harness: ${version} is broken` });
      } else {
        this.podinfo(req, res, version);
      }
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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}
