/** Kubernetes minor versions Amazon EKS supports (standard or extended support). */
export const SUPPORTED_KUBERNETES_VERSIONS = ["1.29", "1.30", "1.31", "1.32", "1.33"] as const;

/** A Kubernetes minor version EKS supports. */
export type KubernetesVersion = (typeof SUPPORTED_KUBERNETES_VERSIONS)[number];
