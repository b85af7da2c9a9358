import { resourceRule } from "../rule";
import { block, blocks } from "../private/values";

export const cloudfrontS3OriginAccessControl = resourceRule({
  id: "cloudfront-s3-origin-access-control",
  severity: "error",
  description:
    "CloudFront reads S3 origins through origin access control, never a public bucket or a legacy OAI.",
  reason:
    "OAC signs every origin request so the bucket can stay private and still serve the site, including SSE-KMS objects that an OAI cannot read.",
  reference:
    "AWS FSBP CloudFront.13; AWS CloudFront Developer Guide, Restricting access to an Amazon S3 origin",
  fix: "Set origin_access_control_id on the S3 origin to an aws_cloudfront_origin_access_control (signing always, sigv4) and drop s3_origin_config.",
  types: ["aws_cloudfront_distribution"],
  check(distribution) {
    const problems: string[] = [];
    for (const origin of blocks(distribution.config.origin)) {
      const domain = String(origin.domain_name ?? "");
      const s3 = /\$\{(data\.)?aws_s3_bucket\.|\.s3[.-]/.test(domain);
      // a website endpoint by name, or a reference to a bucket's or website configuration's endpoint
      const website =
        /s3-website|\$\{(data\.)?aws_s3_bucket(_website_configuration)?\.[^}]+\.website_(endpoint|domain)\}/.test(
          domain,
        );
      if (!s3 || website) {
        if (website)
          problems.push(
            `origin ${JSON.stringify(origin.origin_id ?? null)} is an S3 website endpoint (a public bucket)`,
          );
        continue;
      }
      const id = JSON.stringify(origin.origin_id ?? null);
      if (!origin.origin_access_control_id)
        problems.push(`origin ${id}: no origin_access_control_id`);
      if (block(origin.s3_origin_config).origin_access_identity)
        problems.push(`origin ${id}: s3_origin_config uses a legacy origin access identity`);
    }
    return problems;
  },
});
