/**
 * DNS and certificates across both stacks of an environment: what a dns section adds (app and
 * CDN certificates, ExternalDNS and its role, the Ingress annotations) and that without one
 * everything stays as before (certificate discovery, no DNS resources).
 */
import { environmentStacks, only, policy, resources, type StackJson } from "../helpers";

const ZONE = { id: "Z0123456789ABCDEFGHIJ", domain: "example.com" };
const OWN_CERT =
  "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
const CDN_CERT =
  "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

type Edit = (raw: Record<string, any>) => void;

/** The prod file with a dns section for example.com and no CDN certificate ARN, then `edit`. */
const withDns =
  (edit: Edit = () => {}): Edit =>
  (raw) => {
    raw.dns = { zones: [ZONE] };
    raw.cdn = { domainNames: ["www.example.com"] };
    edit(raw);
  };

/** Without a dns section, as before this feature: the CDN names its own certificate. */
const withoutDns: Edit = (raw) => {
  delete raw.dns;
  raw.cdn = { domainNames: ["www.example.com"], certificateArn: CDN_CERT };
};

const stacks = (edit: Edit, name = "prod") => environmentStacks(name, false, edit);

const ingressAnnotations = (json: StackJson): Record<string, string> =>
  (only(json, "kubernetes_ingress_v1").metadata as { annotations: Record<string, string> })
    .annotations;

const remote =
  /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-infrastructure\.outputs\.cross-stack-output-/;

describe("with a dns section: the infrastructure stack", () => {
  const { infrastructure } = stacks(withDns());
  const certificates = Object.entries(resources(infrastructure, "aws_acm_certificate"));

  test("one certificate per app host in the environment's region, keyed by host", () => {
    const app = certificates.filter(([name]) => name.startsWith("certificate-appexamplecom_"));
    expect(app).toHaveLength(1);
    expect(app[0][1]).toMatchObject({ domain_name: "app.example.com", validation_method: "DNS" });
    expect(app[0][1].provider).toBeUndefined();
  });

  test("the CDN's certificate in us-east-1, validated in the zone; the distribution serves it", () => {
    const [, cdn] = certificates.find(([name]) => name.startsWith("cdn-certificate_"))!;
    expect(cdn).toMatchObject({ domain_name: "www.example.com", provider: "aws.us_east_1" });
    const records = Object.values(resources(infrastructure, "aws_route53_record"));
    expect(records.map((r) => r.zone_id)).toEqual([ZONE.id, ZONE.id]);
    const distribution = only(infrastructure, "aws_cloudfront_distribution");
    expect(
      (distribution.viewer_certificate as Record<string, unknown>).acm_certificate_arn,
    ).toMatch(
      /^\$\{aws_acm_certificate_validation\.cdn-certificate_validation_\w+\.certificate_arn\}$/,
    );
  });

  test("one validation per certificate", () => {
    expect(Object.keys(resources(infrastructure, "aws_acm_certificate_validation"))).toHaveLength(
      2,
    );
  });

  test("outputs the app certificate ARNs by app and the CDN certificate ARN", () => {
    expect(infrastructure.output!.app_certificate_arns.value).toEqual({
      web: expect.stringMatching(
        /^\$\{aws_acm_certificate_validation\.certificate-appexamplecom_validation_\w+\.certificate_arn\}$/,
      ),
    });
    expect(infrastructure.output!.cdn_certificate_arn.value).toMatch(
      /^\$\{aws_acm_certificate_validation\.cdn-certificate_validation_\w+\.certificate_arn\}$/,
    );
  });

  test("ExternalDNS's IRSA role: trusted by its service account only, records of the zone only", () => {
    const role = Object.values(resources(infrastructure, "aws_iam_role")).find(
      (r) => r.name === "prod-external-dns-external-dns",
    )!;
    expect(JSON.stringify(role.assume_role_policy)).toContain(
      "system:serviceaccount:external-dns:external-dns",
    );
    const inline = Object.values(resources(infrastructure, "aws_iam_role_policy")).find((p) =>
      String(p.role).includes("irsa-external-dns-external-dns"),
    )!;
    expect(policy(inline.policy).Statement).toEqual([
      {
        Sid: "ChangeRecordsInDeclaredZones",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        Resource: ["arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"],
      },
      {
        Sid: "ListHostedZones",
        Effect: "Allow",
        Action: ["route53:ListHostedZones"],
        Resource: "*",
      },
    ]);
  });

  test("uses no data source that calls an AWS API (the zone ids come from the file)", () => {
    const allowed = ["aws_iam_policy_document", "aws_partition"];
    expect(Object.keys(infrastructure.data ?? {}).filter((t) => !allowed.includes(t))).toEqual([]);
  });

  test("an app or the CDN with its own certificate ARN gets no certificate", () => {
    const { infrastructure: own } = stacks(
      withDns((raw) => {
        raw.apps.web.certificateArn = OWN_CERT;
        raw.cdn.certificateArn = CDN_CERT;
      }),
    );
    expect(resources(own, "aws_acm_certificate")).toEqual({});
    expect(resources(own, "aws_route53_record")).toEqual({});
    expect(
      (only(own, "aws_cloudfront_distribution").viewer_certificate as Record<string, unknown>)
        .acm_certificate_arn,
    ).toBe(CDN_CERT);
    expect(Object.keys(own.output ?? {})).not.toContain("app_certificate_arns");
    expect(Object.keys(own.output ?? {})).not.toContain("cdn_certificate_arn");
  });

  test("apps sharing a host share its certificate", () => {
    const { infrastructure: shared } = stacks(
      withDns((raw) => {
        raw.cdn = {};
        // web's secrets are named prod/web/...; a database of its own
        raw.apps.api = {
          ...raw.apps.web,
          namespace: "api",
          database: { name: "api" },
          secrets: {},
          dashboards: [], // web's business dashboard has web's uid
        };
      }),
    );
    expect(Object.keys(resources(shared, "aws_acm_certificate"))).toHaveLength(1);
    const arns = shared.output!.app_certificate_arns.value as Record<string, string>;
    expect(arns.api).toBe(arns.web);
  });
});

describe("with a dns section: the workloads stack", () => {
  const { workloads } = stacks(withDns());
  const externalDns = Object.values(resources(workloads, "helm_release")).find(
    (r) => r.name === "external-dns",
  )!;
  const values = JSON.parse((externalDns.values as string[])[0]);

  test("installs ExternalDNS with its role from the infrastructure stack, for the declared zone", () => {
    expect(externalDns).toBeDefined();
    expect(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(remote);
    expect(values).toMatchObject({
      domainFilters: ["example.com"],
      extraArgs: { "zone-id-filter": ["Z0123456789ABCDEFGHIJ"] },
      txtOwnerId: "prod",
      env: [{ name: "AWS_DEFAULT_REGION", value: "eu-west-1" }],
    });
  });

  test("production only creates and updates records; development also deletes its own", () => {
    expect(values.policy).toBe("upsert-only");
    const { workloads: dev } = stacks((raw) => {
      raw.dns = { zones: [{ id: "Z0DEV1234567890ABCDEF", domain: "dev.example.com" }] };
    }, "dev");
    const devValues = JSON.parse(
      (
        Object.values(resources(dev, "helm_release")).find((r) => r.name === "external-dns")!
          .values as string[]
      )[0],
    );
    expect(devValues).toMatchObject({ policy: "sync", txtOwnerId: "dev" });
  });

  test("the app Ingress names the issued certificate (no discovery) and the ExternalDNS hostname", () => {
    const annotations = ingressAnnotations(workloads);
    expect(annotations["alb.ingress.kubernetes.io/certificate-arn"]).toMatch(remote);
    expect(annotations["alb.ingress.kubernetes.io/certificate-arn"]).toMatch(
      /aws_acm_certificate_validation.*certificate_arn\}$/,
    );
    expect(annotations["external-dns.alpha.kubernetes.io/hostname"]).toBe("app.example.com");
  });

  test("an app's own certificate ARN wins", () => {
    const { workloads: own } = stacks(withDns((raw) => (raw.apps.web.certificateArn = OWN_CERT)));
    expect(ingressAnnotations(own)["alb.ingress.kubernetes.io/certificate-arn"]).toBe(OWN_CERT);
  });
});

describe("without a dns section: as before", () => {
  const { infrastructure, workloads } = stacks(withoutDns);

  test("no certificate, no DNS record, no ExternalDNS role in the infrastructure stack", () => {
    expect(resources(infrastructure, "aws_acm_certificate")).toEqual({});
    expect(resources(infrastructure, "aws_acm_certificate_validation")).toEqual({});
    expect(resources(infrastructure, "aws_route53_record")).toEqual({});
    expect(
      Object.values(resources(infrastructure, "aws_iam_role")).map((r) => r.name),
    ).not.toContain("prod-external-dns-external-dns");
    expect(Object.keys(infrastructure.output ?? {})).not.toContain("app_certificate_arns");
  });

  test("no ExternalDNS; the Ingress discovers its certificate and carries no hostname annotation", () => {
    expect(Object.values(resources(workloads, "helm_release")).map((r) => r.name)).not.toContain(
      "external-dns",
    );
    const annotations = ingressAnnotations(workloads);
    expect(annotations["alb.ingress.kubernetes.io/certificate-arn"]).toBeUndefined();
    expect(annotations["external-dns.alpha.kubernetes.io/hostname"]).toBeUndefined();
  });
});
