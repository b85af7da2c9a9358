/**
 * What the log store's bootstrap Job applies to the OpenSearch domain, as data: the ISM retention
 * policy, the index template of the log indexes, the security plugin's roles and role mappings of
 * the platform's IAM roles, and OpenSearch Dashboards' saved objects. The Job's script
 * (`constructs/jobs/log-store-bootstrap.cjs`) applies each item idempotently. Pure functions.
 */
import type { Tier } from "../types";
import type { Problem } from "./validation";
import { JAEGER_INDEX_PREFIX } from "./log-names";

/** Days a daily log index is kept when `retentionDays` is not given. */
export function defaultLogIndexRetentionDays(tier: Tier): number {
  return tier === "production" ? 30 : 7;
}

/** The bounds of `retentionDays`. */
export const LOG_INDEX_RETENTION_LIMITS = { min: 1, max: 3650 } as const;

/** Every problem with the bootstrap's settings (fields as in the `logs` section). */
export function logStoreBootstrapProblems(settings: {
  readonly retentionDays?: number;
}): Problem[] {
  const problems: Problem[] = [];
  const days = settings.retentionDays;
  if (
    days !== undefined &&
    !(
      Number.isInteger(days) &&
      days >= LOG_INDEX_RETENTION_LIMITS.min &&
      days <= LOG_INDEX_RETENTION_LIMITS.max
    )
  ) {
    problems.push({
      field: "retentionDays",
      received: days,
      expected: `an integer number of days from ${LOG_INDEX_RETENTION_LIMITS.min} to ${LOG_INDEX_RETENTION_LIMITS.max} (how long a daily log index is kept)`,
    });
  }
  return problems;
}

/** One thing the bootstrap applies: read back at `path`, written there when it differs. */
export interface LogStoreBootstrapItem {
  /** How the script reads it back and writes it (constructs/jobs/log-store-bootstrap.cjs, KINDS). */
  readonly kind:
    | "ism-policy"
    | "index-template"
    | "security-role"
    | "role-mapping"
    | "saved-object";
  /** The REST path, from the domain's root. */
  readonly path: string;
  /** The body written (and compared with what the domain holds). */
  readonly body: Record<string, unknown>;
}

/** The plan file of the Job. */
export interface LogStoreBootstrapPlan {
  readonly items: readonly LogStoreBootstrapItem[];
}

/** What the plan is built from. */
export interface LogStoreBootstrapPlanOptions {
  /** The environment's name (index prefix `logs-<env>`). */
  readonly environmentName: string;
  /** Tier: shards and replicas of the log indexes, the default retention. */
  readonly tier: Tier;
  /** Days a daily index is kept. @default defaultLogIndexRetentionDays(tier) */
  readonly retentionDays?: number;
  /** Fluent Bit's IAM role ARN (mapped to `logs_writer`). */
  readonly writerRoleArn: string;
  /** Jaeger's IAM role ARN (mapped to `jaeger`). */
  readonly tracingRoleArn: string;
  /** People's IAM role ARNs (mapped to `logs_reader` and `opensearch_dashboards_user`). */
  readonly readerArns: readonly string[];
}

/**
 * The fields of a podinfo log line, as podinfo 6.7.1 writes them (zap JSON encoder,
 * `cmd/podinfo/main.go` initZap: TimeKey "ts" ISO8601, LevelKey "level" lowercase, MessageKey
 * "msg"; the request log line `pkg/api/http/logging.go`: "request started" at debug level with
 * proto, uri, method, remote and user-agent).
 */
export const PODINFO_LOG = {
  time: "ts",
  level: "level",
  message: "msg",
  requestMessage: "request started",
  requestFields: ["proto", "uri", "method", "remote", "user-agent"],
} as const;

/** Where Fluent Bit puts a container's parsed JSON line (the chart's `filter.mergeLogKey`). */
export const MERGED_LOG_KEY = "data";

/** The security plugin roles the platform owns. */
export const LOG_STORE_SECURITY_ROLES = {
  writer: "logs_writer",
  tracing: "jaeger",
  reader: "logs_reader",
} as const;

const keyword = { type: "keyword" } as const;

/** Dashboards' saved-object version of the visualizations (any 2.x Dashboards reads it). */
const DASHBOARDS_VERSION = "7.10.0";

/** The bootstrap's plan: everything it applies, in order. */
export function logStoreBootstrapPlan(
  options: LogStoreBootstrapPlanOptions,
): LogStoreBootstrapPlan {
  const env = options.environmentName;
  const prefix = `logs-${env}`;
  const pattern = `${prefix}-*`;
  const production = options.tier === "production";
  const days = options.retentionDays ?? defaultLogIndexRetentionDays(options.tier);
  const items: LogStoreBootstrapItem[] = [];

  const retention = (id: string, indexes: string, what: string): LogStoreBootstrapItem => ({
    kind: "ism-policy",
    path: `/_plugins/_ism/policies/${id}`,
    body: {
      policy: {
        description: `Deletes the daily ${what} indexes of ${env} ${days} days after they are created`,
        default_state: "hot",
        states: [
          {
            name: "hot",
            actions: [],
            transitions: [{ state_name: "delete", conditions: { min_index_age: `${days}d` } }],
          },
          { name: "delete", actions: [{ delete: {} }], transitions: [] },
        ],
        ism_template: [{ index_patterns: [indexes], priority: 100 }],
      },
    },
  });
  items.push(retention(`${prefix}-retention`, pattern, "log"));
  // Jaeger's daily jaeger-span-* and jaeger-service-* indexes (its own index cleaner knows only
  // basic auth): kept as long as the logs
  items.push(retention(`${JAEGER_INDEX_PREFIX}-retention`, `${JAEGER_INDEX_PREFIX}-*`, "trace"));

  items.push({
    kind: "index-template",
    path: `/_index_template/${prefix}`,
    body: {
      index_patterns: [pattern],
      priority: 100,
      template: {
        settings: {
          index: {
            number_of_shards: production ? 3 : 1,
            // one data node in development: a replica could never be assigned
            number_of_replicas: production ? 1 : 0,
            search: { slowlog: { threshold: { query: { warn: "5s", info: "2s" } } } },
            indexing: { slowlog: { threshold: { index: { warn: "5s", info: "2s" } } } },
          },
        },
        mappings: {
          // only the mapped fields are indexed: an app's own JSON keys cannot explode the mapping
          dynamic: false,
          properties: {
            "@timestamp": { type: "date" },
            [PODINFO_LOG.time]: { type: "date" },
            [PODINFO_LOG.level]: keyword,
            [PODINFO_LOG.message]: {
              type: "text",
              fields: { keyword: { type: "keyword", ignore_above: 512 } },
            },
            namespace: keyword,
            app: keyword,
            colour: keyword,
            stream: keyword,
            log: { type: "text" },
            kubernetes: {
              properties: {
                namespace_name: keyword,
                pod_name: keyword,
                container_name: keyword,
                host: keyword,
              },
            },
            [MERGED_LOG_KEY]: {
              type: "object",
              dynamic: false,
              properties: Object.fromEntries(PODINFO_LOG.requestFields.map((f) => [f, keyword])),
            },
          },
        },
      },
    },
  });

  const roles = LOG_STORE_SECURITY_ROLES;
  items.push(
    {
      kind: "security-role",
      path: `/_plugins/_security/api/roles/${roles.writer}`,
      body: {
        description: `Fluent Bit: writes the daily log indexes ${pattern}`,
        cluster_permissions: ["cluster_monitor", "indices:data/write/bulk"],
        index_permissions: [
          {
            index_patterns: [pattern],
            allowed_actions: ["create_index", "index", "indices:data/write/bulk*"],
          },
        ],
      },
    },
    {
      kind: "security-role",
      path: `/_plugins/_security/api/roles/${roles.tracing}`,
      body: {
        description: "Jaeger: writes and reads its jaeger-* indexes and templates",
        cluster_permissions: [
          "cluster_monitor",
          "cluster_composite_ops",
          "indices:admin/template/get",
          "indices:admin/template/put",
          "indices:admin/index_template/get",
          "indices:admin/index_template/put",
        ],
        index_permissions: [
          {
            index_patterns: ["jaeger-*"],
            allowed_actions: [
              "crud",
              "create_index",
              "indices:admin/aliases*",
              "indices:admin/mapping/put",
            ],
          },
        ],
      },
    },
    {
      kind: "security-role",
      path: `/_plugins/_security/api/roles/${roles.reader}`,
      body: {
        description: `People: search the logs ${pattern} and the traces jaeger-*`,
        cluster_permissions: ["cluster_composite_ops_ro"],
        index_permissions: [
          {
            index_patterns: [pattern, "jaeger-*"],
            allowed_actions: ["read", "indices:admin/mappings/get", "indices:admin/resolve/index"],
          },
        ],
        tenant_permissions: [
          { tenant_patterns: ["global_tenant"], allowed_actions: ["kibana_all_read"] },
        ],
      },
    },
  );
  const mapping = (role: string, arns: readonly string[]): LogStoreBootstrapItem => ({
    kind: "role-mapping",
    path: `/_plugins/_security/api/rolesmapping/${role}`,
    body: { backend_roles: [...arns] },
  });
  items.push(
    mapping(roles.writer, [options.writerRoleArn]),
    mapping(roles.tracing, [options.tracingRoleArn]),
    mapping(roles.reader, options.readerArns),
    mapping("opensearch_dashboards_user", options.readerArns),
  );

  // Dashboards: the index pattern, the error search, a table of errors by app and colour, the
  // request log, and the error-tracking dashboard that shows the table and the errors.
  const savedObject = (
    type: string,
    id: string,
    attributes: Record<string, unknown>,
    references: unknown[],
  ) => ({
    kind: "saved-object" as const,
    path: `/_dashboards/api/saved_objects/${type}/${id}`,
    body: { attributes, references },
  });
  const indexRef = {
    name: "kibanaSavedObjectMeta.searchSourceJSON.index",
    type: "index-pattern",
    id: prefix,
  };
  const search = (id: string, title: string, query: string, columns: string[]) =>
    savedObject(
      "search",
      id,
      {
        title,
        columns,
        sort: [["@timestamp", "desc"]],
        kibanaSavedObjectMeta: {
          searchSourceJSON: JSON.stringify({
            query: { query, language: "kuery" },
            filter: [],
            indexRefName: indexRef.name,
          }),
        },
      },
      [indexRef],
    );
  const errorsQuery = `${PODINFO_LOG.level}:(error or dpanic or panic or fatal)`;
  items.push(
    savedObject("index-pattern", prefix, { title: pattern, timeFieldName: "@timestamp" }, []),
    search(`${prefix}-errors`, `Errors (${env})`, errorsQuery, [
      "app",
      "colour",
      "namespace",
      PODINFO_LOG.message,
    ]),
    savedObject(
      "visualization",
      `${prefix}-errors-by-app-and-colour`,
      {
        title: `Errors by app and colour (${env})`,
        description:
          "Error log lines per app and colour: a canary colour's errors stand out next to the stable one's",
        visState: JSON.stringify({
          title: `Errors by app and colour (${env})`,
          type: "table",
          params: {
            perPage: 20,
            showPartialRows: false,
            showMetricsAtAllLevels: false,
            showTotal: true,
            totalFunc: "sum",
          },
          aggs: [
            { id: "1", enabled: true, type: "count", schema: "metric", params: {} },
            {
              id: "2",
              enabled: true,
              type: "terms",
              schema: "bucket",
              params: { field: "app", size: 50, order: "desc", orderBy: "1" },
            },
            {
              id: "3",
              enabled: true,
              type: "terms",
              schema: "bucket",
              params: {
                field: "colour",
                size: 5,
                order: "desc",
                orderBy: "1",
                missingBucket: true,
                missingBucketLabel: "none",
              },
            },
          ],
        }),
        uiStateJSON: "{}",
        version: 1,
        savedSearchRefName: "search_0",
        kibanaSavedObjectMeta: {
          searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }),
        },
      },
      [{ name: "search_0", type: "search", id: `${prefix}-errors` }],
    ),
    search(
      `${prefix}-requests`,
      `Request log (${env})`,
      `${PODINFO_LOG.message}:"${PODINFO_LOG.requestMessage}"`,
      [
        "app",
        "colour",
        ...PODINFO_LOG.requestFields
          .filter((f) => f !== "proto")
          .map((f) => `${MERGED_LOG_KEY}.${f}`),
      ],
    ),
    savedObject(
      "dashboard",
      `${prefix}-error-tracking`,
      {
        title: `Error tracking (${env})`,
        description: "Errors by app and colour, and the error log lines themselves",
        panelsJSON: JSON.stringify([
          {
            version: DASHBOARDS_VERSION,
            gridData: { x: 0, y: 0, w: 48, h: 12, i: "1" },
            panelIndex: "1",
            embeddableConfig: {},
            panelRefName: "panel_0",
          },
          {
            version: DASHBOARDS_VERSION,
            gridData: { x: 0, y: 12, w: 48, h: 20, i: "2" },
            panelIndex: "2",
            embeddableConfig: {},
            panelRefName: "panel_1",
          },
        ]),
        optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
        timeRestore: true,
        timeFrom: "now-24h",
        timeTo: "now",
        kibanaSavedObjectMeta: {
          searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }),
        },
      },
      [
        { name: "panel_0", type: "visualization", id: `${prefix}-errors-by-app-and-colour` },
        { name: "panel_1", type: "search", id: `${prefix}-errors` },
      ],
    ),
  );
  return { items };
}
