import type { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EncryptionKey } from "../encryption-key";
import { dnsSuffixOf, partitionOf, type AwsEnvironment } from "../types";

export interface EncryptedLogGroupOptions {
  /** Account and region of the group. */
  readonly environment: AwsEnvironment;
  /** Log group name. */
  readonly name: string;
  /** Retention in days. */
  readonly retentionDays: number;
  /** What the logs are, for the key's description. */
  readonly description: string;
  /** Alias of the key, without `alias/`. */
  readonly keyAlias: string;
  /** `prevent_destroy` on the key. */
  readonly preventDestroy: boolean;
}

/**
 * A CloudWatch log group encrypted with a key of its own, whose policy lets CloudWatch Logs use it
 * for this one group only (encryption-context condition). Creates `<id>-key` and `<id>-group`.
 */
export function encryptedLogGroup(
  scope: Construct,
  id: string,
  options: EncryptedLogGroupOptions,
): { group: CloudwatchLogGroup; key: EncryptionKey; arn: string } {
  const { account, region } = options.environment;
  const arn = `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${options.name}`;
  const key = new EncryptionKey(scope, `${id}-key`, {
    environment: options.environment,
    description: options.description,
    alias: options.keyAlias,
    preventDestroy: options.preventDestroy,
    statements: [
      {
        Sid: "CloudWatchLogsUse",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.${dnsSuffixOf(region)}` },
        Action: [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": arn } },
      },
    ],
  });
  const group = new CloudwatchLogGroup(scope, `${id}-group`, {
    name: options.name,
    retentionInDays: options.retentionDays,
    kmsKeyId: key.keyArn,
  });
  return { group, key, arn };
}
