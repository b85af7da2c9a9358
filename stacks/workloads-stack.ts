import type { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { BlueGreenRelease } from "../constructs/blue-green-release";
import type { InfrastructureStack } from "./infrastructure-stack";
import { kubernetesProviders } from "./kubernetes-providers";
import { configureBackend, type PlatformStackProps } from "./settings";

export interface WorkloadsStackProps extends PlatformStackProps {
  /** The environment's infrastructure stack: its cluster, network and roles are referenced across stacks. */
  readonly infrastructure: InfrastructureStack;
}

/**
 * `<env>-workloads`: the Kubernetes side of an environment (namespaces, platform add-ons and the
 * blue/green releases of every app), with providers configured from the infrastructure stack's
 * cluster outputs. Kept out of the infrastructure stack so that one can plan before the cluster exists.
 */
export class WorkloadsStack extends TerraformStack {
  /** The blue/green release of every app, by app name. */
  readonly apps: Record<string, BlueGreenRelease>;

  constructor(scope: Construct, id: string, props: WorkloadsStackProps) {
    super(scope, id);
    const env = props.environment;
    configureBackend(this, id, props);
    kubernetesProviders(this, props.infrastructure.cluster, props);

    this.apps = {};
    for (const [name, app] of Object.entries(env.apps)) {
      const release = new BlueGreenRelease(this, `app-${name}`, {
        ...app,
        name,
        tier: env.tier,
        // the ALB reaches pod IPs from inside the VPC; the CIDR is data, no cross-stack reference
        vpcCidr: env.network.cidr,
      });
      this.apps[name] = release;
      // What the release tool reads: where the app lives, how to reach the idle colour, live weights.
      new TerraformOutput(this, `app_${name}`, {
        description: `Blue/green state of app ${name}`,
        value: {
          host: release.host,
          namespace: release.namespace,
          stable_colour: release.stableColour,
          idle_colour: release.idleColour,
          weights: release.weights,
          preview: release.previewRoute,
          load_balancer_hostname: release.loadBalancerHostname,
        },
      });
    }
  }
}
