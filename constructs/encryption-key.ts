import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { policyJson, type PolicyStatement } from "./private/iam";
import { partitionOf, type AwsEnvironment } from "./types";

/** Props of {@link EncryptionKey}. */
export interface EncryptionKeyProps {
  /** Account and region the key lives in (the key policy names the account). */
  readonly environment: AwsEnvironment;
  /** What the key protects, shown in the console. */
  readonly description: string;
  /** Alias without the `alias/` prefix. @default no alias */
  readonly alias?: string;
  /** Extra key policy statements (service principals, roles). More can be added with `addToPolicy`. @default none */
  readonly statements?: readonly PolicyStatement[];
  /** Days KMS waits before deleting the key once scheduled (7-30). @default 30 */
  readonly deletionWindowDays?: number;
  /** Terraform `prevent_destroy` on the key (set it for production data). @default false */
  readonly preventDestroy?: boolean;
}

/**
 * A customer managed KMS key with yearly rotation and an explicit key policy: the account can
 * administer and use it through IAM (never `kms:*`), and each service principal added gets only
 * the cryptographic actions it needs, under conditions.
 */
export class EncryptionKey extends Construct {
  /** The key resource. */
  readonly key: KmsKey;
  /** The key ARN. */
  readonly keyArn: string;
  /** The key id. */
  readonly keyId: string;
  private readonly statements: PolicyStatement[];

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const { account, region } = props.environment;
    const root = `arn:${partitionOf(region)}:iam::${account}:root`;
    this.statements = [
      {
        Sid: "AccountAdministration",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: [
          "kms:Create*",
          "kms:Describe*",
          "kms:Enable*",
          "kms:List*",
          "kms:Put*",
          "kms:Update*",
          "kms:Revoke*",
          "kms:Disable*",
          "kms:Get*",
          "kms:Delete*",
          "kms:TagResource",
          "kms:UntagResource",
          "kms:ScheduleKeyDeletion",
          "kms:CancelKeyDeletion",
          "kms:RotateKeyOnDemand",
        ],
        // In a key policy "*" means "this key": a key policy cannot name any other resource.
        Resource: "*",
      },
      {
        Sid: "AccountUseThroughIam",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:CreateGrant",
        ],
        Resource: "*",
      },
      ...(props.statements ?? []),
    ];
    this.key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays ?? 30,
      policy: Lazy.stringValue({ produce: () => policyJson(this.statements) }),
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
    if (props.alias) {
      new KmsAlias(this, "alias", { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
    }
    this.keyArn = this.key.arn;
    this.keyId = this.key.keyId;
  }

  /** Adds a statement to the key policy (a service principal or role that must use the key). */
  addToPolicy(statement: PolicyStatement): void {
    this.statements.push(statement);
  }
}
