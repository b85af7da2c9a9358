import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, Token } from "cdktf";
import {
  CACHING_OPTIMIZED_POLICY_ID,
  StaticSite,
  validateStaticSiteProps,
  type StaticSiteProps,
} from "../../constructs/static-site";
import { isBucketName, isHostName } from "../../constructs/private/static-site-names";
import {
  allowedActions,
  only,
  policy,
  resources,
  synth,
  TEST_AWS,
  testStack,
  usEast1Provider,
  type StackJson,
} from "../helpers";

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
const WEB_ACL =
  "arn:aws:wafv2:us-east-1:123456789012:global/webacl/prod-edge/473e64fd-f30b-4765-81a0-62ad96dd167a";

function site(props: Partial<StaticSiteProps> = {}, usEast1Region = "us-east-1") {
  const stack = testStack();
  const usEast1 = usEast1Provider(stack, usEast1Region);
  const construct = new StaticSite(stack, "site", {
    environment: TEST_AWS,
    usEast1Provider: usEast1,
    name: "prod-web",
    ...props,
  });
  return { construct, json: synth(stack) };
}

/** The resource of a type whose Terraform name contains `part` (one construct id per resource). */
function named(json: StackJson, type: string, part: string): Record<string, unknown> {
  const found = Object.entries(resources(json, type)).filter(([n]) => n.includes(`_${part}_`));
  if (found.length !== 1)
    throw new Error(`expected one ${type} named *${part}*, found ${found.length}`);
  return found[0][1];
}

/** IAM's ArnLike: `*` matches any run of characters (also `/`), `?` one character. */
function iamArnLike(pattern: string, arn: string): boolean {
  const body = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`).test(arn);
}

/** A `${type.<name>.<attr>}` reference to the resource of a type whose name contains `part`. */
function ref(json: StackJson, type: string, part: string, attr: string): string {
  const name = Object.keys(resources(json, type)).find((n) => n.includes(`_${part}_`));
  return `\${${type}.${name}.${attr}}`;
}

describe("StaticSite content bucket", () => {
  const { json } = site();

  test("bucket name derives from name and account", () => {
    expect(named(json, "aws_s3_bucket", "content-bucket").bucket).toBe(
      "prod-web-123456789012-content",
    );
  });

  test("all four public access block flags are on for every bucket", () => {
    const blocks = Object.values(resources(json, "aws_s3_bucket_public_access_block"));
    expect(blocks).toHaveLength(2);
    for (const b of blocks) {
      expect(b).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
    }
    expect(
      named(json, "aws_s3_bucket_public_access_block", "content-public-access-block").bucket,
    ).toBe(ref(json, "aws_s3_bucket", "content-bucket", "id"));
  });

  test("ACLs are disabled (BucketOwnerEnforced) on every bucket", () => {
    const controls = Object.values(resources(json, "aws_s3_bucket_ownership_controls"));
    expect(controls.map((c) => c.rule)).toEqual([
      { object_ownership: "BucketOwnerEnforced" },
      { object_ownership: "BucketOwnerEnforced" },
    ]);
  });

  test("SSE-KMS with the site's customer key and a bucket key", () => {
    expect(
      named(json, "aws_s3_bucket_server_side_encryption_configuration", "content-encryption").rule,
    ).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: "aws:kms",
          kms_master_key_id: ref(json, "aws_kms_key", "content-key", "arn"),
        },
        bucket_key_enabled: true,
      },
    ]);
    expect(named(json, "aws_kms_key", "content-key").enable_key_rotation).toBe(true);
  });

  test("versioning is enabled", () => {
    const versioning = named(json, "aws_s3_bucket_versioning", "content-versioning");
    expect(versioning).toMatchObject({
      bucket: ref(json, "aws_s3_bucket", "content-bucket", "id"),
      versioning_configuration: { status: "Enabled" },
    });
  });

  test("the bucket policy denies every request without TLS", () => {
    const statements = policy(
      named(json, "aws_s3_bucket_policy", "content-policy").policy,
    ).Statement;
    const bucketArn = ref(json, "aws_s3_bucket", "content-bucket", "arn");
    expect(statements).toContainEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  test("only this distribution may read, and only objects (s3:GetObject)", () => {
    const text = named(json, "aws_s3_bucket_policy", "content-policy").policy;
    expect(allowedActions(text)).toEqual(["s3:GetObject"]);
    const allow = policy(text).Statement.find((s) => s.Effect === "Allow")!;
    expect(allow).toEqual({
      Sid: "CloudFrontReadForThisDistribution",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${ref(json, "aws_s3_bucket", "content-bucket", "arn")}/*`,
      Condition: {
        StringEquals: {
          "AWS:SourceArn": ref(json, "aws_cloudfront_distribution", "distribution", "arn"),
        },
      },
    });
  });

  test("the key policy lets only this distribution decrypt", () => {
    const statements = policy(named(json, "aws_kms_key", "content-key").policy).Statement;
    expect(statements.map((s) => s.Action).flat()).not.toContain("kms:*");
    const cloudfront = statements.filter((s) =>
      JSON.stringify(s.Principal).includes("cloudfront.amazonaws.com"),
    );
    expect(cloudfront).toEqual([
      {
        Sid: "CloudFrontDecryptForThisDistribution",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: {
          StringEquals: {
            "AWS:SourceArn": ref(json, "aws_cloudfront_distribution", "distribution", "arn"),
          },
        },
      },
    ]);
  });

  test("lifecycle: abort incomplete uploads after 7 days, expire old versions after 90", () => {
    const rules = named(json, "aws_s3_bucket_lifecycle_configuration", "content-lifecycle")
      .rule as Record<string, unknown>[];
    expect(rules).toContainEqual(
      expect.objectContaining({
        status: "Enabled",
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      }),
    );
    expect(rules).toContainEqual(
      expect.objectContaining({
        status: "Enabled",
        noncurrent_version_expiration: [{ noncurrent_days: 90 }],
      }),
    );
  });

  test("lifecycle days are configurable; development keeps old versions 30 days", () => {
    const rulesOf = (j: StackJson) =>
      JSON.stringify(named(j, "aws_s3_bucket_lifecycle_configuration", "content-lifecycle").rule);
    const custom = site({ noncurrentVersionRetentionDays: 14, abortIncompleteUploadDays: 2 }).json;
    expect(rulesOf(custom)).toContain('"noncurrent_days":14');
    expect(rulesOf(custom)).toContain('"days_after_initiation":2');
    expect(rulesOf(site({ tier: "development" }).json)).toContain('"noncurrent_days":30');
  });

  test("production protects buckets and keys from destroy; development does not", () => {
    for (const b of Object.values(resources(json, "aws_s3_bucket"))) {
      expect(b.lifecycle).toEqual({ prevent_destroy: true });
      expect(b.force_destroy).toBe(false);
    }
    for (const k of Object.values(resources(json, "aws_kms_key")))
      expect(k.lifecycle).toEqual({ prevent_destroy: true });
    const dev = site({ tier: "development" }).json;
    expect(only(dev, "aws_s3_bucket").lifecycle).toBeUndefined();
    expect(only(dev, "aws_kms_key").lifecycle).toBeUndefined();
  });

  test("development empties its versioned buckets on destroy (force_destroy); production never", () => {
    // a versioned bucket with objects or old versions cannot be deleted otherwise: terraform
    // destroy of a development environment would stop at BucketNotEmpty
    const dev = site({ tier: "development", accessLogging: true }).json;
    const devBuckets = Object.values(resources(dev, "aws_s3_bucket"));
    expect(devBuckets.map((b) => b.bucket).sort()).toEqual([
      "prod-web-123456789012-access-logs",
      "prod-web-123456789012-content",
    ]);
    for (const b of devBuckets) expect(b.force_destroy).toBe(true);
    const prod = Object.values(resources(site({ accessLogging: true }).json, "aws_s3_bucket"));
    expect(prod).toHaveLength(2);
    for (const b of prod) {
      expect(b.force_destroy).toBe(false);
      expect(b.lifecycle).toEqual({ prevent_destroy: true });
    }
  });
});

describe("StaticSite distribution", () => {
  const { json, construct } = site();
  const distribution = only(json, "aws_cloudfront_distribution");
  const behaviours = [
    distribution.default_cache_behavior,
    ...((distribution.ordered_cache_behavior as unknown[] | undefined) ?? []),
  ] as Record<string, unknown>[];

  test("origin access control signs every request with SigV4 for an S3 origin", () => {
    expect(only(json, "aws_cloudfront_origin_access_control")).toMatchObject({
      origin_access_control_origin_type: "s3",
      signing_behavior: "always",
      signing_protocol: "sigv4",
    });
  });

  test("the origin is the bucket's regional endpoint through the OAC, no legacy OAI", () => {
    expect(distribution.origin).toEqual([
      {
        origin_id: "content",
        domain_name: ref(json, "aws_s3_bucket", "content-bucket", "bucket_regional_domain_name"),
        origin_access_control_id: ref(
          json,
          "aws_cloudfront_origin_access_control",
          "origin-access-control",
          "id",
        ),
      },
    ]);
    expect(resources(json, "aws_cloudfront_origin_access_identity")).toEqual({});
  });

  test("index.html is the default root object", () => {
    expect(distribution.default_root_object).toBe("index.html");
  });

  test("every behaviour redirects HTTP to HTTPS", () => {
    expect(behaviours.map((b) => b.viewer_protocol_policy)).toEqual(
      behaviours.map(() => "redirect-to-https"),
    );
    expect(behaviours.length).toBeGreaterThan(0);
  });

  test("compression on, managed CachingOptimized cache policy by id (no data source)", () => {
    expect(distribution.default_cache_behavior).toMatchObject({
      compress: true,
      cache_policy_id: "658327ea-f89d-4fab-a63d-7e88639e58f6",
    });
    expect(CACHING_OPTIMIZED_POLICY_ID).toBe("658327ea-f89d-4fab-a63d-7e88639e58f6");
    expect(json.data).toBeUndefined();
  });

  test("read-only methods", () => {
    expect(distribution.default_cache_behavior).toMatchObject({
      allowed_methods: ["GET", "HEAD"],
      cached_methods: ["GET", "HEAD"],
    });
  });

  test("every behaviour uses the security headers policy", () => {
    for (const b of behaviours)
      expect(b.response_headers_policy_id).toBe(
        ref(json, "aws_cloudfront_response_headers_policy", "security-headers", "id"),
      );
  });

  test("HSTS for at least a year with subdomains and preload", () => {
    const hsts = (
      only(json, "aws_cloudfront_response_headers_policy").security_headers_config as Record<
        string,
        Record<string, unknown>
      >
    ).strict_transport_security;
    expect(hsts.access_control_max_age_sec).toBeGreaterThanOrEqual(31536000);
    expect(hsts).toMatchObject({ include_subdomains: true, preload: true, override: true });
  });

  test("nosniff, frame DENY and a strict referrer policy, all overriding the origin", () => {
    const config = only(json, "aws_cloudfront_response_headers_policy")
      .security_headers_config as Record<string, unknown>;
    expect(config.content_type_options).toEqual({ override: true });
    expect(config.frame_options).toEqual({ frame_option: "DENY", override: true });
    expect(config.referrer_policy).toEqual({
      referrer_policy: "strict-origin-when-cross-origin",
      override: true,
    });
  });

  test("IPv6 and HTTP/2 + HTTP/3", () => {
    expect(distribution).toMatchObject({ is_ipv6_enabled: true, http_version: "http2and3" });
  });

  test("price class defaults to PriceClass_100 and is configurable", () => {
    expect(distribution.price_class).toBe("PriceClass_100");
    expect(
      only(site({ priceClass: "PriceClass_All" }).json, "aws_cloudfront_distribution").price_class,
    ).toBe("PriceClass_All");
  });

  test("without domain names: the CloudFront default certificate, no aliases", () => {
    expect(distribution.viewer_certificate).toEqual({ cloudfront_default_certificate: true });
    expect(distribution.aliases).toBeUndefined();
  });

  test("with domain names: aliases, the ACM certificate, SNI only, TLS 1.2 (2021) minimum", () => {
    const custom = only(
      site({ domainNames: ["www.example.com", "example.com"], certificateArn: CERT }).json,
      "aws_cloudfront_distribution",
    );
    expect(custom.aliases).toEqual(["www.example.com", "example.com"]);
    expect(custom.viewer_certificate).toEqual({
      acm_certificate_arn: CERT,
      ssl_support_method: "sni-only",
      minimum_protocol_version: "TLSv1.2_2021",
    });
  });

  test("web ACL attached only when given", () => {
    expect(distribution.web_acl_id).toBeUndefined();
    expect(only(site({ webAclArn: WEB_ACL }).json, "aws_cloudfront_distribution").web_acl_id).toBe(
      WEB_ACL,
    );
  });

  test("no legacy (ACL-based) logging on the distribution", () => {
    expect(distribution.logging_config).toBeUndefined();
  });

  test("typed outputs reference the bucket, the distribution and the key", () => {
    const stack = testStack();
    const usEast1Provider = new AwsProvider(stack, "p", {
      alias: "us_east_1",
      region: "us-east-1",
    });
    const s = new StaticSite(stack, "site", {
      environment: TEST_AWS,
      usEast1Provider,
      name: "web",
    });
    const outputs = {
      bucketName: s.bucketName,
      bucketArn: s.bucketArn,
      distributionId: s.distributionId,
      distributionArn: s.distributionArn,
      distributionDomainName: s.distributionDomainName,
      keyArn: s.encryptionKey.keyArn,
    };
    for (const [k, v] of Object.entries(outputs)) new TerraformOutput(stack, k, { value: v });
    const values = Object.fromEntries(
      Object.entries(synth(stack).output ?? {}).map(([k, o]) => [k, o.value]),
    );
    const j = synth(stack);
    expect(values).toEqual({
      bucketName: ref(j, "aws_s3_bucket", "content-bucket", "bucket"),
      bucketArn: ref(j, "aws_s3_bucket", "content-bucket", "arn"),
      distributionId: ref(j, "aws_cloudfront_distribution", "distribution", "id"),
      distributionArn: ref(j, "aws_cloudfront_distribution", "distribution", "arn"),
      distributionDomainName: ref(j, "aws_cloudfront_distribution", "distribution", "domain_name"),
      keyArn: ref(j, "aws_kms_key", "content-key", "arn"),
    });
    expect(construct.bucket.node.id).toBe("content-bucket");
    expect(construct.distribution.node.id).toBe("distribution");
  });
});

describe("StaticSite access logging (production tier)", () => {
  const { json, construct } = site();
  const logBucket = named(json, "aws_s3_bucket", "access-log-bucket");

  test("a separate log bucket", () => {
    expect(logBucket.bucket).toBe("prod-web-123456789012-access-logs");
    expect(construct.accessLogBucket).toBeDefined();
  });

  test("the log bucket is encrypted with its own customer key", () => {
    expect(
      named(json, "aws_s3_bucket_server_side_encryption_configuration", "access-log-encryption")
        .rule,
    ).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: "aws:kms",
          kms_master_key_id: ref(json, "aws_kms_key", "access-log-key", "arn"),
        },
        bucket_key_enabled: true,
      },
    ]);
  });

  test("the log bucket is TLS-only and lets only log delivery of our account write", () => {
    const text = named(json, "aws_s3_bucket_policy", "access-log-policy").policy;
    const statements = policy(text).Statement;
    const arn = ref(json, "aws_s3_bucket", "access-log-bucket", "arn");
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(allowedActions(text).sort()).toEqual([
      "s3:GetBucketAcl",
      "s3:ListBucket",
      "s3:PutObject",
    ]);
    const write = statements.find((s) => s.Action === "s3:PutObject")!;
    expect(write).toMatchObject({
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Resource: `${arn}/*`,
      Condition: {
        StringEquals: {
          "aws:SourceAccount": "123456789012",
          "s3:x-amz-acl": "bucket-owner-full-control",
        },
        ArnLike: { "aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:delivery-source:*" },
      },
    });
    for (const s of statements.filter((x) => x.Effect === "Allow"))
      expect((s.Condition as Record<string, unknown>).StringEquals).toMatchObject({
        "aws:SourceAccount": "123456789012",
      });
  });

  test("log delivery may write wherever the delivery's suffix puts objects, before and after a suffix edit", () => {
    // AWS prepends AWSLogs/<account>/CloudFront/ to the suffix only when the delivery is created;
    // an update writes under the bare suffix (hashicorp/terraform-provider-aws#46328,
    // aws-cloudformation/cloudformation-coverage-roadmap#2274). The grant must cover both.
    const statements = policy(
      named(json, "aws_s3_bucket_policy", "access-log-policy").policy,
    ).Statement;
    const write = statements.find((s) => s.Action === "s3:PutObject")!;
    const bucketArn = ref(json, "aws_s3_bucket", "access-log-bucket", "arn");
    const matches = (key: string) =>
      [write.Resource as string]
        .flat()
        .some((pattern) => iamArnLike(pattern, `${bucketArn}/${key}`));
    expect(matches("AWSLogs/123456789012/CloudFront/E2QWRUHAPOMQZL/2025/03/11/09/x.gz")).toBe(true);
    expect(matches("E2QWRUHAPOMQZL/2025/03/11/09/x.gz")).toBe(true);
    expect(matches("cloudfront/E2QWRUHAPOMQZL/2025/03/11/x.gz")).toBe(true);
    // and only objects of this bucket
    expect(iamArnLike(write.Resource as string, "arn:aws:s3:::other-bucket/x.gz")).toBe(false);
    expect(iamArnLike(write.Resource as string, bucketArn)).toBe(false);
  });

  test("log delivery may use the log key only for our delivery sources", () => {
    const statements = policy(named(json, "aws_kms_key", "access-log-key").policy).Statement;
    expect(statements.find((s) => s.Sid === "LogDeliveryEncrypt")).toEqual({
      Sid: "LogDeliveryEncrypt",
      Effect: "Allow",
      Principal: { Service: "delivery.logs.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:delivery-source:*" },
      },
    });
  });

  test("log objects expire after 365 days by default, and after accessLogRetentionDays", () => {
    const rulesOf = (j: StackJson) =>
      named(j, "aws_s3_bucket_lifecycle_configuration", "access-log-lifecycle").rule;
    expect(rulesOf(json)).toContainEqual(
      expect.objectContaining({ status: "Enabled", expiration: [{ days: 365 }] }),
    );
    expect(rulesOf(site({ accessLogRetentionDays: 30 }).json)).toContainEqual(
      expect.objectContaining({ expiration: [{ days: 30 }] }),
    );
  });

  test("the log bucket is versioned, its old versions expiring like the content's", () => {
    expect(named(json, "aws_s3_bucket_versioning", "access-log-versioning")).toMatchObject({
      bucket: ref(json, "aws_s3_bucket", "access-log-bucket", "id"),
      versioning_configuration: { status: "Enabled" },
    });
    const lifecycle = (j: StackJson) =>
      named(j, "aws_s3_bucket_lifecycle_configuration", "access-log-lifecycle");
    expect(lifecycle(json).rule).toContainEqual({
      id: "expire-noncurrent-versions",
      status: "Enabled",
      filter: [{}],
      noncurrent_version_expiration: [{ noncurrent_days: 90 }],
    });
    expect(lifecycle(json).depends_on).toEqual([
      expect.stringContaining("aws_s3_bucket_versioning.site_access-log-versioning_"),
    ]);
    const noncurrentDays = (j: StackJson) =>
      (lifecycle(j).rule as Record<string, any>[]).find(
        (r) => r.id === "expire-noncurrent-versions",
      )!.noncurrent_version_expiration;
    expect(noncurrentDays(site({ noncurrentVersionRetentionDays: 14 }).json)).toEqual([
      { noncurrent_days: 14 },
    ]);
    expect(noncurrentDays(site({ tier: "development", accessLogging: true }).json)).toEqual([
      { noncurrent_days: 30 },
    ]);
  });

  test("every bucket of the site is versioned", () => {
    const versioned = Object.values(resources(json, "aws_s3_bucket_versioning")).map(
      (v) => v.bucket,
    );
    expect(versioned.sort()).toEqual(
      Object.keys(resources(json, "aws_s3_bucket"))
        .map((name) => `\${aws_s3_bucket.${name}.id}`)
        .sort(),
    );
  });

  test("standard logging v2: source, destination and delivery in us-east-1", () => {
    const types = [
      "aws_cloudwatch_log_delivery_source",
      "aws_cloudwatch_log_delivery_destination",
      "aws_cloudwatch_log_delivery",
    ];
    for (const t of types) expect(only(json, t).provider).toBe("aws.us_east_1");
    expect(only(json, "aws_cloudwatch_log_delivery_source")).toMatchObject({
      log_type: "ACCESS_LOGS",
      resource_arn: ref(json, "aws_cloudfront_distribution", "distribution", "arn"),
    });
    expect(
      only(json, "aws_cloudwatch_log_delivery_destination").delivery_destination_configuration,
    ).toEqual([
      { destination_resource_arn: ref(json, "aws_s3_bucket", "access-log-bucket", "arn") },
    ]);
    expect(only(json, "aws_cloudwatch_log_delivery")).toMatchObject({
      delivery_source_name: ref(
        json,
        "aws_cloudwatch_log_delivery_source",
        "access-log-source",
        "name",
      ),
      delivery_destination_arn: ref(
        json,
        "aws_cloudwatch_log_delivery_destination",
        "access-log-destination",
        "arn",
      ),
    });
  });

  test("the destination waits for the bucket policy that admits log delivery", () => {
    expect(only(json, "aws_cloudwatch_log_delivery_destination").depends_on).toEqual([
      expect.stringContaining("aws_s3_bucket_policy.site_access-log-policy_"),
    ]);
  });

  test("buckets and keys stay in the environment's region (default provider)", () => {
    for (const t of ["aws_s3_bucket", "aws_kms_key", "aws_cloudfront_distribution"])
      for (const r of Object.values(resources(json, t))) expect(r.provider).toBeUndefined();
  });

  test("development: no access logs unless asked for", () => {
    const dev = site({ tier: "development" });
    expect(Object.keys(resources(dev.json, "aws_s3_bucket"))).toHaveLength(1);
    expect(resources(dev.json, "aws_cloudwatch_log_delivery")).toEqual({});
    expect(dev.construct.accessLogBucket).toBeUndefined();
    const on = site({ tier: "development", accessLogging: true }).json;
    expect(resources(on, "aws_cloudwatch_log_delivery")).not.toEqual({});
  });
});

describe("StaticSite name rules", () => {
  test("host names", () => {
    expect(["www.example.com", "*.example.com", "a-b.example.co.uk"].map(isHostName)).toEqual([
      true,
      true,
      true,
    ]);
    expect(
      ["WWW.example.com", "example", "-a.example.com", "a..example.com", "*"].map(isHostName),
    ).toEqual([false, false, false, false, false]);
  });

  test("bucket names", () => {
    expect(isBucketName("prod-123456789012-content")).toBe(true);
    expect(
      [
        "ab",
        "a".repeat(64),
        "Prod",
        "prod.web",
        "-prod",
        "prod-",
        "xn--prod",
        "sthree-prod",
        "prod-s3alias",
      ].map(isBucketName),
    ).toEqual(Array(9).fill(false));
  });
});

describe("StaticSite validation", () => {
  test("fails when domainNames are given without certificateArn", () => {
    expect(() => site({ domainNames: ["www.example.com"] })).toThrow(
      "test/site: certificateArn: received nothing; expected an ACM certificate ARN in us-east-1 covering domainNames (CloudFront needs one to serve custom host names)",
    );
  });

  test("fails when the certificate is not in us-east-1", () => {
    const arn = CERT.replace("us-east-1", "eu-west-1");
    expect(() => site({ domainNames: ["www.example.com"], certificateArn: arn })).toThrow(
      `test/site: certificateArn: received "${arn}"; expected a certificate in us-east-1 (CloudFront only uses ACM certificates from us-east-1)`,
    );
  });

  test("fails when certificateArn is not an ACM certificate ARN", () => {
    expect(() =>
      site({
        domainNames: ["www.example.com"],
        certificateArn: "arn:aws:iam::123456789012:server-certificate/x",
      }),
    ).toThrow(
      'test/site: certificateArn: received "arn:aws:iam::123456789012:server-certificate/x"; expected an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/<id>',
    );
  });

  test("fails when certificateArn is given without domainNames", () => {
    expect(() => site({ certificateArn: CERT })).toThrow(
      "test/site: domainNames: received nothing; expected at least one host name when certificateArn is set (the certificate only serves these aliases)",
    );
  });

  test("fails when webAclArn is a regional web ACL", () => {
    const regional =
      "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/prod/a1b2c3d4-5678-90ab-cdef-000000000000";
    expect(() => site({ webAclArn: regional })).toThrow(
      `test/site: webAclArn: received "${regional}"; expected a global (CloudFront scope) WAFv2 web ACL ARN: arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>`,
    );
  });

  test("fails on bad and duplicate host names", () => {
    expect(() =>
      site({
        domainNames: ["WWW.example.com", "example.com", "example.com"],
        certificateArn: CERT,
      }),
    ).toThrow(
      [
        'test/site: domainNames[0]: received "WWW.example.com"; expected a lowercase DNS host name such as www.example.com (a leading *. wildcard is allowed)',
        'test/site: domainNames[2]: received "example.com"; expected each host name once (duplicate)',
      ].join("\n"),
    );
  });

  test("fails when the derived bucket names break S3 rules", () => {
    expect(() => site({ name: "Prod_Web" })).toThrow(
      'test/site: name: received "Prod_Web"; expected a name that makes valid S3 bucket names (Prod_Web-123456789012-content, Prod_Web-123456789012-access-logs): 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, not starting with xn--, sthree- or amzn-s3-demo-',
    );
    const long = "a".repeat(40);
    expect(() => site({ name: long })).toThrow(
      `test/site: name: received "${long}"; expected a name that makes valid S3 bucket names (${long}-123456789012-access-logs): 3-63`,
    );
  });

  test("the name defaults to the construct id and is validated as such", () => {
    const stack = testStack();
    const usEast1Provider = new AwsProvider(stack, "p", {
      alias: "us_east_1",
      region: "us-east-1",
    });
    expect(() => new StaticSite(stack, "Site", { environment: TEST_AWS, usEast1Provider })).toThrow(
      'test/Site: name: received "Site"',
    );
    const ok = new StaticSite(stack, "web", { environment: TEST_AWS, usEast1Provider });
    expect(ok.node.id).toBe("web");
    expect(named(synth(stack), "aws_s3_bucket", "content-bucket").bucket).toBe(
      "web-123456789012-content",
    );
  });

  test("fails when the us-east-1 provider is in another region", () => {
    expect(() => site({}, "eu-west-1")).toThrow(
      'test/site: usEast1Provider: received "eu-west-1"; expected an AwsProvider configured for region us-east-1',
    );
  });

  test("fails on day counts below 1", () => {
    expect(() => site({ accessLogRetentionDays: 0, abortIncompleteUploadDays: 1.5 })).toThrow(
      [
        "test/site: accessLogRetentionDays: received 0; expected a whole number of days, at least 1",
        "test/site: abortIncompleteUploadDays: received 1.5; expected a whole number of days, at least 1",
      ].join("\n"),
    );
  });

  test("reports every problem at once", () => {
    expect(() => site({ name: "Prod", domainNames: ["bad host"], webAclArn: "nope" })).toThrow(
      /name: .*\n.*domainNames\[0\]: .*\n.*certificateArn: .*\n.*webAclArn: /,
    );
  });

  test("unresolved tokens are not validated", () => {
    const stack = testStack();
    const usEast1Provider = new AwsProvider(stack, "p", {
      alias: "us_east_1",
      region: "us-east-1",
    });
    expect(
      () =>
        new StaticSite(stack, "site", {
          environment: TEST_AWS,
          usEast1Provider,
          name: "prod-web",
          domainNames: [Token.asString({ Ref: "host" })],
          certificateArn: Token.asString({ Ref: "cert" }),
          webAclArn: Token.asString({ Ref: "acl" }),
        }),
    ).not.toThrow();
  });

  test("validateStaticSiteProps is pure and names fields as the props (for the environment file)", () => {
    expect(
      validateStaticSiteProps({
        name: "prod",
        account: "123456789012",
        domainNames: ["www.example.com"],
        certificateArn: CERT,
        priceClass: "PriceClass_100",
      }),
    ).toEqual([]);
    expect(
      validateStaticSiteProps({
        name: "prod",
        account: "123456789012",
        domainNames: ["www.example.com"],
      }).map((p) => p.field),
    ).toEqual(["certificateArn"]);
    expect(
      validateStaticSiteProps({
        name: "prod",
        account: "123456789012",
        priceClass: "PriceClass_300" as never,
      }),
    ).toEqual([
      {
        field: "priceClass",
        received: "PriceClass_300",
        expected: "one of PriceClass_100, PriceClass_200, PriceClass_All",
      },
    ]);
  });
});
