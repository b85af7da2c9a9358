import { Fn, type TerraformStack } from "cdktf";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import type { IKubernetesCluster } from "../constructs/types";
import { deployRoleToAssume, type PlatformStackProps } from "./settings";

/**
 * `aws eks get-token` arguments for a cluster: a short-lived token, minted at plan/apply time
 * with the caller's AWS credentials, assuming the deploy role when the environment has one.
 */
export function eksTokenArgs(cluster: IKubernetesCluster, props: PlatformStackProps): string[] {
  const env = props.environment;
  return [
    "eks",
    "get-token",
    "--cluster-name",
    cluster.clusterName,
    "--region",
    env.region,
    ...(deployRoleToAssume(props) ? ["--role-arn", deployRoleToAssume(props)!] : []),
    "--output",
    "json",
  ];
}

/**
 * Kubernetes and Helm providers for a cluster of another stack: endpoint and CA through a
 * cross-stack reference, authentication through `aws eks get-token` (exec), never a static token.
 */
export function kubernetesProviders(
  stack: TerraformStack,
  cluster: IKubernetesCluster,
  props: PlatformStackProps,
): { kubernetes: KubernetesProvider; helm: HelmProvider } {
  const host = cluster.endpoint;
  const clusterCaCertificate = Fn.base64decode(cluster.certificateAuthorityData);
  const exec = {
    apiVersion: "client.authentication.k8s.io/v1beta1",
    command: "aws",
    args: eksTokenArgs(cluster, props),
  };
  return {
    // the kubernetes provider declares exec as a block list, the helm provider (v3) as an object
    kubernetes: new KubernetesProvider(stack, "kubernetes", {
      host,
      clusterCaCertificate,
      exec: [exec],
    }),
    helm: new HelmProvider(stack, "helm", { kubernetes: { host, clusterCaCertificate, exec } }),
  };
}
