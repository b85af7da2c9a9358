/** Policy rules on EC2 instances, volumes and VPC networking: each passes a compliant resource and names what is wrong with a bad one. */
import type { TerraformStack } from "cdktf";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { EbsVolume } from "@cdktf/provider-aws/lib/ebs-volume";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SecurityGroupRule } from "@cdktf/provider-aws/lib/security-group-rule";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { problems } from "../support/policy";

const AMI = "ami-0123456789abcdef0";

function vpc(stack: TerraformStack, id: string): Vpc {
  return new Vpc(stack, id, { cidrBlock: "10.0.0.0/16" });
}

describe("instance-imdsv2", () => {
  test("passes IMDSv2 with a hop limit of 1 or 2, and a disabled metadata endpoint", () => {
    expect(
      problems("instance-imdsv2", (stack) => {
        new LaunchTemplate(stack, "template", {
          metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        });
        new Instance(stack, "instance", {
          ami: AMI,
          instanceType: "t3.micro",
          metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 },
        });
        new Instance(stack, "no-imds", {
          ami: AMI,
          instanceType: "t3.micro",
          metadataOptions: { httpEndpoint: "disabled" },
        });
      }),
    ).toEqual([]);
  });

  test("fails IMDSv1 by default or by choice, and a hop limit above 2", () => {
    expect(
      problems("instance-imdsv2", (stack) => {
        new LaunchTemplate(stack, "template", { instanceType: "t3.micro" });
        new Instance(stack, "instance", {
          ami: AMI,
          instanceType: "t3.micro",
          metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "optional",
            httpPutResponseHopLimit: 3,
          },
        });
      }),
    ).toEqual([
      'template: metadata_options.http_tokens is "optional", not "required"',
      'instance: metadata_options.http_tokens is "optional", not "required"',
      "instance: metadata_options.http_put_response_hop_limit is 3, more than 2",
    ]);
  });
});

describe("ebs-volumes-encrypted", () => {
  test("passes encrypted launch template mappings, instance devices and volumes", () => {
    expect(
      problems("ebs-volumes-encrypted", (stack) => {
        new LaunchTemplate(stack, "template", {
          blockDeviceMappings: [
            { deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 50 } },
            { deviceName: "/dev/sdb", virtualName: "ephemeral0" },
            { deviceName: "/dev/sdc", noDevice: "true" },
          ],
        });
        new Instance(stack, "instance", {
          ami: AMI,
          instanceType: "t3.micro",
          rootBlockDevice: { encrypted: true },
          ebsBlockDevice: [{ deviceName: "/dev/sdf", encrypted: true, volumeSize: 10 }],
        });
        new EbsVolume(stack, "volume", {
          availabilityZone: "eu-west-1a",
          size: 10,
          encrypted: true,
        });
      }),
    ).toEqual([]);
  });

  test("fails unencrypted or unset volumes of each resource type", () => {
    expect(
      problems("ebs-volumes-encrypted", (stack) => {
        new LaunchTemplate(stack, "ami-defaults", { instanceType: "t3.micro" });
        new LaunchTemplate(stack, "plain-template", {
          blockDeviceMappings: [
            { deviceName: "/dev/xvda", ebs: { encrypted: "false", volumeSize: 50 } },
            { deviceName: "/dev/sdf", ebs: { volumeSize: 10 } },
          ],
        });
        new Instance(stack, "plain-instance", {
          ami: AMI,
          instanceType: "t3.micro",
          ebsBlockDevice: [{ deviceName: "/dev/sdf", volumeSize: 10 }],
        });
        new EbsVolume(stack, "plain-volume", { availabilityZone: "eu-west-1a", size: 10 });
      }),
    ).toEqual([
      "ami-defaults: no block_device_mappings: the AMI's root volume settings apply, which may be unencrypted",
      'plain-template: block_device_mappings "/dev/xvda": ebs.encrypted is not true',
      'plain-template: block_device_mappings "/dev/sdf": ebs.encrypted is not true',
      "plain-instance: root_block_device: encrypted is not true",
      "plain-instance: device /dev/sdf: encrypted is not true",
      "plain-volume: encrypted is not true",
    ]);
  });
});

describe("vpc-flow-logs", () => {
  test("passes VPCs with a flow log of all or of rejected traffic", () => {
    expect(
      problems("vpc-flow-logs", (stack) => {
        const all = vpc(stack, "all");
        new FlowLog(stack, "all-log", {
          vpcId: all.id,
          trafficType: "ALL",
          logDestinationType: "s3",
          logDestination: "arn:aws:s3:::flow-logs",
        });
        const rejected = vpc(stack, "rejected");
        new FlowLog(stack, "rejected-log", {
          vpcId: rejected.id,
          trafficType: "REJECT",
          logDestinationType: "s3",
          logDestination: "arn:aws:s3:::flow-logs",
        });
      }),
    ).toEqual([]);
  });

  test("fails a VPC without a flow log and one that logs accepted traffic only", () => {
    expect(
      problems("vpc-flow-logs", (stack) => {
        vpc(stack, "unlogged");
        const accepted = vpc(stack, "accepted");
        new FlowLog(stack, "accepted-log", {
          vpcId: accepted.id,
          trafficType: "ACCEPT",
          logDestinationType: "s3",
          logDestination: "arn:aws:s3:::flow-logs",
        });
      }),
    ).toEqual([
      'accepted: traffic_type is "ACCEPT", not ALL or REJECT',
      "unlogged: no aws_flow_log refers to this VPC",
    ]);
  });
});

describe("default-security-group-closed", () => {
  test("passes a VPC whose default security group is managed with no rules", () => {
    expect(
      problems("default-security-group-closed", (stack) => {
        const network = vpc(stack, "vpc");
        new DefaultSecurityGroup(stack, "default-sg", {
          vpcId: network.id,
          ingress: [],
          egress: [],
        });
      }),
    ).toEqual([]);
  });

  test("fails an unmanaged default group, one that leaves rules in place and one with rules", () => {
    expect(
      problems("default-security-group-closed", (stack) => {
        vpc(stack, "unmanaged");
        const untouched = vpc(stack, "untouched");
        new DefaultSecurityGroup(stack, "untouched-sg", { vpcId: untouched.id });
        const open = vpc(stack, "open");
        new DefaultSecurityGroup(stack, "open-sg", {
          vpcId: open.id,
          ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, selfAttribute: true }],
          egress: [],
        });
      }),
    ).toEqual([
      "open: aws_default_security_group.open-sg: ingress has rules",
      "unmanaged: no aws_default_security_group manages this VPC's default group",
      "untouched: aws_default_security_group.untouched-sg: ingress is not set to [] (Terraform then leaves existing rules in place)",
      "untouched: aws_default_security_group.untouched-sg: egress is not set to [] (Terraform then leaves existing rules in place)",
    ]);
  });
});

describe("security-group-no-world-ingress", () => {
  test("passes ingress from narrow CIDRs and security groups, and egress to the world", () => {
    expect(
      problems("security-group-no-world-ingress", (stack) => {
        const group = new SecurityGroup(stack, "group", {
          name: "g",
          ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] }],
          egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
        });
        new VpcSecurityGroupIngressRule(stack, "from-vpc", {
          securityGroupId: group.id,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrIpv4: "10.0.0.0/16",
        });
        new VpcSecurityGroupIngressRule(stack, "from-group", {
          securityGroupId: group.id,
          ipProtocol: "-1",
          referencedSecurityGroupId: group.id,
        });
        new SecurityGroupRule(stack, "legacy-ingress", {
          securityGroupId: group.id,
          type: "ingress",
          protocol: "tcp",
          fromPort: 5432,
          toPort: 5432,
          cidrBlocks: ["10.0.0.0/16"],
        });
        new SecurityGroupRule(stack, "legacy-egress", {
          securityGroupId: group.id,
          type: "egress",
          protocol: "-1",
          fromPort: 0,
          toPort: 0,
          cidrBlocks: ["0.0.0.0/0"],
          ipv6CidrBlocks: ["::/0"],
        });
      }),
    ).toEqual([]);
  });

  test("fails world-open aws_vpc_security_group_ingress_rule resources", () => {
    expect(
      problems("security-group-no-world-ingress", (stack) => {
        new VpcSecurityGroupIngressRule(stack, "https", {
          securityGroupId: "sg-0123456789abcdef0",
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrIpv4: "0.0.0.0/0",
        });
        new VpcSecurityGroupIngressRule(stack, "ipv6-all", {
          securityGroupId: "sg-0123456789abcdef0",
          ipProtocol: "-1",
          cidrIpv6: "::/0",
        });
      }),
    ).toEqual(["https: admits 0.0.0.0/0 on port 443", "ipv6-all: admits ::/0 on all ports"]);
  });

  test("fails world-open ingress aws_security_group_rule resources", () => {
    expect(
      problems("security-group-no-world-ingress", (stack) => {
        new SecurityGroupRule(stack, "high-ports", {
          securityGroupId: "sg-0123456789abcdef0",
          type: "ingress",
          protocol: "tcp",
          fromPort: 1024,
          toPort: 65535,
          cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"],
          ipv6CidrBlocks: ["::/0"],
        });
      }),
    ).toEqual(["high-ports: admits 0.0.0.0/0, ::/0 on ports 1024-65535"]);
  });

  test("fails world-open inline ingress blocks of an aws_security_group", () => {
    expect(
      problems("security-group-no-world-ingress", (stack) => {
        new SecurityGroup(stack, "bastion", {
          name: "bastion",
          ingress: [
            { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] },
            { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] },
            { protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] },
          ],
        });
      }),
    ).toEqual([
      "bastion: an ingress block admits 0.0.0.0/0 on port 22",
      "bastion: an ingress block admits ::/0 on all ports",
    ]);
  });
});

describe("subnet-no-auto-public-ip", () => {
  test("passes subnets that leave map_public_ip_on_launch unset or false", () => {
    expect(
      problems("subnet-no-auto-public-ip", (stack) => {
        const network = vpc(stack, "vpc");
        new Subnet(stack, "private", { vpcId: network.id, cidrBlock: "10.0.0.0/24" });
        new Subnet(stack, "public", {
          vpcId: network.id,
          cidrBlock: "10.0.1.0/24",
          mapPublicIpOnLaunch: false,
        });
      }),
    ).toEqual([]);
  });

  test("fails a subnet that maps public IPs on launch", () => {
    expect(
      problems("subnet-no-auto-public-ip", (stack) => {
        const network = vpc(stack, "vpc");
        new Subnet(stack, "public", {
          vpcId: network.id,
          cidrBlock: "10.0.1.0/24",
          mapPublicIpOnLaunch: true,
        });
      }),
    ).toEqual(["public: map_public_ip_on_launch is true"]);
  });
});
