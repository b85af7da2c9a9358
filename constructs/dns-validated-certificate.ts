import { Construct } from "constructs";
import { Fn, TerraformIterator, Token } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { checkDnsZones, checkHostInZones, zoneOf } from "./private/dns-zones";
import { WILDCARD_HOST_NAME } from "./private/patterns";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import type { DnsZone } from "./types";

/** TTL of the validation CNAMEs: short, so a re-issued certificate validates quickly. */
export const VALIDATION_RECORD_TTL_SECONDS = 60;

/** Props of {@link DnsValidatedCertificate}. */
export interface DnsValidatedCertificateProps {
  /**
   * Names the certificate covers, the first one as its subject and every one as a subject
   * alternative name: lowercase host names, a leading `*.` wildcard allowed, each inside one of
   * `zones`.
   */
  readonly domainNames: readonly string[];
  /** Route 53 hosted zones the validation records are written in (each name's most specific zone). */
  readonly zones: readonly DnsZone[];
  /**
   * AWS provider of the region the certificate is used in (us-east-1 for CloudFront).
   * @default the stack's default AWS provider
   */
  readonly provider?: AwsProvider;
}

/** The fields of {@link DnsValidatedCertificateProps} that are validated. */
export type DnsValidatedCertificateValidationInput = Pick<
  DnsValidatedCertificateProps,
  "domainNames" | "zones"
>;

/**
 * Every problem with certificate props, with field paths named as the props. Shared with the
 * environment-file validation (the `dns` section, app hosts and CDN domain names) so both say the
 * same thing.
 */
export function validateDnsValidatedCertificateProps(
  props: DnsValidatedCertificateValidationInput,
): Problem[] {
  const p = new ProblemList();
  checkDnsZones(p, props.zones);
  p.check(
    props.domainNames.length > 0,
    "domainNames",
    props.domainNames,
    "at least one host name for the certificate",
  );
  const seen = new Set<string>();
  props.domainNames.forEach((name, i) => {
    const field = `domainNames[${i}]`;
    if (isToken(name)) {
      p.check(
        props.zones.length <= 1,
        field,
        name,
        "a host name known at synth time when several zones are declared (its zone is chosen by name)",
      );
      return;
    }
    const wellFormed = WILDCARD_HOST_NAME.test(name);
    p.check(
      wellFormed,
      field,
      name,
      "a lowercase DNS host name such as app.example.com (a leading *. wildcard is allowed)",
    );
    p.check(!seen.has(name), field, name, "each host name once (duplicate)");
    seen.add(name);
    if (wellFormed) checkHostInZones(p, field, name, props.zones);
  });
  return [...p.problems];
}

/**
 * An ACM certificate validated through DNS in Route 53 zones the configuration names: the
 * certificate (DNS validation, replaced before it is destroyed so a listener never loses it), one
 * validation CNAME per name in the name's zone, and the validation that waits until ACM has
 * issued it. Use {@link certificateArn}: it is known only once the certificate is issued, so
 * whatever uses it waits for issuance.
 *
 * The records are one `for_each` resource keyed by domain name (not by position): adding a name
 * adds a record and leaves the others in place. A wildcard and its apex share one CNAME, so the
 * records may overwrite each other (`allow_overwrite`).
 */
export class DnsValidatedCertificate extends Construct {
  /** The certificate. */
  readonly certificate: AcmCertificate;
  /** The validation records (one per domain name, keyed by it). */
  readonly validationRecords: Route53Record;
  /** The validation: complete once ACM has issued the certificate. */
  readonly validation: AcmCertificateValidation;
  /** ARN of the issued certificate (from the validation, so users wait for issuance). */
  readonly certificateArn: string;
  /** The names the certificate covers. */
  readonly domainNames: readonly string[];

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);
    throwIfProblems(this, validateDnsValidatedCertificateProps(props));
    const [subject, ...alternatives] = props.domainNames;
    this.domainNames = [...props.domainNames];

    this.certificate = new AcmCertificate(this, "certificate", {
      provider: props.provider,
      domainName: subject,
      subjectAlternativeNames: alternatives.length > 0 ? alternatives : undefined,
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });

    // Each name's zone is known at synth time (validated above): a static map, no zone lookup.
    const zoneIdByName = Object.fromEntries(
      props.domainNames.map((name) => [name, (zoneOf(name, props.zones) ?? props.zones[0]).id]),
    );
    const zoneIds = new Set(Object.values(zoneIdByName));
    // Iterate the set itself: `tolist()` of a set whose elements are not yet known is unknown as a
    // whole, so a for_each over it (what `domainValidationOptions` renders) cannot plan with more
    // than one name. Iterating the set keeps each element's domain_name, known at plan time.
    const options = TerraformIterator.fromComplexList(
      this.certificate.interpolationForAttribute("domain_validation_options"),
      "domain_name",
    );
    this.validationRecords = new Route53Record(this, "validation-records", {
      provider: props.provider,
      forEach: options,
      zoneId: zoneIds.size === 1 ? [...zoneIds][0] : Fn.lookup(zoneIdByName, options.key),
      name: options.getString("resource_record_name"),
      type: options.getString("resource_record_type"),
      records: [options.getString("resource_record_value")],
      ttl: VALIDATION_RECORD_TTL_SECONDS,
      allowOverwrite: true,
    });

    this.validation = new AcmCertificateValidation(this, "validation", {
      provider: props.provider,
      certificateArn: this.certificate.arn,
      validationRecordFqdns: Token.asList(
        TerraformIterator.fromResources(this.validationRecords).pluckProperty("fqdn"),
      ),
    });
    this.certificateArn = this.validation.certificateArn;
  }
}
