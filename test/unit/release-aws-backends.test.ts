/**
 * The AWS clients of an environment (regions, deploy role session, shared cached credentials)
 * and the normal-mode backends built on them.
 */
import { DescribeClusterCommand, EKSClient } from "@aws-sdk/client-eks";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { awsReleaseBackends } from "../../release/aws/backends";
import {
  cachedCredentials,
  environmentCredentials,
  releaseAwsClients,
  type AwsCredentials,
  type CredentialProviders,
} from "../../release/aws/clients";
import { ElbTrafficVerifier } from "../../release/aws/traffic";
import { environment } from "../helpers";

const CREDENTIALS: AwsCredentials = { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" };
const staging = environment("staging"); // deployRoleArn set, state bucket in eu-west-1

/** Provider factories that record how they were called. */
function recordingProviders() {
  const base = async () => CREDENTIALS;
  const calls: unknown[] = [];
  const providers = {
    fromNodeProviderChain: () => base,
    fromTemporaryCredentials: (options: unknown) => {
      calls.push(options);
      return async () => ({ ...CREDENTIALS, accessKeyId: "ASIAROLE" });
    },
  } as unknown as CredentialProviders;
  return { providers, calls, base };
}

describe("environmentCredentials", () => {
  test("with deployRoleArn: that role assumed from the default chain, session release-<env>", async () => {
    const { providers, calls, base } = recordingProviders();
    const credentials = environmentCredentials(staging, providers);
    expect(calls).toEqual([
      {
        masterCredentials: base,
        params: { RoleArn: staging.deployRoleArn, RoleSessionName: "release-staging" },
        clientConfig: { region: staging.region },
      },
    ]);
    expect((await credentials()).accessKeyId).toBe("ASIAROLE");
  });

  test("without deployRoleArn: the default chain itself", () => {
    const { providers, calls, base } = recordingProviders();
    const env = { ...staging, deployRoleArn: undefined };
    expect(environmentCredentials(env, providers)).toBe(base);
    expect(calls).toEqual([]);
  });
});

describe("cachedCredentials", () => {
  test("one call shared by concurrent users, refreshed five minutes before expiry", async () => {
    let clock = 0;
    let calls = 0;
    const provider = async () => {
      calls++;
      return { ...CREDENTIALS, expiration: new Date(clock + 60 * 60_000) };
    };
    const cached = cachedCredentials(provider, () => clock);
    await Promise.all([cached(), cached(), cached()]);
    expect(calls).toBe(1);
    clock = 55 * 60_000 - 1;
    await cached();
    expect(calls).toBe(1);
    clock = 55 * 60_000;
    await cached();
    expect(calls).toBe(2);
  });

  test("a failure is not cached", async () => {
    let fail = true;
    const cached = cachedCredentials(async () => {
      if (fail) throw new Error("no credentials in the chain");
      return CREDENTIALS;
    });
    await expect(cached()).rejects.toThrow("no credentials in the chain");
    fail = false;
    expect(await cached()).toBe(CREDENTIALS);
  });
});

describe("releaseAwsClients", () => {
  test("S3 in the state bucket's region, EKS and ELBv2 in the environment's, one credentials provider", async () => {
    const env = environment("staging", (raw) => {
      raw.state = { bucket: "example-tfstate-staging", region: "us-east-1" };
    });
    const credentials = async () => CREDENTIALS;
    const clients = releaseAwsClients(env, credentials);
    expect(await clients.s3.config.region()).toBe("us-east-1");
    expect(await clients.eks.config.region()).toBe(env.region);
    expect(await clients.elbv2.config.region()).toBe(env.region);
    expect(clients.credentials).toBe(credentials);
    expect((await clients.s3.config.credentials()).accessKeyId).toBe("AKIDFAKE");
    expect((await clients.eks.config.credentials()).accessKeyId).toBe("AKIDFAKE");
    expect((await clients.elbv2.config.credentials()).accessKeyId).toBe("AKIDFAKE");
  });
});

describe("awsReleaseBackends", () => {
  const eks = mockClient(EKSClient);
  afterAll(() => eks.restore());
  beforeEach(() => eks.reset());

  const backends = () =>
    awsReleaseBackends(staging, "web", {
      s3: new S3Client({ region: staging.state.region }),
      eks: new EKSClient({ region: staging.region }),
      elbv2: new ElasticLoadBalancingV2Client({ region: staging.region }),
      credentials: async () => CREDENTIALS,
    });

  test("lock, journal and deployed state live in the environment's state bucket", () => {
    const b = backends();
    const bucket = staging.state.bucket;
    expect(b.lock.location).toBe(`s3://${bucket}/release/locks/staging/web.json`);
    expect(b.journal.location).toBe(`s3://${bucket}/release/journal/staging/web/`);
    expect(b.deployedState.location).toBe(`s3://${bucket}/staging-workloads.tfstate`);
    expect(b.traffic).toBeInstanceOf(ElbTrafficVerifier);
  });

  test("kubernetes() describes the cluster once; a failure is retried on the next call", async () => {
    eks
      .on(DescribeClusterCommand)
      .rejectsOnce(new Error("socket hang up"))
      .resolves({ cluster: { status: "ACTIVE", endpoint: "https://k.eks.amazonaws.com" } });
    const b = backends();
    await expect(b.kubernetes()).rejects.toThrow(
      /Cannot describe the EKS cluster staging in eu-west-1 .*: Error: socket hang up/,
    );
    const [first, second] = await Promise.all([b.kubernetes(), b.kubernetes()]);
    expect(first?.server).toBe("https://k.eks.amazonaws.com");
    expect(second).toBe(first);
    expect(await b.kubernetes()).toBe(first);
    expect(eks.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });
});
