/**
 * Shared vocabulary of the construct library: small typed values that describe *how* an
 * environment differs, never *which* environment it is.
 */

/** The tiers an environment can be in. The tier picks the safe defaults (DESIGN.md section 7). */
export const TIERS = ["development", "production"] as const;

/**
 * `development`: cheaper defaults (single NAT allowed, no Multi-AZ database, ...).
 * `production`: every reliability default on (NAT per AZ, Multi-AZ, deletion protection, ...).
 */
export type Tier = (typeof TIERS)[number];

/** How private subnets reach the internet. */
export const NAT_GATEWAY_MODES = ["none", "single", "perAz"] as const;

/**
 * `none`: no NAT gateway, private subnets have no default route.
 * `single`: one NAT gateway in the first AZ shared by all private subnets (one AZ failure cuts egress).
 * `perAz`: one NAT gateway per AZ, each private subnet routes through its own AZ.
 */
export type NatGatewayMode = (typeof NAT_GATEWAY_MODES)[number];

/** Where resources are deployed; constructs that write ARNs or key policies need it. */
export interface AwsEnvironment {
  /** The 12-digit AWS account id. */
  readonly account: string;
  /** The AWS region, e.g. `eu-west-1`. */
  readonly region: string;
}

/** The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`), computed without an API call. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The DNS suffix of AWS service principals and endpoints in a region's partition. */
export function dnsSuffixOf(region: string): string {
  return region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/**
 * What other constructs need from a Kubernetes cluster (implemented by `KubernetesCluster`).
 * Pass the cluster object, never its ids as loose strings.
 */
export interface IKubernetesCluster {
  /** The EKS cluster name. */
  readonly clusterName: string;
  /** The API server endpoint (https URL). */
  readonly endpoint: string;
  /** Base64 PEM of the cluster certificate authority. */
  readonly certificateAuthorityData: string;
  /** Security group attached to every worker node: admit pod traffic from this group. */
  readonly nodeSecurityGroupId: string;
  /** The EKS-managed cluster security group (control plane <-> nodes). */
  readonly clusterSecurityGroupId: string;
  /** ARN of the IAM OIDC provider of the cluster (IRSA). */
  readonly oidcProviderArn: string;
  /** OIDC issuer host and path, without `https://` (the prefix of IRSA condition keys). */
  readonly oidcIssuer: string;
}

/**
 * A Route 53 hosted zone the platform may write records in (certificate validation records,
 * ExternalDNS records). Its id comes from configuration, never from a lookup, so plans stay offline.
 */
export interface DnsZone {
  /** Hosted zone id, e.g. `Z0123456789ABCDEFGHIJ` (without the `/hostedzone/` prefix). */
  readonly id: string;
  /** Domain of the zone, e.g. `example.com` (lowercase, no trailing dot). */
  readonly domain: string;
}
