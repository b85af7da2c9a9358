/**
 * The resource types whose loss loses data (or something as hard to get back), and the attributes
 * that protect them. One list for the plan report (which highlights them) and the plan guard
 * (which blocks destroying or replacing them in production).
 */

/** Stateful resource types, each with why losing one matters. */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  aws_db_instance: "database: its data and automated backups go with it",
  aws_rds_cluster: "database cluster: its data and automated backups go with it",
  aws_rds_cluster_instance: "database cluster member: a replacement fails over and rebuilds it",
  aws_db_snapshot: "database snapshot: a restore point",
  aws_dynamodb_table: "DynamoDB table: its items",
  aws_elasticache_replication_group: "cache replication group: its data and snapshots",
  aws_s3_bucket: "S3 bucket: its objects",
  aws_kms_key: "KMS key: everything encrypted with it becomes unreadable",
  aws_eks_cluster: "EKS cluster: every workload and its persistent volumes",
  aws_ecr_repository: "ECR repository: the images deployments pull",
  aws_cloudwatch_log_group: "log group: its log history (audit and flow logs)",
  aws_secretsmanager_secret: "Secrets Manager secret: the secret value and its versions",
  aws_ebs_volume: "EBS volume: its data",
  aws_efs_file_system: "EFS file system: its files",
  aws_backup_vault: "backup vault: its recovery points",
  aws_route53_zone: "hosted zone: its records and delegation (name servers change)",
  aws_sqs_queue: "SQS queue: its messages",
};

/** Why a type is stateful, or undefined when it is not. */
export function statefulReason(type: string): string | undefined {
  return Object.hasOwn(STATEFUL_TYPES, type) ? STATEFUL_TYPES[type] : undefined;
}

/** An attribute that protects a resource, and the value that means "protected". */
export interface ProtectionAttribute {
  /** Top-level attribute name. */
  readonly attribute: string;
  /** The value that protects; a change from it to anything else removes the protection. */
  readonly protectedValue: unknown;
}

/** Protection attributes by resource type. */
export const PROTECTION_ATTRIBUTES: Readonly<Record<string, readonly ProtectionAttribute[]>> = {
  aws_db_instance: [
    { attribute: "deletion_protection", protectedValue: true },
    { attribute: "skip_final_snapshot", protectedValue: false },
  ],
  aws_rds_cluster: [
    { attribute: "deletion_protection", protectedValue: true },
    { attribute: "skip_final_snapshot", protectedValue: false },
  ],
  aws_dynamodb_table: [{ attribute: "deletion_protection_enabled", protectedValue: true }],
  aws_lb: [{ attribute: "enable_deletion_protection", protectedValue: true }],
  aws_s3_bucket: [{ attribute: "force_destroy", protectedValue: false }],
  aws_ecr_repository: [{ attribute: "force_delete", protectedValue: false }],
  aws_cloudwatch_log_group: [{ attribute: "skip_destroy", protectedValue: true }],
};

/** The protection attributes of a type (none for most types). */
export function protectionAttributes(type: string): readonly ProtectionAttribute[] {
  return Object.hasOwn(PROTECTION_ATTRIBUTES, type) ? PROTECTION_ATTRIBUTES[type] : [];
}
