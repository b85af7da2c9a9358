import { resourceRule } from "../rule";
import { blocks } from "../private/values";

export const s3BucketOwnerEnforced = resourceRule({
  id: "s3-bucket-owner-enforced",
  severity: "error",
  description: "Every S3 bucket disables ACLs (object ownership BucketOwnerEnforced).",
  reason:
    "With ACLs enabled, an object written by another account can carry its own grants, outside the bucket policy that reviewers read.",
  reference: "AWS FSBP S3.12; checkov CKV2_AWS_65",
  fix: "Add an aws_s3_bucket_ownership_controls for the bucket with rule.object_ownership BucketOwnerEnforced.",
  types: ["aws_s3_bucket"],
  check(bucket, context) {
    const controls = context.referencing("aws_s3_bucket_ownership_controls", "bucket", bucket);
    const enforced = controls.some((c) =>
      blocks(c.config.rule).some((r) => r.object_ownership === "BucketOwnerEnforced"),
    );
    if (!enforced)
      return controls.length === 0
        ? "no aws_s3_bucket_ownership_controls refers to this bucket"
        : "object_ownership is not BucketOwnerEnforced";
    return undefined;
  },
});
