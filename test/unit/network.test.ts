import { Network, type NetworkProps } from "../../constructs/network";
import { parseCidr, cidrContains, cidrOverlaps } from "../../constructs/private/cidr";
import { allowedActions, only, policy, resources, synth, TEST_AWS, testStack } from "../helpers";

const AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

function network(props: Partial<NetworkProps> = {}) {
  const stack = testStack();
  const construct = new Network(stack, "network", {
    environment: TEST_AWS,
    cidr: "10.30.0.0/16",
    availabilityZones: AZS,
    name: "prod",
    ...props,
  });
  return { construct, json: synth(stack) };
}

describe("Network secure defaults", () => {
  const { json, construct } = network();
  const subnets = resources(json, "aws_subnet");

  test("VPC has DNS support and hostnames", () => {
    expect(only(json, "aws_vpc")).toMatchObject({
      cidr_block: "10.30.0.0/16",
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  test("public, private and database subnets in every AZ, ids keyed by AZ name", () => {
    const names = Object.keys(subnets).map((n) =>
      n.replace(/^network_/, "").replace(/_[0-9A-F]{8}$/, ""),
    );
    for (const tier of ["public", "private", "database"]) {
      for (const az of AZS) {
        expect(names).toContain(`${tier}-subnet-${az}`);
      }
    }
    expect(Object.keys(construct.subnets.private)).toEqual(AZS);
    expect(
      Object.values(subnets)
        .map((s) => s.availability_zone)
        .sort(),
    ).toEqual([...AZS, ...AZS, ...AZS].sort());
  });

  test("no subnet assigns public IPs on launch", () => {
    expect(Object.values(subnets).map((s) => s.map_public_ip_on_launch)).toEqual(
      Array(9).fill(false),
    );
  });

  test("subnets are carved inside the VPC, without overlap, deterministically", () => {
    const vpc = parseCidr("10.30.0.0/16")!;
    const blocks = Object.values(subnets).map((s) => parseCidr(String(s.cidr_block))!);
    for (const b of blocks) expect(cidrContains(vpc, b)).toBe(true);
    for (let i = 0; i < blocks.length; i++)
      for (let j = i + 1; j < blocks.length; j++)
        expect(cidrOverlaps(blocks[i], blocks[j])).toBe(false);
    const byName = (tier: string, az: string) =>
      Object.values(subnets).find(
        (s) => (s.tags as Record<string, string>).Name === `prod-${tier}-${az}`,
      )?.cidr_block;
    expect([
      byName("private", "eu-west-1a"),
      byName("private", "eu-west-1c"),
      byName("public", "eu-west-1a"),
      byName("database", "eu-west-1b"),
    ]).toEqual(["10.30.0.0/19", "10.30.64.0/19", "10.30.128.0/22", "10.30.148.0/22"]);
    expect(network().json).toEqual(json);
  });

  test("appending an AZ does not move existing subnets", () => {
    const four = network({ availabilityZones: [...AZS, "eu-west-1d"] }).json;
    const cidrs = (j: typeof json) =>
      Object.fromEntries(
        Object.values(resources(j, "aws_subnet")).map((s) => [
          (s.tags as Record<string, string>).Name,
          s.cidr_block,
        ]),
      );
    expect(cidrs(four)).toMatchObject(cidrs(json));
  });

  test("subnet prefix lengths are configurable", () => {
    const j = network({ subnetPrefixLengths: { private: 20, public: 24, database: 24 } }).json;
    const privateSubnet = Object.values(resources(j, "aws_subnet")).find(
      (s) => (s.tags as Record<string, string>).Name === "prod-private-eu-west-1b",
    );
    expect(privateSubnet?.cidr_block).toBe("10.30.16.0/20");
  });

  test("load balancer subnet tags", () => {
    const tagsOf = (tier: string) =>
      Object.values(subnets)
        .filter((s) => (s.tags as Record<string, string>)["platform/subnet-tier"] === tier)
        .map((s) => s.tags as Record<string, string>);
    for (const t of tagsOf("public")) expect(t["kubernetes.io/role/elb"]).toBe("1");
    for (const t of tagsOf("private")) expect(t["kubernetes.io/role/internal-elb"]).toBe("1");
    for (const t of tagsOf("database"))
      expect(Object.keys(t).filter((k) => k.startsWith("kubernetes.io"))).toEqual([]);
  });

  test("the default security group is adopted with no rules", () => {
    expect(only(json, "aws_default_security_group")).toMatchObject({ ingress: [], egress: [] });
  });

  test("database subnets have no route out of the VPC", () => {
    const tables = resources(json, "aws_route_table");
    const dbTable = Object.entries(tables).find(
      ([, t]) => (t.tags as Record<string, string>).Name === "prod-database",
    )![0];
    const routes = Object.values(resources(json, "aws_route"));
    expect(
      routes.filter((r) => String(r.route_table_id).includes(`aws_route_table.${dbTable}.`)),
    ).toEqual([]);
    expect(dbTable).toBeDefined();
    // and no inline routes either
    expect(tables[dbTable].route).toBeUndefined();
  });

  test("flow logs capture ALL traffic into a KMS-encrypted log group with retention", () => {
    const flowLog = only(json, "aws_flow_log");
    expect(flowLog).toMatchObject({
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
    });
    expect(String(flowLog.log_destination)).toMatch(/aws_cloudwatch_log_group\..*\.arn/);
    const group = only(json, "aws_cloudwatch_log_group");
    expect(group).toMatchObject({ name: "/aws/vpc-flow-logs/prod", retention_in_days: 365 });
    expect(String(group.kms_key_id)).toMatch(/aws_kms_key\..*\.arn/);
  });

  test("the flow log key rotates and its policy names the log group", () => {
    const key = only(json, "aws_kms_key");
    expect(key).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    const statements = policy(key.policy).Statement;
    expect(statements.map((s) => s.Action).flat()).not.toContain("kms:*");
    const logs = statements.find((s) => s.Sid === "CloudWatchLogsUse")!;
    expect(logs.Principal).toEqual({ Service: "logs.eu-west-1.amazonaws.com" });
    expect(logs.Condition).toEqual({
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn":
          "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vpc-flow-logs/prod",
      },
    });
  });

  test("the flow log role is least privilege and trusts only the flow logs service of our account", () => {
    const role = only(json, "aws_iam_role");
    expect(policy(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    const rolePolicy = only(json, "aws_iam_role_policy");
    expect(allowedActions(rolePolicy.policy).sort()).toEqual([
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]);
    for (const s of policy(rolePolicy.policy).Statement) expect(s.Resource).not.toEqual("*");
  });

  test("S3 gateway endpoint on the private route tables", () => {
    const s3 = Object.values(resources(json, "aws_vpc_endpoint")).find(
      (e) => e.vpc_endpoint_type === "Gateway",
    )!;
    expect(s3.service_name).toBe("com.amazonaws.eu-west-1.s3");
    expect(s3.route_table_ids).toHaveLength(3);
  });

  test("production tier: interface endpoints with private DNS behind 443-from-VPC only", () => {
    const endpoints = Object.values(resources(json, "aws_vpc_endpoint")).filter(
      (e) => e.vpc_endpoint_type === "Interface",
    );
    expect(endpoints.map((e) => e.service_name).sort()).toEqual(
      ["ecr.api", "ecr.dkr", "logs", "sts"].map((s) => `com.amazonaws.eu-west-1.${s}`),
    );
    for (const e of endpoints) expect(e.private_dns_enabled).toBe(true);
    const rule = only(json, "aws_vpc_security_group_ingress_rule");
    expect(rule).toMatchObject({ ip_protocol: "tcp", from_port: 443, to_port: 443 });
    expect(String(rule.cidr_ipv4)).toMatch(/aws_vpc\..*\.cidr_block/);
    expect(resources(json, "aws_vpc_security_group_egress_rule")).toEqual({});
  });

  test("development tier: no interface endpoints by default", () => {
    const dev = network({ tier: "development", natGateways: "single" }).json;
    expect(
      Object.values(resources(dev, "aws_vpc_endpoint")).map((e) => e.vpc_endpoint_type),
    ).toEqual(["Gateway"]);
  });

  test("production tier protects the flow log key from destroy", () => {
    expect(only(json, "aws_kms_key").lifecycle).toEqual({ prevent_destroy: true });
    const dev = network({ tier: "development" }).json;
    expect(only(dev, "aws_kms_key").lifecycle).toBeUndefined();
  });
});

describe("Network NAT modes", () => {
  const defaultRoutes = (json: ReturnType<typeof synth>) =>
    Object.values(resources(json, "aws_route")).filter((r) => r.nat_gateway_id !== undefined);

  test("perAz: one NAT and EIP per AZ, each private route table uses its own AZ's NAT", () => {
    const { json } = network({ natGateways: "perAz" });
    const nats = resources(json, "aws_nat_gateway");
    expect(Object.keys(nats)).toHaveLength(3);
    expect(Object.keys(resources(json, "aws_eip"))).toHaveLength(3);
    const routes = defaultRoutes(json);
    expect(routes).toHaveLength(3);
    expect(new Set(routes.map((r) => r.nat_gateway_id)).size).toBe(3);
    for (const az of AZS) {
      const route = routes.find((r) =>
        String(r.route_table_id).includes(`private-route-table-${az}`),
      );
      expect(String(route?.nat_gateway_id)).toContain(`nat-gateway-${az}`);
    }
  });

  test("single: one NAT in the first AZ shared by every private route table", () => {
    const { json } = network({ natGateways: "single", tier: "development" });
    expect(Object.keys(resources(json, "aws_nat_gateway"))).toEqual([
      expect.stringContaining("eu-west-1a"),
    ]);
    const routes = defaultRoutes(json);
    expect(routes).toHaveLength(3);
    expect(new Set(routes.map((r) => r.nat_gateway_id)).size).toBe(1);
  });

  test("none: no NAT, no EIP, private subnets have no default route", () => {
    const { json } = network({ natGateways: "none", tier: "development" });
    expect(resources(json, "aws_nat_gateway")).toEqual({});
    expect(resources(json, "aws_eip")).toEqual({});
    expect(defaultRoutes(json)).toEqual([]);
    // only the public default route to the internet gateway remains
    expect(Object.values(resources(json, "aws_route")).map((r) => String(r.gateway_id))).toEqual([
      expect.stringContaining("aws_internet_gateway"),
    ]);
  });

  test("the NAT's EIP is in the VPC domain and the NAT sits in a public subnet", () => {
    const { json } = network({ natGateways: "single", tier: "development" });
    expect(only(json, "aws_eip").domain).toBe("vpc");
    expect(String(only(json, "aws_nat_gateway").subnet_id)).toContain("public-subnet-eu-west-1a");
  });
});

describe("Network validation", () => {
  test("fails with every problem, prefixed by the construct path", () => {
    expect(() =>
      network({
        cidr: "10.0.0.0/8",
        availabilityZones: ["eu-west-1a", "us-east-1a", "eu-west-1a"],
        natGateways: "single",
      }),
    ).toThrow(
      [
        'test/network: cidr: received "10.0.0.0/8"; expected a prefix length from /16 to /28 (the VPC limits)',
        'test/network: availabilityZones[1]: received "us-east-1a"; expected an availability zone of region eu-west-1, such as eu-west-1a',
        'test/network: availabilityZones[2]: received "eu-west-1a"; expected each availability zone once (duplicate)',
        'test/network: natGateways: received "single"; expected "perAz" in the production tier (one NAT per AZ, so one AZ failure cannot cut egress)',
      ].join("\n"),
    );
  });

  test("fails when fewer than two AZs are given", () => {
    expect(() => network({ availabilityZones: ["eu-west-1a"] })).toThrow(
      'test/network: availabilityZones: received ["eu-west-1a"]; expected at least 2 availability zones (EKS needs 2)',
    );
  });

  test("fails when the subnets do not fit", () => {
    expect(() => network({ cidr: "10.30.0.0/27" })).toThrow(
      /test\/network: subnetPrefixLengths: received .*; expected subnets that fit in 10\.30\.0\.0\/27/,
    );
  });
});
