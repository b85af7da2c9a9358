import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Construct } from "constructs";
import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { CloudfrontDistribution } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontFunction } from "@cdktf/provider-aws/lib/cloudfront-function";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import { EncryptionKey } from "./encryption-key";
import { policyJson, type PolicyStatement } from "./private/iam";
import { BUCKET_NAME_RULE, isBucketName, isHostName } from "./private/static-site-names";
import { ACM_CERTIFICATE_ARN } from "./private/patterns";
import { checkUsEast1Provider, CLOUDFRONT_REGION } from "./private/us-east-1";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";
import { partitionOf, type AwsEnvironment, type Tier } from "./types";

/** CloudFront price classes (which edge locations serve the site). */
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;
/** `PriceClass_100`: North America and Europe; `PriceClass_200`: + Asia, Middle East, Africa; `PriceClass_All`: every edge. */
export type PriceClass = (typeof PRICE_CLASSES)[number];

/** Id of the AWS managed cache policy `Managed-CachingOptimized` (the same in every account). */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/** HSTS max-age sent to viewers: two years, the value the HSTS preload list asks for (>= 1 year). */
export const HSTS_MAX_AGE_SECONDS = 63072000;

/**
 * The viewer-request function that serves directory indexes (`/docs/` and `/docs` from
 * `docs/index.html`): plain JavaScript for the CloudFront Functions runtime cloudfront-js-2.0.
 */
export const DIRECTORY_INDEX_FUNCTION_FILE = join(__dirname, "functions", "directory-index.js");

/** Seconds CloudFront caches the answer for a missing key before it asks the bucket again. */
export const ERROR_CACHING_MIN_TTL_SECONDS = 60;

/** An S3 object key usable as a CloudFront error page path (after a leading "/"). */
const ERROR_DOCUMENT_KEY = /^[^/\s?#][^\s?#]{0,1023}$/;

/** Props of {@link StaticSite}. */
export interface StaticSiteProps {
  /** Account and region of the buckets and keys (the distribution itself is global). */
  readonly environment: AwsEnvironment;
  /** AWS provider for us-east-1, where CloudFront's access log delivery must be created. */
  readonly usEast1Provider: AwsProvider;
  /** Name used in bucket names (`<name>-<account>-content`, `<name>-<account>-access-logs`) and resource names. @default the construct id */
  readonly name?: string;
  /** Tier: production turns access logging on and protects buckets and keys from destroy; development empties the buckets on destroy (`force_destroy`). @default "production" */
  readonly tier?: Tier;
  /** Custom host names served by the distribution (lowercase, `*.` wildcard allowed); requires `certificateArn`. @default none: the site is served on its cloudfront.net name */
  readonly domainNames?: readonly string[];
  /** ARN of an ACM certificate in us-east-1 covering every name in `domainNames`. @default none (required with domainNames) */
  readonly certificateArn?: string;
  /** ARN of a global (CLOUDFRONT scope, us-east-1) WAFv2 web ACL to attach. @default no web ACL */
  readonly webAclArn?: string;
  /** Which edge locations serve the site. @default "PriceClass_100" */
  readonly priceClass?: PriceClass;
  /** CloudFront access logs (standard logging v2) to a separate, encrypted log bucket. @default true in production, false in development */
  readonly accessLogging?: boolean;
  /** Days access log objects are kept before they expire. @default 365 */
  readonly accessLogRetentionDays?: number;
  /** Days a replaced or deleted object version is kept, in the content bucket (rollback window) and the access log bucket. @default 90 in production, 30 in development */
  readonly noncurrentVersionRetentionDays?: number;
  /** Days after which incomplete multipart uploads are aborted (their parts are billed). @default 7 */
  readonly abortIncompleteUploadDays?: number;
  /** Key of the page served, with status 404, for a path that is no object of the content bucket. @default "404.html" */
  readonly errorDocument?: string;
}

/** The fields of {@link StaticSiteProps} that are validated, plus the resolved name and the account. */
export type StaticSiteValidationInput = Pick<
  StaticSiteProps,
  | "domainNames"
  | "certificateArn"
  | "webAclArn"
  | "priceClass"
  | "accessLogRetentionDays"
  | "noncurrentVersionRetentionDays"
  | "abortIncompleteUploadDays"
  | "errorDocument"
> & {
  /** The site name (the `name` prop, or the construct id). */
  readonly name: string;
  /** The 12-digit account id, part of the bucket names. */
  readonly account: string;
};

/** The bucket names a static site derives from its name and account. */
export function staticSiteBucketNames(
  name: string,
  account: string,
): { readonly content: string; readonly accessLogs: string } {
  return { content: `${name}-${account}-content`, accessLogs: `${name}-${account}-access-logs` };
}

const GLOBAL_WEB_ACL_ARN = /^arn:aws:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]+\/[\w-]+$/;

/**
 * Every problem with static site props, with field paths named as the props. Shared with the
 * environment-file validation (`cdn` section) so both say the same thing.
 */
export function validateStaticSiteProps(props: StaticSiteValidationInput): Problem[] {
  const p = new ProblemList();

  if (!isToken(props.name) && !isToken(props.account)) {
    const names = staticSiteBucketNames(props.name, props.account);
    const bad = [names.content, names.accessLogs].filter((n) => !isBucketName(n));
    p.check(
      bad.length === 0,
      "name",
      props.name,
      `a name that makes valid S3 bucket names (${bad.join(", ")}): ${BUCKET_NAME_RULE}`,
    );
  }

  const domainNames = props.domainNames ?? [];
  const seen = new Set<string>();
  domainNames.forEach((host, i) => {
    if (isToken(host)) return;
    p.check(
      isHostName(host),
      `domainNames[${i}]`,
      host,
      "a lowercase DNS host name such as www.example.com (a leading *. wildcard is allowed)",
    );
    p.check(!seen.has(host), `domainNames[${i}]`, host, "each host name once (duplicate)");
    seen.add(host);
  });

  const cert = props.certificateArn;
  if (domainNames.length > 0) {
    p.check(
      cert !== undefined,
      "certificateArn",
      cert,
      "an ACM certificate ARN in us-east-1 covering domainNames (CloudFront needs one to serve custom host names)",
    );
  } else {
    p.check(
      cert === undefined,
      "domainNames",
      props.domainNames,
      "at least one host name when certificateArn is set (the certificate only serves these aliases)",
    );
  }
  if (cert !== undefined && !isToken(cert)) {
    const match = ACM_CERTIFICATE_ARN.exec(cert);
    p.check(
      match !== null,
      "certificateArn",
      cert,
      "an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/<id>",
    );
    if (match) {
      p.check(
        match[2] === CLOUDFRONT_REGION,
        "certificateArn",
        cert,
        "a certificate in us-east-1 (CloudFront only uses ACM certificates from us-east-1)",
      );
    }
  }

  if (props.webAclArn !== undefined && !isToken(props.webAclArn)) {
    p.check(
      GLOBAL_WEB_ACL_ARN.test(props.webAclArn),
      "webAclArn",
      props.webAclArn,
      "a global (CloudFront scope) WAFv2 web ACL ARN: arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>",
    );
  }

  if (props.priceClass !== undefined) {
    p.check(
      (PRICE_CLASSES as readonly string[]).includes(props.priceClass),
      "priceClass",
      props.priceClass,
      `one of ${PRICE_CLASSES.join(", ")}`,
    );
  }

  if (props.errorDocument !== undefined && !isToken(props.errorDocument)) {
    p.check(
      typeof props.errorDocument === "string" && ERROR_DOCUMENT_KEY.test(props.errorDocument),
      "errorDocument",
      props.errorDocument,
      'an object key of the content bucket such as 404.html or errors/404.html: no leading "/", no spaces, "?" or "#", at most 1024 characters',
    );
  }

  const days = [
    "accessLogRetentionDays",
    "noncurrentVersionRetentionDays",
    "abortIncompleteUploadDays",
  ] as const;
  for (const field of days) {
    const value = props[field];
    if (value === undefined) continue;
    p.check(
      Number.isInteger(value) && value >= 1,
      field,
      value,
      "a whole number of days, at least 1",
    );
  }
  return [...p.problems];
}

/** The pieces every bucket of the site gets: private, owner-enforced, KMS-encrypted, TLS-only. */
interface PrivateBucket {
  readonly bucket: S3Bucket;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
}

/** How long the site's buckets keep what lifecycle rules clean up, days. */
interface VersionRetention {
  readonly abortIncompleteUploadDays: number;
  readonly noncurrentVersionDays: number;
}

/**
 * A private S3 bucket served through CloudFront: origin access control (SigV4, the bucket and its
 * KMS key readable only by this distribution), HTTPS only with HTTP/2 and HTTP/3, the managed
 * CachingOptimized cache policy and a security headers policy (HSTS, nosniff, DENY framing,
 * strict referrer). The content bucket is versioned, encrypted with a customer key, TLS-only, with
 * lifecycle rules; CloudFront access logs go through standard logging v2 to a separate log bucket,
 * versioned and encrypted the same way.
 */
export class StaticSite extends Construct {
  /** The content bucket. */
  readonly bucket: S3Bucket;
  /** Name of the content bucket (upload the site here). */
  readonly bucketName: string;
  /** ARN of the content bucket. */
  readonly bucketArn: string;
  /** The CloudFront distribution. */
  readonly distribution: CloudfrontDistribution;
  /** Id of the distribution (invalidations, alarms). */
  readonly distributionId: string;
  /** ARN of the distribution. */
  readonly distributionArn: string;
  /** The `*.cloudfront.net` domain name (target of DNS aliases for `domainNames`). */
  readonly distributionDomainName: string;
  /** The customer key encrypting the content bucket; uploaders need kms:GenerateDataKey on it. */
  readonly encryptionKey: EncryptionKey;
  /** The access log bucket, when access logging is on. */
  readonly accessLogBucket?: S3Bucket;

  private readonly name: string;
  private readonly tier: Tier;
  private readonly environment: AwsEnvironment;

  constructor(scope: Construct, id: string, props: StaticSiteProps) {
    super(scope, id);
    const { account, region } = props.environment;
    this.name = props.name ?? id;
    this.tier = props.tier ?? "production";
    this.environment = props.environment;
    const problems = new ProblemList();
    problems.addAll(validateStaticSiteProps({ ...props, name: this.name, account }));
    checkUsEast1Provider(problems, props.usEast1Provider);
    throwIfProblems(this, problems.problems);

    const name = this.name;
    const production = this.tier === "production";
    const partition = partitionOf(region);
    const bucketNames = staticSiteBucketNames(name, account);
    const domainNames = props.domainNames ?? [];

    // Content: private bucket, customer key, versions kept for rollback.
    this.encryptionKey = new EncryptionKey(this, "content-key", {
      environment: props.environment,
      description: `Content of static site ${name}`,
      alias: `${name}-static-site`,
      preventDestroy: production,
    });
    const content = this.privateBucket("content", bucketNames.content, this.encryptionKey);
    this.bucket = content.bucket;
    this.bucketName = content.bucket.bucket;
    this.bucketArn = content.bucket.arn;
    const retention = {
      abortIncompleteUploadDays: props.abortIncompleteUploadDays ?? 7,
      noncurrentVersionDays: props.noncurrentVersionRetentionDays ?? (production ? 90 : 30),
    };
    this.versionedLifecycle("content", this.bucket, retention);

    // Distribution: OAC-signed requests to the bucket, HTTPS only, security headers.
    const oac = new CloudfrontOriginAccessControl(this, "origin-access-control", {
      name: `${name}-content`,
      description: `Signed requests from the ${name} distribution to its content bucket`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    const headers = new CloudfrontResponseHeadersPolicy(this, "security-headers", {
      name: `${name}-security-headers`,
      comment: `Security headers of static site ${name}`,
      securityHeadersConfig: {
        strictTransportSecurity: {
          accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS,
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
      },
    });
    // S3 behind OAC has no index documents: a viewer-request function adds them.
    const directoryIndex = new CloudfrontFunction(this, "directory-index", {
      name: `${name}-directory-index`,
      comment: `Serves directory indexes (index.html) of static site ${name}`,
      runtime: "cloudfront-js-2.0",
      publish: true,
      code: readFileSync(DIRECTORY_INDEX_FUNCTION_FILE, "utf8"),
    });
    // Without s3:ListBucket (OAC grants GetObject only) S3 answers a missing key with 403, not
    // 404: both become the error page with status 404, cached briefly.
    const errorPage = `/${props.errorDocument ?? "404.html"}`;
    const originId = "content";
    this.distribution = new CloudfrontDistribution(this, "distribution", {
      enabled: true,
      comment: `Static site ${name}`,
      aliases: domainNames.length > 0 ? [...domainNames] : undefined,
      defaultRootObject: "index.html",
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      priceClass: props.priceClass ?? "PriceClass_100",
      webAclId: props.webAclArn,
      origin: [
        {
          originId,
          domainName: this.bucket.bucketRegionalDomainName,
          originAccessControlId: oac.id,
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: originId,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
        responseHeadersPolicyId: headers.id,
        functionAssociation: [{ eventType: "viewer-request", functionArn: directoryIndex.arn }],
      },
      customErrorResponse: [403, 404].map((errorCode) => ({
        errorCode,
        responseCode: 404,
        responsePagePath: errorPage,
        errorCachingMinTtl: ERROR_CACHING_MIN_TTL_SECONDS,
      })),
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate:
        domainNames.length > 0
          ? {
              acmCertificateArn: props.certificateArn,
              sslSupportMethod: "sni-only",
              minimumProtocolVersion: "TLSv1.2_2021",
            }
          : { cloudfrontDefaultCertificate: true },
    });
    if (domainNames.length === 0)
      suppressPolicy(this.distribution, {
        rule: "cloudfront-custom-certificate",
        reason:
          "No domainNames were given: the site is served on its *.cloudfront.net name, whose certificate CloudFront provides (give the environment a cdn domain to serve it under your own name).",
      });
    this.distributionId = this.distribution.id;
    this.distributionArn = this.distribution.arn;
    this.distributionDomainName = this.distribution.domainName;

    // Only this distribution may read the objects, and decrypt them.
    const fromThisDistribution = { StringEquals: { "AWS:SourceArn": this.distributionArn } };
    this.encryptionKey.addToPolicy({
      Sid: "CloudFrontDecryptForThisDistribution",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "kms:Decrypt",
      // In a key policy "*" means "this key".
      Resource: "*",
      Condition: fromThisDistribution,
    });
    new S3BucketPolicy(this, "content-policy", {
      bucket: this.bucket.id,
      policy: policyJson([
        denyInsecureTransport(this.bucketArn),
        {
          Sid: "CloudFrontReadForThisDistribution",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `${this.bucketArn}/*`,
          Condition: fromThisDistribution,
        },
      ]),
      dependsOn: [content.publicAccessBlock],
    });

    if (props.accessLogging ?? production) {
      this.accessLogBucket = this.accessLogs(
        bucketNames.accessLogs,
        partition,
        props.usEast1Provider,
        props.accessLogRetentionDays ?? 365,
        retention,
      );
    }
  }

  /**
   * CloudFront standard logging v2: a delivery source for the distribution, an S3 delivery
   * destination and the delivery, all in us-east-1 (where CloudFront's log delivery lives), writing
   * to a log bucket in the environment's region. Legacy logging is not used: it writes through S3
   * ACLs, which BucketOwnerEnforced disables.
   */
  private accessLogs(
    bucketName: string,
    partition: string,
    usEast1: AwsProvider,
    retentionDays: number,
    retention: VersionRetention,
  ): S3Bucket {
    const { account } = this.environment;
    const name = this.name;
    // CloudWatch Logs delivers on behalf of delivery sources of our account in us-east-1. The
    // source is matched by pattern, as AWS documents: its ARN is only known after apply.
    const fromOurDeliverySources = {
      StringEquals: { "aws:SourceAccount": account },
      ArnLike: {
        "aws:SourceArn": `arn:${partition}:logs:${CLOUDFRONT_REGION}:${account}:delivery-source:*`,
      },
    };
    const key = new EncryptionKey(this, "access-log-key", {
      environment: this.environment,
      description: `CloudFront access logs of static site ${name}`,
      alias: `${name}-static-site-access-logs`,
      preventDestroy: this.tier === "production",
      statements: [
        {
          Sid: "LogDeliveryEncrypt",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
          // In a key policy "*" means "this key".
          Resource: "*",
          Condition: fromOurDeliverySources,
        },
      ],
    });
    const logs = this.privateBucket("access-log", bucketName, key);
    // Versioned like the content: an overwritten or deleted log object stays recoverable until
    // its noncurrent version expires; current objects expire after retentionDays.
    this.versionedLifecycle("access-log", logs.bucket, retention, [
      {
        id: "expire-access-logs",
        status: "Enabled",
        filter: [{}],
        expiration: [{ days: retentionDays }],
      },
    ]);
    const logPolicy = new S3BucketPolicy(this, "access-log-policy", {
      bucket: logs.bucket.id,
      policy: policyJson([
        denyInsecureTransport(logs.bucket.arn),
        {
          Sid: "LogDeliveryAclCheck",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["s3:GetBucketAcl", "s3:ListBucket"],
          Resource: logs.bucket.arn,
          Condition: fromOurDeliverySources,
        },
        {
          Sid: "LogDeliveryWrite",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: "s3:PutObject",
          // The whole bucket, not AWSLogs/<account>/: AWS prepends AWSLogs/<account>/CloudFront/
          // to the delivery's suffix only when the delivery is created, and an edited suffix
          // writes without it. Only our account's delivery sources may write (conditions).
          Resource: `${logs.bucket.arn}/*`,
          Condition: {
            ...fromOurDeliverySources,
            StringEquals: {
              ...fromOurDeliverySources.StringEquals,
              "s3:x-amz-acl": "bucket-owner-full-control",
            },
          },
        },
      ]),
      dependsOn: [logs.publicAccessBlock],
    });
    const source = new CloudwatchLogDeliverySource(this, "access-log-source", {
      provider: usEast1,
      name: `${name}-cloudfront-access`,
      logType: "ACCESS_LOGS",
      resourceArn: this.distributionArn,
    });
    const destination = new CloudwatchLogDeliveryDestination(this, "access-log-destination", {
      provider: usEast1,
      name: `${name}-cloudfront-access-s3`,
      outputFormat: "json",
      deliveryDestinationConfiguration: [{ destinationResourceArn: logs.bucket.arn }],
      // the bucket policy must admit log delivery before a delivery is created, or AWS rewrites it
      dependsOn: [logPolicy],
    });
    new CloudwatchLogDelivery(this, "access-log-delivery", {
      provider: usEast1,
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.arn,
      s3DeliveryConfiguration: [
        { suffixPath: "{DistributionId}/{yyyy}/{MM}/{dd}/{HH}", enableHiveCompatiblePath: false },
      ],
    });
    return logs.bucket;
  }

  /**
   * Versioning on, and a lifecycle that aborts incomplete uploads, expires noncurrent versions and
   * applies `extraRules`; created after versioning, which the noncurrent rule needs.
   */
  private versionedLifecycle(
    prefix: string,
    bucket: S3Bucket,
    retention: VersionRetention,
    extraRules: readonly S3BucketLifecycleConfigurationRule[] = [],
  ): void {
    const versioning = new S3BucketVersioningA(this, `${prefix}-versioning`, {
      bucket: bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketLifecycleConfiguration(this, `${prefix}-lifecycle`, {
      bucket: bucket.id,
      rule: [
        abortIncompleteUploadsRule(retention.abortIncompleteUploadDays),
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays: retention.noncurrentVersionDays }],
        },
        ...extraRules,
      ],
      dependsOn: [versioning],
    });
  }

  /** A bucket with every public access flag blocked, ACLs disabled and SSE-KMS with a bucket key. */
  private privateBucket(prefix: string, bucketName: string, key: EncryptionKey): PrivateBucket {
    const bucket = new S3Bucket(this, `${prefix}-bucket`, {
      bucket: bucketName,
      // A versioned bucket with objects (or old versions) cannot be deleted: development
      // environments are torn down whole (npm run destroy); production buckets never are.
      forceDestroy: this.tier !== "production",
      lifecycle: this.tier === "production" ? { preventDestroy: true } : undefined,
    });
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, `${prefix}-public-access-block`, {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, `${prefix}-ownership`, {
      bucket: bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, `${prefix}-encryption`, {
      bucket: bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: "aws:kms",
            kmsMasterKeyId: key.keyArn,
          },
          bucketKeyEnabled: true,
        },
      ],
    });
    return { bucket, publicAccessBlock };
  }
}

/** Refuses every request to the bucket and its objects that does not use TLS. */
function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    // A Deny: covering every S3 action only narrows access (no request without TLS at all).
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

function abortIncompleteUploadsRule(days: number): S3BucketLifecycleConfigurationRule {
  return {
    id: "abort-incomplete-multipart-uploads",
    status: "Enabled",
    filter: [{}],
    abortIncompleteMultipartUpload: [{ daysAfterInitiation: days }],
  };
}
