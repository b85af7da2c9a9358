import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { Network } from "../constructs/network";
import { KubernetesCluster } from "../constructs/kubernetes-cluster";
import { ContainerRegistry } from "../constructs/container-registry";
import { Database } from "../constructs/database";
import { clusterName, databaseIdentifier } from "../config/rules";
import type { AwsEnvironment } from "../constructs/types";
import { awsProvider, configureBackend, type PlatformStackProps } from "./settings";

/** `<env>-infrastructure`: every AWS resource of one environment, in one reviewable plan. */
export class InfrastructureStack extends TerraformStack {
  /** The network. */
  readonly network: Network;
  /** The EKS cluster. */
  readonly cluster: KubernetesCluster;
  /** The ECR repositories of the apps. */
  readonly registry: ContainerRegistry;
  /** The PostgreSQL database. */
  readonly database: Database;

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

    this.cluster = new KubernetesCluster(this, "cluster", {
      environment: aws,
      network: this.network,
      name: clusterName(env),
      tier: env.tier,
      kubernetesVersion: env.cluster.kubernetesVersion,
      endpointPublicAccessCidrs: env.cluster.endpointPublicAccessCidrs,
      admins: env.cluster.admins,
      nodeGroups: env.cluster.nodeGroups,
      addonVersions: env.cluster.addonVersions,
    });

    this.registry = new ContainerRegistry(this, "registry", {
      environment: aws,
      prefix: env.name,
      repositories: Object.keys(env.apps),
      keepImages: env.registry?.keepImages,
      tier: env.tier,
    });

    this.database = new Database(this, "database", {
      ...env.database,
      environment: aws,
      network: this.network,
      cluster: this.cluster,
      identifier: databaseIdentifier(env),
      tier: env.tier,
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
