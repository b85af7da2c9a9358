import { resourceRule } from "../rule";
import { block } from "../private/values";

export const eksNodeGroupLaunchTemplate = resourceRule({
  id: "eks-node-group-launch-template",
  severity: "error",
  description: "Every EKS managed node group uses a launch template of its own.",
  reason:
    "Without one, EKS's default template applies: IMDSv1 allowed, a hop limit of 2 and the AMI's volume settings, none of which the instance-imdsv2 and ebs-volumes-encrypted rules can see.",
  reference:
    "AWS FSBP EC2.8; Amazon EKS Best Practices Guide, Restrict access to the instance profile assigned to the worker node",
  fix: "Set launch_template (id and version) to an aws_launch_template with IMDSv2 required and encrypted volumes (the KubernetesCluster construct does).",
  types: ["aws_eks_node_group"],
  check(group) {
    const template = block(group.config.launch_template);
    if (!template.id && !template.name) return "no launch_template";
    return undefined;
  },
});
