/** Policy rules on KMS keys, log groups and SNS topics: each passes a compliant resource and names what is wrong with a bad one. */
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { problems } from "../support/policy";

/** A topic policy document that denies publishing over plain HTTP. */
function denyInsecurePublish(topicArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

describe("kms-key-rotation", () => {
  test("passes a rotating symmetric key, and keys that cannot rotate", () => {
    expect(
      problems("kms-key-rotation", (stack) => {
        new KmsKey(stack, "key", { enableKeyRotation: true });
        new KmsKey(stack, "signing", {
          customerMasterKeySpec: "RSA_2048",
          keyUsage: "SIGN_VERIFY",
        });
        new KmsKey(stack, "hsm", { customKeyStoreId: "cks-1234567890abcdef0" });
      }),
    ).toEqual([]);
  });

  test("fails symmetric keys with rotation off or left at the default", () => {
    expect(
      problems("kms-key-rotation", (stack) => {
        new KmsKey(stack, "default", { description: "d" });
        new KmsKey(stack, "off", {
          customerMasterKeySpec: "SYMMETRIC_DEFAULT",
          enableKeyRotation: false,
        });
      }),
    ).toEqual(["default: enable_key_rotation is false", "off: enable_key_rotation is false"]);
  });
});

describe("log-group-kms-encryption", () => {
  test("passes a log group encrypted with a customer managed key", () => {
    expect(
      problems("log-group-kms-encryption", (stack) => {
        const key = new KmsKey(stack, "key", { enableKeyRotation: true });
        new CloudwatchLogGroup(stack, "logs", { name: "/app", kmsKeyId: key.arn });
      }),
    ).toEqual([]);
  });

  test("fails a log group without a key", () => {
    expect(
      problems("log-group-kms-encryption", (stack) => {
        new CloudwatchLogGroup(stack, "logs", { name: "/app" });
      }),
    ).toEqual(["logs: no kms_key_id"]);
  });
});

describe("log-group-retention", () => {
  test("passes a log group with a retention period", () => {
    expect(
      problems("log-group-retention", (stack) => {
        new CloudwatchLogGroup(stack, "logs", { name: "/app", retentionInDays: 30 });
      }),
    ).toEqual([]);
  });

  test("fails a log group without a retention period, and one kept forever", () => {
    expect(
      problems("log-group-retention", (stack) => {
        new CloudwatchLogGroup(stack, "unset", { name: "/unset" });
        new CloudwatchLogGroup(stack, "forever", { name: "/forever", retentionInDays: 0 });
      }),
    ).toEqual([
      "forever: retention_in_days is 0 (logs never expire)",
      "unset: retention_in_days is null (logs never expire)",
    ]);
  });
});

describe("sns-topic-kms-encryption", () => {
  test("passes a topic encrypted with a KMS key", () => {
    expect(
      problems("sns-topic-kms-encryption", (stack) => {
        const key = new KmsKey(stack, "key", { enableKeyRotation: true });
        new SnsTopic(stack, "topic", { name: "alarms", kmsMasterKeyId: key.arn });
      }),
    ).toEqual([]);
  });

  test("fails a topic without a key", () => {
    expect(
      problems("sns-topic-kms-encryption", (stack) => {
        new SnsTopic(stack, "topic", { name: "alarms" });
      }),
    ).toEqual(["topic: no kms_master_key_id"]);
  });
});

describe("sns-topic-tls-only", () => {
  test("passes a topic whose aws_sns_topic_policy denies publishing without TLS", () => {
    expect(
      problems("sns-topic-tls-only", (stack) => {
        const topic = new SnsTopic(stack, "topic", { name: "alarms" });
        new SnsTopicPolicy(stack, "policy", {
          arn: topic.arn,
          policy: denyInsecurePublish(topic.arn),
        });
      }),
    ).toEqual([]);
  });

  test("passes a topic whose own policy argument denies publishing without TLS", () => {
    expect(
      problems("sns-topic-tls-only", (stack) => {
        new SnsTopic(stack, "topic", {
          name: "alarms",
          policy: denyInsecurePublish("arn:aws:sns:eu-west-1:123456789012:alarms"),
        });
      }),
    ).toEqual([]);
  });

  test("fails a topic without a policy, and topics whose policy does not deny plain HTTP", () => {
    const allowPublish = (topicArn: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topicArn,
          },
        ],
      });
    expect(
      problems("sns-topic-tls-only", (stack) => {
        new SnsTopic(stack, "plain", { name: "plain" });
        const topic = new SnsTopic(stack, "allow-only", { name: "allow-only" });
        new SnsTopicPolicy(stack, "policy", { arn: topic.arn, policy: allowPublish(topic.arn) });
        new SnsTopic(stack, "inline", {
          name: "inline",
          policy: allowPublish("arn:aws:sns:eu-west-1:123456789012:inline"),
        });
      }),
    ).toEqual([
      "allow-only: the topic policy has no Deny statement on aws:SecureTransport false",
      "inline: the topic policy has no Deny statement on aws:SecureTransport false",
      "plain: no aws_sns_topic_policy refers to this topic",
    ]);
  });
});
