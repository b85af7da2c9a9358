/**
 * Delivering release notices (issue 10 section 4) without ever failing or blocking a release:
 * `send` queues, deliveries run in the background (in order per channel, channels in parallel)
 * with a bounded number of attempts and exponential backoff on network errors, 429 and 5xx, and
 * `flush` waits for them at the end with a deadline. Every report line goes through redaction of
 * the channels' secrets (webhook URLs and their paths, routing keys).
 */
import type { SNSClient } from "@aws-sdk/client-sns";
import type { EnvironmentConfig } from "../../config/schema";
import type { Notifier, ReleaseNotice } from "../types";
import { DeliveryError, type FetchImpl, type NotificationChannel } from "./channel";
import { formatDuration } from "./format";
import { PagerDutyChannel } from "./pagerduty";
import { resolveSecret, type SecretSources } from "./secrets";
import { SlackChannel } from "./slack";
import { SnsChannel, topicRegion } from "./sns";

/** Tuning and test seams of {@link createNotifier}. */
export interface NotifierOptions {
  /** Where retries and failures are reported (never with a secret). @default a line on stderr */
  readonly report?: (line: string) => void;
  /** Attempts per notice and channel, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** Wait before the second attempt; doubled for each further one. @default 1 s */
  readonly baseDelayMs?: number;
  /** Longest wait between attempts (also caps a server's `Retry-After`). @default 30 s */
  readonly maxDelayMs?: number;
  /** Waits between attempts. @default a timer that does not keep the process alive */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Replaces every occurrence of a secret (longest first) with `[redacted]`. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const sorted = [...new Set(secrets.filter((s) => s.length >= 3))].sort(
    (a, b) => b.length - a.length,
  );
  return (text) => sorted.reduce((t, secret) => t.split(secret).join("[redacted]"), text);
}

/** A timer that lets the process exit: a pending retry never holds a finished release up. */
function unrefSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

/** The channels' names, for status lines. */
export interface ChannelNotifier extends Notifier {
  /** The configured channels, e.g. `["sns", "slack", "pagerduty"]`. */
  readonly channels: readonly string[];
}

/**
 * A {@link Notifier} over `channels`. `send` never throws and returns at once; `flush(timeoutMs)`
 * resolves by the deadline with the failures since the previous flush
 * (`slack: 3 attempts, last: 500`) and the deliveries still under way.
 */
export function createNotifier(
  channels: readonly NotificationChannel[],
  options: NotifierOptions = {},
): ChannelNotifier {
  const report = options.report ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? unrefSleep;
  const redact = redactor(channels.flatMap((c) => c.secrets));
  const say = (line: string) => {
    try {
      report(redact(line));
    } catch {
      // a broken reporter must not break a release either
    }
  };

  /** Per channel: the tail of its queue, how many notices are queued, the current attempt. */
  const tails = new Map<NotificationChannel, Promise<void>>();
  const queued = new Map<NotificationChannel, number>();
  const attempts = new Map<NotificationChannel, number>();
  const pending = new Set<Promise<void>>();
  let failed: string[] = [];

  async function deliver(channel: NotificationChannel, notice: ReleaseNotice): Promise<void> {
    const what = `${notice.kind} ${notice.environment}/${notice.app}`;
    for (let attempt = 1; ; attempt++) {
      attempts.set(channel, attempt);
      try {
        await channel.deliver(notice);
        if (attempt > 1) say(`notify ${channel.name}: ${what} delivered on attempt ${attempt}`);
        return;
      } catch (error) {
        const failure =
          error instanceof DeliveryError
            ? error
            : new DeliveryError(error instanceof Error ? error.message : String(error), true);
        const detail = redact(failure.message);
        if (!failure.retryable || attempt >= maxAttempts) {
          const line = `${channel.name}: ${attempt} attempt${attempt === 1 ? "" : "s"}, last: ${detail}`;
          failed.push(line);
          say(
            `notify: gave up on ${what} to ${line}${failure.retryable ? "" : " (not retryable)"}`,
          );
          return;
        }
        const backoff = baseDelayMs * 2 ** (attempt - 1);
        const delay = Math.min(maxDelayMs, Math.max(backoff, failure.retryAfterMs ?? 0));
        say(
          `notify ${channel.name}: attempt ${attempt}/${maxAttempts} for ${what} failed (${detail}); retrying in ${formatDuration(delay)}`,
        );
        await sleep(delay);
      }
    }
  }

  function enqueue(channel: NotificationChannel, notice: ReleaseNotice): void {
    queued.set(channel, (queued.get(channel) ?? 0) + 1);
    const run = (tails.get(channel) ?? Promise.resolve())
      .then(() => deliver(channel, notice))
      .catch((error: unknown) => {
        failed.push(`${channel.name}: ${redact(String(error))}`);
      })
      .finally(() => {
        queued.set(channel, (queued.get(channel) ?? 1) - 1);
        pending.delete(run);
      });
    tails.set(channel, run);
    pending.add(run);
  }

  return {
    channels: channels.map((c) => c.name),
    send(notice) {
      for (const channel of channels) {
        try {
          if (channel.accepts(notice)) enqueue(channel, notice);
        } catch (error) {
          say(`notify ${channel.name}: ${notice.kind} not queued: ${String(error)}`);
        }
      }
    },
    async flush(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
      });
      await Promise.race([Promise.all([...pending]), deadline]);
      clearTimeout(timer);
      const out = failed;
      failed = [];
      for (const channel of channels) {
        const n = queued.get(channel) ?? 0;
        if (n > 0) {
          const line = `${channel.name}: ${n} notice${n === 1 ? "" : "s"} still being delivered after ${formatDuration(timeoutMs)} (attempt ${attempts.get(channel) ?? 1})`;
          out.push(line);
          say(`notify: ${line}`);
        }
      }
      return { failed: out.map(redact) };
    },
  };
}

/** The `notifications` section of an environment file. */
export type NotificationsConfig = NonNullable<EnvironmentConfig["notifications"]>;

/** What {@link notifierFromConfig} needs besides the section. */
export interface NotifierDependencies {
  /** The `alarm_topic_arn` output of the infrastructure stack (for `sns: true`). */
  readonly alarmTopicArn?: string;
  /** An SNS client for a region (the topic ARN's), with the environment's credentials. */
  readonly snsClient: (region: string) => SNSClient;
  /** The webhooks' fetch. @default the global fetch */
  readonly fetchImpl?: FetchImpl;
  /** Where the secrets are read from. @default process.env and the working directory */
  readonly secrets?: SecretSources;
  /** Overrides the Events API endpoint (tests). */
  readonly pagerDutyEventsUrl?: string;
  /** Per-request timeout of the webhooks. @default 10 s */
  readonly requestTimeoutMs?: number;
}

/**
 * The channels of a `notifications` section: `sns: true` → the alarm topic passed in (skipped,
 * with a report line, when it is not known), `{ topicArn }` → that topic, `false` → none; each
 * Slack webhook (`slack`, then `slack#2`...); PagerDuty when a routing key is set. Secrets are
 * resolved here: a missing variable or unreadable file throws, naming it (a configuration error
 * to refuse a release on before anything changes).
 */
export function notificationChannels(
  config: NotificationsConfig | undefined,
  deps: NotifierDependencies,
  report: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): NotificationChannel[] {
  if (!config) return [];
  const channels: NotificationChannel[] = [];
  const link = config.link;
  const sns = config.sns ?? true;
  const topicArn = sns === true ? deps.alarmTopicArn : sns === false ? undefined : sns.topicArn;
  if (topicArn) {
    channels.push(new SnsChannel(deps.snsClient(topicRegion(topicArn)), topicArn, link));
  } else if (sns === true) {
    report(
      "notify: sns skipped: the alarm topic ARN (infrastructure output alarm_topic_arn) is not known",
    );
  }
  const slack = config.slack ?? [];
  slack.forEach((hook, i) => {
    const url = resolveSecret(
      hook.webhookUrl,
      `notifications.slack[${i}].webhookUrl`,
      deps.secrets,
    );
    channels.push(
      new SlackChannel(slack.length === 1 ? "slack" : `slack#${i + 1}`, url, {
        link,
        fetchImpl: deps.fetchImpl,
        requestTimeoutMs: deps.requestTimeoutMs,
      }),
    );
  });
  if (config.pagerduty) {
    const key = resolveSecret(
      config.pagerduty.routingKey,
      "notifications.pagerduty.routingKey",
      deps.secrets,
    );
    channels.push(
      new PagerDutyChannel(key, {
        link,
        fetchImpl: deps.fetchImpl,
        eventsUrl: deps.pagerDutyEventsUrl,
        requestTimeoutMs: deps.requestTimeoutMs,
      }),
    );
  }
  return channels;
}

/**
 * The notifier of an environment: {@link notificationChannels} of its `notifications` section
 * (none when the section is absent) under {@link createNotifier}.
 */
export function notifierFromConfig(
  config: NotificationsConfig | undefined,
  deps: NotifierDependencies & NotifierOptions,
): ChannelNotifier {
  const report = deps.report ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return createNotifier(notificationChannels(config, deps, report), { ...deps, report });
}
