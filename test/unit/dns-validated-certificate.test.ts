import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, Token } from "cdktf";
import {
  DnsValidatedCertificate,
  validateDnsValidatedCertificateProps,
  type DnsValidatedCertificateProps,
} from "../../constructs/dns-validated-certificate";
import { zoneOf } from "../../constructs/private/dns-zones";
import { only, rejectionLines, synth, testStack, usEast1Provider } from "../helpers";

const APEX = { id: "Z0123456789ABCDEFGHIJ", domain: "example.com" };
const STAGING = { id: "Z0STAGING1234567890AB", domain: "staging.example.com" };

function certificate(props: Partial<DnsValidatedCertificateProps> = {}) {
  const stack = testStack();
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const construct = new DnsValidatedCertificate(stack, "app.example.com", {
    domainNames: ["app.example.com"],
    zones: [APEX],
    ...props,
  });
  return { construct, json: synth(stack), stack };
}

describe("DnsValidatedCertificate", () => {
  const { json } = certificate();
  const cert = only(json, "aws_acm_certificate");
  const record = only(json, "aws_route53_record");
  const validation = only(json, "aws_acm_certificate_validation");

  test("an ACM certificate for the name, validated through DNS, replaced before it is destroyed", () => {
    expect(cert).toMatchObject({
      domain_name: "app.example.com",
      validation_method: "DNS",
      lifecycle: { create_before_destroy: true },
    });
    expect(cert.subject_alternative_names).toBeUndefined();
    expect(cert.provider).toBeUndefined();
  });

  test("the validation records iterate the certificate's validation options set, keyed by domain name", () => {
    // the set itself, not tolist(set): a list of a not-yet-known set is unknown as a whole, and
    // Terraform cannot plan a for_each over it when the certificate has more than one name
    expect(record.for_each).toMatch(
      /^\$\{\{ for key, val in aws_acm_certificate\.[\w-]+\.domain_validation_options: val\.domain_name => val \}\}$/,
    );
    expect(record).toMatchObject({
      name: "${each.value.resource_record_name}",
      type: "${each.value.resource_record_type}",
      records: ["${each.value.resource_record_value}"],
    });
  });

  test("the records go to the declared zone, TTL 60, overwriting an existing identical record", () => {
    expect(record).toMatchObject({ zone_id: APEX.id, ttl: 60, allow_overwrite: true });
  });

  test("the validation waits for the certificate through the records' FQDNs", () => {
    expect(validation.certificate_arn).toMatch(/^\$\{aws_acm_certificate\.[\w-]+\.arn\}$/);
    expect(validation.validation_record_fqdns).toMatch(
      /^\$\{\[ for key, val in aws_route53_record\.[\w-]+: val\.fqdn\]\}$/,
    );
  });

  test("certificateArn is the validated certificate's ARN, known once ACM has issued it", () => {
    const { stack, construct: c } = certificate();
    new TerraformOutput(stack, "arn", { value: c.certificateArn });
    expect(synth(stack).output!.arn.value).toMatch(
      /^\$\{aws_acm_certificate_validation\.[\w-]+\.certificate_arn\}$/,
    );
  });

  test("resource names are keyed by the construct id (the host), not by a position", () => {
    expect(Object.keys(json.resource!.aws_acm_certificate)).toEqual([
      expect.stringMatching(/^appexamplecom_certificate_/),
    ]);
  });
});

describe("DnsValidatedCertificate with several names", () => {
  const stack = testStack();
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  const usEast1 = usEast1Provider(stack);
  new DnsValidatedCertificate(stack, "cdn", {
    domainNames: ["www.example.com", "example.com", "*.staging.example.com"],
    zones: [APEX, STAGING],
    provider: usEast1,
  });
  const json = synth(stack);

  test("the first name is the subject, the others subject alternative names", () => {
    expect(only(json, "aws_acm_certificate")).toMatchObject({
      domain_name: "www.example.com",
      subject_alternative_names: ["example.com", "*.staging.example.com"],
    });
  });

  test("each name's record goes to its most specific zone", () => {
    expect(only(json, "aws_route53_record").zone_id).toBe(
      '${{"www.example.com" = "Z0123456789ABCDEFGHIJ", "example.com" = "Z0123456789ABCDEFGHIJ", "*.staging.example.com" = "Z0STAGING1234567890AB"}[each.key]}',
    );
  });

  test("certificate, records and validation use the given provider (us-east-1 for CloudFront)", () => {
    for (const type of [
      "aws_acm_certificate",
      "aws_route53_record",
      "aws_acm_certificate_validation",
    ]) {
      expect(only(json, type).provider).toBe("aws.us_east_1");
    }
  });
});

describe("zoneOf", () => {
  test("a host lies in a zone when it equals the domain or ends with . + domain", () => {
    expect(zoneOf("example.com", [APEX])).toBe(APEX);
    expect(zoneOf("app.example.com", [APEX])).toBe(APEX);
    expect(zoneOf("*.example.com", [APEX])).toBe(APEX);
    expect(zoneOf("badexample.com", [APEX])).toBeUndefined();
    expect(zoneOf("example.com.evil.org", [APEX])).toBeUndefined();
  });

  test("the most specific (longest) zone wins, whatever the order", () => {
    expect(zoneOf("web.staging.example.com", [APEX, STAGING])).toBe(STAGING);
    expect(zoneOf("web.staging.example.com", [STAGING, APEX])).toBe(STAGING);
    expect(zoneOf("www.example.com", [STAGING, APEX])).toBe(APEX);
  });
});

describe("DnsValidatedCertificate validation", () => {
  test("fails when a name lies outside every zone", () => {
    expect(rejectionLines(() => certificate({ domainNames: ["app.other.org"] }))).toEqual([
      'test/app.example.com: domainNames[0]: received "app.other.org"; expected a host inside a declared dns zone (example.com)',
    ]);
  });

  test("fails when a zone id has the wrong shape, listing every problem", () => {
    expect(
      rejectionLines(() =>
        certificate({
          zones: [
            { id: "/hostedzone/Z0123456789ABCDEFGHIJ", domain: "example.com" },
            { id: "z-lowercase", domain: "Example.com." },
          ],
          domainNames: ["app.example.com", "app.example.com", "Bad_Name"],
        }),
      ),
    ).toEqual([
      'test/app.example.com: zones[0].id: received "/hostedzone/Z0123456789ABCDEFGHIJ"; expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ: "Z" and up to 31 upper-case letters and digits, without /hostedzone/',
      'test/app.example.com: zones[1].id: received "z-lowercase"; expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ: "Z" and up to 31 upper-case letters and digits, without /hostedzone/',
      'test/app.example.com: zones[1].domain: received "Example.com."; expected the zone\'s lowercase domain name such as example.com (no trailing dot)',
      'test/app.example.com: domainNames[1]: received "app.example.com"; expected each host name once (duplicate)',
      'test/app.example.com: domainNames[2]: received "Bad_Name"; expected a lowercase DNS host name such as app.example.com (a leading *. wildcard is allowed)',
    ]);
  });

  test.each([
    ["Z1", true],
    ["Z", false],
    ["Z0123456789ABCDEFGHIJ", true],
    [`Z${"A".repeat(31)}`, true],
    [`Z${"A".repeat(32)}`, false],
    ["A0123456789ABCDEFGHIJ", false],
    ["Z0123456789abcdefghij", false],
  ])("zone id %s is valid: %s", (id, valid) => {
    const problems = validateDnsValidatedCertificateProps({
      domainNames: ["example.com"],
      zones: [{ id, domain: "example.com" }],
    });
    expect(problems.map((p) => p.field)).toEqual(valid ? [] : ["zones[0].id"]);
  });

  test("fails when there is no zone or no name, or a zone is declared twice", () => {
    expect(validateDnsValidatedCertificateProps({ domainNames: [], zones: [] })).toEqual([
      {
        field: "zones",
        received: [],
        expected: "at least one Route 53 hosted zone ({ id, domain })",
      },
      {
        field: "domainNames",
        received: [],
        expected: "at least one host name for the certificate",
      },
    ]);
    expect(
      validateDnsValidatedCertificateProps({
        domainNames: ["example.com"],
        zones: [APEX, APEX],
      }).map((p) => `${p.field}: ${p.expected}`),
    ).toEqual([
      "zones[1].id: each zone once (duplicate id)",
      "zones[1].domain: each domain once (duplicate domain: records of a name can only go to one zone)",
    ]);
  });

  test("unresolved names and zones are not validated, but a name's zone must be known", () => {
    const host = Token.asString({ Ref: "host" });
    expect(
      validateDnsValidatedCertificateProps({
        domainNames: [host],
        zones: [{ id: Token.asString({ Ref: "id" }), domain: Token.asString({ Ref: "d" }) }],
      }),
    ).toEqual([]);
    expect(
      validateDnsValidatedCertificateProps({ domainNames: [host], zones: [APEX, STAGING] }),
    ).toEqual([
      {
        field: "domainNames[0]",
        received: host,
        expected:
          "a host name known at synth time when several zones are declared (its zone is chosen by name)",
      },
    ]);
  });
});
