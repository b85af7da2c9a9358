/** Policy rules on S3 buckets: each passes a compliant bucket and names what is wrong with a bad one. */
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
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

/** A bucket policy document that denies every request not sent over TLS. */
function denyInsecureTransport(bucket: S3Bucket): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucket.arn, `${bucket.arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

describe("s3-bucket-tls-only", () => {
  test("passes a bucket whose policy denies requests without TLS", () => {
    expect(
      problems("s3-bucket-tls-only", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        new S3BucketPolicy(stack, "policy", {
          bucket: bucket.id,
          policy: denyInsecureTransport(bucket),
        });
      }),
    ).toEqual([]);
  });

  test("passes a bucket whose policy is an aws_iam_policy_document with the deny", () => {
    expect(
      problems("s3-bucket-tls-only", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [
            {
              effect: "Deny",
              principals: [{ type: "*", identifiers: ["*"] }],
              actions: ["s3:*"],
              resources: [bucket.arn, `${bucket.arn}/*`],
              condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
            },
          ],
        });
        new S3BucketPolicy(stack, "policy", { bucket: bucket.bucket, policy: document.json });
      }),
    ).toEqual([]);
  });

  test("fails a bucket without a policy, and one whose policy does not deny plain HTTP", () => {
    expect(
      problems("s3-bucket-tls-only", (stack) => {
        new S3Bucket(stack, "plain", { bucket: "p" });
        const bucket = new S3Bucket(stack, "allow-only", { bucket: "a" });
        new S3BucketPolicy(stack, "policy", {
          bucket: bucket.id,
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::123456789012:root" },
                Action: "s3:GetObject",
                Resource: `${bucket.arn}/*`,
                Condition: { Bool: { "aws:SecureTransport": "true" } },
              },
            ],
          }),
        });
      }),
    ).toEqual([
      "allow-only: the bucket policy has no Deny statement on aws:SecureTransport false",
      "plain: no aws_s3_bucket_policy refers to this bucket",
    ]);
  });
});

describe("s3-public-access-block", () => {
  test("passes a bucket whose public access block has all four settings on", () => {
    expect(
      problems("s3-public-access-block", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        new S3BucketPublicAccessBlock(stack, "pab", {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
      }),
    ).toEqual([]);
  });

  test("fails a bucket without a public access block", () => {
    expect(
      problems("s3-public-access-block", (stack) => {
        new S3Bucket(stack, "plain", { bucket: "p" });
      }),
    ).toEqual(["plain: no aws_s3_bucket_public_access_block refers to this bucket"]);
  });

  test("fails a public access block with a setting false and one left unset", () => {
    expect(
      problems("s3-public-access-block", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        new S3BucketPublicAccessBlock(stack, "pab", {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: false,
          ignorePublicAcls: true,
        });
      }),
    ).toEqual([
      "bucket: aws_s3_bucket_public_access_block.pab: block_public_policy is false, not true",
      "bucket: aws_s3_bucket_public_access_block.pab: restrict_public_buckets is null, not true",
    ]);
  });
});

describe("s3-bucket-owner-enforced", () => {
  test("passes a bucket with object ownership BucketOwnerEnforced", () => {
    expect(
      problems("s3-bucket-owner-enforced", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        new S3BucketOwnershipControls(stack, "ownership", {
          bucket: bucket.id,
          rule: { objectOwnership: "BucketOwnerEnforced" },
        });
      }),
    ).toEqual([]);
  });

  test("fails a bucket without ownership controls, and one that keeps ACLs", () => {
    expect(
      problems("s3-bucket-owner-enforced", (stack) => {
        new S3Bucket(stack, "plain", { bucket: "p" });
        const bucket = new S3Bucket(stack, "acls", { bucket: "a" });
        new S3BucketOwnershipControls(stack, "ownership", {
          bucket: bucket.id,
          rule: { objectOwnership: "BucketOwnerPreferred" },
        });
      }),
    ).toEqual([
      "acls: object_ownership is not BucketOwnerEnforced",
      "plain: no aws_s3_bucket_ownership_controls refers to this bucket",
    ]);
  });
});

describe("s3-bucket-versioning", () => {
  test("passes a bucket with versioning enabled", () => {
    expect(
      problems("s3-bucket-versioning", (stack) => {
        const bucket = new S3Bucket(stack, "bucket", { bucket: "b" });
        new S3BucketVersioningA(stack, "versioning", {
          bucket: bucket.id,
          versioningConfiguration: { status: "Enabled" },
        });
      }),
    ).toEqual([]);
  });

  test("fails a bucket without versioning, and one with versioning suspended", () => {
    expect(
      problems("s3-bucket-versioning", (stack) => {
        new S3Bucket(stack, "plain", { bucket: "p" });
        const bucket = new S3Bucket(stack, "suspended", { bucket: "s" });
        new S3BucketVersioningA(stack, "versioning", {
          bucket: bucket.id,
          versioningConfiguration: { status: "Suspended" },
        });
      }),
    ).toEqual([
      "plain: no aws_s3_bucket_versioning refers to this bucket",
      "suspended: versioning_configuration.status is not Enabled",
    ]);
  });
});
