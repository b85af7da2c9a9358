/**
 * EKS access: the API server and CA from DescribeCluster (mocked EKS client), and the bearer
 * token, decoded and checked the way aws-iam-authenticator's verifier checks it, with its SigV4
 * signature recomputed here independently of @smithy/signature-v4.
 */
import { createHash, createHmac } from "node:crypto";
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from "@aws-sdk/client-eks";
import { mockClient } from "aws-sdk-client-mock";
import { eksKubernetesAccess, eksToken, TOKEN_REUSE_MS } from "../../release/aws/eks";
import { environment } from "../helpers";

const eks = mockClient(EKSClient);
beforeEach(() => eks.reset());
afterAll(() => eks.restore());

const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "FwoGZXIvYXdzEBYaDH/session+token==",
};
const credentials = async () => CREDENTIALS;
const SIGNED_AT = new Date("2025-03-04T05:06:07.000Z");
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

/** The presigned URL inside a token (fails on a wrong prefix or padding). */
function decode(token: string): URL {
  expect(token.startsWith("k8s-aws-v1.")).toBe(true);
  const encoded = token.slice("k8s-aws-v1.".length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(encoded, "base64url").toString("utf8"));
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const hmac = (key: Buffer | string, data: string) =>
  createHmac("sha256", key).update(data).digest();

/** SigV4 of a presigned GET, from the AWS documentation's recipe. */
function expectedSignature(url: URL, headers: Record<string, string>, region: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== "X-Amz-Signature");
  const query = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const names = Object.keys(headers).sort();
  const canonical = [
    "GET",
    "/",
    query,
    names.map((n) => `${n}:${headers[n]}\n`).join(""),
    names.join(";"),
    sha256(""),
  ].join("\n");
  const date = url.searchParams.get("X-Amz-Date")!;
  const scope = `${date.slice(0, 8)}/${region}/sts/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, sha256(canonical)].join("\n");
  const key = ["aws4_request"].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, date.slice(0, 8)), region), "sts"),
  );
  return createHmac("sha256", key).update(toSign).digest("hex");
}

describe("eksToken", () => {
  test("a presigned STS GetCallerIdentity URL bound to the cluster, as aws eks get-token makes it", async () => {
    const token = await eksToken({
      clusterName: "staging",
      region: "eu-west-1",
      credentials,
      signingDate: SIGNED_AT,
    });
    const url = decode(token);
    const q = url.searchParams;

    expect(url.protocol).toBe("https:");
    expect(url.host).toBe("sts.eu-west-1.amazonaws.com");
    expect(url.pathname).toBe("/");
    expect(q.get("Action")).toBe("GetCallerIdentity");
    expect(q.get("Version")).toBe("2011-06-15");
    expect(q.get("X-Amz-Expires")).toBe("60");
    expect(q.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(q.get("X-Amz-Date")).toBe("20250304T050607Z");
    expect(q.get("X-Amz-Credential")).toBe("AKIDEXAMPLE/20250304/eu-west-1/sts/aws4_request");
    expect(q.get("X-Amz-SignedHeaders")).toBe("host;x-k8s-aws-id");
    expect(q.get("X-Amz-Security-Token")).toBe(CREDENTIALS.sessionToken);
    // aws-iam-authenticator rejects any other query parameter
    expect([...q.keys()].sort()).toEqual([
      "Action",
      "Version",
      "X-Amz-Algorithm",
      "X-Amz-Credential",
      "X-Amz-Date",
      "X-Amz-Expires",
      "X-Amz-Security-Token",
      "X-Amz-Signature",
      "X-Amz-SignedHeaders",
    ]);
    expect(q.get("X-Amz-Signature")).toBe(
      expectedSignature(
        url,
        { host: "sts.eu-west-1.amazonaws.com", "x-k8s-aws-id": "staging" },
        "eu-west-1",
      ),
    );
  });

  test("the signature covers the cluster name: a token for another cluster differs", async () => {
    const a = decode(
      await eksToken({
        clusterName: "a",
        region: "eu-west-1",
        credentials,
        signingDate: SIGNED_AT,
      }),
    );
    const b = decode(
      await eksToken({
        clusterName: "b",
        region: "eu-west-1",
        credentials,
        signingDate: SIGNED_AT,
      }),
    );
    expect(a.searchParams.get("X-Amz-Signature")).not.toBe(b.searchParams.get("X-Amz-Signature"));
    expect(a.searchParams.get("X-Amz-Signature")).not.toBe(
      expectedSignature(a, { host: a.host, "x-k8s-aws-id": "b" }, "eu-west-1"),
    );
  });

  test("China regions sign against the .amazonaws.com.cn STS host", async () => {
    const url = decode(
      await eksToken({
        clusterName: "c",
        region: "cn-north-1",
        credentials,
        signingDate: SIGNED_AT,
      }),
    );
    expect(url.host).toBe("sts.cn-north-1.amazonaws.com.cn");
    expect(url.searchParams.get("X-Amz-Credential")).toContain("/cn-north-1/sts/aws4_request");
  });
});

describe("eksKubernetesAccess", () => {
  const env = environment("staging", (raw) => {
    (raw.cluster as Record<string, unknown>).name = "staging-eks";
  });

  test("server and CA from DescribeCluster of the environment's cluster name", async () => {
    eks.on(DescribeClusterCommand, { name: "staging-eks" }).resolves({
      cluster: {
        name: "staging-eks",
        status: "ACTIVE",
        endpoint: "https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com/",
        certificateAuthority: { data: Buffer.from(PEM).toString("base64") },
      },
    });
    const access = await eksKubernetesAccess(
      env,
      new EKSClient({ region: env.region }),
      credentials,
    );
    expect(access.server).toBe("https://ABCDEF0123.gr7.eu-west-1.eks.amazonaws.com");
    expect(access.caPem).toBe(PEM);
    expect(eks.commandCalls(DescribeClusterCommand).map((c) => c.args[0].input)).toEqual([
      { name: "staging-eks" },
    ]);

    const url = decode(await access.token());
    expect(url.host).toBe(`sts.${env.region}.amazonaws.com`);
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toContain("host;x-k8s-aws-id");
    expect(url.searchParams.get("X-Amz-Credential")).toContain(`/${env.region}/sts/aws4_request`);
    expect(url.searchParams.get("X-Amz-Signature")).toBe(
      expectedSignature(url, { host: url.host, "x-k8s-aws-id": "staging-eks" }, env.region),
    );
  });

  test("a token is reused for ten minutes, then signed afresh", async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: { status: "ACTIVE", endpoint: "https://x.eks.amazonaws.com" },
    });
    let clock = SIGNED_AT.getTime();
    let calls = 0;
    const counting = async () => {
      calls++;
      return CREDENTIALS;
    };
    const access = await eksKubernetesAccess(env, new EKSClient({ region: env.region }), counting, {
      now: () => clock,
    });
    const first = await access.token();
    clock += TOKEN_REUSE_MS - 1;
    expect(await access.token()).toBe(first);
    clock += 1;
    const second = await access.token();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get("X-Amz-Date")).toBe("20250304T051607Z");
    expect(calls).toBe(2);
  });

  test("credentials expiring sooner shorten the reuse", async () => {
    eks.on(DescribeClusterCommand).resolves({
      cluster: { status: "ACTIVE", endpoint: "https://x.eks.amazonaws.com" },
    });
    let clock = SIGNED_AT.getTime();
    const shortLived = async () => ({ ...CREDENTIALS, expiration: new Date(clock + 3 * 60_000) });
    const access = await eksKubernetesAccess(
      env,
      new EKSClient({ region: env.region }),
      shortLived,
      {
        now: () => clock,
      },
    );
    const first = await access.token();
    clock += 2 * 60_000 + 1; // past expiration - 1 minute
    expect(await access.token()).not.toBe(first);
  });

  test("a missing cluster is a clear error naming cluster, region and account", async () => {
    eks.on(DescribeClusterCommand).rejects(
      new ResourceNotFoundException({
        $metadata: {},
        message: "No cluster found for name: staging-eks.",
      }),
    );
    await expect(
      eksKubernetesAccess(env, new EKSClient({ region: env.region }), credentials),
    ).rejects.toThrow(
      `Cannot describe the EKS cluster staging-eks in ${env.region} of account ${env.account} (environment staging): it does not exist`,
    );
  });

  test("a cluster still being created has no endpoint: says to wait", async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: "CREATING" } });
    await expect(
      eksKubernetesAccess(env, new EKSClient({ region: env.region }), credentials),
    ).rejects.toThrow("has no API endpoint yet (status CREATING); wait until it is ACTIVE");
  });
});
