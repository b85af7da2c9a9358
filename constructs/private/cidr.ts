/** Minimal IPv4 CIDR arithmetic: parse, contain, overlap, carve. No dependency, no tokens. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  /** Prefix length, 0-32. */
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns undefined when the text is not a CIDR block or when host bits are
 * set (`10.0.0.1/16`), because Terraform and AWS would silently use another network.
 */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  if ((address & hostMask(prefix)) >>> 0 !== 0) return undefined;
  return { network: address, prefix };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  const a = cidr.network;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${cidr.prefix}`;
}

/** Number of addresses in a block of the given prefix length. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

function hostMask(prefix: number): number {
  return prefix === 0 ? 0xffffffff : (blockSize(prefix) - 1) >>> 0;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.network >= outer.network &&
    inner.network + blockSize(inner.prefix) <= outer.network + blockSize(outer.prefix)
  );
}

/** True when the two blocks share at least one address. */
export function cidrOverlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** Private (RFC 1918) address space. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map(
  (c) => parseCidr(c) as Ipv4Cidr,
);

/** True when the block lies in RFC 1918 or the shared (RFC 6598) range. */
export function isPrivateCidr(cidr: Ipv4Cidr): boolean {
  return PRIVATE_RANGES.some((range) => cidrContains(range, cidr));
}
