/** Policy rules on OpenSearch domains: each passes the LogStore's domain and names what is wrong with a bad one. */
import { OpensearchDomain } from "@cdktf/provider-aws/lib/opensearch-domain";
import { LogStore } from "../../constructs/log-store";
import { problems } from "../support/policy";

const ROLE = "arn:aws:iam::123456789012:role/logs";

describe("opensearch-domain-secure", () => {
  test("passes the LogStore's domain", () => {
    expect(
      problems("opensearch-domain-secure", (stack) => {
        new LogStore(stack, "logs", {
          environment: { account: "123456789012", region: "eu-west-1" },
          network: { vpcId: "vpc-1", privateSubnetIds: ["a", "b", "c"] },
          cluster: { nodeSecurityGroupId: "sg-1" },
          domainName: "test-logs",
          master: { sid: "Master", roleArn: ROLE, statements: [] },
        });
      }),
    ).toEqual([]);
  });

  test("fails a public, unencrypted domain with TLS 1.0, internal users and no audit log", () => {
    expect(
      problems("opensearch-domain-secure", (stack) => {
        new OpensearchDomain(stack, "bare", { domainName: "bare" });
        new OpensearchDomain(stack, "weak", {
          domainName: "weak",
          vpcOptions: { subnetIds: ["a"] },
          encryptAtRest: { enabled: true },
          nodeToNodeEncryption: { enabled: true },
          domainEndpointOptions: {
            enforceHttps: true,
            tlsSecurityPolicy: "Policy-Min-TLS-1-0-2019-07",
          },
          advancedSecurityOptions: {
            enabled: true,
            internalUserDatabaseEnabled: true,
            masterUserOptions: { masterUserName: "admin", masterUserPassword: "secret" },
          },
          logPublishingOptions: [
            { logType: "AUDIT_LOGS", enabled: false, cloudwatchLogGroupArn: "arn:x" },
          ],
        });
      }),
    ).toEqual([
      "bare: no vpc_options: the endpoint is public",
      "bare: encrypt_at_rest is not enabled",
      "bare: node_to_node_encryption is not enabled",
      "bare: domain_endpoint_options.enforce_https is not true",
      "bare: tls_security_policy is unset, not a TLS 1.2 policy",
      "bare: fine-grained access control (advanced_security_options) is off",
      "bare: no AUDIT_LOGS published",
      "weak: encrypt_at_rest has no kms_key_id: the AWS managed key is used",
      'weak: tls_security_policy is "Policy-Min-TLS-1-0-2019-07", not a TLS 1.2 policy',
      "weak: an internal user database: its master password lives in Terraform state",
      "weak: no AUDIT_LOGS published",
    ]);
  });
});

describe("resource-policy-no-public-principal on domain access policies", () => {
  test("fails a domain open to Principal * and passes one naming a role", () => {
    const policy = (principal: unknown) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: principal, Action: "es:ESHttpGet", Resource: "*" },
        ],
      });
    expect(
      problems("resource-policy-no-public-principal", (stack) => {
        new OpensearchDomain(stack, "open", { domainName: "open", accessPolicies: policy("*") });
        new OpensearchDomain(stack, "named", {
          domainName: "named",
          accessPolicies: policy({ AWS: ROLE }),
        });
      }),
    ).toEqual(['open: statement 1 allows Principal "*" without a condition']);
  });
});
