import { resourceRule } from "../rule";

const EBS = ["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];

export const k8sStorageClassEncrypted = resourceRule({
  id: "k8s-storage-class-encrypted",
  severity: "error",
  description: "Every EBS StorageClass the stack creates provisions encrypted volumes.",
  reason:
    "The EBS CSI driver creates unencrypted volumes unless the class asks for encryption (or the account default is on, which the stack cannot see).",
  reference: "AWS FSBP EC2.3, EC2.7; aws-ebs-csi-driver docs, StorageClass parameters (encrypted)",
  fix: 'Set parameters.encrypted = "true" (and kmsKeyId for a customer key) on the StorageClass.',
  types: ["kubernetes_storage_class_v1", "kubernetes_storage_class"],
  check(storageClass) {
    if (!EBS.includes(String(storageClass.config.storage_provisioner))) return undefined;
    const parameters = (storageClass.config.parameters ?? {}) as Record<string, unknown>;
    if (String(parameters.encrypted) !== "true")
      return `parameters.encrypted is ${JSON.stringify(parameters.encrypted ?? null)}, not "true"`;
    return undefined;
  },
});
