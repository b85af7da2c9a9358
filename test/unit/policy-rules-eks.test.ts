/** Policy rules on EKS clusters and node groups: each passes a compliant resource and names what is wrong with a bad one. */
import type { TerraformStack } from "cdktf";
import { EksCluster, type EksClusterConfig } from "@cdktf/provider-aws/lib/eks-cluster";
import { EksNodeGroup, type EksNodeGroupConfig } from "@cdktf/provider-aws/lib/eks-node-group";
import { problems } from "../support/policy";

/** A cluster with only the required arguments and what `config` adds or replaces. */
function cluster(stack: TerraformStack, id: string, config: Partial<EksClusterConfig> = {}) {
  return new EksCluster(stack, id, {
    name: id,
    roleArn: "arn:aws:iam::123456789012:role/cluster",
    vpcConfig: { subnetIds: ["subnet-a", "subnet-b"] },
    ...config,
  });
}

/** A node group with only the required arguments and what `config` adds or replaces. */
function nodeGroup(stack: TerraformStack, id: string, config: Partial<EksNodeGroupConfig> = {}) {
  return new EksNodeGroup(stack, id, {
    clusterName: "c",
    nodeRoleArn: "arn:aws:iam::123456789012:role/node",
    subnetIds: ["subnet-a"],
    scalingConfig: { desiredSize: 2, minSize: 1, maxSize: 3 },
    ...config,
  });
}

describe("eks-secrets-encryption", () => {
  test("passes a cluster that envelope-encrypts secrets with a KMS key", () => {
    expect(
      problems("eks-secrets-encryption", (stack) => {
        cluster(stack, "cluster", {
          encryptionConfig: {
            resources: ["secrets"],
            provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" },
          },
        });
      }),
    ).toEqual([]);
  });

  test("fails a cluster without encryption_config", () => {
    expect(
      problems("eks-secrets-encryption", (stack) => {
        cluster(stack, "plain");
      }),
    ).toEqual(['plain: no encryption_config with resources ["secrets"] and a provider key_arn']);
  });
});

describe("eks-endpoint-not-public", () => {
  test("passes a private endpoint and a public one limited to a few CIDRs", () => {
    expect(
      problems("eks-endpoint-not-public", (stack) => {
        cluster(stack, "private", {
          vpcConfig: {
            subnetIds: ["subnet-a"],
            endpointPublicAccess: false,
            endpointPrivateAccess: true,
          },
        });
        cluster(stack, "allow-listed", {
          vpcConfig: {
            subnetIds: ["subnet-a"],
            endpointPublicAccess: true,
            publicAccessCidrs: ["203.0.113.0/24"],
          },
        });
      }),
    ).toEqual([]);
  });

  test("fails the provider's default public endpoint and one open to 0.0.0.0/0", () => {
    expect(
      problems("eks-endpoint-not-public", (stack) => {
        cluster(stack, "default");
        cluster(stack, "open", {
          vpcConfig: {
            subnetIds: ["subnet-a"],
            endpointPublicAccess: true,
            publicAccessCidrs: ["203.0.113.0/24", "0.0.0.0/0"],
          },
        });
      }),
    ).toEqual([
      "default: endpoint_public_access is on (the provider's default) and public_access_cidrs is unset, which means 0.0.0.0/0",
      "open: public_access_cidrs includes 0.0.0.0/0",
    ]);
  });
});

describe("eks-endpoint-private-in-production", () => {
  const publicEndpoints = (stack: TerraformStack) => {
    cluster(stack, "default");
    cluster(stack, "allow-listed", {
      vpcConfig: {
        subnetIds: ["subnet-a"],
        endpointPublicAccess: true,
        endpointPrivateAccess: true,
        publicAccessCidrs: ["203.0.113.0/24"],
      },
    });
    cluster(stack, "unreachable", {
      vpcConfig: { subnetIds: ["subnet-a"], endpointPublicAccess: false },
    });
  };

  test("passes a cluster with a private endpoint only", () => {
    expect(
      problems("eks-endpoint-private-in-production", (stack) => {
        cluster(stack, "private", {
          vpcConfig: {
            subnetIds: ["subnet-a"],
            endpointPublicAccess: false,
            endpointPrivateAccess: true,
          },
        });
      }),
    ).toEqual([]);
  });

  test("fails a public endpoint, default or allow-listed, and no private endpoint", () => {
    expect(problems("eks-endpoint-private-in-production", publicEndpoints)).toEqual([
      "allow-listed: endpoint_public_access is true",
      "default: endpoint_public_access is true",
      "unreachable: endpoint_private_access is not true (the cluster would have no reachable endpoint)",
    ]);
  });

  test("does not apply to the development tier", () => {
    expect(problems("eks-endpoint-private-in-production", publicEndpoints, "development")).toEqual(
      [],
    );
  });
});

describe("eks-control-plane-logs", () => {
  test("passes a cluster that sends api, audit and authenticator logs (and more)", () => {
    expect(
      problems("eks-control-plane-logs", (stack) => {
        cluster(stack, "cluster", {
          enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager"],
        });
      }),
    ).toEqual([]);
  });

  test("fails a cluster without log types and one without audit and authenticator", () => {
    expect(
      problems("eks-control-plane-logs", (stack) => {
        cluster(stack, "none");
        cluster(stack, "api-only", { enabledClusterLogTypes: ["api", "scheduler"] });
      }),
    ).toEqual([
      'api-only: enabled_cluster_log_types ["api","scheduler"] lacks audit, authenticator',
      "none: enabled_cluster_log_types [] lacks api, audit, authenticator",
    ]);
  });
});

describe("eks-node-group-launch-template", () => {
  test("passes node groups with a launch template by id or by name", () => {
    expect(
      problems("eks-node-group-launch-template", (stack) => {
        nodeGroup(stack, "by-id", { launchTemplate: { id: "lt-0123456789abcdef0", version: "1" } });
        nodeGroup(stack, "by-name", { launchTemplate: { name: "nodes", version: "$Latest" } });
      }),
    ).toEqual([]);
  });

  test("fails a node group on EKS's default launch template", () => {
    expect(
      problems("eks-node-group-launch-template", (stack) => {
        nodeGroup(stack, "default", { diskSize: 50 });
      }),
    ).toEqual(["default: no launch_template"]);
  });
});
