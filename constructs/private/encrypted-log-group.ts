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

/** Options of {@link encryptedLogGroups}: several groups sharing one key. */
export interface EncryptedLogGroupsOptions extends Omit<EncryptedLogGroupOptions, "name"> {
  /** Log group names by stable key (the key is part of each group's construct id). */
  readonly names: Readonly<Record<string, string>>;
}

/** The ARN of a log group, as CloudWatch Logs passes it in the encryption context. */
function logGroupArn(environment: AwsEnvironment, name: string): string {
  const { account, region } = environment;
  return `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${name}`;
}

/** A key CloudWatch Logs may use for exactly these log groups (encryption-context condition). */
function logGroupKey(
  scope: Construct,
  id: string,
  options: Omit<EncryptedLogGroupOptions, "name" | "retentionDays">,
  arns: readonly string[],
): EncryptionKey {
  const { region } = options.environment;
  return new EncryptionKey(scope, id, {
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
        Condition: {
          ArnEquals: {
            "kms:EncryptionContext:aws:logs:arn": arns.length === 1 ? arns[0] : [...arns],
          },
        },
      },
    ],
  });
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
  const arn = logGroupArn(options.environment, options.name);
  const key = logGroupKey(scope, `${id}-key`, options, [arn]);
  const group = new CloudwatchLogGroup(scope, `${id}-group`, {
    name: options.name,
    retentionInDays: options.retentionDays,
    kmsKeyId: key.keyArn,
  });
  return { group, key, arn };
}

/**
 * Several CloudWatch log groups of one resource (e.g. the logs an RDS instance exports) encrypted
 * with one key of their own, usable by CloudWatch Logs for exactly these groups. Creates
 * `<id>-key` and `<id>-<name key>-group` per group.
 */
export function encryptedLogGroups(
  scope: Construct,
  id: string,
  options: EncryptedLogGroupsOptions,
): { groups: Record<string, CloudwatchLogGroup>; key: EncryptionKey } {
  const entries = Object.entries(options.names);
  const arns = entries.map(([, name]) => logGroupArn(options.environment, name));
  const key = logGroupKey(scope, `${id}-key`, options, arns);
  const groups: Record<string, CloudwatchLogGroup> = {};
  for (const [name, groupName] of entries) {
    groups[name] = new CloudwatchLogGroup(scope, `${id}-${name}-group`, {
      name: groupName,
      retentionInDays: options.retentionDays,
      kmsKeyId: key.keyArn,
    });
  }
  return { groups, key };
}
