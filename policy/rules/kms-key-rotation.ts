import { resourceRule } from "../rule";
import { isTrue } from "../private/values";

export const kmsKeyRotation = resourceRule({
  id: "kms-key-rotation",
  severity: "error",
  description: "Every symmetric KMS key rotates its key material automatically.",
  reason:
    "Rotation limits how much data one key version protects; KMS keeps old versions, so nothing has to be re-encrypted.",
  reference: "CIS AWS 3.6; AWS FSBP KMS.4; checkov CKV_AWS_7",
  fix: "Set enable_key_rotation = true (the EncryptionKey construct does).",
  types: ["aws_kms_key"],
  check(key) {
    const spec = key.config.customer_master_key_spec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") return undefined; // rotation exists for symmetric keys only
    if (key.config.custom_key_store_id) return undefined; // nor for keys in a custom key store
    if (!isTrue(key.config.enable_key_rotation))
      return `enable_key_rotation is ${JSON.stringify(key.config.enable_key_rotation ?? false)}`;
    return undefined;
  },
});
