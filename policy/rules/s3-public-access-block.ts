import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

const SETTINGS = [
  "block_public_acls",
  "block_public_policy",
  "ignore_public_acls",
  "restrict_public_buckets",
] as const;

export const s3PublicAccessBlock = resourceRule({
  id: "s3-public-access-block",
  severity: "error",
  description: "Every S3 bucket has a public access block with all four settings on.",
  reason:
    "A single public ACL or policy statement would otherwise publish the bucket's objects to the internet; the block overrides both.",
  reference: "AWS FSBP S3.8; CIS AWS 2.1.4; checkov CKV_AWS_53, CKV_AWS_54, CKV_AWS_55, CKV_AWS_56",
  fix: "Add an aws_s3_bucket_public_access_block for the bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all true.",
  types: ["aws_s3_bucket"],
  check(bucket, context) {
    const blocks = context.referencing("aws_s3_bucket_public_access_block", "bucket", bucket);
    if (blocks.length === 0) return "no aws_s3_bucket_public_access_block refers to this bucket";
    return blocks.flatMap((b) =>
      SETTINGS.filter((s) => !isTrue(b.config[s])).map(
        (s) => `${b.address}: ${s} is ${JSON.stringify(b.config[s] ?? null)}, not true`,
      ),
    );
  },
});
