import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const rdsStorageEncrypted = resourceRule({
  id: "rds-storage-encrypted",
  severity: "error",
  description:
    "Every RDS instance and cluster encrypts its storage with a customer managed KMS key.",
  reason:
    "Storage encryption cannot be turned on after creation; snapshots and replicas inherit it, and a customer key keeps who may restore them under our key policy.",
  reference: "AWS FSBP RDS.3; checkov CKV_AWS_16",
  fix: "Set storage_encrypted = true and kms_key_id to a customer managed key (the Database construct does both).",
  types: ["aws_db_instance", "aws_rds_cluster"],
  check(database) {
    const problems: string[] = [];
    if (!isTrue(database.config.storage_encrypted))
      problems.push(
        `storage_encrypted is ${JSON.stringify(database.config.storage_encrypted ?? null)}, not true`,
      );
    if (!database.config.kms_key_id && !database.config.replicate_source_db)
      problems.push("no kms_key_id: the AWS managed aws/rds key is used");
    return problems;
  },
});
