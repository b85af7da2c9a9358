import { resourceRule } from "../rule";
import { blocks, strings } from "../private/values";

export const eksSecretsEncryption = resourceRule({
  id: "eks-secrets-encryption",
  severity: "error",
  description: "Every EKS cluster envelope-encrypts Kubernetes Secrets with a KMS key.",
  reason:
    "Without it, Secrets sit in etcd protected only by the service's disk encryption; a KMS key makes every read a logged, revocable key use.",
  reference: "CIS EKS 5.3.1; AWS FSBP EKS.3; checkov CKV_AWS_58",
  fix: 'Add encryption_config with resources ["secrets"] and provider.key_arn of a customer managed key (the KubernetesCluster construct does).',
  types: ["aws_eks_cluster"],
  check(cluster) {
    const configured = blocks(cluster.config.encryption_config).some(
      (c) => strings(c.resources).includes("secrets") && blocks(c.provider).some((p) => p.key_arn),
    );
    if (!configured)
      return 'no encryption_config with resources ["secrets"] and a provider key_arn';
    return undefined;
  },
});
