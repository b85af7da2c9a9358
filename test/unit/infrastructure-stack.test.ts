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
      delete raw.github;
      delete raw.apps.web.imageRepository; // its push role needs the github section's OIDC provider
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
      // GitHub's plan role views the cluster (GithubDeployRoles)
      expect.stringMatching(/^\$\{aws_iam_role\.github_plan-role_[0-9A-F]+\.arn\}$/),
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
      delete raw.github;
      delete raw.apps.web.imageRepository; // its push role needs the github section's OIDC provider
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

  test("outputs whether each alarm e-mail subscription still waits for its confirmation", () => {
    const subscriptions = Object.keys(prod.resource!.aws_sns_topic_subscription);
    const ref = (part: string) =>
      `\${aws_sns_topic_subscription.${subscriptions.find((n) => n.includes(part))}.pending_confirmation}`;
    expect(prod.output!.alarm_email_pending_confirmation).toEqual({
      description: expect.stringContaining("pending confirmation"),
      value: {
        "eu-west-1": ref("alarms_email-subscription"),
        "us-east-1": ref("us-east-1_email-subscription"),
      },
    });
  });
});

describe.each(["dev", "staging", "prod"])("%s-infrastructure outputs", (name) => {
  const json = infrastructure(name);
  const output = (key: string) => json.output?.[key] as { value: unknown; sensitive?: boolean };
  const ref = (type: string, part: string, attr: string) => {
    const names = Object.keys(json.resource?.[type] ?? {}).filter((n) => n.includes(part));
    expect(names).toHaveLength(1);
    return `\${${type}.${names[0]}.${attr}}`;
  };

  test("what the README and the release tool need, each referencing its resource", () => {
    const expected: Record<string, string> = {
      site_bucket_name: ref("aws_s3_bucket", "site_content-bucket", "bucket"),
      distribution_id: ref("aws_cloudfront_distribution", "site_distribution", "id"),
      distribution_domain_name: ref(
        "aws_cloudfront_distribution",
        "site_distribution",
        "domain_name",
      ),
      database_identifier: ref("aws_db_instance", "database_instance", "identifier"),
      database_endpoint: ref("aws_db_instance", "database_instance", "endpoint"),
      database_port: ref("aws_db_instance", "database_instance", "port"),
      database_master_secret_arn: `\${aws_db_instance.${
        Object.keys(json.resource!.aws_db_instance)[0]
      }.master_user_secret[0].secret_arn}`,
      alarm_topic_arn: `\${aws_sns_topic.${
        Object.entries(json.resource!.aws_sns_topic).find(([, t]) => t.provider === undefined)![0]
      }.arn}`,
      alarm_topic_arn_us_east_1: `\${aws_sns_topic.${
        Object.entries(json.resource!.aws_sns_topic).find(
          ([, t]) => t.provider === "aws.us_east_1",
        )![0]
      }.arn}`,
      cluster_security_group_id: ref(
        "aws_eks_cluster",
        "cluster",
        "vpc_config[0].cluster_security_group_id",
      ),
    };
    for (const [key, value] of Object.entries(expected)) {
      expect([key, output(key)?.value]).toEqual([key, value]);
    }
  });

  test("the master secret's ARN is not sensitive (it names the secret, it is not its value)", () => {
    expect(output("database_master_secret_arn").sensitive).toBeUndefined();
  });

  test("certificate ARNs are output where the stack issues certificates (dns section)", () => {
    const env = environment(name);
    expect(output("app_certificate_arns") !== undefined).toBe(env.dns !== undefined);
    expect(output("cdn_certificate_arn") !== undefined).toBe(
      env.dns !== undefined && env.cdn.domainNames !== undefined && !env.cdn.certificateArn,
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
