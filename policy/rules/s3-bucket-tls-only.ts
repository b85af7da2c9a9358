import { resourceRule } from "../rule";
import { deniesInsecureTransport, statementsOf } from "../private/iam";

export const s3BucketTlsOnly = resourceRule({
  id: "s3-bucket-tls-only",
  severity: "error",
  description: "Every S3 bucket's policy denies requests that are not sent over TLS.",
  reason:
    "Without the deny, a client or SDK misconfigured to plain HTTP can read and write the bucket's objects in clear text.",
  reference: "AWS FSBP S3.5; CIS AWS 2.1.1; cdk-nag AwsSolutions-S10",
  fix: 'Add a bucket policy statement: Effect Deny, Principal "*", Action "s3:*", the bucket and its objects, Condition Bool aws:SecureTransport "false".',
  types: ["aws_s3_bucket"],
  check(bucket, context) {
    const policies = context.referencing("aws_s3_bucket_policy", "bucket", bucket);
    const denies = policies.some((p) =>
      statementsOf(p.config.policy, context).some(deniesInsecureTransport),
    );
    if (!denies)
      return policies.length === 0
        ? "no aws_s3_bucket_policy refers to this bucket"
        : "the bucket policy has no Deny statement on aws:SecureTransport false";
    return undefined;
  },
});
