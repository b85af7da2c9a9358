import { resourceRule } from "../rule";

export const snsTopicKmsEncryption = resourceRule({
  id: "sns-topic-kms-encryption",
  severity: "error",
  description: "Every SNS topic is encrypted at rest with a KMS key.",
  reason:
    "Alarm and event messages name resources and failures; encryption at rest keeps them under a key policy while SNS stores them for delivery.",
  reference: "AWS FSBP SNS.1; checkov CKV_AWS_26",
  fix: "Set kms_master_key_id to a customer managed key whose policy lets the publishing services use it.",
  types: ["aws_sns_topic"],
  check(topic) {
    if (!topic.config.kms_master_key_id) return "no kms_master_key_id";
    return undefined;
  },
});
