import { resourceRule } from "../rule";
import { block } from "../private/values";

export const instanceImdsv2 = resourceRule({
  id: "instance-imdsv2",
  severity: "error",
  description: "Launch templates and instances require IMDSv2 with a hop limit of at most 2.",
  reason:
    "IMDSv1 answers any GET, so one SSRF bug hands out the node role's credentials; IMDSv2 with hop limit 1 also keeps pods from reaching the node's role.",
  reference: "AWS FSBP EC2.8; CIS AWS 5.6; checkov CKV_AWS_79",
  fix: 'Set metadata_options with http_tokens = "required" and http_put_response_hop_limit = 1 (2 only for pods that need IMDS).',
  types: ["aws_launch_template", "aws_instance"],
  check(resource) {
    const options = block(resource.config.metadata_options);
    if (options.http_endpoint === "disabled") return undefined;
    const problems: string[] = [];
    if (options.http_tokens !== "required")
      problems.push(
        `metadata_options.http_tokens is ${JSON.stringify(options.http_tokens ?? "optional")}, not "required"`,
      );
    const hops = Number(options.http_put_response_hop_limit ?? 1);
    if (hops > 2)
      problems.push(`metadata_options.http_put_response_hop_limit is ${hops}, more than 2`);
    return problems;
  },
});
