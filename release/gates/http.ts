/**
 * One HTTP probe through the app's load balancer: to `https://<host>` by default, or to
 * `--base-url` with the app host still sent as `Host` (and as TLS SNI), like `curl --resolve`,
 * so the ALB's host rule matches and its certificate verifies before DNS points at it.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

/** Where and how a gate reaches the app. */
export interface HttpTarget {
  /** Where requests go: `https://<host>` or `--base-url`. */
  readonly baseUrl: string;
  /** The app host, sent as `Host`. */
  readonly host: string;
  /** Extra headers: the preview header for the preview route, none for the live route. */
  readonly headers: Readonly<Record<string, string>>;
  /** `preview` (the idle colour only) or `live` (production traffic, weighted). */
  readonly route: "preview" | "live";
}

/** What one probe saw. */
export interface ProbeResult {
  /** HTTP status, undefined when no answer came (connection error or timeout). */
  readonly status?: number;
  /** Time to the full response (or to the failure). */
  readonly latencyMs: number;
  /** The response body (first 64 KiB). */
  readonly body: string;
  /** Response headers. */
  readonly headers: IncomingHttpHeaders;
  /** Why no answer came. */
  readonly error?: string;
}

const MAX_BODY = 64 * 1024;

/** GETs `path` on the target; never throws (failures are in the result). */
export function probe(target: HttpTarget, path: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = new URL(path, target.baseUrl);
  } catch {
    return Promise.resolve({
      latencyMs: 0,
      body: "",
      headers: {},
      error: `invalid URL ${target.baseUrl}${path}`,
    });
  }
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: Omit<ProbeResult, "latencyMs">) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    const req = send(
      url,
      {
        method: "GET",
        headers: {
          Host: target.host,
          "User-Agent": "platform-release",
          Accept: "*/*",
          ...target.headers,
        },
        servername: target.host,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", () =>
          finish({
            status: res.statusCode,
            body: Buffer.concat(chunks).toString("utf8").slice(0, MAX_BODY),
            headers: res.headers,
          }),
        );
        res.on("error", (error) => finish({ body: "", headers: {}, error: error.message }));
      },
    );
    const timer = setTimeout(() => {
      finish({ body: "", headers: {}, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on("error", (error) => finish({ body: "", headers: {}, error: error.message }));
    req.end();
  });
}

/** A probe for people: `200 in 12 ms` or `connection refused after 3 ms`. */
export function describeProbe(result: ProbeResult): string {
  return result.status !== undefined
    ? `${result.status} in ${result.latencyMs} ms`
    : `${result.error ?? "no answer"} after ${result.latencyMs} ms`;
}
