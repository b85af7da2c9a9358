/**
 * AWS clients of the release tool for one environment, with the same credentials Terraform uses
 * for that environment (`stacks/settings.ts`): the default credential chain (environment, shared
 * config and SSO, web identity, container and instance roles) and, when the environment file sets
 * `deployRoleArn`, that role assumed on top of it, as the S3 backend's and the AWS provider's
 * `assume_role` do. The session is named `release-<env>` (Terraform's provider uses `cdktf-<env>`),
 * so CloudTrail tells a release from a deploy.
 */
import { EKSClient } from "@aws-sdk/client-eks";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { RDSClient } from "@aws-sdk/client-rds";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { S3Client } from "@aws-sdk/client-s3";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { EnvironmentConfig } from "../../config/schema";
import { assumeDeployRoleFromEnvironment } from "../../config/credentials";

/** AWS credentials as the SDK clients and the SigV4 signer take them: a provider function. */
export type AwsCredentialsProvider = ReturnType<typeof fromNodeProviderChain>;

/** The resolved credentials a provider returns. */
export type AwsCredentials = Awaited<ReturnType<AwsCredentialsProvider>>;

/** What the normal-mode backends talk to. */
export interface ReleaseAwsClients {
  /** S3 in the state bucket's region (`state.region`). */
  readonly s3: S3Client;
  /** EKS in the environment's region. */
  readonly eks: EKSClient;
  /** Elastic Load Balancing v2 in the environment's region (the apps' ALBs). */
  readonly elbv2: ElasticLoadBalancingV2Client;
  /** RDS in the environment's region (the pre-deployment snapshot). @default built on first use */
  readonly rds?: RDSClient;
  /** CloudFront (a global API, signed for us-east-1). @default built on first use */
  readonly cloudfront?: CloudFrontClient;
  /** The credentials every client uses, also for signing the EKS token. */
  readonly credentials: AwsCredentialsProvider;
}

/** The environment fields the clients depend on. */
export type ClientEnvironment = Pick<
  EnvironmentConfig,
  "name" | "region" | "deployRoleArn" | "state"
>;

/** Refresh cached credentials this long before they expire. */
const REFRESH_BEFORE_MS = 5 * 60 * 1000;

/**
 * Calls `provider` once and reuses the result until shortly before it expires (credentials
 * without an expiration are kept), so the clients and the token signer share one role session.
 */
export function cachedCredentials(
  provider: AwsCredentialsProvider,
  now: () => number = Date.now,
): AwsCredentialsProvider {
  let pending: Promise<AwsCredentials> | undefined;
  let cached: AwsCredentials | undefined;
  const fresh = (c: AwsCredentials) =>
    c.expiration === undefined || c.expiration.getTime() - REFRESH_BEFORE_MS > now();
  return async () => {
    if (cached && fresh(cached)) return cached;
    pending ??= provider().then(
      (c) => {
        cached = c;
        pending = undefined;
        return c;
      },
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}

/** The SDK credential providers {@link environmentCredentials} builds on (a test seam). */
export interface CredentialProviders {
  readonly fromNodeProviderChain: typeof fromNodeProviderChain;
  readonly fromTemporaryCredentials: typeof fromTemporaryCredentials;
}

/**
 * The credentials of an environment: the default chain, or `deployRoleArn` assumed from it
 * (STS in the environment's region, session `release-<env>`), cached across clients.
 */
export function environmentCredentials(
  env: ClientEnvironment,
  providers: CredentialProviders = { fromNodeProviderChain, fromTemporaryCredentials },
): AwsCredentialsProvider {
  const base = providers.fromNodeProviderChain();
  // PLATFORM_ASSUME_DEPLOY_ROLE=0: the ambient credentials already are the deploy role (pipeline)
  if (!env.deployRoleArn || !assumeDeployRoleFromEnvironment()) return base;
  return cachedCredentials(
    providers.fromTemporaryCredentials({
      masterCredentials: base,
      params: { RoleArn: env.deployRoleArn, RoleSessionName: `release-${env.name}` },
      clientConfig: { region: env.region },
    }),
  );
}

/**
 * S3 (state bucket region), EKS, ELBv2 and RDS (environment region) and CloudFront (environment region) clients sharing the environment's
 * credentials. The SDK reads endpoint overrides such as `AWS_ENDPOINT_URL_S3` by itself.
 */
export function releaseAwsClients(
  env: ClientEnvironment,
  credentials: AwsCredentialsProvider = environmentCredentials(env),
): ReleaseAwsClients {
  return {
    s3: new S3Client({ region: env.state.region, credentials }),
    eks: new EKSClient({ region: env.region, credentials }),
    elbv2: new ElasticLoadBalancingV2Client({ region: env.region, credentials }),
    rds: new RDSClient({ region: env.region, credentials }),
    cloudfront: new CloudFrontClient({ region: "us-east-1", credentials }),
    credentials,
  };
}
