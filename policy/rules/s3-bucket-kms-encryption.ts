import { resourceRule } from "../rule";
import { block, blocks } from "../private/values";

export const s3BucketKmsEncryption = resourceRule({
  id: "s3-bucket-kms-encryption",
  severity: "error",
  description: "Every S3 bucket is encrypted at rest with a KMS key (SSE-KMS or DSSE-KMS).",
  reason:
    "SSE-S3 keys cannot be audited, restricted by key policy or disabled; a KMS key adds a second permission check and a CloudTrail record for every read.",
  reference: "AWS FSBP S3.17; checkov CKV_AWS_145",
  fix: "Add an aws_s3_bucket_server_side_encryption_configuration for the bucket with sse_algorithm aws:kms and a customer managed key (kms_master_key_id).",
  types: ["aws_s3_bucket"],
  check(bucket, context) {
    const configurations = context.referencing(
      "aws_s3_bucket_server_side_encryption_configuration",
      "bucket",
      bucket,
    );
    if (configurations.length === 0)
      return "no aws_s3_bucket_server_side_encryption_configuration refers to this bucket";
    const problems: string[] = [];
    for (const configuration of configurations) {
      for (const rule of blocks(configuration.config.rule)) {
        const sse = block(rule.apply_server_side_encryption_by_default);
        const algorithm = sse.sse_algorithm;
        if (algorithm !== "aws:kms" && algorithm !== "aws:kms:dsse")
          problems.push(
            `${configuration.address}: sse_algorithm is ${JSON.stringify(algorithm)}, not aws:kms`,
          );
        else if (!sse.kms_master_key_id)
          problems.push(
            `${configuration.address}: no kms_master_key_id (the AWS managed aws/s3 key cannot be restricted by key policy)`,
          );
      }
    }
    return problems;
  },
});
