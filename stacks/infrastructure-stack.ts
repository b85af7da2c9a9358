import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { Network } from "../constructs/network";
import type { AwsEnvironment } from "../constructs/types";
import { awsProvider, configureBackend, type PlatformStackProps } from "./settings";

/** `<env>-infrastructure`: every AWS resource of one environment, in one reviewable plan. */
export class InfrastructureStack extends TerraformStack {
  /** The network. */
  readonly network: Network;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const env = props.environment;
    configureBackend(this, id, props);
    awsProvider(this, props);
    const aws: AwsEnvironment = { account: env.account, region: env.region };

    this.network = new Network(this, "network", {
      environment: aws,
      name: env.name,
      tier: env.tier,
      cidr: env.network.cidr,
      availabilityZones: env.network.availabilityZones,
      natGateways: env.network.natGateways,
      subnetPrefixLengths: env.network.subnetPrefixLengths,
      flowLogRetentionDays: env.network.flowLogRetentionDays,
    });

    new TerraformOutput(this, "vpc_id", { value: this.network.vpcId });
    new TerraformOutput(this, "vpc_cidr", { value: this.network.vpcCidr });
    new TerraformOutput(this, "public_subnet_ids", { value: this.network.publicSubnetIds });
    new TerraformOutput(this, "private_subnet_ids", { value: this.network.privateSubnetIds });
    new TerraformOutput(this, "database_subnet_ids", { value: this.network.databaseSubnetIds });
    new TerraformOutput(this, "database_subnet_group_name", {
      value: this.network.databaseSubnetGroupName,
    });
  }
}
