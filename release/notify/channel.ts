/**
 * What a notification channel is to the notifier: a name for messages, the secrets to keep out
 * of them, which notices it takes, and one delivery attempt that throws a {@link DeliveryError}
 * saying whether another attempt may help. Also the JSON POST the webhook channels share.
 */
import type { ReleaseNotice } from "../types";

/** One place notices go (an SNS topic, a Slack webhook, PagerDuty). */
export interface NotificationChannel {
  /** `sns`, `slack`, `slack#2`, `pagerduty`: how reports and failures name it. */
  readonly name: string;
  /** Values that must never appear in a report line (webhook URLs and paths, routing keys). */
  readonly secrets: readonly string[];
  /** Whether this channel takes the notice at all (PagerDuty: only pages and their resolve). */
  accepts(notice: ReleaseNotice): boolean;
  /** One delivery attempt; throws a {@link DeliveryError} (any other error counts as retryable). */
  deliver(notice: ReleaseNotice): Promise<void>;
}

/** A failed delivery attempt. */
export class DeliveryError extends Error {
  /**
   * @param message short: `500`, `400 invalid_payload`, `network error (ECONNREFUSED)`
   * @param retryable network errors, timeouts, 429 and 5xx: yes; other 4xx: no
   * @param retryAfterMs the server's `Retry-After`, when it sent one
   */
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "DeliveryError";
  }
}

/** Whether an HTTP status is worth another attempt (429 and 5xx; other statuses are final). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The `fetch` the webhook channels use (Node's global one unless a test passes another). */
export type FetchImpl = typeof fetch;

/** `Retry-After` as milliseconds (seconds or an HTTP date), if present and sensible. */
function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The code of a network failure (`ECONNREFUSED`, `UND_ERR_SOCKET`...), from fetch's cause chain. */
function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * POSTs `body` as JSON to `url`; resolves on a 2xx, throws a {@link DeliveryError} otherwise:
 * the status (with the start of the response body for a 4xx other than 429), a timeout, or a
 * network error with its code. The URL never appears in the error.
 */
export async function postJson(
  fetchImpl: FetchImpl,
  url: string,
  body: unknown,
  timeoutMs: number,
): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    if (name === "TimeoutError" || name === "AbortError") {
      throw new DeliveryError(`timed out after ${timeoutMs}ms`, true);
    }
    const code = networkCode(error);
    throw new DeliveryError(`network error${code ? ` (${code})` : ""}`, true);
  }
  const text = await response.text().catch(() => "");
  if (response.ok) return;
  const status = response.status;
  if (isRetryableStatus(status)) {
    throw new DeliveryError(`${status}`, true, retryAfterMs(response.headers.get("retry-after")));
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 120);
  throw new DeliveryError(snippet ? `${status} ${snippet}` : `${status}`, false);
}
