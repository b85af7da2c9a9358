import { Testing } from "cdktf";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { environment, synth, type StackJson } from "../helpers";

function infrastructure(
  name: string,
  offline = false,
  edit?: (raw: Record<string, any>) => void,
): StackJson {
  const stack = new InfrastructureStack(Testing.app(), `${name}-infrastructure`, {
    environment: environment(name, edit),
    offline,
  });
  return synth(stack);
}

describe("InfrastructureStack providers and state", () => {
  const prod = infrastructure("prod");
  const aws = prod.provider!.aws[0];

  test("AWS provider is pinned to the account and region and assumes the deploy role", () => {
    expect(aws).toMatchObject({
      region: "eu-west-1",
      allowed_account_ids: ["123456789012"],
      assume_role: [
        { role_arn: "arn:aws:iam::123456789012:role/platform-deploy", session_name: "cdktf-prod" },
      ],
    });
    expect(aws.access_key).toBeUndefined();
  });

  test("default tags carry environment, managed-by and the file's tags", () => {
    expect(aws.default_tags).toEqual([
      {
        tags: {
          owner: "platform-team",
          "cost-center": "4200",
          environment: "prod",
          "managed-by": "cdktf-platform",
        },
      },
    ]);
  });

  test("no assume_role when the file has no deployRoleArn", () => {
    const json = infrastructure("dev", false, (raw) => {
      // no runners without a deploy role to assume: the deployer reaches the public endpoint
      delete raw.deployRoleArn;
      delete raw.pipeline;
      raw.cluster.endpointPublicAccessCidrs = ["198.51.100.0/24"];
    });
    expect(json.provider!.aws[0].assume_role).toBeUndefined();
    expect(
      (json.terraform!.backend as Record<string, Record<string, unknown>>).s3.assume_role,
    ).toBeUndefined();
  });

  test("S3 backend: key per stack, encrypted, S3-native locking", () => {
    expect(prod.terraform!.backend).toEqual({
      s3: {
        bucket: "example-tfstate-prod",
        region: "eu-west-1",
        key: "prod-infrastructure.tfstate",
        encrypt: true,
        use_lockfile: true,
        assume_role: { role_arn: "arn:aws:iam::123456789012:role/platform-deploy" },
      },
    });
  });

  test("a us-east-1 provider alias, configured like the main one, for CloudFront's logs and metrics", () => {
    const alias = prod.provider!.aws.find((p) => p.alias === "us_east_1")!;
    expect(alias).toMatchObject({
      region: "us-east-1",
      allowed_account_ids: ["123456789012"],
      default_tags: aws.default_tags,
    });
    const global = Object.values(prod.resource!.aws_cloudwatch_metric_alarm).filter(
      (a) => a.provider === "aws.us_east_1",
    );
    expect(global.map((a) => a.metric_name)).toEqual(["5xxErrorRate"]);
  });

  test("the deploy role, which the workloads stack authenticates as, gets a cluster access entry", () => {
    const entries = Object.values(prod.resource!.aws_eks_access_entry);
    expect(entries.map((e) => e.principal_arn)).toEqual([
      "arn:aws:iam::123456789012:role/platform-admin",
      "arn:aws:iam::123456789012:role/platform-deploy",
    ]);
    expect(Object.keys(prod.resource!.aws_eks_access_policy_association)).toContainEqual(
      expect.stringMatching(/^cluster_deployer-123456789012-role-platform-deploy-policy_/),
    );
  });

  test("without a deploy role only the admins get access entries (one of them deploys)", () => {
    const json = infrastructure("dev", false, (raw) => {
      // no runners without a deploy role to assume: the deployer reaches the public endpoint
      delete raw.deployRoleArn;
      delete raw.pipeline;
      raw.cluster.endpointPublicAccessCidrs = ["198.51.100.0/24"];
    });
    expect(Object.values(json.resource!.aws_eks_access_entry).map((e) => e.principal_arn)).toEqual([
      "arn:aws:iam::111111111111:role/platform-admin",
    ]);
  });

  test("uses no data source that calls an AWS API", () => {
    const allowed = ["aws_iam_policy_document", "aws_partition"];
    expect(Object.keys(prod.data ?? {}).filter((type) => !allowed.includes(type))).toEqual([]);
  });

  test("exposes the network outputs", () => {
    expect(Object.keys(prod.output ?? {})).toEqual(
      expect.arrayContaining([
        "vpc_id",
        "vpc_cidr",
        "public_subnet_ids",
        "private_subnet_ids",
        "database_subnet_ids",
        "database_subnet_group_name",
      ]),
    );
  });
});

describe("InfrastructureStack offline mode", () => {
  const offline = infrastructure("prod", true);
  const aws = offline.provider!.aws[0];

  test("local backend instead of S3", () => {
    expect(offline.terraform!.backend).toEqual({
      local: { path: "../prod-infrastructure/prod-infrastructure.tfstate" },
    });
  });

  test("placeholder credentials with every skip flag, no account pinning, no role", () => {
    expect(aws).toMatchObject({
      access_key: "offline-placeholder",
      secret_key: "offline-placeholder",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: "true",
      skip_region_validation: true,
    });
    expect(aws.allowed_account_ids).toBeUndefined();
    expect(aws.assume_role).toBeUndefined();
  });

  test("the resources are the same as in normal mode", () => {
    expect(offline.resource).toEqual(infrastructure("prod").resource);
  });
});
