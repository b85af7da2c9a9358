import { resourceRule } from "../rule";
import { deniesInsecureTransport, statementsOf } from "../private/iam";

export const snsTopicTlsOnly = resourceRule({
  id: "sns-topic-tls-only",
  severity: "warning",
  description: "Every SNS topic's policy denies publishing over plain HTTP.",
  reason:
    "SNS accepts HTTP requests unless the topic policy denies them; messages and signed requests would travel unencrypted.",
  reference: "cdk-nag AwsSolutions-SNS3",
  fix: 'Add a topic policy statement: Effect Deny, Principal "*", Action "sns:Publish", Condition Bool aws:SecureTransport "false".',
  types: ["aws_sns_topic"],
  check(topic, context) {
    // the topic's own policy argument, or aws_sns_topic_policy resources for it
    const documents = [
      topic.config.policy,
      ...context.referencing("aws_sns_topic_policy", "arn", topic).map((p) => p.config.policy),
    ].filter((document) => document !== undefined);
    const denies = documents.some((document) =>
      statementsOf(document, context).some(deniesInsecureTransport),
    );
    if (!denies)
      return documents.length === 0
        ? "no aws_sns_topic_policy refers to this topic"
        : "the topic policy has no Deny statement on aws:SecureTransport false";
    return undefined;
  },
});
