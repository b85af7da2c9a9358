/**
 * The Slack channel: a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat...)
 * gets `{ text, blocks }` by POST: `text` is the one-line fallback (notifications, clients
 * without blocks), `blocks` the title, summary and facts.
 */
import type { ReleaseNotice } from "../types";
import { postJson, type FetchImpl, type NotificationChannel } from "./channel";
import { formatNotice } from "./format";

/** Slack mrkdwn needs `&`, `<` and `>` escaped. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The JSON body for a notice. */
export function slackPayload(
  notice: ReleaseNotice,
  link?: string,
): { text: string; blocks: unknown[] } {
  const f = formatNotice(notice, link);
  const fact = (label: string) => f.facts.find((x) => x.label === label)?.value;
  const traffic = fact("Traffic");
  const duration = fact("Duration");
  const text = [
    `${f.title}: ${f.summary}`,
    traffic ? ` (${traffic}${duration ? `; ${duration}` : ""})` : "",
    link ? ` ${link}` : "",
  ].join("");
  const blocks: unknown[] = [
    {
      type: "section",
      text: { type: "mrkdwn", text: `*${slackEscape(f.title)}*\n${slackEscape(f.summary)}` },
    },
    {
      type: "section",
      fields: f.facts
        .filter((x) => x.label !== "Link")
        .map((x) => ({ type: "mrkdwn", text: `*${x.label}*\n${slackEscape(x.value)}` })),
    },
  ];
  if (link) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `<${link}|Pipeline and logs>` }],
    });
  }
  return { text, blocks };
}

/** POSTs every notice to one incoming webhook. */
export class SlackChannel implements NotificationChannel {
  readonly secrets: readonly string[];

  /**
   * @param name `slack`, or `slack#2` when there are several
   * @param webhookUrl the webhook URL (a secret: its path is the credential)
   */
  constructor(
    readonly name: string,
    private readonly webhookUrl: string,
    private readonly options: {
      readonly link?: string;
      readonly fetchImpl?: FetchImpl;
      readonly requestTimeoutMs?: number;
    } = {},
  ) {
    this.secrets = urlSecrets(webhookUrl);
  }

  /** Chat gets every notice. */
  accepts(): boolean {
    return true;
  }

  /** One POST of {@link slackPayload}. */
  async deliver(notice: ReleaseNotice): Promise<void> {
    await postJson(
      this.options.fetchImpl ?? fetch,
      this.webhookUrl,
      slackPayload(notice, this.options.link),
      this.options.requestTimeoutMs ?? 10_000,
    );
  }
}

/** A URL secret in every form it could show up in: whole, encoded, and its path and query. */
export function urlSecrets(url: string): string[] {
  const out = [url, encodeURIComponent(url)];
  try {
    const parsed = new URL(url);
    if (parsed.pathname.length > 1) out.push(parsed.pathname);
    if (parsed.search) out.push(parsed.search);
  } catch {
    // not a URL: the whole value is the secret
  }
  return out;
}
