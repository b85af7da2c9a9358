import { resourceRule } from "../rule";
import { block, isTrue } from "../private/values";

/** CloudFront security policies that allow only TLS 1.2 or newer. */
export const MODERN_VIEWER_POLICIES = [
  "TLSv1.2_2018",
  "TLSv1.2_2019",
  "TLSv1.2_2021",
  "TLSv1.2_2025",
  "TLSv1.3_2025",
];

export const cloudfrontViewerTls = resourceRule({
  id: "cloudfront-viewer-tls",
  severity: "error",
  description: "CloudFront distributions with their own certificate accept TLS 1.2 or newer only.",
  reason:
    "Older security policies accept TLS 1.0 and 1.1, whose cipher suites have known attacks and which PCI DSS and most compliance regimes forbid.",
  reference:
    "checkov CKV_AWS_174; AWS CloudFront Developer Guide, Supported protocols and ciphers between viewers and CloudFront",
  fix: 'Set viewer_certificate.minimum_protocol_version = "TLSv1.2_2021" with ssl_support_method "sni-only" (the StaticSite construct does).',
  types: ["aws_cloudfront_distribution"],
  check(distribution) {
    const certificate = block(distribution.config.viewer_certificate);
    // the *.cloudfront.net default certificate has no settable policy (see cloudfront-custom-certificate)
    if (isTrue(certificate.cloudfront_default_certificate)) return undefined;
    const version = certificate.minimum_protocol_version ?? "TLSv1";
    if (!MODERN_VIEWER_POLICIES.includes(String(version)))
      return `viewer_certificate.minimum_protocol_version is ${JSON.stringify(version)}`;
    return undefined;
  },
});
