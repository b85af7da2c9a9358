/**
 * The PagerDuty channel, Events API v2 (PagerDuty developer docs, "Send an Alert Event",
 * `PagerDuty/developer-docs` `docs/events-API-v2/02-Trigger-Events.md`): a POST to
 * `https://events.pagerduty.com/v2/enqueue` with `routing_key`, `event_action`
 * (`trigger` | `acknowledge` | `resolve`), `dedup_key` (at most 255 characters, correlates a
 * resolve with its trigger) and, for a trigger, `payload` with the required `summary` (at most
 * 1024 characters), `source` and `severity` (`critical` | `error` | `warning` | `info`), and the
 * optional `component`, `group`, `class`, `custom_details`, plus top-level `links`. A `202` means
 * accepted; `400` is not retried, `429`, `5xx` and network errors are
 * (`01-Overview.md`, "Response Codes & Retry Logic").
 *
 * Only pages go here: `rolled-back` (severity `error`) and `rollback-failed` (`critical`)
 * trigger; `finished` of the same release resolves (PagerDuty drops a resolve with no open
 * alert for the key, so a release that never paged costs one ignored event).
 */
import type { ReleaseNotice } from "../types";
import { postJson, type FetchImpl, type NotificationChannel } from "./channel";
import { formatNotice, trafficText } from "./format";

/** The Events API v2 endpoint. */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** The notice kinds PagerDuty hears about. */
const PAGED = new Set<ReleaseNotice["kind"]>(["rolled-back", "rollback-failed", "finished"]);

/** `release-<env>-<app>-<releaseId>`, cut to PagerDuty's 255 characters. */
export function pagerDutyDedupKey(notice: ReleaseNotice): string {
  return `release-${notice.environment}-${notice.app}-${notice.releaseId}`.slice(0, 255);
}

/** The Events API v2 body for a notice PagerDuty takes (see the module comment). */
export function pagerDutyEvent(
  notice: ReleaseNotice,
  routingKey: string,
  link?: string,
): Record<string, unknown> {
  const dedup_key = pagerDutyDedupKey(notice);
  if (notice.kind === "finished") {
    return { routing_key: routingKey, event_action: "resolve", dedup_key };
  }
  const f = formatNotice(notice, link);
  const summary = `${f.title}: ${f.summary}`;
  const event: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key,
    payload: {
      summary: summary.length > 1024 ? `${summary.slice(0, 1021)}...` : summary,
      source: `platform-release:${notice.environment}/${notice.app}`,
      severity: notice.kind === "rollback-failed" ? "critical" : "error",
      component: notice.app,
      group: notice.environment,
      class: notice.kind,
      custom_details: {
        environment: notice.environment,
        app: notice.app,
        version: notice.version,
        release: notice.releaseId,
        ...(notice.state
          ? {
              traffic: trafficText(notice.state),
              stable: notice.state.stable,
              canaryWeight: notice.state.canaryWeight,
              versions: { blue: notice.state.blue.version, green: notice.state.green.version },
            }
          : {}),
        gate: notice.gate,
        durationMs: notice.durationMs,
        link,
      },
    },
  };
  if (link) event.links = [{ href: link, text: "Pipeline and logs" }];
  return event;
}

/** Pages (and resolves) through one Events API v2 integration. */
export class PagerDutyChannel implements NotificationChannel {
  readonly name = "pagerduty";
  readonly secrets: readonly string[];

  /**
   * @param routingKey the integration key (a secret)
   * @param options `eventsUrl` overrides the endpoint (tests)
   */
  constructor(
    private readonly routingKey: string,
    private readonly options: {
      readonly link?: string;
      readonly fetchImpl?: FetchImpl;
      readonly eventsUrl?: string;
      readonly requestTimeoutMs?: number;
    } = {},
  ) {
    this.secrets = [routingKey];
  }

  /** `rolled-back`, `rollback-failed` and `finished` only. */
  accepts(notice: ReleaseNotice): boolean {
    return PAGED.has(notice.kind);
  }

  /** One POST of {@link pagerDutyEvent}. */
  async deliver(notice: ReleaseNotice): Promise<void> {
    await postJson(
      this.options.fetchImpl ?? fetch,
      this.options.eventsUrl ?? PAGERDUTY_EVENTS_URL,
      pagerDutyEvent(notice, this.routingKey, this.options.link),
      this.options.requestTimeoutMs ?? 10_000,
    );
  }
}
