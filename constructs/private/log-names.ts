/** Where the logging pieces run in the cluster: shared by the IRSA roles and the workloads. */

/** The namespace of Fluent Bit and the log store's bootstrap Job. */
export const LOGGING_NAMESPACE = "logging";

/** Fluent Bit's service account (its IRSA role bulk-indexes the log indexes). */
export const FLUENT_BIT_SERVICE_ACCOUNT = {
  namespace: LOGGING_NAMESPACE,
  name: "fluent-bit",
} as const;

/** The bootstrap Job's service account (its IRSA role is the domain's master user). */
export const LOG_STORE_BOOTSTRAP_SERVICE_ACCOUNT = {
  namespace: LOGGING_NAMESPACE,
  name: "log-store-bootstrap",
} as const;

/** Jaeger's service account (the traces add-on runs Jaeger as it). */
export const JAEGER_SERVICE_ACCOUNT = { namespace: "monitoring", name: "jaeger" } as const;

/** The prefix of Jaeger's indexes (its default `jaeger-span-*`, `jaeger-service-*`, ...). */
export const JAEGER_INDEX_PREFIX = "jaeger";
