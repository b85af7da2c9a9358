/**
 * `@kubernetes/client-node` (1.4.0) set up from a {@link KubernetesAccess}: a `KubeConfig` built
 * in memory (`loadFromOptions`: no kubeconfig file, no `kubectl`), with a token fetched fresh for
 * each batch of requests (EKS tokens live 15 minutes), and every call turned into one
 * {@link KubernetesApiError} naming the request and the server's `Status` message.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Log,
  Observable,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from "@kubernetes/client-node";
import { KubernetesApiError } from "../kubernetes";
import type { KubernetesAccess } from "../types";

/** How long one API request may take before it is abandoned. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** The API clients of one batch of requests (one token). */
export interface KubeClients {
  readonly config: KubeConfig;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly log: Log;
}

/**
 * A `KubeConfig` for the access and a token. client-node refuses `http://` servers unless TLS
 * verification is "skipped": a plain-HTTP server (a loopback test server, a local proxy) has no
 * TLS to verify, so that flag is set for `http:` only; `https:` servers are always verified,
 * against `caPem` when given.
 */
export function kubeConfigFor(access: KubernetesAccess, token: string): KubeConfig {
  const server = access.server.replace(/\/+$/, "");
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      {
        name: "platform",
        server,
        caData: access.caPem ? Buffer.from(access.caPem, "utf8").toString("base64") : undefined,
        skipTLSVerify: server.startsWith("http:"),
      },
    ],
    users: [{ name: "deployer", token }],
    contexts: [{ name: "platform", cluster: "platform", user: "deployer" }],
    currentContext: "platform",
  });
  return config;
}

/** Fetches a fresh token and makes the API clients for one batch of requests. */
export async function connect(access: KubernetesAccess): Promise<KubeClients> {
  let token: string;
  try {
    token = await access.token();
  } catch (error) {
    throw new KubernetesApiError(
      `Cannot get a token for the Kubernetes API at ${access.server}: ${(error as Error).message}`,
      0,
    );
  }
  const config = kubeConfigFor(access, token);
  return {
    config,
    batch: config.makeApiClient(BatchV1Api),
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    log: new Log(config),
  };
}

/**
 * Per-call options: a deadline on the request and, for patches, the content type (client-node
 * picks `application/json-patch+json` for every patch otherwise). The object-parameter API runs
 * call-time middleware as observable middleware (client-node's `Observable` stub).
 */
export function callOptions(timeoutMs: number, contentType?: string): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      if (contentType) context.setHeaderParam("Content-Type", contentType);
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

/** The server's `Status` message of a failed call, or what went wrong on the way. */
export function describeFailure(
  error: unknown,
  timeoutMs: number,
): { status: number; message: string } {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown;
    body?: unknown;
    message?: unknown;
    name?: unknown;
  };
  const text = typeof e.message === "string" ? e.message : String(error);
  if (typeof e.code === "number") {
    // client-node's ApiException: `code` is the HTTP status, `body` the answer (text or JSON)
    let body = e.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // not JSON: keep the text
      }
    }
    const fromStatus =
      typeof body === "object" &&
      body !== null &&
      typeof (body as { message?: unknown }).message === "string"
        ? (body as { message: string }).message
        : undefined;
    const fromText = typeof body === "string" && body.trim() !== "" ? body.trim() : undefined;
    const fromException = text.match(/^Message: (.*)$/m)?.[1];
    return { status: e.code, message: fromStatus ?? fromText ?? fromException ?? text };
  }
  if (e.name === "AbortError" || e.name === "TimeoutError") {
    return { status: 0, message: `no answer within ${timeoutMs / 1000}s` };
  }
  return { status: 0, message: text };
}

/**
 * Runs one API call; a failure becomes a {@link KubernetesApiError}
 * `"<METHOD> <path>: <status> <server message>"` (status 0 and the network error when no
 * answer came: connection refused, bad TLS, timeout).
 */
export async function kubeCall<T>(
  method: string,
  path: string,
  call: (options: ConfigurationOptions) => Promise<T>,
  options: { readonly timeoutMs?: number; readonly contentType?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  try {
    return await call(callOptions(timeoutMs, options.contentType));
  } catch (error) {
    const { status, message } = describeFailure(error, timeoutMs);
    throw new KubernetesApiError(
      status > 0 ? `${method} ${path}: ${status} ${message}` : `${method} ${path}: ${message}`,
      status,
    );
  }
}

/** Whether an error is a {@link KubernetesApiError} with this HTTP status. */
export function isApiStatus(error: unknown, status: number): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { name?: unknown }).name === "KubernetesApiError" &&
    (error as { status?: unknown }).status === status
  );
}

/** Path of a namespaced object (for messages). */
export function objectPath(
  apiPrefix: string,
  namespace: string,
  plural: string,
  name?: string,
  subresource?: string,
): string {
  const parts = [apiPrefix, "namespaces", encodeURIComponent(namespace), plural];
  if (name) parts.push(encodeURIComponent(name));
  if (subresource) parts.push(subresource);
  return parts.join("/");
}

/** `300 ms`, `15s`: a duration for messages. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 1000)}s`;
}
