import { resourceRule } from "../rule";

export const logGroupRetention = resourceRule({
  id: "log-group-retention",
  severity: "error",
  description: "Every CloudWatch Logs group has a retention period.",
  reason:
    "Without one, logs are kept (and paid for) forever and nobody decided how long evidence is needed.",
  reference: "checkov CKV_AWS_66",
  fix: "Set retention_in_days to a CloudWatch Logs retention period (e.g. 30, 90, 365).",
  types: ["aws_cloudwatch_log_group"],
  check(group) {
    const days = group.config.retention_in_days;
    if (days === undefined || Number(days) === 0)
      return `retention_in_days is ${JSON.stringify(days ?? null)} (logs never expire)`;
    return undefined;
  },
});
