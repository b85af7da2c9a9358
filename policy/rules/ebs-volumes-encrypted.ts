import { resourceRule } from "../rule";
import { block, blocks, isTrue } from "../private/values";

export const ebsVolumesEncrypted = resourceRule({
  id: "ebs-volumes-encrypted",
  severity: "error",
  description: "Every EBS volume a launch template, instance or volume declares is encrypted.",
  reason:
    "Node root volumes hold container images, logs and emptyDir data; unencrypted, a snapshot or a detached volume exposes them.",
  reference: "AWS FSBP EC2.3, EC2.7; checkov CKV_AWS_8, CKV_AWS_3",
  fix: "Set encrypted = true on every ebs block (block_device_mappings[].ebs, root_block_device, aws_ebs_volume).",
  types: ["aws_launch_template", "aws_instance", "aws_ebs_volume"],
  check(resource) {
    if (resource.type === "aws_ebs_volume")
      return isTrue(resource.config.encrypted) ? undefined : "encrypted is not true";
    if (resource.type === "aws_instance") {
      const root = block(resource.config.root_block_device);
      const devices = [root, ...blocks(resource.config.ebs_block_device)];
      return devices
        .filter((d) => !isTrue(d.encrypted))
        .map(
          (d) =>
            `${d.device_name ? `device ${d.device_name}` : "root_block_device"}: encrypted is not true`,
        );
    }
    const mappings = blocks(resource.config.block_device_mappings);
    if (mappings.length === 0)
      return "no block_device_mappings: the AMI's root volume settings apply, which may be unencrypted";
    return mappings
      .filter((m) => !m.no_device && !m.virtual_name && !isTrue(block(m.ebs).encrypted))
      .map(
        (m) =>
          `block_device_mappings ${JSON.stringify(m.device_name ?? null)}: ebs.encrypted is not true`,
      );
  },
});
