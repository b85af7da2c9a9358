/**
 * The SNS channel: `Publish` to the environment's alarm topic (the infrastructure stack's
 * `alarm_topic_arn` output) or a topic the environment file names. Subject: the notice's title,
 * made to fit SNS's rules; Message: the title, summary and every fact as plain text.
 */
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { awsErrorCode, awsErrorText } from "../aws/aws-errors";
import { s3ErrorCode } from "../aws/s3-util";
import type { ReleaseNotice } from "../types";
import { DeliveryError, type NotificationChannel } from "./channel";
import { formatNotice } from "./format";

/** SNS limit on an e-mail subject. */
const MAX_SUBJECT = 100;

/**
 * A subject SNS accepts: printable ASCII only (no line breaks or control characters; anything
 * else becomes `?`), starting with a letter, digit or punctuation, at most 100 characters (a
 * longer one ends with `...`).
 */
export function snsSubject(title: string): string {
  const ascii = title
    .replace(/\s+/g, " ")
    .replace(/[^\x20-\x7e]/g, "?")
    .trim();
  const subject = ascii.length > MAX_SUBJECT ? `${ascii.slice(0, MAX_SUBJECT - 3)}...` : ascii;
  return subject || "Release notice";
}

/** The region of a topic ARN (`arn:aws:sns:eu-west-1:123456789012:alarms` → `eu-west-1`). */
export function topicRegion(topicArn: string): string {
  const parts = topicArn.split(":");
  if (parts.length < 6 || parts[0] !== "arn" || parts[2] !== "sns" || !parts[3]) {
    throw new Error(`notifications.sns: ${JSON.stringify(topicArn)} is not an SNS topic ARN`);
  }
  return parts[3];
}

/** Whether another Publish may succeed: throttling, a server fault, or no response at all. */
function retryable(error: unknown): boolean {
  const { status } = s3ErrorCode(error);
  const code = awsErrorCode(error) ?? "";
  if (/throttl/i.test(code) || status === 429) return true;
  if (status === undefined) return true;
  return status >= 500;
}

/** Publishes every notice to one SNS topic. */
export class SnsChannel implements NotificationChannel {
  readonly name = "sns";
  readonly secrets: readonly string[] = [];

  /**
   * @param sns a client in the topic's region
   * @param topicArn the topic
   * @param link `notifications.link`, added to messages
   */
  constructor(
    private readonly sns: SNSClient,
    readonly topicArn: string,
    private readonly link?: string,
  ) {}

  /** SNS gets every notice. */
  accepts(): boolean {
    return true;
  }

  /** One `Publish`. */
  async deliver(notice: ReleaseNotice): Promise<void> {
    const text = formatNotice(notice, this.link);
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(text.title),
          Message: text.text,
          MessageAttributes: {
            environment: { DataType: "String", StringValue: notice.environment },
            app: { DataType: "String", StringValue: notice.app },
            kind: { DataType: "String", StringValue: notice.kind },
            severity: { DataType: "String", StringValue: notice.severity },
          },
        }),
      );
    } catch (error) {
      throw new DeliveryError(awsErrorText(error), retryable(error));
    }
  }
}
