import { Testing } from "cdktf";
import {
  DEFAULT_OPENSEARCH_ENGINE_VERSION,
  LOG_STORE_BOOTSTRAP_ACCESS,
  LOG_STORE_TLS_POLICY,
  LogStore,
  logStoreDomainArn,
  logStoreStatements,
  validateLogStoreProps,
  type LogStoreProps,
} from "../../constructs/log-store";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { environment, resources, synth, TEST_AWS, testStack, type StackJson } from "../helpers";

type Json = Record<string, any>;

function infrastructure(name: string, edit?: (raw: Record<string, any>) => void) {
  const stack = new InfrastructureStack(Testing.app(), `${name}-infrastructure`, {
    environment: environment(name, edit),
    offline: true,
  });
  return { stack, json: synth(stack) };
}

function domainOf(json: StackJson): Json {
  const all = Object.values(resources(json, "aws_opensearch_domain"));
  expect(all).toHaveLength(1);
  return all[0] as Json;
}

/** The IAM policy of the service-account role `<ns>/<sa>`. */
function rolePolicy(json: StackJson, namespace: string, serviceAccount: string): Json {
  const policies = resources(json, "aws_iam_role_policy");
  const pattern = new RegExp(`^cluster_irsa-${namespace}-${serviceAccount}-policy_[0-9A-F]{8}$`);
  const key = Object.keys(policies).find((k) => pattern.test(k));
  expect(key).toBeDefined();
  return JSON.parse(String(policies[key!].policy));
}

function roleTrust(json: StackJson, namespace: string, serviceAccount: string): string {
  const roles = resources(json, "aws_iam_role");
  const pattern = new RegExp(`^cluster_irsa-${namespace}-${serviceAccount}_[0-9A-F]{8}$`);
  const key = Object.keys(roles).find((k) => pattern.test(k));
  expect(key).toBeDefined();
  return String(roles[key!].assume_role_policy);
}

const dev = infrastructure("dev");
const prod = infrastructure("prod");

describe("LogStore in the infrastructure stack: secure defaults", () => {
  const domain = domainOf(dev.json);

  test("VPC-only: one private subnet in development, behind its own security group", () => {
    expect(domain.vpc_options.subnet_ids).toHaveLength(1);
    expect(String(domain.vpc_options.subnet_ids[0])).toMatch(/aws_subnet\.network_private-/);
    const sgKey = Object.keys(resources(dev.json, "aws_security_group")).find((k) =>
      k.startsWith("log-store_security-group"),
    )!;
    expect(domain.vpc_options.security_group_ids).toEqual([`\${aws_security_group.${sgKey}.id}`]);
  });

  test("the security group admits 443 from the node security group only, and has no egress", () => {
    const sgKey = Object.keys(resources(dev.json, "aws_security_group")).find((k) =>
      k.startsWith("log-store_security-group"),
    )!;
    const rules = Object.values(resources(dev.json, "aws_vpc_security_group_ingress_rule")).filter(
      (r) => String(r.security_group_id).includes(sgKey),
    );
    expect(rules).toEqual([
      expect.objectContaining({
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        referenced_security_group_id: expect.stringContaining("cluster_node-security-group"),
      }),
    ]);
    expect(rules[0].cidr_ipv4).toBeUndefined();
    const egress = Object.values(resources(dev.json, "aws_vpc_security_group_egress_rule")).filter(
      (r) => String(r.security_group_id).includes(sgKey),
    );
    expect(egress).toEqual([]);
    expect(resources(dev.json, "aws_security_group")[sgKey].egress).toBeUndefined();
  });

  test("encrypted at rest with its customer managed key, node-to-node, HTTPS with TLS 1.2+", () => {
    expect(domain.encrypt_at_rest).toEqual({
      enabled: true,
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.log-store_key_[0-9A-F]{8}\.arn\}$/),
    });
    expect(domain.node_to_node_encryption).toEqual({ enabled: true });
    expect(domain.domain_endpoint_options).toEqual({
      enforce_https: true,
      tls_security_policy: "Policy-Min-TLS-1-2-PFS-2023-10",
    });
    expect(LOG_STORE_TLS_POLICY).toBe("Policy-Min-TLS-1-2-PFS-2023-10");
    const key = Object.entries(resources(dev.json, "aws_kms_key")).find(([k]) =>
      /^log-store_key_[0-9A-F]{8}$/.test(k),
    )![1];
    expect(key.enable_key_rotation).toBe(true);
  });

  test("error, slow and audit logs go to KMS-encrypted log groups OpenSearch may write", () => {
    const publishing = domain.log_publishing_options as Json[];
    expect(publishing.map((o) => o.log_type).sort()).toEqual([
      "AUDIT_LOGS",
      "ES_APPLICATION_LOGS",
      "INDEX_SLOW_LOGS",
      "SEARCH_SLOW_LOGS",
    ]);
    const groups = resources(dev.json, "aws_cloudwatch_log_group");
    for (const option of publishing) {
      expect(option.enabled).toBe(true);
      const key = /aws_cloudwatch_log_group\.([\w-]+)\.arn/.exec(
        option.cloudwatch_log_group_arn,
      )![1];
      expect(groups[key].name).toMatch(/^\/aws\/opensearch\/dev-logs\//);
      expect(groups[key].kms_key_id).toMatch(/aws_kms_key\./);
      expect(groups[key].retention_in_days).toBe(30);
    }
    const policy = Object.values(resources(dev.json, "aws_cloudwatch_log_resource_policy")).find(
      (p) => p.policy_name === "dev-logs-opensearch-logs",
    )!;
    const document = JSON.parse(String(policy.policy_document));
    expect(document.Statement).toEqual(
      [
        {
          Sid: "OpenSearchServiceWritesItsLogs",
          Effect: "Allow",
          Principal: { Service: "es.amazonaws.com" },
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: publishing.map((o) => `${o.cloudwatch_log_group_arn}:*`).sort(),
          Condition: {
            StringEquals: { "aws:SourceAccount": "111111111111" },
            ArnLike: { "aws:SourceArn": "arn:aws:es:eu-west-1:111111111111:domain/dev-logs" },
          },
        },
      ].map((s) => ({ ...s, Resource: expect.arrayContaining(s.Resource) })),
    );
    expect(document.Statement[0].Resource).toHaveLength(4);
    expect(domain.depends_on).toEqual([
      expect.stringMatching(/^aws_cloudwatch_log_resource_policy\./),
    ]);
  });

  test("fine-grained access control with an IAM master role: no internal users, no password", () => {
    expect(domain.advanced_security_options).toEqual({
      enabled: true,
      anonymous_auth_enabled: false,
      internal_user_database_enabled: false,
      master_user_options: {
        master_user_arn: expect.stringMatching(/irsa-logging-log-store-bootstrap\w*\.arn\}$/),
      },
    });
    expect(JSON.stringify(domain)).not.toMatch(/password|master_user_name/i);
  });

  test("the domain policy names each role, with its own IAM policy's actions, and no * principal", () => {
    const document = JSON.parse(String(domain.access_policies));
    const principals = document.Statement.map((s: Json) => s.Principal);
    for (const principal of principals) {
      expect(Object.keys(principal)).toEqual(["AWS"]);
      expect(principal.AWS).not.toContain("*");
    }
    expect(document.Statement.map((s: Json) => s.Sid)).toEqual([
      "Bootstrap",
      "FluentBit",
      "Jaeger",
      "Reader0",
    ]);
    // the file's cluster.admins read by default
    expect(document.Statement[3].Principal.AWS).toBe(
      "arn:aws:iam::111111111111:role/platform-admin",
    );
    for (const statement of document.Statement) {
      expect(JSON.stringify(statement.Action)).not.toMatch(/\*/);
      for (const resource of [statement.Resource].flat()) {
        expect(resource).toMatch(/^arn:aws:es:eu-west-1:111111111111:domain\/dev-logs(\/.+)?$/);
        expect(resource).not.toBe("arn:aws:es:eu-west-1:111111111111:domain/dev-logs/*");
      }
    }
    const fluentBit = document.Statement[1];
    const iam = rolePolicy(dev.json, "logging", "fluent-bit");
    expect(fluentBit.Action).toEqual(iam.Statement[0].Action);
    expect(fluentBit.Resource).toEqual(iam.Statement[0].Resource);
  });

  test("sized for development: one small data node, no zone awareness, no masters, gp3", () => {
    expect(domain.engine_version).toBe(DEFAULT_OPENSEARCH_ENGINE_VERSION);
    expect(domain.cluster_config).toEqual({
      instance_type: "t3.small.search",
      instance_count: 1,
      zone_awareness_enabled: false,
      dedicated_master_enabled: false,
    });
    expect(domain.ebs_options).toEqual({ ebs_enabled: true, volume_type: "gp3", volume_size: 20 });
    expect(domain.lifecycle).toBeUndefined();
  });

  test("sized for production: three AZs with zone awareness, three dedicated masters, prevent_destroy", () => {
    const domain = domainOf(prod.json);
    expect(domain.cluster_config).toEqual({
      instance_type: "r6g.large.search",
      instance_count: 3,
      zone_awareness_enabled: true,
      zone_awareness_config: { availability_zone_count: 3 },
      dedicated_master_enabled: true,
      dedicated_master_type: "m6g.large.search",
      dedicated_master_count: 3,
    });
    expect(domain.vpc_options.subnet_ids).toHaveLength(3);
    expect(domain.lifecycle).toEqual({ prevent_destroy: true });
    const keys = Object.entries(resources(prod.json, "aws_kms_key")).filter(([k]) =>
      k.startsWith("log-store_"),
    );
    expect(keys).toHaveLength(2);
    for (const [, key] of keys) expect(key.lifecycle).toEqual({ prevent_destroy: true });
  });

  test("the environment file overrides the sizing and the readers", () => {
    const { json } = infrastructure("dev", (raw) => {
      raw.logs = {
        instanceType: "m6g.large.search",
        volumeSizeGb: 50,
        readers: ["arn:aws:iam::111111111111:role/log-readers"],
      };
    });
    const domain = domainOf(json);
    expect(domain.cluster_config.instance_type).toBe("m6g.large.search");
    expect(domain.ebs_options.volume_size).toBe(50);
    const document = JSON.parse(String(domain.access_policies));
    expect(document.Statement[3].Principal.AWS).toBe("arn:aws:iam::111111111111:role/log-readers");
    expect(document.Statement).toHaveLength(4);
  });
});

describe("the log store's IRSA roles: least privilege on this domain only", () => {
  const arn = "arn:aws:es:eu-west-1:111111111111:domain/dev-logs";

  test("Fluent Bit may only POST/PUT the bulk API and the environment's log indexes", () => {
    expect(rolePolicy(dev.json, "logging", "fluent-bit").Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["es:ESHttpPost", "es:ESHttpPut"],
        Resource: [`${arn}/_bulk`, `${arn}/logs-dev-*`],
      },
    ]);
    expect(roleTrust(dev.json, "logging", "fluent-bit")).toContain(
      '"system:serviceaccount:logging:fluent-bit"',
    );
  });

  test("Jaeger is trusted from monitoring/jaeger and reaches the jaeger-* indexes only", () => {
    const trust = roleTrust(dev.json, "monitoring", "jaeger");
    expect(trust).toContain('"system:serviceaccount:monitoring:jaeger"');
    const [statement] = rolePolicy(dev.json, "monitoring", "jaeger").Statement;
    expect(statement.Action).not.toContain("es:ESHttpDelete");
    for (const resource of statement.Resource) {
      expect(resource).toMatch(
        new RegExp(
          `^${arn}(/_bulk|/_msearch|/jaeger-\\*|/_index_template/jaeger-\\*|/_template/jaeger-\\*)?$`,
        ),
      );
    }
    expect(statement.Resource).toContain(`${arn}/jaeger-*`);
  });

  test("the bootstrap reaches ISM, templates, the security API and saved objects, never documents", () => {
    const [statement] = rolePolicy(dev.json, "logging", "log-store-bootstrap").Statement;
    expect(statement.Action).toEqual([
      "es:ESHttpGet",
      "es:ESHttpHead",
      "es:ESHttpPost",
      "es:ESHttpPut",
    ]);
    expect(statement.Resource).toEqual([
      arn,
      `${arn}/_plugins/_ism/*`,
      `${arn}/_index_template/*`,
      `${arn}/_plugins/_security/api/*`,
      `${arn}/_dashboards/api/saved_objects/*`,
    ]);
  });

  test("the stack exposes the domain and the roles (the traces add-on uses tracingRole)", () => {
    const stack = dev.stack;
    expect(stack.logStore.domainName).toBe("dev-logs");
    expect(stack.logStore.domainArn).toBe(arn);
    const names = Object.values(resources(dev.json, "aws_iam_role")).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(["dev-logs-fluent-bit", "dev-logs-bootstrap", "dev-jaeger"]),
    );
    for (const role of [stack.fluentBitRole, stack.logStoreBootstrapRole, stack.tracingRole]) {
      expect(role.node.path).toMatch(/^dev-infrastructure\/cluster\/irsa-/);
    }
    expect(dev.json.output?.log_store_endpoint?.value).toMatch(
      /^\$\{aws_opensearch_domain\.log-store_domain_\w+\.endpoint\}$/,
    );
  });

  test("logStoreStatements maps methods to es:ESHttp* actions and paths under the domain", () => {
    expect(logStoreStatements(arn, { methods: ["DELETE", "HEAD"], paths: ["", "a/*"] })).toEqual([
      {
        Effect: "Allow",
        Action: ["es:ESHttpDelete", "es:ESHttpHead"],
        Resource: [arn, `${arn}/a/*`],
      },
    ]);
    expect(logStoreDomainArn({ account: "1", region: "cn-north-1" }, "x")).toBe(
      "arn:aws-cn:es:cn-north-1:1:domain/x",
    );
    expect(LOG_STORE_BOOTSTRAP_ACCESS.methods).not.toContain("DELETE");
  });
});

describe("LogStore fails when", () => {
  const base = (overrides: Partial<LogStoreProps> = {}, subnets = 3): LogStore =>
    new LogStore(testStack(), "logs", {
      environment: TEST_AWS,
      network: { vpcId: "vpc-1", privateSubnetIds: ["a", "b", "c"].slice(0, subnets) },
      cluster: { nodeSecurityGroupId: "sg-1" },
      domainName: "test-logs",
      master: { sid: "Master", roleArn: "arn:aws:iam::123456789012:role/m", statements: [] },
      ...overrides,
    });

  test("it builds with the defaults", () => {
    expect(base().instanceType).toBe("r6g.large.search");
  });

  test.each([
    [
      { domainName: "Logs" },
      'logs: domainName: received "Logs"; expected an OpenSearch domain name',
    ],
    [{ domainName: "a-very-long-domain-name-over-28" }, "domainName: received"],
    [
      { engineVersion: "Elasticsearch_7.10" },
      'engineVersion: received "Elasticsearch_7.10"; expected an OpenSearch engine version OpenSearch_<major>.<minor> from 2 on',
    ],
    [{ engineVersion: "OpenSearch_1.3" }, "engineVersion: received"],
    [
      { instanceType: "r6g.large" },
      'instanceType: received "r6g.large"; expected an OpenSearch instance type',
    ],
    [
      { instanceType: "t3.medium.search" },
      'instanceType: received "t3.medium.search"; expected a non-burstable type (not t*.search) in the production tier',
    ],
    [
      { instanceCount: 4 },
      "instanceCount: received 4; expected a multiple of 3, the availability zones",
    ],
    [{ instanceCount: 0 }, "instanceCount: received 0; expected an integer from 1 to 80"],
    [
      { volumeSizeGb: 5 },
      "volumeSizeGb: received 5; expected an integer number of GiB from 10 to 1024",
    ],
    [
      { logRetentionDays: 10 },
      "logRetentionDays: received 10; expected a CloudWatch Logs retention period",
    ],
    [
      { dedicatedMasterType: "m6g.large" },
      'dedicatedMasterType: received "m6g.large"; expected an OpenSearch instance type',
    ],
  ] as [Partial<LogStoreProps>, string][])("%j", (overrides, message) => {
    expect(() => base(overrides)).toThrow(message);
  });

  test("a development domain is given dedicated masters", () => {
    expect(() => base({ tier: "development", dedicatedMasterType: "m6g.large.search" })).toThrow(
      'test/logs: dedicatedMasterType: received "m6g.large.search"; expected nothing in the development tier',
    );
  });

  test("a production domain has a single AZ", () => {
    expect(() => base({}, 1)).toThrow(
      "availabilityZones: received 1; expected at least 2 availability zones in the production tier",
    );
  });

  test("every problem is reported at once", () => {
    expect(
      validateLogStoreProps({
        domainName: "X",
        engineVersion: "7",
        instanceCount: 2,
        availabilityZoneCount: 3,
      }).map((p) => p.field),
    ).toEqual(["domainName", "engineVersion", "instanceCount"]);
  });

  test("the environment file names the logs fields", () => {
    expect(() =>
      environment("prod", (raw) => {
        raw.logs = { instanceType: "t3.small.search", instanceCount: 2, retentionDays: 0 };
      }),
    ).toThrow(/logs\.instanceType[\s\S]*logs\.instanceCount[\s\S]*logs\.retentionDays/);
  });
});
