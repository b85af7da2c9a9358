/**
 * The PromQL of an app colour's HTTP traffic, in one place: the release tool's metric gate
 * (`release/gates/metrics.ts`) runs {@link httpQueries} and the Grafana dashboards
 * (`constructs/private/dashboards/`) draw the very same text, so what a person sees is what the
 * gate judges.
 *
 * The series are podinfo's (6.7.1, `pkg/api/http/metrics.go`): the counter
 * `http_requests_total{status}` and the histogram `http_request_duration_seconds{method,path,status}`.
 * A colour's series carry `<seriesLabel>="<app>-<colour>"`: the platform's ServiceMonitor per
 * colour makes Prometheus label them with the colour's Service name (`service="web-blue"`).
 */

/** The series the gate and the dashboards read. */
export const HTTP_REQUESTS_TOTAL = "http_requests_total";
export const HTTP_DURATION_BUCKET = "http_request_duration_seconds_bucket";
/** 5xx responses: the status label holds the numeric code (`"503"`). */
export const HTTP_ERROR_MATCHER = 'status=~"5.."';

/** The label that tells the colours' series apart. @default "service" */
export const DEFAULT_SERIES_LABEL = "service";

/** The three PromQL queries of one colour. */
export interface HttpQueries {
  /** Requests in the range. */
  readonly requests: string;
  /** 5xx responses in the range. */
  readonly errors: string;
  /** 95th percentile latency over the range, in seconds. */
  readonly p95: string;
}

/** Escapes a PromQL label value for a double-quoted string. */
export function quoteLabelValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/**
 * The queries for the series `<seriesLabel>="<series>"` over `range`, a PromQL duration such as
 * `300s` (the gate) or a Grafana variable such as `$__range` (the dashboards). `series` may hold
 * Grafana variables (`web-$canary`); they are substituted before the query runs.
 */
export function httpQueries(seriesLabel: string, series: string, range: string): HttpQueries {
  const sel = `${seriesLabel}=${quoteLabelValue(series)}`;
  const r = `[${range}]`;
  return {
    requests: `sum(increase(${HTTP_REQUESTS_TOTAL}{${sel}}${r}))`,
    errors: `sum(increase(${HTTP_REQUESTS_TOTAL}{${sel},${HTTP_ERROR_MATCHER}}${r}))`,
    p95: `histogram_quantile(0.95, sum by (le) (rate(${HTTP_DURATION_BUCKET}{${sel}}${r})))`,
  };
}

/**
 * Per-colour series of an app for the dashboards: `<seriesLabel>=~"<app>-<colours>"`, where
 * `colours` is a regex such as `$colour` (Grafana formats a multi-value variable as `(blue|green)`).
 * Grouped `by (<seriesLabel>)`, so each colour is its own series.
 */
export interface ColourSeriesQueries {
  /** Requests per second of each colour. */
  readonly requestRate: string;
  /** Share of each colour's requests answered with 5xx (0-1). */
  readonly errorRatio: string;
  /** A latency quantile (0-1) of each colour, in seconds. */
  latency(quantile: number): string;
  /** Each colour's share of all the app's requests (0-1): the traffic split actually served. */
  readonly trafficShare: string;
}

/** The dashboards' per-colour queries over `rate` (e.g. `$__rate_interval`). */
export function colourSeriesQueries(
  seriesLabel: string,
  app: string,
  colours: string,
  rate: string,
): ColourSeriesQueries {
  const sel = `${seriesLabel}=~${quoteLabelValue(`${app}-${colours}`)}`;
  const all = `${seriesLabel}=~${quoteLabelValue(`${app}-(blue|green)`)}`;
  const by = `sum by (${seriesLabel})`;
  const requests = (s: string) => `${by} (rate(${HTTP_REQUESTS_TOTAL}{${s}}[${rate}]))`;
  return {
    requestRate: requests(sel),
    errorRatio: `${by} (rate(${HTTP_REQUESTS_TOTAL}{${sel},${HTTP_ERROR_MATCHER}}[${rate}])) / ${requests(sel)}`,
    latency: (quantile: number) =>
      `histogram_quantile(${quantile}, sum by (${seriesLabel}, le) (rate(${HTTP_DURATION_BUCKET}{${sel}}[${rate}])))`,
    trafficShare: `${requests(all)} / ignoring (${seriesLabel}) group_left sum(rate(${HTTP_REQUESTS_TOTAL}{${all}}[${rate}]))`,
  };
}
