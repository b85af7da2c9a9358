import { blockSize, formatCidr, parseCidr } from "./cidr";
import type { Problem } from "./validation";

/** The three subnet tiers of the network, in carving order (largest first). */
export const SUBNET_TIERS = ["private", "public", "database"] as const;
/** The three subnet tiers of a network: public, private (nodes) and database. */
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/** Prefix length of each subnet tier; every AZ gets one subnet of this size per tier. */
export interface SubnetPrefixLengths {
  /** Private subnets (nodes and pods: VPC CNI gives every pod a VPC address). @default VPC prefix + 3 */
  readonly private?: number;
  /** Public subnets (load balancers, NAT gateways). @default VPC prefix + 6 */
  readonly public?: number;
  /** Database subnets (no route to the internet). @default VPC prefix + 6 */
  readonly database?: number;
}

/** Smallest subnet AWS allows. */
export const MIN_SUBNET_PREFIX = 28;
/** Slots reserved per tier so that appending an AZ (up to this count) never moves a subnet. */
export const RESERVED_AZ_SLOTS = 4;

/** CIDR of every subnet, by tier then AZ name. */
export type SubnetCidrs = Record<SubnetTier, Record<string, string>>;

export interface SubnetLayoutResult {
  /** The carved CIDRs; undefined when there are problems. */
  readonly cidrs?: SubnetCidrs;
  /** Problems, with field paths relative to the network (`cidr`, `subnetPrefixLengths.private`). */
  readonly problems: readonly Problem[];
}

/** Default prefix lengths for a VPC of the given prefix. */
export function defaultPrefixLengths(vpcPrefix: number): Required<SubnetPrefixLengths> {
  return {
    private: Math.min(vpcPrefix + 3, MIN_SUBNET_PREFIX),
    public: Math.min(vpcPrefix + 6, MIN_SUBNET_PREFIX),
    database: Math.min(vpcPrefix + 6, MIN_SUBNET_PREFIX),
  };
}

/**
 * Carves the VPC deterministically: tier by tier (private, public, database), each tier a run of
 * `max(4, AZ count)` aligned slots, AZ *i* in slot *i*. Appending an AZ (up to 4) therefore never
 * moves an existing subnet; reordering or removing AZs does.
 */
export function planSubnets(
  vpcCidr: string,
  availabilityZones: readonly string[],
  prefixLengths: SubnetPrefixLengths = {},
): SubnetLayoutResult {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) return { problems: [] }; // the caller reports the bad CIDR itself
  const defaults = defaultPrefixLengths(vpc.prefix);
  const problems: Problem[] = [];
  const prefixes = {} as Record<SubnetTier, number>;
  for (const tier of SUBNET_TIERS) {
    const prefix = prefixLengths[tier] ?? defaults[tier];
    prefixes[tier] = prefix;
    if (!Number.isInteger(prefix) || prefix < vpc.prefix || prefix > MIN_SUBNET_PREFIX) {
      problems.push({
        field: `subnetPrefixLengths.${tier}`,
        received: prefix,
        expected: `an integer from ${vpc.prefix} (the VPC prefix) to ${MIN_SUBNET_PREFIX}`,
      });
    }
  }
  if (problems.length > 0) return { problems };

  const slots = Math.max(RESERVED_AZ_SLOTS, availabilityZones.length);
  const cidrs = { private: {}, public: {}, database: {} } as SubnetCidrs;
  let offset = 0;
  for (const tier of SUBNET_TIERS) {
    const size = blockSize(prefixes[tier]);
    offset = Math.ceil(offset / size) * size; // align the tier's run to its block size
    availabilityZones.forEach((az, slot) => {
      cidrs[tier][az] = formatCidr({
        network: vpc.network + offset + slot * size,
        prefix: prefixes[tier],
      });
    });
    offset += slots * size;
  }
  const available = blockSize(vpc.prefix);
  if (offset > available) {
    const sizes = SUBNET_TIERS.map((t) => `${t} /${prefixes[t]}`).join(", ");
    problems.push({
      field: "subnetPrefixLengths",
      received: `${sizes}: ${offset} addresses for ${slots} AZ slots per tier`,
      expected: `subnets that fit in ${vpcCidr} (${available} addresses): use longer prefixes or a larger VPC`,
    });
    return { problems };
  }
  return { cidrs, problems };
}
