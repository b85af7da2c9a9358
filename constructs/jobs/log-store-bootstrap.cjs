#!/usr/bin/env node
/**
 * The log store's bootstrap: applies a plan (a JSON file of items: ISM policies, index templates,
 * security roles and role mappings, Dashboards saved objects) to an Amazon OpenSearch Service
 * domain through its REST API, every request signed with AWS Signature Version 4 (service `es`).
 *
 *   node log-store-bootstrap.cjs <plan.json>
 *
 * Environment: OPENSEARCH_URL (https://<domain endpoint>), AWS_REGION; credentials from IRSA
 * (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE: AssumeRoleWithWebIdentity at
 * AWS_ENDPOINT_URL_STS, default https://sts.<region>.amazonaws.com) or AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. BOOTSTRAP_RETRIES (default 30) and
 * BOOTSTRAP_RETRY_DELAY_MS (default 5000): how often and how long apart a request that fails with
 * a network error, 429 or 5xx is retried (a new domain answers 5xx until it is ready).
 *
 * Idempotent: each item is read first (GET) and written (PUT, or POST with overwrite=true for saved
 * objects) only when what the domain holds is not already a superset of the item's body. A second
 * run writes nothing. Plain CommonJS on Node's standard library (no npm packages in the Job image).
 */
"use strict";
/* global URL, URLSearchParams, setTimeout */

const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");

const sha256 = (data) => crypto.createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key, data) => crypto.createHmac("sha256", key).update(data, "utf8").digest();

/** RFC 3986 encoding, as SigV4 wants it. */
function encode(text) {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Signs a request with SigV4 and returns its headers (with Authorization). `request`: method,
 * host, path (no query), query (object), headers (object), body (string); `credentials`:
 * accessKeyId, secretAccessKey, sessionToken?; `now`: a Date; `options.contentSha256: false` leaves
 * out the x-amz-content-sha256 header (as AWS's test suite vectors do).
 */
function sign(request, credentials, region, service, now, options = {}) {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const body = request.body ?? "";
  const headers = {
    ...lowerKeys(request.headers ?? {}),
    host: request.host,
    "x-amz-date": amzDate,
  };
  if (options.contentSha256 !== false) headers["x-amz-content-sha256"] = sha256(body);
  if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const signedHeaders = names.join(";");
  // non-S3 services: every path segment encoded twice (a segment of safe characters is unchanged)
  const canonicalPath =
    request.path
      .split("/")
      .map((segment) => encode(encode(decodeURIComponent(segment))))
      .join("/") || "/";
  const query = Object.entries(request.query ?? {})
    .map(([k, v]) => [encode(k), encode(String(v))])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [
    request.method,
    canonicalPath,
    query,
    canonicalHeaders,
    signedHeaders,
    sha256(body),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date), region), service),
    "aws4_request",
  );
  const signature = crypto.createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

function lowerKeys(object) {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k.toLowerCase(), v]));
}

/** True when every field of `wanted` is in `actual` with the same value (arrays: same length, element by element). */
function isSubset(wanted, actual) {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(actual) &&
      actual.length === wanted.length &&
      wanted.every((w, i) => isSubset(w, actual[i]))
    );
  }
  if (wanted !== null && typeof wanted === "object") {
    return (
      actual !== null &&
      typeof actual === "object" &&
      !Array.isArray(actual) &&
      Object.entries(wanted).every(([k, w]) => isSubset(w, actual[k]))
    );
  }
  // OpenSearch returns some numbers and booleans of settings as strings
  return (
    wanted === actual ||
    (actual !== undefined && actual !== null && String(wanted) === String(actual))
  );
}

/** One HTTP(S) request; resolves { status, body } (body parsed as JSON when it is). */
function send(url, { method, headers, body }) {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "http:" ? http : https;
    const req = client.request(url, { method, headers, timeout: 30000 }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode, body: parsed });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Credentials: static from the environment, or IRSA's web identity exchanged at STS. */
async function credentialsFrom(env) {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN,
    };
  }
  if (!env.AWS_ROLE_ARN || !env.AWS_WEB_IDENTITY_TOKEN_FILE) {
    throw new Error(
      "no AWS credentials: set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (IRSA) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
  }
  const sts = new URL(env.AWS_ENDPOINT_URL_STS || `https://sts.${env.AWS_REGION}.amazonaws.com`);
  const form = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: env.AWS_ROLE_ARN,
    RoleSessionName: "log-store-bootstrap",
    WebIdentityToken: fs.readFileSync(env.AWS_WEB_IDENTITY_TOKEN_FILE, "utf8").trim(),
  }).toString();
  const response = await send(sts, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
      "content-length": Buffer.byteLength(form),
    },
    body: form,
  });
  const c =
    response.body?.AssumeRoleWithWebIdentityResponse?.AssumeRoleWithWebIdentityResult?.Credentials;
  if (response.status !== 200 || !c) {
    throw new Error(
      `AssumeRoleWithWebIdentity failed: HTTP ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
  };
}

/** How each kind of item is read back and written. */
const KINDS = {
  "ism-policy": {
    current: (body) => body?.policy,
    wanted: (item) => item.body.policy,
    write: (item, found) => ({
      method: "PUT",
      path: item.path,
      query: found ? { if_seq_no: found._seq_no, if_primary_term: found._primary_term } : {},
      body: item.body,
    }),
  },
  "index-template": {
    current: (body) => body?.index_templates?.[0]?.index_template,
    wanted: (item) => item.body,
    write: (item) => ({ method: "PUT", path: item.path, query: {}, body: item.body }),
  },
  "security-role": {
    current: (body, item) => body?.[item.path.split("/").pop()],
    wanted: (item) => item.body,
    write: (item) => ({ method: "PUT", path: item.path, query: {}, body: item.body }),
  },
  "role-mapping": {
    current: (body, item) => body?.[item.path.split("/").pop()],
    wanted: (item) => item.body,
    write: (item) => ({ method: "PUT", path: item.path, query: {}, body: item.body }),
  },
  "saved-object": {
    current: (body) =>
      body ? { attributes: body.attributes, references: body.references ?? [] } : undefined,
    wanted: (item) => item.body,
    write: (item) => ({
      method: "POST",
      path: item.path,
      query: { overwrite: "true" },
      body: item.body,
    }),
  },
};

/** Dashboards' API wants its XSRF header; saved objects go to the global tenant, which every reader sees. */
function headersFor(path) {
  return path.startsWith("/_dashboards/") ? { "osd-xsrf": "true", securitytenant: "global" } : {};
}

/**
 * Applies the plan; resolves the outcome of each item (`created`, `updated` or `unchanged`).
 * `options`: env (process.env-like), log (a function), now (a function returning a Date).
 */
async function run(plan, options = {}) {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const base = new URL(env.OPENSEARCH_URL);
  const region = env.AWS_REGION;
  if (!region) throw new Error("AWS_REGION is not set");
  const retries = Number(env.BOOTSTRAP_RETRIES ?? 30);
  const delay = Number(env.BOOTSTRAP_RETRY_DELAY_MS ?? 5000);
  const credentials = await credentialsFrom(env);

  async function request(method, path, query = {}, body = undefined) {
    const text = body === undefined ? "" : JSON.stringify(body);
    const headers = {
      ...headersFor(path),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    };
    for (let attempt = 0; ; attempt++) {
      const signed = sign(
        { method, host: base.host, path, query, headers, body: text },
        credentials,
        region,
        "es",
        now(),
      );
      const url = new URL(path, base);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
      if (text) signed["content-length"] = String(Buffer.byteLength(text));
      let response;
      try {
        response = await send(url, { method, headers: signed, body: text || undefined });
      } catch (error) {
        response = { status: 0, body: String(error.message ?? error) };
      }
      const retryable = response.status === 0 || response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= retries) return response;
      log(
        `retry ${method} ${path}: HTTP ${response.status || "error"} (${attempt + 1}/${retries})`,
      );
      await sleep(delay);
    }
  }

  const outcomes = [];
  for (const item of plan.items) {
    const kind = KINDS[item.kind];
    if (!kind) throw new Error(`unknown item kind ${item.kind}`);
    const got = await request("GET", item.path);
    if (got.status !== 200 && got.status !== 404) {
      throw new Error(`GET ${item.path}: HTTP ${got.status} ${JSON.stringify(got.body)}`);
    }
    const found = got.status === 200 ? got.body : undefined;
    const current = found === undefined ? undefined : kind.current(found, item);
    let outcome;
    if (current !== undefined && isSubset(kind.wanted(item), current)) {
      outcome = "unchanged";
    } else {
      const write = kind.write(item, current === undefined ? undefined : found);
      const put = await request(write.method, write.path, write.query, write.body);
      if (put.status < 200 || put.status >= 300) {
        throw new Error(
          `${write.method} ${write.path}: HTTP ${put.status} ${JSON.stringify(put.body)}`,
        );
      }
      outcome = current === undefined ? "created" : "updated";
    }
    log(`${outcome} ${item.kind} ${item.path}`);
    outcomes.push({ path: item.path, kind: item.kind, outcome });
  }
  return outcomes;
}

module.exports = { sign, isSubset, run };

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node log-store-bootstrap.cjs <plan.json>\n");
    process.exit(2);
  }
  run(JSON.parse(fs.readFileSync(file, "utf8"))).catch((error) => {
    process.stderr.write(`log-store bootstrap failed: ${error.message}\n`);
    process.exit(1);
  });
}
