import { resourceRule } from "../rule";
import { block, isTrue } from "../private/values";

export const cloudfrontCustomCertificate = resourceRule({
  id: "cloudfront-custom-certificate",
  severity: "warning",
  description: "CloudFront distributions serve a custom domain with their own ACM certificate.",
  reason:
    "The default *.cloudfront.net certificate cannot be given a TLS 1.2+ security policy, and a random domain is easy to spoof in phishing.",
  reference: "AWS FSBP CloudFront.7; checkov CKV_AWS_174",
  fix: "Give the site a domain (cdn.domain in the environment file) so it gets an ACM certificate, or suppress with the reason the default domain is acceptable.",
  types: ["aws_cloudfront_distribution"],
  check(distribution) {
    if (isTrue(block(distribution.config.viewer_certificate).cloudfront_default_certificate))
      return "viewer_certificate.cloudfront_default_certificate is true";
    return undefined;
  },
});
