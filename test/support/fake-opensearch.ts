/**
 * A loopback HTTP server that plays the parts of the Amazon OpenSearch Service REST API the log
 * store's bootstrap uses (ISM policies, index templates, the security plugin's roles and role
 * mappings, OpenSearch Dashboards' saved objects) and STS's AssumeRoleWithWebIdentity (JSON).
 *
 * Every OpenSearch request must carry a SigV4 Authorization header for service `es` that
 * @smithy/signature-v4 (the AWS SDK's signer) computes the same from the request as received,
 * with the credentials STS handed out; anything else gets 403. Read-backs add the fields the real
 * API adds (ISM's policy_id, retry blocks and seq_no; settings as strings; the security plugin's
 * reserved/hidden flags), so "already applied" must be judged on the bodies' own fields.
 * Behaviours follow the OpenSearch 2.x documentation: an ISM policy update without
 * if_seq_no/if_primary_term is a 409; the Dashboards API refuses a write without `osd-xsrf`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SignatureV4 } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";

export const FAKE_CREDENTIALS = {
  accessKeyId: "ASIAFAKEBOOTSTRAP",
  secretAccessKey: "fake/secret+key",
  sessionToken: "fake-session-token",
};

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly authorization: string;
}

export interface FakeOpenSearch {
  readonly url: string;
  readonly stsUrl: string;
  readonly requests: RecordedRequest[];
  readonly stsCalls: { body: URLSearchParams }[];
  /** Stored objects by path. */
  readonly store: Map<string, { body: any; seqNo: number }>;
  /** Requests whose signature did not verify (answered 403). */
  readonly rejected: RecordedRequest[];
  /** Makes the next `n` requests fail with 503 (a domain still starting). */
  failNext(n: number): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** What the real API adds to settings: every leaf as a string. */
function stringLeaves(value: any): any {
  if (Array.isArray(value)) return value.map(stringLeaves);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringLeaves(v)]));
  return String(value);
}

async function verify(
  request: RecordedRequest,
  host: string,
  region: string,
): Promise<string | undefined> {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/es\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      request.authorization,
    );
  if (!match) return `malformed Authorization header: ${request.authorization}`;
  const [, accessKeyId, , signedRegion, signedHeaders] = match;
  if (accessKeyId !== FAKE_CREDENTIALS.accessKeyId) return `unknown access key ${accessKeyId}`;
  if (signedRegion !== region) return `signed for region ${signedRegion}`;
  const names = signedHeaders.split(";");
  for (const required of ["host", "x-amz-date", "x-amz-security-token"])
    if (!names.includes(required)) return `${required} is not signed`;
  if (request.headers.host !== host) return `host ${request.headers.host}`;
  const amzDate = request.headers["x-amz-date"];
  const signer = new SignatureV4({
    credentials: FAKE_CREDENTIALS,
    region,
    service: "es",
    sha256: Hash.bind(null, "sha256"),
  });
  const headers = Object.fromEntries(names.map((n) => [n, request.headers[n]]));
  const date = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: "http:",
      hostname: host.split(":")[0],
      port: Number(host.split(":")[1]),
      path: request.path,
      query: request.query,
      headers,
      body: request.body,
    },
    { signingDate: date },
  );
  const expected = signed.headers.authorization ?? signed.headers.Authorization;
  return expected === request.authorization
    ? undefined
    : `signature mismatch: expected ${expected}`;
}

/** Starts the fake on a free loopback port. `region` is the region requests must be signed for. */
export async function startFakeOpenSearch(
  region: string,
  webIdentityToken: string,
): Promise<FakeOpenSearch> {
  const store = new Map<string, { body: any; seqNo: number }>();
  const requests: RecordedRequest[] = [];
  const rejected: RecordedRequest[] = [];
  const stsCalls: { body: URLSearchParams }[] = [];
  let failures = 0;
  let host = "";

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === "/sts") {
      const form = new URLSearchParams(body);
      stsCalls.push({ body: form });
      if (
        form.get("Action") !== "AssumeRoleWithWebIdentity" ||
        form.get("WebIdentityToken") !== webIdentityToken ||
        req.headers.accept !== "application/json"
      )
        return reply(400, { Error: { Code: "InvalidIdentityToken" } });
      return reply(200, {
        AssumeRoleWithWebIdentityResponse: {
          AssumeRoleWithWebIdentityResult: {
            Credentials: {
              AccessKeyId: FAKE_CREDENTIALS.accessKeyId,
              SecretAccessKey: FAKE_CREDENTIALS.secretAccessKey,
              SessionToken: FAKE_CREDENTIALS.sessionToken,
              Expiration: 1e10,
            },
          },
        },
      });
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(",") : String(v),
        ]),
      ),
      body,
      authorization: String(req.headers.authorization ?? ""),
    };
    requests.push(recorded);
    const problem = await verify(recorded, host, region);
    if (problem) {
      rejected.push(recorded);
      return reply(403, { message: problem });
    }
    if (failures > 0) {
      failures--;
      return reply(503, { message: "domain processing" });
    }
    const path = url.pathname;
    const stored = store.get(path);
    const json = body ? JSON.parse(body) : undefined;

    if (path.startsWith("/_plugins/_ism/policies/")) {
      const id = path.split("/").pop()!;
      if (req.method === "GET") {
        if (!stored) return reply(404, { error: { type: "status_exception" } });
        const policy = structuredClone(stored.body.policy);
        for (const state of policy.states)
          for (const action of state.actions)
            action.retry = { count: 3, backoff: "exponential", delay: "1m" };
        for (const t of policy.ism_template ?? []) t.last_updated_time = 1;
        return reply(200, {
          _id: id,
          _version: stored.seqNo + 1,
          _seq_no: stored.seqNo,
          _primary_term: 1,
          policy: {
            policy_id: id,
            schema_version: 21,
            last_updated_time: 1,
            error_notification: null,
            ...policy,
          },
        });
      }
      if (req.method === "PUT") {
        if (stored) {
          if (
            url.searchParams.get("if_seq_no") !== String(stored.seqNo) ||
            url.searchParams.get("if_primary_term") !== "1"
          )
            return reply(409, { error: { type: "version_conflict_engine_exception" } });
        }
        store.set(path, { body: json, seqNo: stored ? stored.seqNo + 1 : 0 });
        return reply(stored ? 200 : 201, { _id: id });
      }
    }
    if (path.startsWith("/_index_template/")) {
      const name = path.split("/").pop()!;
      if (req.method === "GET") {
        if (!stored) return reply(404, { error: { type: "resource_not_found_exception" } });
        const template = structuredClone(stored.body);
        if (template.template?.settings)
          template.template.settings = stringLeaves(template.template.settings);
        return reply(200, { index_templates: [{ name, index_template: template }] });
      }
      if (req.method === "PUT") {
        store.set(path, { body: json, seqNo: 0 });
        return reply(200, { acknowledged: true });
      }
    }
    if (
      path.startsWith("/_plugins/_security/api/roles/") ||
      path.startsWith("/_plugins/_security/api/rolesmapping/")
    ) {
      const name = path.split("/").pop()!;
      if (req.method === "GET") {
        if (!stored) return reply(404, { status: "NOT_FOUND", message: `'${name}' not found.` });
        return reply(200, {
          [name]: {
            reserved: false,
            hidden: false,
            static: false,
            users: [],
            hosts: [],
            ...stored.body,
          },
        });
      }
      if (req.method === "PUT") {
        store.set(path, { body: json, seqNo: 0 });
        return reply(stored ? 200 : 201, { status: stored ? "OK" : "CREATED" });
      }
    }
    if (path.startsWith("/_dashboards/api/saved_objects/")) {
      const [type, id] = path.split("/").slice(-2);
      if (req.method === "GET") {
        if (!stored) return reply(404, { statusCode: 404, error: "Not Found" });
        return reply(200, {
          id,
          type,
          version: "WzEsMV0=",
          updated_at: "2026-01-01T00:00:00Z",
          ...stored.body,
        });
      }
      if (req.method === "POST") {
        if (req.headers["osd-xsrf"] !== "true")
          return reply(400, { message: "Request must contain a osd-xsrf header." });
        if (stored && url.searchParams.get("overwrite") !== "true")
          return reply(409, { statusCode: 409 });
        store.set(path, { body: json, seqNo: 0 });
        return reply(200, { id, type, ...json });
      }
    }
    return reply(405, { message: `${req.method} ${path} is not part of the fake` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}`,
    stsUrl: `http://${host}/sts`,
    requests,
    rejected,
    stsCalls,
    store,
    failNext: (n) => {
      failures = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
