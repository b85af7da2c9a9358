/** Policy rules at the edge (CloudFront, load balancers, ALB Ingresses) and on stateful resources: each passes a compliant resource and names what is wrong with a bad one. */
import type { TerraformStack } from "cdktf";
import { AlbListener } from "@cdktf/provider-aws/lib/alb-listener";
import {
  CloudfrontDistribution,
  type CloudfrontDistributionConfig,
} from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { DataAwsS3Bucket } from "@cdktf/provider-aws/lib/data-aws-s3-bucket";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketWebsiteConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-website-configuration";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { IngressV1, type IngressV1Config } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { problems } from "../support/policy";

const CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/c";
const MODERN_ELB_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
const LOAD_BALANCER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/1";
const TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/t/1";
const ALB = "alb.ingress.kubernetes.io";

/** A cache behaviour with the given viewer protocol policy (ordered ones add a pathPattern). */
function behaviour(viewerProtocolPolicy: string) {
  return {
    targetOriginId: "app",
    viewerProtocolPolicy,
    allowedMethods: ["GET", "HEAD"],
    cachedMethods: ["GET", "HEAD"],
    cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  };
}

/**
 * A distribution that every CloudFront rule passes (custom domain, TLS 1.2, HTTPS only, one
 * origin over TLS 1.2) with what `config` replaces.
 */
function distribution(
  stack: TerraformStack,
  id: string,
  config: Partial<CloudfrontDistributionConfig> = {},
): CloudfrontDistribution {
  return new CloudfrontDistribution(stack, id, {
    enabled: true,
    aliases: ["www.example.com"],
    origin: [
      {
        originId: "app",
        domainName: "app.example.com",
        customOriginConfig: {
          httpPort: 80,
          httpsPort: 443,
          originProtocolPolicy: "https-only",
          originSslProtocols: ["TLSv1.2"],
        },
      },
    ],
    defaultCacheBehavior: behaviour("redirect-to-https"),
    restrictions: { geoRestriction: { restrictionType: "none" } },
    viewerCertificate: {
      acmCertificateArn: CERTIFICATE,
      sslSupportMethod: "sni-only",
      minimumProtocolVersion: "TLSv1.2_2021",
    },
    loggingConfig: { bucket: "logs.s3.amazonaws.com" },
    ...config,
  });
}

describe("cloudfront-https-only", () => {
  test("passes default and ordered behaviours that redirect to or require HTTPS", () => {
    expect(
      problems("cloudfront-https-only", (stack) => {
        distribution(stack, "site", {
          orderedCacheBehavior: [{ ...behaviour("https-only"), pathPattern: "/api/*" }],
        });
      }),
    ).toEqual([]);
  });

  test("fails default and ordered behaviours that allow HTTP", () => {
    expect(
      problems("cloudfront-https-only", (stack) => {
        distribution(stack, "site", {
          defaultCacheBehavior: behaviour("allow-all"),
          orderedCacheBehavior: [
            { ...behaviour("redirect-to-https"), pathPattern: "/static/*" },
            { ...behaviour("allow-all"), pathPattern: "/api/*" },
          ],
        });
      }),
    ).toEqual([
      'site: default_cache_behavior: viewer_protocol_policy is "allow-all"',
      'site: ordered_cache_behavior "/api/*": viewer_protocol_policy is "allow-all"',
    ]);
  });
});

describe("cloudfront-viewer-tls", () => {
  test("passes a custom certificate with a TLS 1.2 policy, and the default certificate", () => {
    expect(
      problems("cloudfront-viewer-tls", (stack) => {
        distribution(stack, "custom");
        distribution(stack, "default-domain", {
          aliases: undefined,
          viewerCertificate: { cloudfrontDefaultCertificate: true },
        });
      }),
    ).toEqual([]);
  });

  test("fails a custom certificate with the TLSv1 default or a TLS 1.1 policy", () => {
    expect(
      problems("cloudfront-viewer-tls", (stack) => {
        distribution(stack, "unset", {
          viewerCertificate: { acmCertificateArn: CERTIFICATE, sslSupportMethod: "sni-only" },
        });
        distribution(stack, "tls11", {
          viewerCertificate: {
            acmCertificateArn: CERTIFICATE,
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: "TLSv1.1_2016",
          },
        });
      }),
    ).toEqual([
      'tls11: viewer_certificate.minimum_protocol_version is "TLSv1.1_2016"',
      'unset: viewer_certificate.minimum_protocol_version is "TLSv1"',
    ]);
  });
});

describe("cloudfront-custom-certificate", () => {
  test("passes a distribution with its own ACM certificate", () => {
    expect(
      problems("cloudfront-custom-certificate", (stack) => {
        distribution(stack, "site");
      }),
    ).toEqual([]);
  });

  test("fails a distribution on the *.cloudfront.net certificate", () => {
    expect(
      problems("cloudfront-custom-certificate", (stack) => {
        distribution(stack, "site", {
          aliases: undefined,
          viewerCertificate: { cloudfrontDefaultCertificate: true },
        });
      }),
    ).toEqual(["site: viewer_certificate.cloudfront_default_certificate is true"]);
  });
});

describe("cloudfront-origin-tls", () => {
  test("passes custom origins over HTTPS with TLS 1.2, and S3 origins", () => {
    expect(
      problems("cloudfront-origin-tls", (stack) => {
        const bucket = new S3Bucket(stack, "content", { bucket: "content" });
        distribution(stack, "site", {
          origin: [
            {
              originId: "app",
              domainName: "app.example.com",
              customOriginConfig: {
                httpPort: 80,
                httpsPort: 443,
                originProtocolPolicy: "https-only",
                originSslProtocols: ["TLSv1.2"],
              },
            },
            { originId: "content", domainName: bucket.bucketRegionalDomainName },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("fails a custom origin over HTTP and one that allows old TLS versions", () => {
    expect(
      problems("cloudfront-origin-tls", (stack) => {
        distribution(stack, "site", {
          origin: [
            {
              originId: "plain",
              domainName: "plain.example.com",
              customOriginConfig: {
                httpPort: 80,
                httpsPort: 443,
                originProtocolPolicy: "http-only",
                originSslProtocols: ["TLSv1.2"],
              },
            },
            {
              originId: "legacy",
              domainName: "legacy.example.com",
              customOriginConfig: {
                httpPort: 80,
                httpsPort: 443,
                originProtocolPolicy: "match-viewer",
                originSslProtocols: ["TLSv1", "TLSv1.1", "TLSv1.2"],
              },
            },
          ],
        });
      }),
    ).toEqual([
      'site: origin "plain": origin_protocol_policy is "http-only"',
      'site: origin "legacy": origin_protocol_policy is "match-viewer"',
      'site: origin "legacy": origin_ssl_protocols allows TLSv1, TLSv1.1',
    ]);
  });
});

describe("cloudfront-s3-origin-access-control", () => {
  test("passes S3 origins through origin access control, and ignores other origins", () => {
    expect(
      problems("cloudfront-s3-origin-access-control", (stack) => {
        const bucket = new S3Bucket(stack, "content", { bucket: "content" });
        const shared = new DataAwsS3Bucket(stack, "shared", { bucket: "shared" });
        const oac = new CloudfrontOriginAccessControl(stack, "oac", {
          name: "content",
          originAccessControlOriginType: "s3",
          signingBehavior: "always",
          signingProtocol: "sigv4",
        });
        distribution(stack, "site", {
          origin: [
            {
              originId: "content",
              domainName: bucket.bucketRegionalDomainName,
              originAccessControlId: oac.id,
            },
            {
              originId: "shared",
              domainName: shared.bucketRegionalDomainName,
              originAccessControlId: oac.id,
            },
            {
              originId: "app",
              domainName: "app.example.com",
              customOriginConfig: {
                httpPort: 80,
                httpsPort: 443,
                originProtocolPolicy: "https-only",
                originSslProtocols: ["TLSv1.2"],
              },
            },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("fails S3 origins without origin access control or with a legacy identity", () => {
    expect(
      problems("cloudfront-s3-origin-access-control", (stack) => {
        const bucket = new S3Bucket(stack, "content", { bucket: "content" });
        const shared = new DataAwsS3Bucket(stack, "shared", { bucket: "shared" });
        distribution(stack, "site", {
          origin: [
            { originId: "bare", domainName: bucket.bucketRegionalDomainName },
            {
              originId: "oai",
              domainName: bucket.bucketRegionalDomainName,
              s3OriginConfig: {
                originAccessIdentity: "origin-access-identity/cloudfront/E2QWRUHAPOMQZL",
              },
            },
            { originId: "literal", domainName: "content.s3.eu-west-1.amazonaws.com" },
            { originId: "shared", domainName: shared.bucketRegionalDomainName },
          ],
        });
      }),
    ).toEqual([
      'site: origin "bare": no origin_access_control_id',
      'site: origin "oai": no origin_access_control_id',
      'site: origin "oai": s3_origin_config uses a legacy origin access identity',
      'site: origin "literal": no origin_access_control_id',
      'site: origin "shared": no origin_access_control_id',
    ]);
  });

  test("fails S3 website endpoints, by name or by reference", () => {
    const website = {
      httpPort: 80,
      httpsPort: 443,
      originProtocolPolicy: "http-only",
      originSslProtocols: ["TLSv1.2"],
    };
    expect(
      problems("cloudfront-s3-origin-access-control", (stack) => {
        const bucket = new S3Bucket(stack, "content", { bucket: "content" });
        const configuration = new S3BucketWebsiteConfiguration(stack, "website", {
          bucket: bucket.id,
          indexDocument: { suffix: "index.html" },
        });
        distribution(stack, "site", {
          origin: [
            {
              originId: "named",
              domainName: "content.s3-website-eu-west-1.amazonaws.com",
              customOriginConfig: website,
            },
            {
              originId: "configuration",
              domainName: configuration.websiteEndpoint,
              customOriginConfig: website,
            },
            {
              originId: "bucket",
              domainName: bucket.websiteEndpoint,
              customOriginConfig: website,
            },
          ],
        });
      }),
    ).toEqual([
      'site: origin "named" is an S3 website endpoint (a public bucket)',
      'site: origin "configuration" is an S3 website endpoint (a public bucket)',
      'site: origin "bucket" is an S3 website endpoint (a public bucket)',
    ]);
  });
});

describe("cloudfront-access-logs", () => {
  const unlogged = (stack: TerraformStack) => {
    distribution(stack, "site", { loggingConfig: undefined });
  };

  test("passes legacy standard logging and a v2 access log delivery source", () => {
    expect(
      problems("cloudfront-access-logs", (stack) => {
        distribution(stack, "legacy");
        const v2 = distribution(stack, "v2", { loggingConfig: undefined });
        new CloudwatchLogDeliverySource(stack, "v2-logs", {
          name: "v2-access-logs",
          logType: "ACCESS_LOGS",
          resourceArn: v2.arn,
        });
      }),
    ).toEqual([]);
  });

  test("fails a distribution without logging, or whose delivery source is for another one", () => {
    expect(
      problems("cloudfront-access-logs", (stack) => {
        unlogged(stack);
        const other = distribution(stack, "other");
        new CloudwatchLogDeliverySource(stack, "other-logs", {
          name: "other-access-logs",
          logType: "ACCESS_LOGS",
          resourceArn: other.arn,
        });
      }),
    ).toEqual([
      "site: no logging_config and no ACCESS_LOGS log delivery source for this distribution",
    ]);
  });

  test("does not apply to the development tier", () => {
    expect(problems("cloudfront-access-logs", unlogged, "development")).toEqual([]);
  });
});

describe("load-balancer-tls", () => {
  test("passes HTTPS and TLS listeners with a TLS 1.2+ policy and an HTTP redirect to HTTPS", () => {
    expect(
      problems("load-balancer-tls", (stack) => {
        new LbListener(stack, "https", {
          loadBalancerArn: LOAD_BALANCER,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: MODERN_ELB_POLICY,
          certificateArn: CERTIFICATE,
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
        new LbListener(stack, "tls", {
          loadBalancerArn: LOAD_BALANCER,
          port: 8443,
          protocol: "TLS",
          sslPolicy: "ELBSecurityPolicy-FS-1-2-Res-2020-10",
          certificateArn: CERTIFICATE,
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
        new LbListener(stack, "tcp", {
          loadBalancerArn: LOAD_BALANCER,
          port: 5432,
          protocol: "TCP",
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
        new AlbListener(stack, "redirect", {
          loadBalancerArn: LOAD_BALANCER,
          port: 80,
          protocol: "HTTP",
          defaultAction: [
            {
              type: "redirect",
              redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" },
            },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("fails HTTPS listeners with the default or an old policy", () => {
    expect(
      problems("load-balancer-tls", (stack) => {
        new LbListener(stack, "default-policy", {
          loadBalancerArn: LOAD_BALANCER,
          port: 443,
          protocol: "HTTPS",
          certificateArn: CERTIFICATE,
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
        new LbListener(stack, "old-policy", {
          loadBalancerArn: LOAD_BALANCER,
          port: 8443,
          protocol: "HTTPS",
          sslPolicy: "ELBSecurityPolicy-TLS-1-1-2017-01",
          certificateArn: CERTIFICATE,
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
      }),
    ).toEqual([
      'default-policy: ssl_policy is "ELBSecurityPolicy-2016-08"',
      'old-policy: ssl_policy is "ELBSecurityPolicy-TLS-1-1-2017-01"',
    ]);
  });

  test("fails HTTP listeners, explicit or by default, that do not redirect to HTTPS", () => {
    expect(
      problems("load-balancer-tls", (stack) => {
        new LbListener(stack, "forward", {
          loadBalancerArn: LOAD_BALANCER,
          port: 80,
          protocol: "HTTP",
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
        new LbListener(stack, "to-http", {
          loadBalancerArn: LOAD_BALANCER,
          port: 8080,
          defaultAction: [
            {
              type: "redirect",
              redirect: { protocol: "HTTP", port: "80", statusCode: "HTTP_301" },
            },
          ],
        });
        new AlbListener(stack, "alb-forward", {
          loadBalancerArn: LOAD_BALANCER,
          port: 80,
          defaultAction: [{ type: "forward", targetGroupArn: TARGET_GROUP }],
        });
      }),
    ).toEqual([
      "forward: an HTTP listener whose default action is not a redirect to HTTPS",
      "to-http: an HTTP listener whose default action is not a redirect to HTTPS",
      "alb-forward: an HTTP listener whose default action is not a redirect to HTTPS",
    ]);
  });
});

describe("ingress-alb-tls", () => {
  /** An ALB Ingress for www.example.com with the given annotations and spec additions. */
  function ingress(
    stack: TerraformStack,
    id: string,
    annotations: Record<string, string>,
    spec: Partial<IngressV1Config["spec"]> = {},
  ): IngressV1 {
    return new IngressV1(stack, id, {
      metadata: { name: id, namespace: "web", annotations },
      spec: {
        ingressClassName: "alb",
        rule: [
          {
            http: {
              path: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { number: 80 } } },
                },
              ],
            },
          },
        ],
        ...spec,
      },
    });
  }
  const secure = {
    [`${ALB}/listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
    [`${ALB}/ssl-redirect`]: "443",
    [`${ALB}/ssl-policy`]: MODERN_ELB_POLICY,
  };

  test("passes HTTPS with a certificate-arn, a TLS 1.2+ policy and an HTTP redirect", () => {
    expect(
      problems("ingress-alb-tls", (stack) => {
        ingress(stack, "web", { ...secure, [`${ALB}/certificate-arn`]: CERTIFICATE });
      }),
    ).toEqual([]);
  });

  test("passes certificates discovered for spec.tls hosts or rule hosts instead of a certificate-arn", () => {
    expect(
      problems("ingress-alb-tls", (stack) => {
        ingress(stack, "tls-hosts", secure, { tls: [{ hosts: ["www.example.com"] }] });
        ingress(stack, "rule-hosts", secure, {
          rule: [
            {
              host: "www.example.com",
              http: {
                path: [{ path: "/", backend: { service: { name: "web", port: { number: 80 } } } }],
              },
            },
          ],
        });
      }),
    ).toEqual([]);
  });

  test("passes a certificate-arn without listen-ports (the controller then listens on HTTPS 443 only)", () => {
    expect(
      problems("ingress-alb-tls", (stack) => {
        ingress(stack, "web", {
          [`${ALB}/certificate-arn`]: CERTIFICATE,
          [`${ALB}/ssl-policy`]: MODERN_ELB_POLICY,
        });
      }),
    ).toEqual([]);
  });

  test("ignores Ingresses for other controllers", () => {
    expect(
      problems("ingress-alb-tls", (stack) => {
        ingress(stack, "nginx", {}, { ingressClassName: "nginx" });
      }),
    ).toEqual([]);
  });

  test("fails an ALB Ingress on the controller's defaults: HTTP 80 without a certificate", () => {
    expect(
      problems("ingress-alb-tls", (stack) => {
        ingress(stack, "by-class-name", {});
        ingress(
          stack,
          "by-annotation",
          { "kubernetes.io/ingress.class": "alb" },
          { ingressClassName: undefined },
        );
      }),
    ).toEqual([
      'by-annotation: no HTTPS listener with a certificate (listen-ports [{"HTTP":80}]; no certificate-arn annotation and no spec.tls or rule hosts)',
      "by-annotation: an HTTP listener without ssl-redirect (it would serve the app over plain HTTP)",
      'by-class-name: no HTTPS listener with a certificate (listen-ports [{"HTTP":80}]; no certificate-arn annotation and no spec.tls or rule hosts)',
      "by-class-name: an HTTP listener without ssl-redirect (it would serve the app over plain HTTP)",
    ]);
  });

  test("fails HTTPS without a certificate or with an old policy, and HTTP without a redirect", () => {
    expect(
      problems("ingress-alb-tls", (stack) => {
        ingress(stack, "no-certificate", {
          [`${ALB}/listen-ports`]: JSON.stringify([{ HTTPS: 443 }]),
          [`${ALB}/ssl-policy`]: MODERN_ELB_POLICY,
        });
        ingress(stack, "old-policy", {
          [`${ALB}/listen-ports`]: JSON.stringify([{ HTTPS: 443 }]),
          [`${ALB}/certificate-arn`]: CERTIFICATE,
          [`${ALB}/ssl-policy`]: "ELBSecurityPolicy-2016-08",
        });
        ingress(stack, "default-policy", {
          [`${ALB}/certificate-arn`]: CERTIFICATE,
        });
        ingress(stack, "no-redirect", {
          [`${ALB}/listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
          [`${ALB}/certificate-arn`]: CERTIFICATE,
          [`${ALB}/ssl-policy`]: MODERN_ELB_POLICY,
        });
      }),
    ).toEqual([
      'default-policy: ssl-policy is "ELBSecurityPolicy-2016-08"',
      'no-certificate: no HTTPS listener with a certificate (listen-ports [{"HTTPS":443}]; no certificate-arn annotation and no spec.tls or rule hosts)',
      "no-redirect: an HTTP listener without ssl-redirect (it would serve the app over plain HTTP)",
      'old-policy: ssl-policy is "ELBSecurityPolicy-2016-08"',
    ]);
  });
});

describe("stateful-prevent-destroy", () => {
  const unprotected = (stack: TerraformStack) => {
    new DbInstance(stack, "database", { instanceClass: "db.t4g.micro", engine: "postgres" });
    new S3Bucket(stack, "bucket", { bucket: "b", lifecycle: { preventDestroy: false } });
    new KmsKey(stack, "key", { description: "k" });
  };

  test("passes stateful resources with prevent_destroy, and ignores stateless ones", () => {
    expect(
      problems("stateful-prevent-destroy", (stack) => {
        new DbInstance(stack, "database", {
          instanceClass: "db.t4g.micro",
          engine: "postgres",
          lifecycle: { preventDestroy: true },
        });
        new S3Bucket(stack, "bucket", { bucket: "b", lifecycle: { preventDestroy: true } });
        new KmsKey(stack, "key", { description: "k", lifecycle: { preventDestroy: true } });
        new Vpc(stack, "vpc", { cidrBlock: "10.0.0.0/16" });
      }),
    ).toEqual([]);
  });

  test("fails stateful resources without prevent_destroy", () => {
    expect(problems("stateful-prevent-destroy", unprotected)).toEqual([
      "database: lifecycle.prevent_destroy is not true",
      "bucket: lifecycle.prevent_destroy is not true",
      "key: lifecycle.prevent_destroy is not true",
    ]);
  });

  test("does not apply to the development tier", () => {
    expect(problems("stateful-prevent-destroy", unprotected, "development")).toEqual([]);
  });
});
