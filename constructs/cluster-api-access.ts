import { Construct } from "constructs";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { isPrivateCidr, parseCidr } from "./private/cidr";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import type { IKubernetesCluster } from "./types";

/** A security group id such as sg-0123456789abcdef0 (8 or 17 hex digits). */
const SECURITY_GROUP_ID = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** Props of {@link ClusterApiAccess}. */
export interface ClusterApiAccessProps {
  /** The cluster whose API endpoint is opened (its EKS cluster security group gets the rules). */
  readonly cluster: IKubernetesCluster;
  /**
   * Security groups (in the cluster's VPC, or a peered one) of runners or hosts that reach the
   * private API endpoint on 443, e.g. a self-hosted runner fleet's group. @default none
   */
  readonly securityGroupIds?: readonly string[];
  /**
   * Private IPv4 CIDRs that reach the private API endpoint on 443 through the VPC (a VPN, Direct
   * Connect or peered range); public ranges belong in the cluster's `endpointPublicAccessCidrs`.
   * @default none
   */
  readonly cidrs?: readonly string[];
}

/** The fields of {@link ClusterApiAccessProps} that are validated. */
export type ClusterApiAccessValidationInput = Omit<ClusterApiAccessProps, "cluster">;

/** Every problem with API access props, fields named as the props (shared with the environment file). */
export function validateClusterApiAccessProps(props: ClusterApiAccessValidationInput): Problem[] {
  const p = new ProblemList();
  const once = (field: "securityGroupIds" | "cidrs") => {
    const seen = new Set<string>();
    (props[field] ?? []).forEach((value, i) => {
      p.checkValue(value, (v) => !seen.has(v), `${field}[${i}]`, "each entry once (duplicate)");
      seen.add(value);
    });
  };
  (props.securityGroupIds ?? []).forEach((id, i) =>
    p.checkValue(
      id,
      (v) => SECURITY_GROUP_ID.test(v),
      `securityGroupIds[${i}]`,
      "a security group id such as sg-0123456789abcdef0",
    ),
  );
  once("securityGroupIds");
  (props.cidrs ?? []).forEach((text, i) => {
    if (isToken(text)) return;
    const cidr = parseCidr(text);
    p.check(
      cidr !== undefined,
      `cidrs[${i}]`,
      text,
      "an IPv4 CIDR block with no host bits set, such as 10.99.0.0/16",
    );
    if (!cidr) return;
    p.check(
      cidr.prefix !== 0 && isPrivateCidr(cidr),
      `cidrs[${i}]`,
      text,
      "a private CIDR (10/8, 172.16/12, 192.168/16, 100.64/10) that reaches the VPC; a public range reaches the public endpoint instead (cluster.endpointPublicAccessCidrs)",
    );
  });
  once("cidrs");
  return [...p.problems];
}

/**
 * Opens the private API endpoint of a cluster (TCP 443 on its EKS cluster security group) to
 * the given security groups and private CIDRs only, one ingress rule each, keyed by the group id
 * or the CIDR.
 */
export class ClusterApiAccess extends Construct {
  /** The ingress rules, by security group id or CIDR. */
  readonly rules: Readonly<Record<string, VpcSecurityGroupIngressRule>>;

  constructor(scope: Construct, id: string, props: ClusterApiAccessProps) {
    super(scope, id);
    throwIfProblems(this, validateClusterApiAccessProps(props));
    const rules: Record<string, VpcSecurityGroupIngressRule> = {};
    const rule = (key: string, source: { referencedSecurityGroupId?: string; cidrIpv4?: string }) =>
      (rules[key] = new VpcSecurityGroupIngressRule(this, `from-${key.replace(/[./]/g, "-")}`, {
        securityGroupId: props.cluster.clusterSecurityGroupId,
        description: `Kubernetes API (private endpoint) from ${key}`,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        ...source,
      }));
    for (const group of props.securityGroupIds ?? []) {
      rule(group, { referencedSecurityGroupId: group });
    }
    for (const cidr of props.cidrs ?? []) rule(cidr, { cidrIpv4: cidr });
    this.rules = rules;
  }
}
