import { Construct } from "constructs";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { encryptedLogGroup } from "./private/encrypted-log-group";
import { parseCidr } from "./private/cidr";
import { policyJson, serviceTrustPolicy } from "./private/iam";
import {
  planSubnets,
  SUBNET_TIERS,
  type SubnetCidrs,
  type SubnetPrefixLengths,
  type SubnetTier,
} from "./private/subnet-layout";
import { isToken, ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { partitionOf, type AwsEnvironment, type NatGatewayMode, type Tier } from "./types";

export type { SubnetPrefixLengths, SubnetTier } from "./private/subnet-layout";

/** Interface endpoints the network can create (the service part of `com.amazonaws.<region>.<service>`). */
export const INTERFACE_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "sts", "logs"] as const;
/** An AWS service the network can reach through an interface VPC endpoint instead of the NAT. */
export type InterfaceEndpointService = (typeof INTERFACE_ENDPOINT_SERVICES)[number];

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Account and region of the VPC. */
  readonly environment: AwsEnvironment;
  /** IPv4 CIDR of the VPC, /16 to /28, e.g. `10.30.0.0/16`. */
  readonly cidr: string;
  /** AZ names in the region, at least 2. Order matters: AZ *i* gets subnet slot *i* (append only). */
  readonly availabilityZones: readonly string[];
  /** Name used in `Name` tags and resource names. @default the construct id */
  readonly name?: string;
  /** Tier: production requires NAT per AZ and adds interface endpoints. @default "production" */
  readonly tier?: Tier;
  /** NAT gateways for private subnets. @default "perAz" */
  readonly natGateways?: NatGatewayMode;
  /** Prefix length per subnet tier. @default private VPC+3, public VPC+6, database VPC+6 */
  readonly subnetPrefixLengths?: SubnetPrefixLengths;
  /** Retention of the flow log group, in days. @default 365 */
  readonly flowLogRetentionDays?: number;
  /** Interface endpoints (private DNS, 443 from the VPC only). @default ecr.api, ecr.dkr, sts, logs in production; none in development */
  readonly interfaceEndpoints?: readonly InterfaceEndpointService[];
}

/** The fields of {@link NetworkProps} that are validated. */
type NetworkValidationInput = Pick<
  NetworkProps,
  "cidr" | "availabilityZones" | "tier" | "natGateways" | "subnetPrefixLengths"
> & { readonly region: string };

/**
 * Every problem with network props, with field paths named as the props. Shared with the
 * environment-file validation so both say the same thing.
 */
export function validateNetworkProps(props: NetworkValidationInput): Problem[] {
  const p = new ProblemList();
  const cidr = isToken(props.cidr) ? undefined : parseCidr(props.cidr);
  if (!isToken(props.cidr)) {
    p.check(
      cidr !== undefined,
      "cidr",
      props.cidr,
      "an IPv4 CIDR block with no host bits set, such as 10.30.0.0/16",
    );
    if (cidr) {
      p.check(
        cidr.prefix >= 16 && cidr.prefix <= 28,
        "cidr",
        props.cidr,
        "a prefix length from /16 to /28 (the VPC limits)",
      );
    }
  }
  const seen = new Set<string>();
  const azPattern = new RegExp(`^${props.region.replace(/[-]/g, "\\-")}[a-z]$`);
  props.availabilityZones.forEach((az, i) => {
    if (isToken(az)) return;
    p.check(
      azPattern.test(az),
      `availabilityZones[${i}]`,
      az,
      `an availability zone of region ${props.region}, such as ${props.region}a`,
    );
    p.check(
      !seen.has(az),
      `availabilityZones[${i}]`,
      az,
      "each availability zone once (duplicate)",
    );
    seen.add(az);
  });
  p.check(
    props.availabilityZones.length >= 2,
    "availabilityZones",
    props.availabilityZones,
    "at least 2 availability zones (EKS needs 2)",
  );
  const tier = props.tier ?? "production";
  const nat = props.natGateways ?? "perAz";
  p.check(
    tier !== "production" || nat === "perAz",
    "natGateways",
    nat,
    `"perAz" in the production tier (one NAT per AZ, so one AZ failure cannot cut egress)`,
  );
  if (cidr && p.problems.length === 0) {
    p.addAll(planSubnets(props.cidr, props.availabilityZones, props.subnetPrefixLengths).problems);
  }
  return [...p.problems];
}

/**
 * A VPC across several AZs with public, private and database subnets carved from its CIDR, NAT per
 * `natGateways`, the default security group emptied, KMS-encrypted flow logs and VPC endpoints.
 * Database subnets have no route out of the VPC; no subnet assigns public IPs.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: Vpc;
  /** VPC id. */
  readonly vpcId: string;
  /** VPC IPv4 CIDR. */
  readonly vpcCidr: string;
  /** The region of the VPC. */
  readonly environment: AwsEnvironment;
  /** Availability zones, in slot order. */
  readonly availabilityZones: readonly string[];
  /** Subnets by tier, then AZ name. */
  readonly subnets: Record<SubnetTier, Record<string, Subnet>>;
  /**
   * Subnet CIDRs by tier, then AZ name: plain strings computed from the VPC CIDR at synth, so
   * another stack can use them as data without a cross-stack reference.
   */
  readonly subnetCidrs: SubnetCidrs;
  /** Public subnet CIDRs, in AZ order (where internet-facing load balancers live); plain strings. */
  readonly publicSubnetCidrs: readonly string[];
  /** Public subnet ids, in AZ order. */
  readonly publicSubnetIds: string[];
  /** Private subnet ids, in AZ order. */
  readonly privateSubnetIds: string[];
  /** Database subnet ids, in AZ order. */
  readonly databaseSubnetIds: string[];
  /** DB subnet group over the database subnets. */
  readonly databaseSubnetGroup: DbSubnetGroup;
  /** Name of the DB subnet group. */
  readonly databaseSubnetGroupName: string;
  /** NAT gateways by AZ (empty with `natGateways: none`). */
  readonly natGateways: Record<string, NatGateway>;
  /** Route tables of the private subnets, by AZ. */
  readonly privateRouteTables: Record<string, RouteTable>;
  /** The flow log group. */
  readonly flowLogGroup: CloudwatchLogGroup;
  /** Interface endpoints by service. */
  readonly interfaceEndpoints: Partial<Record<InterfaceEndpointService, VpcEndpoint>>;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { region, account } = props.environment;
    throwIfProblems(this, validateNetworkProps({ ...props, region }));
    const tier = props.tier ?? "production";
    const natMode = props.natGateways ?? "perAz";
    const name = props.name ?? id;
    const azs = props.availabilityZones;
    const cidrs = planSubnets(props.cidr, azs, props.subnetPrefixLengths).cidrs!;
    this.environment = props.environment;
    this.availabilityZones = [...azs];
    this.subnetCidrs = cidrs;
    this.publicSubnetCidrs = azs.map((az) => cidrs.public[az]);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name },
    });
    this.vpcId = this.vpc.id;
    this.vpcCidr = this.vpc.cidrBlock;

    // Adopt the default security group and remove every rule: nothing may use it by accident.
    new DefaultSecurityGroup(this, "default-security-group", {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${name}-default-deny` },
    });

    const igw = new InternetGateway(this, "internet-gateway", {
      vpcId: this.vpc.id,
      tags: { Name: name },
    });

    this.subnets = { public: {}, private: {}, database: {} };
    for (const subnetTier of SUBNET_TIERS) {
      for (const az of azs) {
        this.subnets[subnetTier][az] = new Subnet(this, `${subnetTier}-subnet-${az}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidrs[subnetTier][az],
          availabilityZone: az,
          mapPublicIpOnLaunch: false,
          tags: {
            Name: `${name}-${subnetTier}-${az}`,
            "platform/subnet-tier": subnetTier,
            ...(subnetTier === "public" ? { "kubernetes.io/role/elb": "1" } : {}),
            ...(subnetTier === "private" ? { "kubernetes.io/role/internal-elb": "1" } : {}),
          },
        });
      }
    }
    const ids = (t: SubnetTier) => azs.map((az) => this.subnets[t][az].id);
    this.publicSubnetIds = ids("public");
    this.privateSubnetIds = ids("private");
    this.databaseSubnetIds = ids("database");

    // Public: one route table with the default route to the internet gateway.
    const publicRoutes = new RouteTable(this, "public-route-table", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-public` },
    });
    new Route(this, "public-default-route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    for (const az of azs) {
      new RouteTableAssociation(this, `public-route-table-association-${az}`, {
        subnetId: this.subnets.public[az].id,
        routeTableId: publicRoutes.id,
      });
    }

    // NAT: none, one in the first AZ, or one per AZ.
    const natAzs = natMode === "none" ? [] : natMode === "single" ? [azs[0]] : [...azs];
    this.natGateways = {};
    for (const az of natAzs) {
      const eip = new Eip(this, `nat-eip-${az}`, {
        domain: "vpc",
        tags: { Name: `${name}-nat-${az}` },
        dependsOn: [igw],
      });
      this.natGateways[az] = new NatGateway(this, `nat-gateway-${az}`, {
        allocationId: eip.allocationId,
        subnetId: this.subnets.public[az].id,
        connectivityType: "public",
        tags: { Name: `${name}-${az}` },
        dependsOn: [igw],
      });
    }

    // Private: a route table per AZ so each AZ can use its own NAT.
    this.privateRouteTables = {};
    for (const az of azs) {
      const table = new RouteTable(this, `private-route-table-${az}`, {
        vpcId: this.vpc.id,
        tags: { Name: `${name}-private-${az}` },
      });
      this.privateRouteTables[az] = table;
      const nat = this.natGateways[az] ?? this.natGateways[azs[0]];
      if (nat) {
        new Route(this, `private-default-route-${az}`, {
          routeTableId: table.id,
          destinationCidrBlock: "0.0.0.0/0",
          natGatewayId: nat.id,
        });
      }
      new RouteTableAssociation(this, `private-route-table-association-${az}`, {
        subnetId: this.subnets.private[az].id,
        routeTableId: table.id,
      });
    }

    // Database: one route table with the local route only.
    const databaseRoutes = new RouteTable(this, "database-route-table", {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-database` },
    });
    for (const az of azs) {
      new RouteTableAssociation(this, `database-route-table-association-${az}`, {
        subnetId: this.subnets.database[az].id,
        routeTableId: databaseRoutes.id,
      });
    }
    this.databaseSubnetGroup = new DbSubnetGroup(this, "database-subnet-group", {
      name: `${name}-database`,
      description: `Database subnets of ${name}`,
      subnetIds: this.databaseSubnetIds,
    });
    this.databaseSubnetGroupName = this.databaseSubnetGroup.name;

    // Flow logs: every packet decision, to a KMS-encrypted log group, through a scoped role.
    const partition = partitionOf(region);
    const flowLogs = encryptedLogGroup(this, "flow-log", {
      environment: props.environment,
      name: `/aws/vpc-flow-logs/${name}`,
      retentionDays: props.flowLogRetentionDays ?? 365,
      description: `Flow logs of VPC ${name}`,
      keyAlias: `${name}-flow-logs`,
      preventDestroy: tier === "production",
    });
    this.flowLogGroup = flowLogs.group;
    const logGroupArn = flowLogs.arn;
    const flowLogRole = new IamRole(this, "flow-log-role", {
      name: `${name}-flow-logs`,
      description: `Delivers the flow logs of VPC ${name}`,
      assumeRolePolicy: serviceTrustPolicy("vpc-flow-logs.amazonaws.com", account),
    });
    new IamRolePolicy(this, "flow-log-role-policy", {
      name: "deliver-flow-logs",
      role: flowLogRole.id,
      policy: policyJson([
        {
          Sid: "WriteFlowLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          Resource: [logGroupArn, `${logGroupArn}:*`],
        },
        {
          Sid: "FindLogGroup",
          Effect: "Allow",
          Action: ["logs:DescribeLogGroups"],
          Resource: `arn:${partition}:logs:${region}:${account}:log-group:*`,
        },
      ]),
    });
    new FlowLog(this, "flow-log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 60,
      tags: { Name: name },
    });

    // Gateway endpoint for S3 on the private route tables (free, keeps image layers off NAT).
    new VpcEndpoint(this, "s3-endpoint", {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: azs.map((az) => this.privateRouteTables[az].id),
      tags: { Name: `${name}-s3` },
    });

    const services =
      props.interfaceEndpoints ?? (tier === "production" ? INTERFACE_ENDPOINT_SERVICES : []);
    this.interfaceEndpoints = {};
    if (services.length > 0) {
      const endpointSg = new SecurityGroup(this, "endpoint-security-group", {
        name: `${name}-vpc-endpoints`,
        description: "HTTPS from inside the VPC to the interface endpoints",
        vpcId: this.vpc.id,
        tags: { Name: `${name}-vpc-endpoints` },
      });
      new VpcSecurityGroupIngressRule(this, "endpoint-https-from-vpc", {
        securityGroupId: endpointSg.id,
        description: "HTTPS from the VPC",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: this.vpc.cidrBlock,
      });
      for (const service of services) {
        this.interfaceEndpoints[service] = new VpcEndpoint(
          this,
          `endpoint-${service.replace(".", "-")}`,
          {
            vpcId: this.vpc.id,
            serviceName: `com.amazonaws.${region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: this.privateSubnetIds,
            securityGroupIds: [endpointSg.id],
            tags: { Name: `${name}-${service}` },
          },
        );
      }
    }
  }
}
