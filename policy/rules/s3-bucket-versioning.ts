import { resourceRule } from "../rule";
import { block } from "../private/values";

export const s3BucketVersioning = resourceRule({
  id: "s3-bucket-versioning",
  severity: "error",
  description: "Every S3 bucket has versioning enabled.",
  reason:
    "Versioning is what lets an overwritten or deleted object (a bad deploy, a compromised writer) be restored.",
  reference: "AWS FSBP S3.14; checkov CKV_AWS_21",
  fix: "Add an aws_s3_bucket_versioning for the bucket with versioning_configuration.status Enabled.",
  types: ["aws_s3_bucket"],
  check(bucket, context) {
    const versioning = context.referencing("aws_s3_bucket_versioning", "bucket", bucket);
    if (!versioning.some((v) => block(v.config.versioning_configuration).status === "Enabled"))
      return versioning.length === 0
        ? "no aws_s3_bucket_versioning refers to this bucket"
        : "versioning_configuration.status is not Enabled";
    return undefined;
  },
});
