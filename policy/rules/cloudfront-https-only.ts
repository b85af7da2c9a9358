import { resourceRule } from "../rule";
import { block, blocks } from "../private/values";

const SECURE = ["redirect-to-https", "https-only"];

export const cloudfrontHttpsOnly = resourceRule({
  id: "cloudfront-https-only",
  severity: "error",
  description: "Every CloudFront cache behaviour redirects viewers to HTTPS or serves HTTPS only.",
  reason:
    "A behaviour that allows HTTP serves content (and takes cookies and headers) in clear text on every network between the viewer and the edge.",
  reference: "AWS FSBP CloudFront.3; checkov CKV_AWS_34",
  fix: 'Set viewer_protocol_policy to "redirect-to-https" (or "https-only") on the default and every ordered cache behaviour.',
  types: ["aws_cloudfront_distribution"],
  check(distribution) {
    const behaviours = [
      { name: "default_cache_behavior", value: block(distribution.config.default_cache_behavior) },
      ...blocks(distribution.config.ordered_cache_behavior).map((b) => ({
        name: `ordered_cache_behavior ${JSON.stringify(b.path_pattern ?? null)}`,
        value: b,
      })),
    ];
    return behaviours
      .filter((b) => !SECURE.includes(String(b.value.viewer_protocol_policy)))
      .map(
        (b) =>
          `${b.name}: viewer_protocol_policy is ${JSON.stringify(b.value.viewer_protocol_policy ?? null)}`,
      );
  },
});
