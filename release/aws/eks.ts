/**
 * Reaching the EKS API server of an environment: its endpoint and CA from `DescribeCluster`, and
 * a bearer token made the way `aws eks get-token` and aws-iam-authenticator make it.
 *
 * The token is a SigV4-presigned `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity
 * &Version=2011-06-15` whose signed headers include `x-k8s-aws-id: <cluster name>`, with
 * `X-Amz-Expires=60`, encoded as `k8s-aws-v1.` + base64url(url) without padding. EKS replays the
 * URL against STS to learn the caller, and STS accepts it for 15 minutes after `X-Amz-Date`
 * whatever `X-Amz-Expires` says. Sources:
 * - aws-cli `awscli/customizations/eks/get_token.py`: `TOKEN_PREFIX = 'k8s-aws-v1.'`,
 *   `K8S_AWS_ID_HEADER = 'x-k8s-aws-id'`, `URL_TIMEOUT = 60`,
 *   `base64.urlsafe_b64encode(url).rstrip('=')`, token expiry announced as 14 minutes.
 * - kubernetes-sigs/aws-iam-authenticator `pkg/token/token.go`: `requestPresignParam = 60`,
 *   `presignedURLExpiration = 15 * time.Minute`, `base64.RawURLEncoding`; the verifier accepts
 *   only https, path `/`, the regional STS hosts, the query parameters Action, Version and
 *   X-Amz-* (Algorithm, Credential, Date, Expires, Security-Token, Signature, SignedHeaders),
 *   and requires `x-k8s-aws-id` among the signed headers.
 */
import { DescribeClusterCommand, type EKSClient } from "@aws-sdk/client-eks";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { EnvironmentConfig } from "../../config/schema";
import { clusterName } from "../../config/rules";
import type { KubernetesAccess } from "../types";
import type { AwsCredentials, AwsCredentialsProvider } from "./clients";

/** Prefix of an EKS bearer token (aws-cli `TOKEN_PREFIX`). */
export const EKS_TOKEN_PREFIX = "k8s-aws-v1.";
/** The header that binds a token to one cluster (aws-cli `K8S_AWS_ID_HEADER`). */
export const CLUSTER_ID_HEADER = "x-k8s-aws-id";
/** `X-Amz-Expires` of the presigned URL (aws-cli `URL_TIMEOUT`, authenticator `requestPresignParam`). */
const PRESIGN_EXPIRES_SECONDS = 60;
/**
 * Reuse a token this long (less when the signing credentials expire sooner): STS honours it 15
 * minutes after signing; keep a wide margin for long request batches.
 */
export const TOKEN_REUSE_MS = 10 * 60 * 1000;

/** The regional STS host, e.g. `sts.eu-west-1.amazonaws.com` (`.amazonaws.com.cn` in China). */
export function stsHost(region: string): string {
  return `sts.${region}.amazonaws.com${region.startsWith("cn-") ? ".cn" : ""}`;
}

/** RFC 3986 query component encoding, as SigV4 canonicalises it. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** What an EKS token is made of. */
export interface EksTokenRequest {
  /** The EKS cluster name (the `x-k8s-aws-id` header). */
  readonly clusterName: string;
  /** The cluster's region: the STS endpoint and the signing region. */
  readonly region: string;
  /** Credentials of the identity the cluster maps (access entry or aws-auth). */
  readonly credentials: AwsCredentialsProvider | AwsCredentials;
  /** Signing time. @default now */
  readonly signingDate?: Date;
}

/** An EKS bearer token: `k8s-aws-v1.<base64url of a presigned STS GetCallerIdentity URL>`. */
export async function eksToken(request: EksTokenRequest): Promise<string> {
  const hostname = stsHost(request.region);
  const signer = new SignatureV4({
    credentials: request.credentials,
    region: request.region,
    service: "sts",
    sha256: Hash.bind(null, "sha256"),
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: "GET",
      protocol: "https:",
      hostname,
      path: "/",
      query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
      headers: { host: hostname, [CLUSTER_ID_HEADER]: request.clusterName },
    }),
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: request.signingDate },
  );
  const query = Object.entries(presigned.query ?? {})
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map(
        (v) => `${escapeUri(key)}=${escapeUri(v ?? "")}`,
      ),
    )
    .join("&");
  const url = `https://${hostname}/?${query}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url, "utf8").toString("base64url");
}

/** Test seams of {@link eksKubernetesAccess}. */
export interface EksAccessOptions {
  /** The clock, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * The API server of the environment's cluster (`DescribeCluster` of `clusterName(env)`) and a
 * token source that signs a fresh token every {@link TOKEN_REUSE_MS} (sooner when the
 * credentials expire first). Throws naming the cluster when it is missing or not ready.
 */
export async function eksKubernetesAccess(
  env: Pick<EnvironmentConfig, "name" | "region" | "account" | "cluster">,
  eks: EKSClient,
  credentials: AwsCredentialsProvider,
  options: EksAccessOptions = {},
): Promise<KubernetesAccess> {
  const name = clusterName(env);
  const where = `EKS cluster ${name} in ${env.region} of account ${env.account} (environment ${env.name})`;
  let cluster;
  try {
    cluster = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
  } catch (error) {
    const code = (error as { name?: string }).name;
    const reason =
      code === "ResourceNotFoundException"
        ? "it does not exist: is the infrastructure stack deployed, and are these the right account and region?"
        : `${code ?? "error"}: ${(error as Error).message}`;
    throw new Error(`Cannot describe the ${where}: ${reason}`, { cause: error });
  }
  if (!cluster?.endpoint) {
    throw new Error(
      `The ${where} has no API endpoint yet (status ${cluster?.status ?? "unknown"}); wait until it is ACTIVE`,
    );
  }
  const caData = cluster.certificateAuthority?.data;
  const now = options.now ?? Date.now;
  let cached: { readonly token: string; readonly until: number } | undefined;
  return {
    server: cluster.endpoint.replace(/\/+$/, ""),
    caPem: caData ? Buffer.from(caData, "base64").toString("utf8") : undefined,
    async token() {
      const at = now();
      if (cached && at < cached.until) return cached.token;
      const resolved = await credentials();
      const token = await eksToken({
        clusterName: name,
        region: env.region,
        credentials: resolved,
        signingDate: new Date(at),
      });
      // a presigned URL dies with the (role session) credentials that signed it
      const credentialsEnd = resolved.expiration
        ? resolved.expiration.getTime() - 60_000
        : Number.POSITIVE_INFINITY;
      cached = { token, until: Math.min(at + TOKEN_REUSE_MS, credentialsEnd) };
      return token;
    },
  };
}
