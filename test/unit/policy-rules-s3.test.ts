/** Policy rules on S3 buckets: each passes a compliant bucket and names what is wrong with a bad one. */
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { problems } from "../support/policy";

describe("s3-bucket-kms-encryption", () => {
  test("passes a bucket encrypted with a customer managed key", () => {
    expect(
      problems("s3-bucket-kms-encryption", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        new S3BucketServerSideEncryptionConfigurationA(stack, "sse", {
          bucket: bucket.id,
          rule: [
            {
              applyServerSideEncryptionByDefault: {
                sseAlgorithm: "aws:kms",
                kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k",
              },
            },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("fails a bucket without an encryption configuration, and one with SSE-S3", () => {
    expect(
      problems("s3-bucket-kms-encryption", (stack) => {
        new S3Bucket(stack, "plain", { bucket: "p" });
        const bucket = new S3Bucket(stack, "sse-s3", { bucket: "s" });
        new S3BucketServerSideEncryptionConfigurationA(stack, "sse", {
          bucket: bucket.id,
          rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        });
      }),
    ).toEqual([
      "plain: no aws_s3_bucket_server_side_encryption_configuration refers to this bucket",
      'sse-s3: aws_s3_bucket_server_side_encryption_configuration.sse: sse_algorithm is "AES256", not aws:kms',
    ]);
  });
});
