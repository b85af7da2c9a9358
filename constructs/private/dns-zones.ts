/** Route 53 hosted zones as configuration: their rules, and which zone a host name lies in. */
import type { DnsZone } from "../types";
import { HOST_NAME, ROUTE53_ZONE_ID } from "./patterns";
import { isToken, type ProblemList } from "./validation";

/**
 * The most specific zone a host lies in: the zone whose domain equals the host (without a
 * leading `*.` wildcard) or is its longest parent domain; undefined when none does.
 */
export function zoneOf(host: string, zones: readonly DnsZone[]): DnsZone | undefined {
  const name = host.startsWith("*.") ? host.slice(2) : host;
  let best: DnsZone | undefined;
  for (const zone of zones) {
    const inside = name === zone.domain || name.endsWith(`.${zone.domain}`);
    if (inside && (best === undefined || zone.domain.length > best.domain.length)) best = zone;
  }
  return best;
}

/** Adds every problem with a list of zones: shapes, duplicates, at least one zone. */
export function checkDnsZones(p: ProblemList, zones: readonly DnsZone[], field = "zones"): void {
  p.check(zones.length > 0, field, zones, "at least one Route 53 hosted zone ({ id, domain })");
  const ids = new Set<string>();
  const domains = new Set<string>();
  zones.forEach((zone, i) => {
    p.checkValue(
      zone.id,
      (id) => ROUTE53_ZONE_ID.test(id),
      `${field}[${i}].id`,
      'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ: "Z" and up to 31 upper-case letters and digits, without /hostedzone/',
    );
    p.checkValue(
      zone.domain,
      (domain) => HOST_NAME.test(domain),
      `${field}[${i}].domain`,
      "the zone's lowercase domain name such as example.com (no trailing dot)",
    );
    if (!isToken(zone.id)) {
      p.check(!ids.has(zone.id), `${field}[${i}].id`, zone.id, "each zone once (duplicate id)");
      ids.add(zone.id);
    }
    if (!isToken(zone.domain)) {
      p.check(
        !domains.has(zone.domain),
        `${field}[${i}].domain`,
        zone.domain,
        "each domain once (duplicate domain: records of a name can only go to one zone)",
      );
      domains.add(zone.domain);
    }
  });
}

/**
 * Adds a problem when `host` lies in none of the zones. Skipped when the host or a zone domain is
 * unresolved (a token), since membership cannot be known before Terraform runs.
 */
export function checkHostInZones(
  p: ProblemList,
  field: string,
  host: string,
  zones: readonly DnsZone[],
): void {
  if (isToken(host) || zones.some((z) => isToken(z.domain))) return;
  p.check(
    zoneOf(host, zones) !== undefined,
    field,
    host,
    `a host inside a declared dns zone (${zones.map((z) => z.domain).join(", ")})`,
  );
}
