/**
 * A loopback HTTP server that answers like the Kubernetes API server, for tests of code that
 * talks to a cluster (through `@kubernetes/client-node` or raw HTTP). It is an in-memory object
 * store keyed by apiVersion/kind/namespace/name with the API server's REST shapes:
 *
 * - `POST` a collection: create (201), `409 AlreadyExists` as a real `Status`; every object is
 *   validated against its schema with `kubernetes-models` plus the API server's own name and
 *   label rules, and rejected with a `422 Invalid` `Status` listing the causes;
 * - `GET` an object (`404 NotFound` `Status`) or its `status` subresource; `GET` a collection with
 *   `labelSelector` (equality, inequality, existence, `in`, `notin`) and `fieldSelector`
 *   (`=`, `!=` on dotted paths);
 * - `DELETE` with `propagationPolicy` (`Background`, `Foreground`, `Orphan`; the default is
 *   `Orphan` for batch/v1 Jobs, as on the real server, and `Background` otherwise) and
 *   finalizers (an object with finalizers gets a `deletionTimestamp` and stays until they are
 *   removed);
 * - `PATCH` with `application/merge-patch+json` (RFC 7386) for every kind and
 *   `application/strategic-merge-patch+json` for built-in kinds (lists merged by their patch
 *   merge key: containers, env, volumes... by name; `$patch: replace|delete`); `metadata.generation`
 *   moves when the spec changes; a Job's `spec.template` is immutable;
 * - pod logs: `GET /api/v1/namespaces/N/pods/P/log?container=C` (`tailLines`), with
 *   `follow=true` streaming chunks as the test writes them and ending when it ends the log;
 *   `400` while the container is waiting to start, as the kubelet answers.
 *
 * Not implemented (answered with a clear 4xx): `watch=true`, JSON patch, server-side apply, `PUT`.
 * Every request is recorded; `reject` scripts error answers (a 403 on create, a 500...);
 * `onChange` lets scripted controllers react to objects (see fake-kube-controllers.ts).
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Event } from "kubernetes-models/v1/Event";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import type { KubernetesAccess } from "../../release/types";

/** A Kubernetes object as stored (plain JSON). */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }[];
    [key: string]: unknown;
  };
  spec?: any;
  status?: any;
  [key: string]: unknown;
};

/** One cause of a 422 Invalid answer. */
export interface StatusCause {
  readonly reason: string;
  readonly message: string;
  readonly field: string;
}

/** A resource type the server serves. */
export interface ResourceType {
  /** API group, `""` for the core group. */
  readonly group: string;
  readonly version: string;
  /** URL plural (`jobs`). */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Built-in kinds accept strategic merge patches; custom resources answer 415. */
  readonly builtIn: boolean;
  /** Schema problems of an object (empty when valid). */
  validate?(object: KubeObject): StatusCause[];
}

/** A request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** The request body as text (empty when none). */
  readonly body: string;
}

/** A scripted answer. */
export interface FakeReply {
  readonly status: number;
  readonly body: unknown;
}

/** A change in the store, as a watch would report it. */
export interface StoreEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: KubeObject;
}

/** An error of the store API, carrying the `Status` the HTTP API answers with. */
export class FakeApiError extends Error {
  constructor(readonly status: ReturnType<typeof statusObject>) {
    super(status.message);
    this.name = "FakeApiError";
  }
}

/** A `Status` object as the API server writes it (`kind: Status`, `status: Failure`). */
export function statusObject(
  code: number,
  reason: string,
  message: string,
  details?: Record<string, unknown>,
) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: code >= 200 && code < 300 ? "Success" : "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

function modelValidator(Model: new (data: never) => { validate(): void }) {
  return (object: KubeObject): StatusCause[] => {
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: { instancePath?: string; message?: string }[] }).errors;
      if (!Array.isArray(errors)) throw error;
      return errors.map((e) => ({
        reason: "FieldValueInvalid",
        field: (e.instancePath ?? "").replace(/^\//, "").replace(/\//g, "."),
        message: e.message ?? "invalid",
      }));
    }
  };
}

/** The built-in resource types the server knows (more with {@link FakeKubeApi.register}). */
export const BUILT_IN_RESOURCES: readonly ResourceType[] = [
  ["", "v1", "namespaces", "Namespace", false, Namespace],
  ["", "v1", "pods", "Pod", true, Pod],
  ["", "v1", "configmaps", "ConfigMap", true, ConfigMap],
  ["", "v1", "secrets", "Secret", true, Secret],
  ["", "v1", "services", "Service", true, Service],
  ["", "v1", "serviceaccounts", "ServiceAccount", true, ServiceAccount],
  ["", "v1", "events", "Event", true, Event],
  ["apps", "v1", "deployments", "Deployment", true, Deployment],
  ["batch", "v1", "jobs", "Job", true, Job],
].map(([group, version, plural, kind, namespaced, Model]) => ({
  group: group as string,
  version: version as string,
  plural: plural as string,
  kind: kind as string,
  namespaced: namespaced as boolean,
  builtIn: true,
  validate: modelValidator(Model as new (data: never) => { validate(): void }),
}));

/** Patch merge keys of the built-in kinds' lists (a subset of the API's `x-kubernetes-patch-merge-key`). */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  ports: "containerPort",
  imagePullSecrets: "name",
  conditions: "type",
  hostAliases: "ip",
  topologySpreadConstraints: "topologyKey",
  ownerReferences: "uid",
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const clone = <T>(value: T): T => structuredClone(value);
const isObject = (v: unknown): v is Record<string, any> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * Strategic merge patch, as far as these tests need: maps merge, `null` deletes, lists with a
 * merge key ({@link MERGE_KEYS}) merge item by item (`$patch: delete` removes one), other lists
 * are replaced; `$patch: replace` replaces a map; `$retainKeys` keeps only the listed keys;
 * `$setElementOrder/...` is accepted and ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === "replace") {
    const rest = { ...patch };
    delete rest.$patch;
    return clone(rest);
  }
  let result: Record<string, any> = isObject(target) ? { ...target } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set<string>(patch.$retainKeys as string[]);
    result = Object.fromEntries(Object.entries(result).filter(([k]) => keep.has(k)));
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value) && MERGE_KEYS[key] && value.every(isObject)) {
      const mergeKey = MERGE_KEYS[key];
      const items: Record<string, any>[] = Array.isArray(result[key]) ? [...result[key]] : [];
      for (const item of value as Record<string, any>[]) {
        const at = items.findIndex((existing) => existing[mergeKey] === item[mergeKey]);
        if (item.$patch === "delete") {
          if (at >= 0) items.splice(at, 1);
        } else if (at >= 0) {
          items[at] = strategicMergePatch(items[at], item) as Record<string, any>;
        } else {
          items.push(strategicMergePatch({}, item) as Record<string, any>);
        }
      }
      result[key] = items;
    } else if (isObject(value) && value.$patch === "delete") {
      delete result[key];
    } else {
      result[key] = strategicMergePatch(result[key], value);
    }
  }
  return result;
}

type Requirement = (labels: Record<string, string>) => boolean;

/** Parses a label selector (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`); throws on a bad one. */
export function parseLabelSelector(selector: string): Requirement[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "") parts.push(current);
  return parts.map((raw) => {
    const part = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const [, key, op, list] = m;
      const values = list.split(",").map((v) => v.trim());
      return op === "in"
        ? (l) => key in l && values.includes(l[key])
        : (l) => !(key in l) || !values.includes(l[key]);
    }
    if ((m = part.match(/^([^=!\s]+)\s*!=\s*(\S*)$/))) {
      const [, key, value] = m;
      return (l) => l[key] !== value;
    }
    if ((m = part.match(/^([^=!\s]+)\s*==?\s*(\S*)$/))) {
      const [, key, value] = m;
      return (l) => l[key] === value;
    }
    if ((m = part.match(/^!([^=!\s]+)$/))) {
      const key = m[1];
      return (l) => !(key in l);
    }
    if ((m = part.match(/^([^=!\s()]+)$/))) {
      const key = m[1];
      return (l) => key in l;
    }
    throw new Error(`unable to parse requirement: ${JSON.stringify(part)}`);
  });
}

function pathValue(object: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), object);
}

interface LogState {
  text: string;
  ended: boolean;
  followers: Set<ServerResponse>;
}

/** Options of the fake server. */
export interface FakeKubeApiOptions {
  /** Which bearer tokens are accepted (default: any non-empty one); others get 401. */
  readonly authorize?: (token: string | undefined) => boolean;
}

/** The fake API server. */
export class FakeKubeApi {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** `http://127.0.0.1:<port>` once started. */
  endpoint = "";
  private readonly types: ResourceType[] = [...BUILT_IN_RESOURCES];
  private readonly objects = new Map<string, KubeObject>();
  private readonly logs = new Map<string, LogState>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly rejections: {
    method: string;
    path: string | RegExp;
    reply: FakeReply;
    times: number;
  }[] = [];
  private resourceVersion = 1000;
  private server: Server | undefined;
  private tokenCount = 0;

  constructor(private readonly options: FakeKubeApiOptions = {}) {}

  /** Listens on 127.0.0.1, on a free port. */
  async start(): Promise<void> {
    const server = createServer((req, res) => this.receive(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Ends log streams, stops listening and closes every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const log of this.logs.values()) for (const res of log.followers) res.end();
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  }

  /**
   * A {@link KubernetesAccess} for this server: plain HTTP, and a new token (`token-<n>`) each
   * time one is asked for, so tests can see that callers fetch fresh tokens.
   */
  access(): KubernetesAccess {
    return {
      server: this.endpoint,
      token: async () => `token-${++this.tokenCount}`,
    };
  }

  /** The distinct bearer tokens the server has seen. */
  tokensSeen(): string[] {
    const tokens = this.requests
      .map((r) => r.headers.authorization?.replace(/^Bearer /, ""))
      .filter((t): t is string => !!t);
    return [...new Set(tokens)];
  }

  /** Serves another resource type (a custom resource, with its schema check). */
  register(type: ResourceType): void {
    this.types.push(type);
  }

  /** Requests matching a method and a path (exact, or a pattern). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)),
    );
  }

  /**
   * Answers the next `times` (default: every) requests of `method` on `path` with a `Status` of
   * `code` and `reason`, e.g. `reject("POST", "/apis/batch/v1/namespaces/web/jobs", 403,
   * "Forbidden", 'jobs.batch is forbidden: User "ci" cannot create ...')`.
   */
  reject(
    method: string,
    path: string | RegExp,
    code: number,
    reason: string,
    message: string,
    times = Number.POSITIVE_INFINITY,
  ): void {
    this.rejections.push({
      method,
      path,
      reply: { status: code, body: statusObject(code, reason, message) },
      times,
    });
  }

  /** Calls `listener` after each change of the store; returns the unsubscribe function. */
  onChange(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- the store API (what the HTTP routes use; tests and controllers call it directly) ----

  /** Creates an object as `POST` would (defaulting, validation); throws a {@link FakeApiError}. */
  create(object: KubeObject): KubeObject {
    const type = this.typeOf(object.apiVersion, object.kind);
    return this.createOf(type, object.metadata?.namespace, clone(object));
  }

  /** An object, or undefined. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string) {
    const type = this.typeOf(apiVersion, kind);
    const found = this.objects.get(this.key(type, namespace, name));
    return found ? clone(found) : undefined;
  }

  /** The objects of a kind (in a namespace), optionally by label selector. */
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): KubeObject[] {
    const type = this.typeOf(apiVersion, kind);
    return this.listOf(type, namespace, labelSelector).map(clone);
  }

  /**
   * Changes an object in place as a controller would (`mutate` edits a copy), validating the
   * result; an object being deleted whose finalizers are gone is removed. Returns the result.
   */
  update(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    mutate: (object: KubeObject) => void,
  ): KubeObject | undefined {
    const type = this.typeOf(apiVersion, kind);
    const current = this.mustGet(type, namespace, name);
    const next = clone(current);
    mutate(next);
    return this.replace(type, current, next, false);
  }

  /** Deletes an object as `DELETE` would. */
  delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: string,
  ): void {
    this.deleteOf(this.typeOf(apiVersion, kind), namespace, name, propagationPolicy);
  }

  /** Appends text to a container's log (and to every follower's stream). */
  writeLog(namespace: string, pod: string, container: string, text: string): void {
    const log = this.log(namespace, pod, container);
    if (log.ended) throw new Error(`the log of ${namespace}/${pod}/${container} has ended`);
    log.text += text;
    for (const res of log.followers) res.write(text);
  }

  /** Ends a container's log (the container terminated): follow streams end. */
  endLog(namespace: string, pod: string, container: string): void {
    const log = this.log(namespace, pod, container);
    log.ended = true;
    for (const res of log.followers) res.end();
    log.followers.clear();
  }

  /** Breaks every open `follow=true` log stream (the connection drops mid-stream). */
  dropLogStreams(): void {
    for (const log of this.logs.values()) {
      for (const res of log.followers) res.destroy();
      log.followers.clear();
    }
  }

  /** The number of open `follow=true` log streams. */
  openLogStreams(): number {
    return [...this.logs.values()].reduce((n, l) => n + l.followers.size, 0);
  }

  // ---- internals ----

  private log(namespace: string, pod: string, container: string): LogState {
    const key = `${namespace}/${pod}/${container}`;
    let log = this.logs.get(key);
    if (!log) {
      log = { text: "", ended: false, followers: new Set() };
      this.logs.set(key, log);
    }
    return log;
  }

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const type = this.types.find(
      (t) => t.group === group && t.version === version && t.kind === kind,
    );
    if (!type) throw new Error(`the fake API server does not serve ${apiVersion} ${kind}`);
    return type;
  }

  private apiVersionOf(type: ResourceType): string {
    return type.group ? `${type.group}/${type.version}` : type.version;
  }

  private qualified(type: ResourceType): string {
    return type.group ? `${type.plural}.${type.group}` : type.plural;
  }

  private key(type: ResourceType, namespace: string | undefined, name: string): string {
    return `${this.apiVersionOf(type)}/${type.kind}/${type.namespaced ? namespace : ""}/${name}`;
  }

  private emit(type: StoreEvent["type"], object: KubeObject): void {
    for (const listener of [...this.listeners]) listener({ type, object: clone(object) });
  }

  private notFound(type: ResourceType, name: string): FakeApiError {
    return new FakeApiError(
      statusObject(404, "NotFound", `${this.qualified(type)} "${name}" not found`, {
        name,
        group: type.group,
        kind: type.plural,
      }),
    );
  }

  private mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.objects.get(this.key(type, namespace, name));
    if (!found) throw this.notFound(type, name);
    return found;
  }

  private listOf(
    type: ResourceType,
    namespace?: string,
    labelSelector?: string,
    fieldSelector?: string,
  ) {
    const prefix = `${this.apiVersionOf(type)}/${type.kind}/`;
    let requirements: Requirement[] = [];
    try {
      requirements = labelSelector ? parseLabelSelector(labelSelector) : [];
    } catch (error) {
      throw new FakeApiError(statusObject(400, "BadRequest", (error as Error).message));
    }
    const fields = (fieldSelector ?? "")
      .split(",")
      .filter((f) => f.trim() !== "")
      .map((f) => {
        const m = f.match(/^([^=!]+)(!=|==?)(.*)$/);
        if (!m) {
          throw new FakeApiError(statusObject(400, "BadRequest", `invalid field selector: ${f}`));
        }
        return { path: m[1].trim(), negate: m[2] === "!=", value: m[3].trim() };
      });
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, object]) => object)
      .filter(
        (o) => !type.namespaced || namespace === undefined || o.metadata.namespace === namespace,
      )
      .filter((o) => requirements.every((r) => r(o.metadata.labels ?? {})))
      .filter((o) =>
        fields.every((f) => (String(pathValue(o, f.path) ?? "") === f.value) !== f.negate),
      )
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  }

  /** The API server's own checks (names, labels) plus the schema. */
  private invalid(type: ResourceType, object: KubeObject, extra: StatusCause[] = []): void {
    const causes: StatusCause[] = [...extra];
    const { name, labels, annotations } = object.metadata;
    if (!name) {
      causes.push({
        reason: "FieldValueRequired",
        field: "metadata.name",
        message: "Required value: name or generateName is required",
      });
    } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      causes.push({
        reason: "FieldValueInvalid",
        field: "metadata.name",
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      });
    }
    const checkLabels = (where: string, map: Record<string, string> | undefined) => {
      for (const [key, value] of Object.entries(map ?? {})) {
        const keyName = key.includes("/") ? key.slice(key.indexOf("/") + 1) : key;
        if (keyName.length > 63 || !LABEL_NAME.test(keyName)) {
          causes.push({
            reason: "FieldValueInvalid",
            field: where,
            message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', at most 63 characters`,
          });
        }
        if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value)) {
          causes.push({
            reason: "FieldValueInvalid",
            field: where,
            message: `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character${typeof value === "string" && value.length > 63 ? "; must be no more than 63 characters" : ""}`,
          });
        }
      }
    };
    checkLabels("metadata.labels", labels);
    if (type.kind === "Job" || type.kind === "Deployment") {
      checkLabels("spec.template.labels", object.spec?.template?.metadata?.labels);
    }
    for (const value of Object.values(annotations ?? {})) {
      if (typeof value !== "string") {
        causes.push({
          reason: "FieldValueInvalid",
          field: "metadata.annotations",
          message: "annotation values must be strings",
        });
      }
    }
    causes.push(...(type.validate?.(object) ?? []));
    if (causes.length > 0) {
      const message = `${type.kind}${type.group ? `.${type.group}` : ""} "${name ?? ""}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(", ")}`;
      throw new FakeApiError(
        statusObject(422, "Invalid", message, {
          name,
          group: type.group,
          kind: type.kind,
          causes,
        }),
      );
    }
  }

  private nextResourceVersion(): string {
    return String(++this.resourceVersion);
  }

  private createOf(
    type: ResourceType,
    namespace: string | undefined,
    object: KubeObject,
  ): KubeObject {
    object.apiVersion ??= this.apiVersionOf(type);
    object.kind ??= type.kind;
    if (object.apiVersion !== this.apiVersionOf(type) || object.kind !== type.kind) {
      throw new FakeApiError(
        statusObject(
          400,
          "BadRequest",
          `the API version in the data (${object.apiVersion}) does not match the expected API version (${this.apiVersionOf(type)})`,
        ),
      );
    }
    object.metadata ??= { name: "" };
    if (type.namespaced) {
      if (object.metadata.namespace && namespace && object.metadata.namespace !== namespace) {
        throw new FakeApiError(
          statusObject(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request",
          ),
        );
      }
      object.metadata.namespace = namespace ?? object.metadata.namespace;
      if (!object.metadata.namespace) {
        throw new FakeApiError(statusObject(400, "BadRequest", "a namespace is required"));
      }
    }
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${randomUUID().slice(0, 5)}`;
    }
    const uid = randomUUID();
    if (type.kind === "Job") defaultJob(object, uid);
    this.invalid(type, object);
    const key = this.key(type, object.metadata.namespace, object.metadata.name);
    if (this.objects.has(key)) {
      throw new FakeApiError(
        statusObject(
          409,
          "AlreadyExists",
          `${this.qualified(type)} "${object.metadata.name}" already exists`,
          {
            name: object.metadata.name,
            group: type.group,
            kind: type.plural,
          },
        ),
      );
    }
    object.metadata.uid = uid;
    object.metadata.resourceVersion = this.nextResourceVersion();
    object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    if (object.spec !== undefined) object.metadata.generation = 1;
    this.objects.set(key, object);
    this.emit("ADDED", object);
    return clone(object);
  }

  /** Stores `next` in place of `current`; removes it when it is being deleted with no finalizers. */
  private replace(
    type: ResourceType,
    current: KubeObject,
    next: KubeObject,
    fromClient: boolean,
  ): KubeObject | undefined {
    const meta = current.metadata;
    next.metadata.name = meta.name;
    next.metadata.namespace = meta.namespace;
    next.metadata.uid = meta.uid;
    next.metadata.creationTimestamp = meta.creationTimestamp;
    if (fromClient && meta.deletionTimestamp)
      next.metadata.deletionTimestamp = meta.deletionTimestamp;
    const causes: StatusCause[] = [];
    if (
      type.kind === "Job" &&
      JSON.stringify(current.spec?.template) !== JSON.stringify(next.spec?.template)
    ) {
      causes.push({
        reason: "FieldValueInvalid",
        field: "spec.template",
        message: "Invalid value: field is immutable",
      });
    }
    this.invalid(type, next, causes);
    if (
      JSON.stringify(current.spec) !== JSON.stringify(next.spec) &&
      meta.generation !== undefined
    ) {
      next.metadata.generation = meta.generation + 1;
    } else if (meta.generation !== undefined) {
      next.metadata.generation = meta.generation;
    }
    next.metadata.resourceVersion = this.nextResourceVersion();
    const key = this.key(type, meta.namespace, meta.name);
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(key);
      this.afterRemoval(type, next);
      this.emit("DELETED", next);
      setImmediate(() => this.collectGarbage());
      return undefined;
    }
    this.objects.set(key, next);
    this.emit("MODIFIED", next);
    return clone(next);
  }

  private dependents(uid: string): { type: ResourceType; object: KubeObject }[] {
    const found: { type: ResourceType; object: KubeObject }[] = [];
    for (const object of this.objects.values()) {
      if (object.metadata.ownerReferences?.some((r) => r.uid === uid)) {
        found.push({ type: this.typeOf(object.apiVersion, object.kind), object });
      }
    }
    return found;
  }

  /** The garbage collector: deletes objects all of whose owners are gone. */
  private collectGarbage(): void {
    const uids = new Set([...this.objects.values()].map((o) => o.metadata.uid));
    for (const object of [...this.objects.values()]) {
      const owners = object.metadata.ownerReferences ?? [];
      if (owners.length > 0 && owners.every((r) => !uids.has(r.uid))) {
        const type = this.typeOf(object.apiVersion, object.kind);
        if (this.objects.has(this.key(type, object.metadata.namespace, object.metadata.name))) {
          this.deleteOf(type, object.metadata.namespace, object.metadata.name, "Background");
        }
      }
    }
  }

  private afterRemoval(type: ResourceType, object: KubeObject): void {
    if (type.kind === "Pod") {
      for (const [key, log] of this.logs) {
        if (key.startsWith(`${object.metadata.namespace}/${object.metadata.name}/`)) {
          for (const res of log.followers) res.end();
          log.followers.clear();
        }
      }
    }
  }

  private deleteOf(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    propagationPolicy?: string,
  ): KubeObject | undefined {
    const current = this.mustGet(type, namespace, name);
    const policy = propagationPolicy ?? (type.kind === "Job" ? "Orphan" : "Background");
    if (!["Background", "Foreground", "Orphan"].includes(policy)) {
      throw new FakeApiError(
        statusObject(400, "BadRequest", `propagationPolicy: Unsupported value: "${policy}"`),
      );
    }
    const uid = current.metadata.uid!;
    const collectDependents = () => {
      for (const { type: t, object } of this.dependents(uid)) {
        if (this.objects.has(this.key(t, object.metadata.namespace, object.metadata.name))) {
          this.deleteOf(t, object.metadata.namespace, object.metadata.name, "Background");
        }
      }
    };
    if (policy === "Orphan") {
      for (const { type: t, object } of this.dependents(uid)) {
        this.update(
          this.apiVersionOf(t),
          t.kind,
          object.metadata.namespace,
          object.metadata.name,
          (o) => {
            o.metadata.ownerReferences = o.metadata.ownerReferences?.filter((r) => r.uid !== uid);
          },
        );
      }
    }
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (policy === "Foreground") finalizers.push("foregroundDeletion");
    if (finalizers.length > 0) {
      const next = clone(current);
      next.metadata.finalizers = finalizers;
      next.metadata.deletionTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, "Z");
      const kept = this.replace(type, current, next, false);
      if (policy === "Foreground") {
        setImmediate(() => {
          collectDependents();
          if (this.objects.has(this.key(type, namespace, name))) {
            this.update(this.apiVersionOf(type), type.kind, namespace, name, (o) => {
              o.metadata.finalizers = o.metadata.finalizers?.filter(
                (f) => f !== "foregroundDeletion",
              );
            });
          }
        });
      }
      return kept;
    }
    this.objects.delete(this.key(type, namespace, name));
    this.afterRemoval(type, current);
    this.emit("DELETED", current);
    // the garbage collector removes dependents after the owner is gone
    if (policy === "Background") setImmediate(() => this.collectGarbage());
    return undefined;
  }

  // ---- HTTP ----

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const request: RecordedRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      this.requests.push(request);
      const send = (reply: FakeReply) => {
        const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          "Content-Type": typeof reply.body === "string" ? "text/plain" : "application/json",
          "Content-Length": Buffer.byteLength(text),
        });
        res.end(text);
      };
      const token = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
      const authorize = this.options.authorize ?? ((t: string | undefined) => !!t);
      if (!authorize(token)) {
        return send({ status: 401, body: statusObject(401, "Unauthorized", "Unauthorized") });
      }
      const rejection = this.rejections.find(
        (r) =>
          r.times > 0 &&
          r.method === request.method &&
          (typeof r.path === "string" ? r.path === request.path : r.path.test(request.path)),
      );
      if (rejection) {
        rejection.times--;
        return send(rejection.reply);
      }
      try {
        const reply = this.route(request, res);
        if (reply) send(reply);
      } catch (error) {
        if (error instanceof FakeApiError) send({ status: error.status.code, body: error.status });
        else
          send({ status: 500, body: statusObject(500, "InternalError", (error as Error).message) });
      }
    });
  }

  /** Answers a request, or returns undefined when it streams the answer itself. */
  private route(request: RecordedRequest, res: ServerResponse): FakeReply | undefined {
    const match = request.path.match(/^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.*)$/);
    if (!match) {
      return {
        status: 404,
        body: statusObject(404, "NotFound", "the server could not find the requested resource"),
      };
    }
    const [, coreVersion, group = "", groupVersion] = match;
    const version = coreVersion ?? groupVersion;
    const segments = match[4]
      .split("/")
      .filter((s) => s !== "")
      .map(decodeURIComponent);
    let namespace: string | undefined;
    let rest = segments;
    if (segments[0] === "namespaces" && segments.length >= 3) {
      namespace = segments[1];
      rest = segments.slice(2);
    }
    const [plural, name, subresource] = rest;
    const type = this.types.find(
      (t) =>
        t.group === group &&
        t.version === version &&
        t.plural === plural &&
        t.namespaced === (namespace !== undefined),
    );
    if (!type || rest.length > 3) {
      return {
        status: 404,
        body: statusObject(404, "NotFound", "the server could not find the requested resource"),
      };
    }
    const { method, query } = request;
    if (query.get("watch") === "true" || query.get("watch") === "1") {
      return {
        status: 400,
        body: statusObject(
          400,
          "BadRequest",
          "watch is not supported by the fake API server: poll instead",
        ),
      };
    }
    if (!name) {
      if (method === "GET") {
        const items = this.listOf(
          type,
          namespace,
          query.get("labelSelector") ?? undefined,
          query.get("fieldSelector") ?? undefined,
        );
        return {
          status: 200,
          body: {
            apiVersion: this.apiVersionOf(type),
            kind: `${type.kind}List`,
            metadata: { resourceVersion: String(this.resourceVersion) },
            items,
          },
        };
      }
      if (method === "POST") {
        let body: KubeObject;
        try {
          body = JSON.parse(request.body) as KubeObject;
        } catch (error) {
          return {
            status: 400,
            body: statusObject(
              400,
              "BadRequest",
              `the body is not JSON: ${(error as Error).message}`,
            ),
          };
        }
        return { status: 201, body: this.createOf(type, namespace, body) };
      }
      return {
        status: 405,
        body: statusObject(
          405,
          "MethodNotAllowed",
          `${method} is not supported on a collection by the fake`,
        ),
      };
    }
    if (subresource === "log" && type.kind === "Pod" && method === "GET") {
      return this.podLog(namespace!, name, query, res);
    }
    if (subresource !== undefined && subresource !== "status") {
      return {
        status: 404,
        body: statusObject(404, "NotFound", "the server could not find the requested resource"),
      };
    }
    if (method === "GET") return { status: 200, body: clone(this.mustGet(type, namespace, name)) };
    if (method === "DELETE") {
      let policy = query.get("propagationPolicy") ?? undefined;
      if (request.body.trim() !== "") {
        const options = JSON.parse(request.body) as { propagationPolicy?: string };
        policy = options.propagationPolicy ?? policy;
      }
      const current = this.mustGet(type, namespace, name);
      const kept = this.deleteOf(type, namespace, name, policy);
      return {
        status: 200,
        body: kept ?? {
          ...statusObject(200, "", ""),
          details: { name, group: type.group, kind: type.plural, uid: current.metadata.uid },
        },
      };
    }
    if (method === "PATCH") {
      const contentType = (request.headers["content-type"] ?? "").split(";")[0].trim();
      let patch: unknown;
      try {
        patch = JSON.parse(request.body);
      } catch (error) {
        return {
          status: 400,
          body: statusObject(
            400,
            "BadRequest",
            `the patch is not JSON: ${(error as Error).message}`,
          ),
        };
      }
      const current = this.mustGet(type, namespace, name);
      let next: KubeObject;
      if (contentType === "application/merge-patch+json") {
        next = mergePatch(current, patch) as KubeObject;
      } else if (contentType === "application/strategic-merge-patch+json" && type.builtIn) {
        next = strategicMergePatch(current, patch) as KubeObject;
      } else {
        return {
          status: 415,
          body: statusObject(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json${type.builtIn ? ", application/strategic-merge-patch+json" : ""} (the fake implements no other patch type; got ${JSON.stringify(contentType)})`,
          ),
        };
      }
      if (subresource === "status") next = { ...clone(current), status: next.status };
      else if (current.status !== undefined) next.status = clone(current.status);
      if (!isObject(next.metadata)) next.metadata = clone(current.metadata);
      return {
        status: 200,
        body: this.replace(type, current, next, true) ?? statusObject(200, "", ""),
      };
    }
    return {
      status: 405,
      body: statusObject(405, "MethodNotAllowed", `${method} is not supported by the fake`),
    };
  }

  private podLog(
    namespace: string,
    name: string,
    query: URLSearchParams,
    res: ServerResponse,
  ): FakeReply | undefined {
    const pod = this.objects.get(this.key(this.typeOf("v1", "Pod"), namespace, name));
    if (!pod) throw this.notFound(this.typeOf("v1", "Pod"), name);
    const inits: string[] = (pod.spec?.initContainers ?? []).map((c: { name: string }) => c.name);
    const mains: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
    let container = query.get("container") ?? undefined;
    if (!container) {
      if (mains.length !== 1) {
        return {
          status: 400,
          body: statusObject(
            400,
            "BadRequest",
            `a container name must be specified for pod ${name}, choose one of: [${mains.join(" ")}] or one of the init containers: [${inits.join(" ")}]`,
          ),
        };
      }
      container = mains[0];
    }
    if (!inits.includes(container) && !mains.includes(container)) {
      return {
        status: 400,
        body: statusObject(
          400,
          "BadRequest",
          `container ${container} is not valid for pod ${name}`,
        ),
      };
    }
    const statuses: { name: string; state?: Record<string, any> }[] = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ];
    const state = statuses.find((s) => s.name === container)?.state;
    if (!state || (!state.running && !state.terminated)) {
      const reason =
        state?.waiting?.reason ??
        (inits.includes(container) ? "PodInitializing" : "ContainerCreating");
      return {
        status: 400,
        body: statusObject(
          400,
          "BadRequest",
          `container "${container}" in pod "${name}" is waiting to start: ${reason}`,
        ),
      };
    }
    const log = this.log(namespace, name, container);
    let text = log.text;
    const tail = Number(query.get("tailLines") ?? NaN);
    if (Number.isInteger(tail) && tail >= 0) {
      const lines = text.split(/(?<=\n)/);
      text = lines.slice(Math.max(0, lines.length - tail)).join("");
    }
    if (query.get("follow") !== "true") return { status: 200, body: text };
    res.writeHead(200, { "Content-Type": "text/plain", "Transfer-Encoding": "chunked" });
    if (text) res.write(text);
    if (log.ended) {
      res.end();
    } else {
      log.followers.add(res);
      res.on("close", () => log.followers.delete(res));
    }
    return undefined;
  }
}

/** What the API server's Job defaulting adds: selector and pod labels, the counters' defaults. */
function defaultJob(job: KubeObject, uid: string): void {
  const name = job.metadata.name;
  job.spec ??= {};
  const labels = {
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": name,
    "controller-uid": uid,
    "job-name": name,
  };
  job.spec.selector ??= { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
  job.spec.template ??= {};
  job.spec.template.metadata ??= {};
  job.spec.template.metadata.labels = { ...(job.spec.template.metadata.labels ?? {}), ...labels };
  job.spec.backoffLimit ??= 6;
  job.spec.completions ??= 1;
  job.spec.parallelism ??= 1;
  job.spec.completionMode ??= "NonIndexed";
  job.spec.suspend ??= false;
  job.status ??= {};
}
