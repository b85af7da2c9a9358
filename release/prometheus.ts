/**
 * Instant PromQL queries (`GET /api/v1/query`) against the environment's Prometheus: directly at a
 * URL (`--prometheus-url`), or through the Kubernetes API service proxy to the in-cluster
 * Prometheus Service with the deploy credentials (no port-forward, no extra network path).
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { KubernetesAccess, PrometheusQuery, PromSample } from "./types";

/**
 * Where kube-prometheus-stack 75.15.1 (`MONITORING_CHART_VERSION`, release name
 * `kube-prometheus-stack` in namespace `monitoring`, see `constructs/monitoring.ts`) serves
 * Prometheus inside the cluster. From the chart at tag `kube-prometheus-stack-75.15.1`:
 * - `charts/kube-prometheus-stack/templates/prometheus/service.yaml`: the Service is named
 *   `{{ kube-prometheus-stack.fullname }}-prometheus`, port `.Values.prometheus.service.port`
 *   (port name `prometheusSpec.portName`, `http-web`);
 * - `charts/kube-prometheus-stack/templates/_helpers.tpl` `kube-prometheus-stack.fullname`: a
 *   release name that contains the chart name is the full name (truncated to 26 characters), so
 *   `kube-prometheus-stack`;
 * - `charts/kube-prometheus-stack/values.yaml` `prometheus.service.port: 9090`.
 */
export const IN_CLUSTER_PROMETHEUS = {
  namespace: "monitoring",
  service: "kube-prometheus-stack-prometheus",
  port: 9090,
} as const;

/** A query that Prometheus refused or that could not be made (the message says which). */
export class PrometheusQueryError extends Error {
  constructor(
    message: string,
    /** HTTP status, 0 when no answer came. */
    readonly status: number,
  ) {
    super(message);
    this.name = "PrometheusQueryError";
  }
}

const TIMEOUT_MS = 15_000;

/** Options of a Prometheus client. */
export interface PrometheusClientOptions {
  /** Per-request timeout. @default 15000 */
  readonly timeoutMs?: number;
}

/** Prometheus reached over plain HTTP(S) at `url` (a path prefix such as `/prometheus` is kept). */
export function prometheusAt(url: string, options: PrometheusClientOptions = {}): PrometheusQuery {
  let base: URL;
  try {
    base = new URL(url.replace(/\/+$/, "") + "/");
  } catch {
    throw new Error(`--prometheus-url ${JSON.stringify(url)}: not a URL (expected http(s)://...)`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:")
    throw new Error(`--prometheus-url ${JSON.stringify(url)}: expected an http:// or https:// URL`);
  const location = url.replace(/\/+$/, "");
  return {
    location,
    query: (promql, timeSeconds) =>
      instantQuery(location, new URL("api/v1/query", base), promql, timeSeconds, {
        timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
      }),
  };
}

/**
 * Prometheus reached through the Kubernetes API service proxy
 * (`/api/v1/namespaces/<ns>/services/<name>:<port>/proxy/api/v1/query`), with the bearer token
 * and CA of `access` (a fresh token per query).
 */
export function prometheusThroughKubernetes(
  access: KubernetesAccess,
  namespace: string = IN_CLUSTER_PROMETHEUS.namespace,
  service: string = IN_CLUSTER_PROMETHEUS.service,
  port: number | string = IN_CLUSTER_PROMETHEUS.port,
  options: PrometheusClientOptions = {},
): PrometheusQuery {
  const proxy =
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/` +
    `${encodeURIComponent(service)}:${encodeURIComponent(String(port))}/proxy/`;
  const base = new URL(proxy, `${access.server.replace(/\/+$/, "")}/`);
  const location = `${access.server.replace(/\/+$/, "")}${proxy.replace(/\/$/, "")}`;
  return {
    location,
    query: async (promql, timeSeconds) => {
      let token: string;
      try {
        token = await access.token();
      } catch (error) {
        throw new PrometheusQueryError(
          `${location}: no Kubernetes API token: ${(error as Error).message}`,
          0,
        );
      }
      return instantQuery(location, new URL("api/v1/query", base), promql, timeSeconds, {
        timeoutMs: options.timeoutMs ?? TIMEOUT_MS,
        token,
        caPem: access.caPem,
      });
    },
  };
}

/** The parsed body of a Prometheus API answer. */
interface ApiAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
  /** A Kubernetes `Status` (the API server or its proxy answering instead of Prometheus). */
  message?: string;
}

async function instantQuery(
  location: string,
  url: URL,
  promql: string,
  timeSeconds: number | undefined,
  options: { timeoutMs: number; token?: string; caPem?: string },
): Promise<PromSample[]> {
  url.searchParams.set("query", promql);
  if (timeSeconds !== undefined) url.searchParams.set("time", timeSeconds.toFixed(3));
  const { status, text } = await get(url, options);
  return parseQueryAnswer(location, promql, status, text);
}

/**
 * The instant vector of a `/api/v1/query` answer. Throws a {@link PrometheusQueryError} on an API
 * error (`status: "error"`, with Prometheus's `errorType` and `error`), on a non-2xx answer that
 * is not Prometheus's (e.g. the API server's 403 `Status`), and on a result that is not a vector
 * (a scalar, a matrix or a string). Values are parsed as Prometheus writes them: `NaN`, `+Inf`
 * and `-Inf` become `NaN`, `Infinity` and `-Infinity` (the caller decides what NaN means).
 */
export function parseQueryAnswer(
  location: string,
  promql: string,
  httpStatus: number,
  text: string,
): PromSample[] {
  let answer: ApiAnswer | undefined;
  try {
    answer = JSON.parse(text) as ApiAnswer;
  } catch {
    answer = undefined;
  }
  const where = `${location}: query ${promql}`;
  if (answer?.status === "error") {
    throw new PrometheusQueryError(
      `${where}: ${httpStatus} ${answer.errorType ?? "error"}: ${answer.error ?? "no message"}`,
      httpStatus,
    );
  }
  if (httpStatus < 200 || httpStatus >= 300 || answer === undefined) {
    const message = answer?.message ?? (text.trim().slice(0, 300) || "no body");
    throw new PrometheusQueryError(`${where}: ${httpStatus} ${message}`, httpStatus);
  }
  if (answer.status !== "success" || !answer.data) {
    throw new PrometheusQueryError(
      `${where}: not a Prometheus API answer (status ${JSON.stringify(answer.status)})`,
      httpStatus,
    );
  }
  if (answer.data.resultType !== "vector" || !Array.isArray(answer.data.result)) {
    throw new PrometheusQueryError(
      `${where}: expected an instant vector, got ${answer.data.resultType ?? "no result type"}`,
      httpStatus,
    );
  }
  return answer.data.result.map((entry: unknown) => {
    const sample = entry as { metric?: Record<string, string>; value?: [number, string] };
    if (!Array.isArray(sample.value) || typeof sample.value[1] !== "string") {
      throw new PrometheusQueryError(
        `${where}: malformed sample ${JSON.stringify(entry)}`,
        httpStatus,
      );
    }
    return { labels: sample.metric ?? {}, value: parseValue(sample.value[1]) };
  });
}

/** A sample value as Prometheus's JSON writes it. */
function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  return Number(text);
}

function get(
  url: URL,
  options: { timeoutMs: number; token?: string; caPem?: string },
): Promise<{ status: number; text: string }> {
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: "GET",
        ca: options.caPem,
        timeout: options.timeoutMs,
        headers: {
          Accept: "application/json",
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", (error) => reject(new PrometheusQueryError(error.message, 0)));
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)}s`)),
    );
    req.on("error", (error) =>
      reject(new PrometheusQueryError(`GET ${url.origin}${url.pathname}: ${error.message}`, 0)),
    );
    req.end();
  });
}
