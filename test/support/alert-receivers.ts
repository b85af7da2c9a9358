/**
 * The alert receivers of the prod example as the workloads stack passes them to `Monitoring`
 * (critical to PagerDuty, warning to Slack, info by e-mail through the alarm topic, Watchdog to a
 * heartbeat), and the same with info by e-mail through an SMTP relay; shared by the receiver and
 * routing tests.
 */
import type { AlertReceivers } from "../../constructs/monitoring";

export const ALERTMANAGER_ROLE = "arn:aws:iam::123456789012:role/alertmanager";
export const ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:prod-alarms";

export const PROD_RECEIVERS: AlertReceivers = {
  critical: { type: "pagerduty", secret: { name: "prod/monitoring/pagerduty", key: "routingKey" } },
  warning: {
    type: "slack",
    channel: "#alerts-prod",
    secret: { name: "prod/monitoring/slack", key: "webhookUrl" },
  },
  info: { type: "email", topicArn: ALARM_TOPIC, roleArn: ALERTMANAGER_ROLE },
  watchdog: { type: "webhook", secret: { name: "prod/monitoring/heartbeat", key: "url" } },
};

/** {@link PROD_RECEIVERS} with info by e-mail through an SMTP relay (its password a secret). */
export const SMTP_RECEIVERS: AlertReceivers = {
  ...PROD_RECEIVERS,
  info: {
    type: "email",
    smtp: {
      to: "oncall@example.com",
      from: "alerts@example.com",
      smarthost: "email-smtp.eu-west-1.amazonaws.com:587",
      username: "AKIAEXAMPLE",
      password: { name: "prod/monitoring/smtp", key: "password" },
    },
  },
};
