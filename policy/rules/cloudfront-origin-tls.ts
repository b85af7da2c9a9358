import { resourceRule } from "../rule";
import { block, blocks, strings } from "../private/values";

export const cloudfrontOriginTls = resourceRule({
  id: "cloudfront-origin-tls",
  severity: "error",
  description: "CloudFront reaches custom origins over HTTPS with TLS 1.2 only.",
  reason:
    "The viewer's HTTPS ends at the edge; HTTP or SSLv3/TLS 1.0 to the origin sends the same content unprotected across the internet.",
  reference: "AWS FSBP CloudFront.9, CloudFront.10",
  fix: 'Set custom_origin_config.origin_protocol_policy = "https-only" and origin_ssl_protocols = ["TLSv1.2"].',
  types: ["aws_cloudfront_distribution"],
  check(distribution) {
    const problems: string[] = [];
    for (const origin of blocks(distribution.config.origin)) {
      const custom = block(origin.custom_origin_config);
      if (Object.keys(custom).length === 0) continue;
      const id = JSON.stringify(origin.origin_id ?? null);
      if (custom.origin_protocol_policy !== "https-only")
        problems.push(
          `origin ${id}: origin_protocol_policy is ${JSON.stringify(custom.origin_protocol_policy ?? null)}`,
        );
      const old = strings(custom.origin_ssl_protocols).filter((p) => p !== "TLSv1.2");
      if (old.length > 0)
        problems.push(`origin ${id}: origin_ssl_protocols allows ${old.join(", ")}`);
    }
    return problems;
  },
});
