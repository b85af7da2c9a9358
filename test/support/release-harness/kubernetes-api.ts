/**
 * A fake Kubernetes API server for `networking.k8s.io/v1` Ingresses on loopback (plain HTTP),
 * answering the way kube-apiserver does. The conventions followed, from the Kubernetes docs and
 * source:
 * - https://kubernetes.io/docs/reference/using-api/api-concepts/ (PATCH content types:
 *   `application/merge-patch+json` is RFC 7386, where `null` deletes a key; `resourceVersion` as
 *   an optimistic-concurrency precondition, answered 409 Conflict; a no-op write keeps the
 *   resourceVersion);
 * - https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/status/ (every error is
 *   a `Status` object with `status: Failure`, a machine-readable `reason` and the HTTP `code`);
 * - kube-apiserver `staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go` (415
 *   UnsupportedMediaType for other patch types, 422 Invalid when the patched object does not
 *   decode, 400 BadRequest when a patch renames the object; status is kept on a main-resource
 *   write, `metadata.generation` moves on spec changes only).
 * Strategic merge patch is treated as a JSON merge patch (the same result for maps such as
 * `metadata.annotations`); JSON Patch and server-side apply answer 415.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The parts of a `networking.k8s.io/v1` Ingress the harness reads (others are kept as sent). */
export interface Ingress {
  apiVersion: "networking.k8s.io/v1";
  kind: "Ingress";
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: {
    ingressClassName?: string;
    rules?: IngressRule[];
    [key: string]: unknown;
  };
  status?: { loadBalancer?: { ingress?: { hostname?: string }[] } };
}

/** One host rule of an Ingress. */
export interface IngressRule {
  host?: string;
  http?: {
    paths: {
      path?: string;
      pathType: "Exact" | "Prefix" | "ImplementationSpecific";
      backend: { service?: { name: string; port: { name?: string; number?: number } } };
    }[];
  };
}

/** One request the fake API answered. */
export interface KubeRequest {
  /** When it arrived (ISO 8601). */
  readonly time: string;
  readonly method: string;
  /** Path and query as sent. */
  readonly path: string;
  readonly contentType?: string;
  /** The body, parsed as JSON when it is JSON. */
  readonly body?: unknown;
  /** Status code answered; 0 when the connection was closed without an answer. */
  readonly status: number;
}

/** How the API fails while failure injection is on: a 503 Status, or a closed connection. */
export type KubeApiFailure = "unavailable" | "reset";

const GROUP = "networking.k8s.io";
const RESOURCE = "ingresses";
const ITEM = /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/ingresses(?:\/([^/]+))?$/;
const PATCH_TYPES = ["application/merge-patch+json", "application/strategic-merge-patch+json"];
/** An annotation or label key: an optional DNS-subdomain prefix and a name of up to 63 characters. */
const QUALIFIED_NAME =
  /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** An error answered as a Kubernetes `Status`. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const notFound = (name: string) =>
  new StatusError(404, "NotFound", `${RESOURCE}.${GROUP} "${name}" not found`, {
    name,
    group: GROUP,
    kind: RESOURCE,
  });
const conflict = (name: string) =>
  new StatusError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${RESOURCE}.${GROUP} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: GROUP, kind: RESOURCE },
  );
const badRequest = (message: string) => new StatusError(400, "BadRequest", message);

/** The fake API server and the Ingresses it stores. */
export class KubernetesApi {
  private readonly objects = new Map<string, Ingress>();
  private readonly log: KubeRequest[] = [];
  private revision = 1000;
  private failure?: KubeApiFailure;
  private readonly watchers: (() => void)[] = [];
  private readonly server: Server;

  constructor(private readonly token: string) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        const status = new StatusError(500, "InternalError", `harness: ${error.message}`);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify(status.toStatus()));
      });
    });
  }

  /** Starts listening on 127.0.0.1 (a free port); resolves to the base URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops listening and cuts every open connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Every request answered so far, oldest first. */
  requests(): KubeRequest[] {
    return [...this.log];
  }

  /** Makes every request fail (`true` = 503 Status) until turned off with `false`. */
  fail(mode: boolean | KubeApiFailure): void {
    this.failure = mode === true ? "unavailable" : mode === false ? undefined : mode;
  }

  /** Calls `watcher` after every change of a stored Ingress (as a controller's watch would). */
  watch(watcher: () => void): void {
    this.watchers.push(watcher);
  }

  /** A copy of an Ingress as stored. */
  get(namespace: string, name: string): Ingress | undefined {
    const object = this.objects.get(`${namespace}/${name}`);
    return object && structuredClone(object);
  }

  /** Copies of every stored Ingress, by namespace then name. */
  list(): Ingress[] {
    return [...this.objects.keys()].sort().map((key) => structuredClone(this.objects.get(key)!));
  }

  /**
   * Stores `edit(current)` the way a write from a client (or Terraform) is stored: validated,
   * system fields kept, resourceVersion moved only when something changed. Returns whether it did.
   */
  write(namespace: string, name: string, edit: (current?: Ingress) => unknown): boolean {
    return this.store(namespace, name, edit(this.get(namespace, name))).changed;
  }

  private store(
    namespace: string,
    name: string,
    next: unknown,
    dryRun = false,
  ): { object: Ingress; changed: boolean } {
    const key = `${namespace}/${name}`;
    const current = this.objects.get(key);
    const object = validate(next, namespace, name, current);
    if (current) {
      // status is a subresource: a write to the main resource keeps it
      object.status = structuredClone(current.status);
      if (equal(withoutSystemFields(object), withoutSystemFields(current))) {
        return { object: structuredClone(current), changed: false };
      }
      object.metadata.generation =
        (current.metadata.generation ?? 1) + (equal(object.spec, current.spec) ? 0 : 1);
    } else {
      object.metadata.uid = randomUUID();
      object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      object.metadata.generation = 1;
    }
    if (dryRun) return { object, changed: true };
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    this.objects.set(key, object);
    this.watchers.forEach((watcher) => watcher());
    return { object: structuredClone(object), changed: true };
  }

  /** Sets the status an ALB controller writes (the load balancer's host name). */
  setLoadBalancerHostname(namespace: string, name: string, hostname: string): void {
    const object = this.objects.get(`${namespace}/${name}`);
    if (object && object.status?.loadBalancer?.ingress?.[0]?.hostname !== hostname) {
      object.status = { loadBalancer: { ingress: [{ hostname }] } };
      this.revision += 1;
      object.metadata.resourceVersion = String(this.revision);
      this.watchers.forEach((watcher) => watcher());
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = new Date().toISOString();
    const text = await readBody(req);
    const contentType = req.headers["content-type"];
    let body: unknown = text === "" ? undefined : text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // kept as text
    }
    const record = (status: number) =>
      this.log.push({
        time,
        method: req.method ?? "",
        path: req.url ?? "",
        contentType,
        body,
        status,
      });

    if (this.failure === "reset") {
      record(0);
      req.socket.destroy();
      return;
    }
    let status = 200;
    let answer: unknown;
    try {
      if (this.failure === "unavailable") {
        throw new StatusError(
          503,
          "ServiceUnavailable",
          "the server is currently unable to handle the request",
        );
      }
      answer = this.answer(req, text);
    } catch (error) {
      if (!(error instanceof StatusError)) throw error;
      status = error.code;
      answer = error.toStatus();
    }
    record(status);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  }

  private answer(req: IncomingMessage, text: string): unknown {
    const authorization = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (authorization?.[1].trim() !== this.token) {
      throw new StatusError(401, "Unauthorized", "Unauthorized");
    }
    const url = new URL(req.url ?? "/", "http://kube");
    const match = ITEM.exec(url.pathname);
    if (!match) {
      throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    }
    const [namespace, name] = [
      decodeURIComponent(match[1]),
      match[2] && decodeURIComponent(match[2]),
    ];
    const dryRun = url.searchParams.get("dryRun") === "All";
    const method = req.method ?? "GET";
    if (!name && method === "GET") {
      return {
        kind: "IngressList",
        apiVersion: `${GROUP}/v1`,
        metadata: { resourceVersion: String(this.revision) },
        items: this.list().filter((i) => i.metadata.namespace === namespace),
      };
    }
    if (!name || !["GET", "PATCH", "PUT"].includes(method)) {
      throw new StatusError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    const current = this.objects.get(`${namespace}/${name}`);
    if (method === "GET") {
      if (!current) throw notFound(name);
      return current;
    }
    const contentType = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (method === "PATCH" && !PATCH_TYPES.includes(contentType)) {
      throw new StatusError(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`,
      );
    }
    let sent: unknown;
    try {
      sent = JSON.parse(text);
    } catch (error) {
      throw badRequest(
        `error decoding ${method === "PATCH" ? "patch" : "body"}: ${(error as Error).message}`,
      );
    }
    if (!current) throw notFound(name);
    const precondition =
      isObject(sent) && isObject(sent.metadata) ? sent.metadata.resourceVersion : undefined;
    if (precondition !== undefined && precondition !== current.metadata.resourceVersion) {
      throw conflict(name);
    }
    const next = method === "PATCH" ? mergePatch(structuredClone(current), sent) : sent;
    return this.store(namespace, name, next, dryRun).object;
  }
}

/** RFC 7386 JSON merge patch: objects merge key by key, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * The object as an Ingress, or the Status error kube-apiserver answers: 400 for a wrong kind or a
 * name or namespace that differs from the URL, 422 Invalid for fields of the wrong type, bad
 * annotation keys and changed immutable fields.
 */
function validate(value: unknown, namespace: string, name: string, current?: Ingress): Ingress {
  if (!isObject(value) || !isObject(value.metadata)) {
    throw invalid(name, "metadata", value, "must be an object");
  }
  if (value.apiVersion !== `${GROUP}/v1` || value.kind !== "Ingress") {
    throw badRequest(
      `the object kind ${String(value.apiVersion)}/${String(value.kind)} does not match the expected ${GROUP}/v1/Ingress`,
    );
  }
  const metadata = value.metadata;
  if (metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  if ((metadata.namespace ?? namespace) !== namespace) {
    throw badRequest(
      `the namespace of the object (${String(metadata.namespace)}) does not match the namespace on the URL (${namespace})`,
    );
  }
  for (const field of ["annotations", "labels"] as const) {
    const map = metadata[field];
    if (map === undefined) continue;
    if (!isObject(map))
      throw invalid(name, `metadata.${field}`, map, "must be a map of string to string");
    for (const [key, entry] of Object.entries(map)) {
      if (typeof entry !== "string") {
        throw invalid(name, `metadata.${field}.${key}`, entry, "must be a string");
      }
      if (!QUALIFIED_NAME.test(key)) {
        throw invalid(
          name,
          `metadata.${field}`,
          key,
          "must be a qualified name: an optional DNS subdomain prefix and '/', and a name of at most 63 characters",
        );
      }
    }
  }
  for (const field of ["uid", "creationTimestamp"] as const) {
    if (current && metadata[field] !== undefined && metadata[field] !== current.metadata[field]) {
      throw invalid(name, `metadata.${field}`, metadata[field], "field is immutable");
    }
  }
  const spec = value.spec;
  if (spec !== undefined) {
    if (!isObject(spec)) throw invalid(name, "spec", spec, "must be an object");
    if (spec.rules !== undefined && !Array.isArray(spec.rules)) {
      throw invalid(name, "spec.rules", spec.rules, "must be a list");
    }
    ((spec.rules ?? []) as unknown[]).forEach((rule, i) =>
      validateRule(name, rule, `spec.rules[${i}]`),
    );
  }
  const object = structuredClone(value) as unknown as Ingress;
  object.metadata.namespace = namespace;
  object.metadata.uid ??= current?.metadata.uid;
  object.metadata.creationTimestamp ??= current?.metadata.creationTimestamp;
  delete object.metadata.resourceVersion;
  delete object.metadata.generation;
  return object;
}

function validateRule(name: string, rule: unknown, path: string): void {
  if (!isObject(rule)) throw invalid(name, path, rule, "must be an object");
  if (rule.host !== undefined && typeof rule.host !== "string") {
    throw invalid(name, `${path}.host`, rule.host, "must be a string");
  }
  if (rule.http === undefined) return;
  if (!isObject(rule.http) || !Array.isArray(rule.http.paths)) {
    throw invalid(name, `${path}.http.paths`, rule.http, "must be a list");
  }
  rule.http.paths.forEach((entry: unknown, i: number) => {
    const at = `${path}.http.paths[${i}]`;
    if (!isObject(entry)) throw invalid(name, at, entry, "must be an object");
    if (!["Exact", "Prefix", "ImplementationSpecific"].includes(entry.pathType as string)) {
      throw invalid(
        name,
        `${at}.pathType`,
        entry.pathType,
        'supported values: "Exact", "ImplementationSpecific", "Prefix"',
      );
    }
    if (
      entry.path !== undefined &&
      (typeof entry.path !== "string" || !entry.path.startsWith("/"))
    ) {
      throw invalid(name, `${at}.path`, entry.path, "must be an absolute path");
    }
    const service = isObject(entry.backend) ? entry.backend.service : undefined;
    if (!isObject(service) || typeof service.name !== "string" || !isObject(service.port)) {
      throw invalid(name, `${at}.backend.service`, service, "a service name and port are required");
    }
  });
}

/** A 422 Invalid Status for one field, shaped like kube-apiserver's field errors. */
function invalid(name: string, field: string, value: unknown, detail: string): StatusError {
  const message = `Invalid value: ${JSON.stringify(value)}: ${detail}`;
  return new StatusError(
    422,
    "Invalid",
    `Ingress.${GROUP} "${name}" is invalid: ${field}: ${message}`,
    {
      name,
      group: GROUP,
      kind: "Ingress",
      causes: [{ reason: "FieldValueInvalid", message, field }],
    },
  );
}

function withoutSystemFields(object: Ingress): unknown {
  const metadata = { ...object.metadata, resourceVersion: undefined, generation: undefined };
  return { ...object, metadata, status: undefined };
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values (object key order ignored). */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => equal(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    return (
      keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length &&
      keys.every((k) => equal(a[k], b[k]))
    );
  }
  return false;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
