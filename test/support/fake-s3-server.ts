/**
 * A loopback HTTP server that plays S3 for the release backends, path-style
 * (`/<bucket>/<key>`): PutObject, GetObject, DeleteObject and ListObjectsV2, with the
 * conditional headers S3 honours (`If-None-Match: *` and `If-Match: <etag>` on writes,
 * `If-Match` on deletes) answered with S3's XML errors. Every request is recorded.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** A stored object. */
interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The fake S3 endpoint. */
export class FakeS3Server {
  /** Objects by `<bucket>/<key>`. */
  readonly objects = new Map<string, StoredObject>();
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private server: Server | undefined;

  /** @param pageSize keys per ListObjectsV2 page (small, to exercise pagination) */
  constructor(private readonly pageSize = 1000) {}

  /** `http://127.0.0.1:<port>` once started. */
  endpoint = "";

  /** Listens on 127.0.0.1, on a free port. */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const request = {
          method: req.method ?? "GET",
          path: decodeURIComponent(url.pathname),
          query: url.searchParams,
          headers: req.headers,
        };
        this.requests.push(request);
        const reply = this.handle(request, Buffer.concat(chunks));
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops listening and closes idle keep-alive connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  }

  /** The requests of one method on one key. */
  requestsTo(method: string, bucket: string, key: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === `/${bucket}/${key}`);
  }

  /** The text of a stored object. */
  text(bucket: string, key: string): string | undefined {
    return this.objects.get(`${bucket}/${key}`)?.body.toString("utf8");
  }

  /** Stores an object directly (a state file, a lock left by another process). */
  put(bucket: string, key: string, text: string): string {
    const body = Buffer.from(text, "utf8");
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    this.objects.set(`${bucket}/${key}`, { body, etag, lastModified: new Date() });
    return etag;
  }

  private handle(
    request: RecordedRequest,
    body: Buffer,
  ): { status: number; headers: Record<string, string>; body?: string | Buffer } {
    const [, bucket = "", ...rest] = request.path.split("/");
    const key = rest.join("/");
    const id = `${bucket}/${key}`;
    const current = this.objects.get(id);
    const ifMatch = request.headers["if-match"];
    const ifNoneMatch = request.headers["if-none-match"];
    if (request.method === "GET" && key === "" && request.query.get("list-type") === "2") {
      return this.list(bucket, request.query);
    }
    switch (request.method) {
      case "PUT": {
        if (ifNoneMatch === "*" && current)
          return error(412, "PreconditionFailed", "If-None-Match");
        if (ifMatch !== undefined) {
          if (!current) return error(404, "NoSuchKey");
          if (ifMatch !== current.etag) return error(412, "PreconditionFailed", "If-Match");
        }
        const etag = this.put(bucket, key, body.toString("utf8"));
        return { status: 200, headers: { ETag: etag } };
      }
      case "GET": {
        if (!current) return error(404, "NoSuchKey");
        return {
          status: 200,
          headers: {
            ETag: current.etag,
            "Content-Type": "application/json",
            "Content-Length": String(current.body.length),
            "Last-Modified": current.lastModified.toUTCString(),
          },
          body: current.body,
        };
      }
      case "DELETE": {
        if (ifMatch !== undefined) {
          if (!current) return error(404, "NoSuchKey");
          if (ifMatch !== current.etag) return error(412, "PreconditionFailed", "If-Match");
        }
        this.objects.delete(id);
        return { status: 204, headers: {} };
      }
      default:
        return error(405, "MethodNotAllowed");
    }
  }

  private list(
    bucket: string,
    query: URLSearchParams,
  ): { status: number; headers: Record<string, string>; body: string } {
    const prefix = query.get("prefix") ?? "";
    const start = Number(query.get("continuation-token") ?? "0");
    const keys = [...this.objects.keys()]
      .filter((id) => id.startsWith(`${bucket}/${prefix}`))
      .map((id) => id.slice(bucket.length + 1))
      .sort();
    const page = keys.slice(start, start + this.pageSize);
    const truncated = start + this.pageSize < keys.length;
    const contents = page
      .map((key) => {
        const o = this.objects.get(`${bucket}/${key}`)!;
        return `<Contents><Key>${xmlEscape(key)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join("");
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>` +
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>` +
      `<KeyCount>${page.length}</KeyCount><MaxKeys>${this.pageSize}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>` +
      (truncated ? `<NextContinuationToken>${start + this.pageSize}</NextContinuationToken>` : "") +
      contents +
      `</ListBucketResult>`;
    return { status: 200, headers: { "Content-Type": "application/xml" }, body: xml };
  }
}

/** An S3 XML error response. */
function error(
  status: number,
  code: string,
  condition?: string,
): { status: number; headers: Record<string, string>; body: string } {
  const messages: Record<string, string> = {
    PreconditionFailed: "At least one of the pre-conditions you specified did not hold",
    NoSuchKey: "The specified key does not exist.",
    MethodNotAllowed: "The specified method is not allowed against this resource.",
  };
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<Error><Code>${code}</Code><Message>${messages[code] ?? code}</Message>` +
    (condition ? `<Condition>${condition}</Condition>` : "") +
    `<RequestId>FAKE0000REQUEST</RequestId><HostId>fake-s3</HostId></Error>`;
  return { status, headers: { "Content-Type": "application/xml" }, body: xml };
}
