import { Testing } from "cdktf";
import {
  COLOUR_LABEL,
  ENRICH_LUA,
  LOG_COLLECTOR_CHART_VERSION,
  LOG_COLLECTOR_IMAGE,
  LogCollector,
  logCollectorValues,
  type LogCollectorProps,
} from "../../constructs/log-collector";
import { FLUENT_BIT_SERVICE_ACCOUNT } from "../../constructs/private/log-names";
import { restrictedProblems } from "../../constructs/private/pod-security";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { WorkloadsStack } from "../../stacks/workloads-stack";
import {
  AWS_FOR_FLUENT_BIT_CHART_VERSION,
  DEFAULT_VALUES,
  renderedFluentBitConf,
  renderedServiceAccount,
  VALUES_KEYS,
} from "../support/aws-for-fluent-bit-chart";
import { environment, resources, synth, testStack } from "../helpers";

const props: LogCollectorProps = {
  environmentName: "dev",
  endpoint: "vpc-dev-logs-abc.eu-west-1.es.amazonaws.com",
  region: "eu-west-1",
  roleArn: "arn:aws:iam::111111111111:role/dev-logs-fluent-bit",
};
const values = logCollectorValues(props) as Record<string, any>;

describe("Fluent Bit's values against the aws-for-fluent-bit chart 0.2.0", () => {
  test("the pinned chart is the one these facts come from, and its image is made explicit", () => {
    expect(LOG_COLLECTOR_CHART_VERSION).toBe(AWS_FOR_FLUENT_BIT_CHART_VERSION);
    expect(LOG_COLLECTOR_IMAGE).toEqual(DEFAULT_VALUES.image);
  });

  test("every key the platform sets is a key of the chart's values.yaml", () => {
    for (const [key, value] of Object.entries(values)) {
      expect(Object.keys(VALUES_KEYS)).toContain(key);
      const subKeys = VALUES_KEYS[key];
      if (subKeys && value && typeof value === "object" && !Array.isArray(value)) {
        for (const sub of Object.keys(value))
          expect([key, subKeys]).toEqual([key, expect.arrayContaining([sub])]);
      }
    }
  });

  test("the chart's CloudWatch Logs default output is off; OpenSearch is on", () => {
    expect(DEFAULT_VALUES.cloudWatchLogs.enabled).toBe(true);
    expect(values.cloudWatchLogs).toEqual({ enabled: false });
    expect(DEFAULT_VALUES.opensearch.enabled).toBe(false);
    expect(values.opensearch.enabled).toBe(true);
  });

  test("fluent-bit.conf: SigV4 to the domain over TLS, one index per environment and day", () => {
    const conf = renderedFluentBitConf(values);
    expect(conf).toContain(
      [
        "[OUTPUT]",
        "Name opensearch",
        "Match kube.*",
        "AWS_Region eu-west-1",
        "AWS_Auth On",
        "Host vpc-dev-logs-abc.eu-west-1.es.amazonaws.com",
        "Port 443",
        "tls On",
        "Logstash_Format On",
        "Logstash_Prefix logs-dev",
        "Logstash_DateFormat %Y.%m.%d",
      ].join("\n"),
    );
    // the IRSA role from the service account, never a role assumed on top of it
    expect(conf).not.toContain("AWS_Role_ARN");
    expect(values.opensearch.logstashPrefix).toBe("logs-dev");
  });

  test("fluent-bit.conf: JSON lines parsed into data, then the Lua filter adds namespace, app and colour", () => {
    const conf = renderedFluentBitConf(values);
    expect(conf).toContain(
      "[FILTER]\nName kubernetes\nMatch kube.*\nMerge_Log On\nMerge_Log_Key data\nKeep_Log Off",
    );
    const lua = conf.slice(conf.indexOf("Name   lua"), conf.indexOf("[OUTPUT]")).trim();
    expect(lua).toMatch(/^Name {3}lua\nMatch {2}kube\.\*\ncall {3}enrich\ncode {3}function enrich/);
    // Fluent Bit's `code` is one line: no line comment may swallow the rest
    expect(lua.split("\n")).toHaveLength(4);
    expect(ENRICH_LUA).not.toContain("--");
    expect(ENRICH_LUA).toContain(`labels["${COLOUR_LABEL}"]`);
    expect(COLOUR_LABEL).toBe("colour");
    for (const field of ['record["namespace"]', 'record["app"]', 'record["colour"]'])
      expect(ENRICH_LUA).toContain(field);
    // Terraform would interpolate ${...} inside the values
    expect(JSON.stringify(values)).not.toMatch(/[$%]\{/);
  });

  test("the service account is the one the IRSA role trusts, annotated with the role", () => {
    expect(renderedServiceAccount(values, "fluent-bit")).toEqual({
      name: FLUENT_BIT_SERVICE_ACCOUNT.name,
      annotations: { "eks.amazonaws.com/role-arn": props.roleArn },
    });
    expect(FLUENT_BIT_SERVICE_ACCOUNT).toEqual({ namespace: "logging", name: "fluent-bit" });
  });

  test("the container drops every capability, read-only root; only the node's logs are mounted", () => {
    const problems = restrictedProblems(values.containerSecurityContext, values.podSecurityContext);
    // root reads the root-owned log files: the only restricted rule it breaks
    expect(problems.map((p) => p.field)).toEqual(["securityContext.runAsNonRoot"]);
    expect(values.containerSecurityContext.readOnlyRootFilesystem).toBe(true);
    expect(values.volumes).toBeUndefined();
    expect(DEFAULT_VALUES.hostPathVolumes).toEqual(["/var/log", "/var/lib/docker/containers"]);
  });
});

describe("LogCollector in the workloads stack", () => {
  const env = environment("dev");
  const app = Testing.app();
  const infrastructure = new InfrastructureStack(app, "dev-infrastructure", {
    environment: env,
    offline: true,
  });
  const json = synth(
    new WorkloadsStack(app, "dev-workloads", { environment: env, offline: true, infrastructure }),
  );
  const release = Object.values(resources(json, "helm_release")).find(
    (r) => r.chart === "aws-for-fluent-bit",
  ) as Record<string, any>;

  test("a pinned, atomic release from eks-charts in the logging namespace", () => {
    expect(release).toMatchObject({
      name: "fluent-bit",
      repository: "https://aws.github.io/eks-charts",
      version: "0.2.0",
      atomic: true,
      create_namespace: false,
    });
    expect(release.namespace).toMatch(/kubernetes_namespace_v1\.log-collector_namespace/);
    const rendered = JSON.parse(release.values[0]);
    expect(rendered.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /irsa-logging-fluent-bit/,
    );
    expect(rendered.opensearch.host).toMatch(/endpoint/);
  });

  test("the namespace is privileged (hostPath) with a reason, and denies all ingress", () => {
    const namespace = Object.values(resources(json, "kubernetes_namespace_v1")).find(
      (n: any) => n.metadata.name === "logging",
    ) as any;
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    const policy = Object.values(resources(json, "kubernetes_network_policy_v1")).find((p: any) =>
      String(p.metadata.namespace).includes("log-collector_namespace"),
    ) as any;
    expect(policy.spec).toEqual({ pod_selector: {}, policy_types: ["Ingress"] });
  });
});

describe("LogCollector fails when", () => {
  test.each([
    [
      { chartVersion: "0.2" },
      'test/logs: chartVersion: received "0.2"; expected an exact chart version',
    ],
    [{ environmentName: "Dev" }, 'environmentName: received "Dev"; expected an environment name'],
  ] as [Partial<LogCollectorProps>, string][])("%j", (overrides, message) => {
    expect(() => new LogCollector(testStack(), "logs", { ...props, ...overrides })).toThrow(
      message,
    );
  });
});
