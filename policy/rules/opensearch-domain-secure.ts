import { resourceRule } from "../rule";
import { block, blocks, isTrue, shown } from "../private/values";

/** TLS policies that refuse TLS 1.0 and 1.1. */
const TLS_1_2_POLICIES = ["Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10"];

export const opensearchDomainSecure = resourceRule({
  id: "opensearch-domain-secure",
  severity: "error",
  description:
    "Every OpenSearch domain is VPC-only, encrypted, TLS 1.2+, fine-grained access without internal users, audited.",
  reason:
    "A public endpoint, plaintext between nodes, TLS 1.0 or an internal user with a password in Terraform state each open logs and traces (which carry request data) to more than the roles named in the domain policy; the audit log is how access is reviewed afterwards.",
  reference:
    "AWS FSBP OpenSearch.1-5, OpenSearch.7, OpenSearch.8; checkov CKV_AWS_5, CKV_AWS_6, CKV_AWS_83, CKV_AWS_247",
  fix: "Use the LogStore construct, or set vpc_options, encrypt_at_rest (with kms_key_id), node_to_node_encryption, domain_endpoint_options (enforce_https, a Policy-Min-TLS-1-2-* policy), advanced_security_options with master_user_arn and internal_user_database_enabled = false, and an AUDIT_LOGS log_publishing_options.",
  types: ["aws_opensearch_domain"],
  check(domain) {
    const c = domain.config;
    const problems: string[] = [];
    const subnets = block(c.vpc_options).subnet_ids;
    if (!subnets || (Array.isArray(subnets) && subnets.length === 0))
      problems.push("no vpc_options: the endpoint is public");
    const atRest = block(c.encrypt_at_rest);
    if (!isTrue(atRest.enabled)) problems.push("encrypt_at_rest is not enabled");
    else if (!atRest.kms_key_id)
      problems.push("encrypt_at_rest has no kms_key_id: the AWS managed key is used");
    if (!isTrue(block(c.node_to_node_encryption).enabled))
      problems.push("node_to_node_encryption is not enabled");
    const endpoint = block(c.domain_endpoint_options);
    if (!isTrue(endpoint.enforce_https))
      problems.push("domain_endpoint_options.enforce_https is not true");
    if (!TLS_1_2_POLICIES.includes(String(endpoint.tls_security_policy)))
      problems.push(
        `tls_security_policy is ${shown(endpoint.tls_security_policy)}, not a TLS 1.2 policy`,
      );
    const security = block(c.advanced_security_options);
    if (!isTrue(security.enabled))
      problems.push("fine-grained access control (advanced_security_options) is off");
    else {
      const master = block(security.master_user_options);
      if (isTrue(security.internal_user_database_enabled) || master.master_user_password)
        problems.push("an internal user database: its master password lives in Terraform state");
      if (isTrue(security.anonymous_auth_enabled)) problems.push("anonymous_auth_enabled is true");
    }
    const published = blocks(c.log_publishing_options)
      .filter((o) => o.enabled === undefined || isTrue(o.enabled))
      .map((o) => String(o.log_type));
    if (!published.includes("AUDIT_LOGS")) problems.push("no AUDIT_LOGS published");
    return problems;
  },
});
