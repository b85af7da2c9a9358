import { resourceRule } from "../rule";
import { block, refersTo } from "../private/values";

export const cloudfrontAccessLogs = resourceRule({
  id: "cloudfront-access-logs",
  severity: "error",
  description:
    "Production CloudFront distributions write access logs (standard logging, legacy or v2).",
  reason:
    "Access logs are the record of who fetched what from the edge: needed to investigate abuse, scraping or a leaked object.",
  reference: "AWS FSBP CloudFront.5; checkov CKV_AWS_86",
  fix: "Add a CloudWatch log delivery (aws_cloudwatch_log_delivery_source with the distribution's ARN) or logging_config (the StaticSite construct does for the production tier).",
  tiers: ["production"],
  types: ["aws_cloudfront_distribution"],
  check(distribution, context) {
    if (block(distribution.config.logging_config).bucket) return undefined;
    const delivered = context
      .resources("aws_cloudwatch_log_delivery_source")
      .some(
        (source) =>
          source.config.log_type === "ACCESS_LOGS" &&
          refersTo(source.config.resource_arn, distribution),
      );
    if (!delivered)
      return "no logging_config and no ACCESS_LOGS log delivery source for this distribution";
    return undefined;
  },
});
