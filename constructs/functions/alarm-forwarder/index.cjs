/* global fetch, URL, AbortSignal */
/**
 * Lambda function (Node.js 22, CommonJS; the runtime loads index.cjs for the handler index.handler) subscribed to the alarm topics: forwards CloudWatch alarm
 * notifications and the RDS storage event messages to the PagerDuty and Slack receivers
 * Alertmanager uses, so CloudWatch alarms join the same incident path. The routing key and the
 * Slack URL are read from Secrets Manager at run time (names only in the configuration and the
 * Terraform state).
 *
 * Environment:
 * - TARGETS: JSON { critical?: Target, warning?: Target }, Target = { type: "pagerduty" | "slack",
 *   secretId, key?, channel? } (secretId: a Secrets Manager name; key: a JSON key of it);
 * - SEVERITIES: JSON { [alarmName]: "critical" | "warning" } (an alarm not listed is critical);
 * - PAGERDUTY_URL: the Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue).
 */
"use strict";

const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** What one SNS message says: an alarm's state change or an RDS event line. */
function parseNotification(message) {
  let parsed;
  try {
    parsed = JSON.parse(message);
  } catch {
    parsed = message;
  }
  if (parsed && typeof parsed === "object" && typeof parsed.AlarmName === "string") {
    return {
      name: parsed.AlarmName,
      state: parsed.NewStateValue,
      summary: `${parsed.AlarmName}: ${parsed.NewStateReason ?? parsed.AlarmDescription ?? ""}`,
      description: parsed.AlarmDescription ?? "",
      dedupKey: parsed.AlarmArn ?? parsed.AlarmName,
      source: parsed.Region ?? "CloudWatch",
    };
  }
  // the storage event rules' input template: "<SEVERITY> <db> <event>: <message> (<action>)"
  const text = String(parsed);
  const severity = /^(CRITICAL|WARNING) /.exec(text)?.[1]?.toLowerCase();
  return {
    name: text.split(":")[0],
    state: "EVENT",
    summary: text,
    description: "",
    severity,
    source: "RDS",
  };
}

/** The secret's value, or one key of its JSON. */
async function secretValue(target, getSecret) {
  const value = await getSecret(target.secretId);
  if (target.key === undefined) return value.trim();
  const field = JSON.parse(value)[target.key];
  if (typeof field !== "string") {
    throw new Error(`secret ${target.secretId} has no string key ${target.key}`);
  }
  return field.trim();
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    // well within the function's 30 s, so a slow service fails the invocation and SNS retries
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) {
    throw new Error(`POST ${new URL(url).host} answered ${response.status}`);
  }
}

/** Sends one notification to one target. */
async function send(target, notification, severity, deps) {
  const secret = await secretValue(target, deps.getSecret);
  const status = notification.state === "OK" ? "RESOLVED" : "FIRING";
  if (target.type === "pagerduty") {
    const action = notification.state === "OK" ? "resolve" : "trigger";
    await deps.post(deps.pagerdutyUrl, {
      routing_key: secret,
      event_action: action,
      ...(notification.dedupKey ? { dedup_key: notification.dedupKey } : {}),
      payload: {
        summary: notification.summary.slice(0, 1024),
        source: notification.source,
        severity,
        custom_details: { description: notification.description },
      },
    });
    return;
  }
  await deps.post(secret, {
    channel: target.channel,
    text: `[${status}] ${notification.summary} (${severity}, CloudWatch)`,
  });
}

/** Forwards every SNS record of `event`; `deps` are replaced in tests. */
async function forward(event, deps) {
  const targets = JSON.parse(deps.env.TARGETS ?? "{}");
  const severities = JSON.parse(deps.env.SEVERITIES ?? "{}");
  const sent = [];
  for (const record of event.Records ?? []) {
    const notification = parseNotification(record.Sns.Message);
    // INSUFFICIENT_DATA is neither a page nor a recovery
    if (
      notification.state !== "ALARM" &&
      notification.state !== "OK" &&
      notification.state !== "EVENT"
    )
      continue;
    const severity = notification.severity ?? severities[notification.name] ?? "critical";
    const target = targets[severity];
    if (!target) continue;
    await send(target, notification, severity, deps);
    sent.push({ name: notification.name, severity, type: target.type });
  }
  return sent;
}

let secretsClient;
const secretCache = new Map();

/** Secrets Manager through the SDK the Lambda runtime ships, values cached for 5 minutes. */
async function getSecret(secretId) {
  const cached = secretCache.get(secretId);
  if (cached && cached.until > Date.now()) return cached.value;
  const sdk = require("@aws-sdk/client-secrets-manager");
  secretsClient ??= new sdk.SecretsManagerClient({});
  const result = await secretsClient.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
  secretCache.set(secretId, { value: result.SecretString, until: Date.now() + 300_000 });
  return result.SecretString;
}

exports.handler = (event) =>
  forward(event, {
    env: process.env,
    getSecret,
    post: postJson,
    pagerdutyUrl: process.env.PAGERDUTY_URL || PAGERDUTY_EVENTS_URL,
  });
exports.forward = forward;
exports.postJson = postJson;
exports.parseNotification = parseNotification;
