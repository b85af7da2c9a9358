import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformVariable, type TerraformStack } from "cdktf";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import {
  LOAD_BALANCER_CONTROLLER_CHART_VERSION,
  LOAD_BALANCER_CONTROLLER_CRDS,
  LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
  LoadBalancerController,
  validateLoadBalancerControllerProps,
  type LoadBalancerControllerProps,
} from "../../constructs/load-balancer-controller";
import { MetricsServer, validateMetricsServerProps } from "../../constructs/metrics-server";
import {
  Monitoring,
  RECEIVER_SECRET_NAME,
  RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME,
  validateMonitoringProps,
  type AlertReceiver,
  type MonitoringProps,
} from "../../constructs/monitoring";
import {
  LOAD_BALANCER_CONTROLLER_POLICY_VERSION,
  loadBalancerControllerPolicy,
  snsPublishPolicy,
} from "../../constructs/private/addon-policies";
import { ExternalSecretsOperator } from "../../constructs/external-secrets-operator";
import { allowedActions, only, policy, REPO_ROOT, resources, synth, testStack } from "../helpers";

const EXACT_SEMVER = /^\d+\.\d+\.\d+$/;
const ROLE = "arn:aws:iam::123456789012:role/aws-load-balancer-controller";
const ALERTS_ROLE = "arn:aws:iam::123456789012:role/alertmanager";
const RECEIVER_SECRETS_ROLE = "arn:aws:iam::123456789012:role/prod-monitoring-secrets";
const CRITICAL_TOPIC = "arn:aws:sns:eu-west-1:123456789012:critical-alerts";
const WARNING_TOPIC = "arn:aws:sns:eu-west-1:123456789012:warning-alerts";

function providers(stack: TerraformStack): void {
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
}

type Values = Record<string, any>;

/** The Helm values of the single release in a synthesized stack. */
function releaseOf(json: ReturnType<typeof synth>): {
  release: Record<string, any>;
  values: Values;
} {
  const release = only(json, "helm_release") as Record<string, any>;
  expect(release.values).toHaveLength(1);
  return { release, values: JSON.parse(release.values[0]) as Values };
}

const LBC_PROPS: LoadBalancerControllerProps = {
  clusterName: "prod",
  region: "eu-west-1",
  vpcId: "vpc-0123456789abcdef0",
  roleArn: ROLE,
};

function loadBalancerController(props: Partial<LoadBalancerControllerProps> = {}) {
  const stack = testStack();
  providers(stack);
  const construct = new LoadBalancerController(stack, "lbc", { ...LBC_PROPS, ...props });
  return { construct, json: synth(stack), stack };
}

const SNS_RECEIVERS: MonitoringProps["receivers"] = {
  critical: { type: "sns", topicArn: CRITICAL_TOPIC, roleArn: ALERTS_ROLE },
  warning: { type: "sns", topicArn: WARNING_TOPIC, roleArn: ALERTS_ROLE },
};

function monitoring(props: Partial<MonitoringProps> = {}) {
  const stack = testStack();
  providers(stack);
  const construct = new Monitoring(stack, "monitoring", {
    receivers: SNS_RECEIVERS,
    region: "eu-west-1",
    ...props,
  });
  const json = synth(stack);
  return { construct, json, ...releaseOf(json) };
}

describe("common release settings", () => {
  const releases = [
    releaseOf(loadBalancerController().json).release,
    (() => {
      const stack = testStack();
      providers(stack);
      new MetricsServer(stack, "metrics-server");
      return releaseOf(synth(stack)).release;
    })(),
    monitoring().release,
  ];

  test.each(releases.map((r) => [r.name, r]))("%s is pinned to an exact chart version", (_, r) => {
    expect(r.version).toMatch(EXACT_SEMVER);
  });

  test.each(releases.map((r) => [r.name, r]))(
    "%s is atomic, waits, cleans up on failure, bounds history and time",
    (_, r) => {
      expect(r).toMatchObject({ atomic: true, wait: true, cleanup_on_fail: true, max_history: 5 });
      expect(r.timeout).toBeGreaterThanOrEqual(300);
      expect(r.create_namespace).toBe(false);
    },
  );
});

describe("LoadBalancerController", () => {
  const { json, construct } = loadBalancerController();
  const { release, values } = releaseOf(json);

  test("installs the eks-charts chart, pinned to the version of the shipped policy, in kube-system", () => {
    expect(release).toMatchObject({
      name: "aws-load-balancer-controller",
      repository: "https://aws.github.io/eks-charts",
      chart: "aws-load-balancer-controller",
      version: "1.13.3",
      namespace: "kube-system",
    });
    expect(construct.chartVersion).toBe(LOAD_BALANCER_CONTROLLER_CHART_VERSION);
    // chart 1.13.x installs controller v2.13.x
    expect(LOAD_BALANCER_CONTROLLER_POLICY_VERSION).toBe(
      `v2.${LOAD_BALANCER_CONTROLLER_CHART_VERSION.split(".").slice(1).join(".")}`,
    );
  });

  test("cluster name, region and VPC id are set explicitly (no IMDS lookup)", () => {
    expect(values).toMatchObject({
      clusterName: "prod",
      region: "eu-west-1",
      vpcId: "vpc-0123456789abcdef0",
    });
  });

  test("the service account is created with the IRSA role annotation", () => {
    expect(values.serviceAccount).toEqual({
      create: true,
      name: "aws-load-balancer-controller",
      annotations: { "eks.amazonaws.com/role-arn": ROLE },
    });
    expect(construct.serviceAccountName).toBe(LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT.name);
  });

  test("two replicas with a disruption budget", () => {
    expect(values.replicaCount).toBe(2);
    expect(values.podDisruptionBudget).toEqual({ maxUnavailable: 1 });
  });

  test("the Service mutator webhook is off (LoadBalancer Services are not taken over)", () => {
    expect(values.enableServiceMutatorWebhook).toBe(false);
  });

  test("unresolved references are passed through to the values", () => {
    const stack = testStack();
    providers(stack);
    const vpcId = new TerraformVariable(stack, "vpc_id", { type: "string" });
    const roleArn = new TerraformVariable(stack, "role_arn", { type: "string" });
    new LoadBalancerController(stack, "lbc", {
      ...LBC_PROPS,
      vpcId: vpcId.stringValue,
      roleArn: roleArn.stringValue,
    });
    const v = releaseOf(synth(stack)).values;
    expect(v.vpcId).toBe("${var.vpc_id}");
    expect(v.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe("${var.role_arn}");
  });

  test("a patch version on the same line can be chosen", () => {
    expect(releaseOf(loadBalancerController({ chartVersion: "1.13.4" }).json).release.version).toBe(
      "1.13.4",
    );
  });

  test("fails when every field is wrong, listing all problems", () => {
    expect(() =>
      loadBalancerController({
        clusterName: "-bad",
        region: "europe",
        vpcId: "vpc-xyz",
        roleArn: "arn:aws:iam::123456789012:user/me",
        chartVersion: "latest",
      }),
    ).toThrow(
      [
        "test/lbc: clusterName: received \"-bad\"; expected an EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit",
        'test/lbc: region: received "europe"; expected an AWS region such as eu-west-1',
        'test/lbc: vpcId: received "vpc-xyz"; expected a VPC id such as vpc-0123456789abcdef0',
        'test/lbc: roleArn: received "arn:aws:iam::123456789012:user/me"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/aws-load-balancer-controller',
        "test/lbc: chartVersion: received \"latest\"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
      ].join("\n"),
    );
  });

  test.each(["^1.13.0", "1.13", "v1.13.3", "1.13.*"])(
    "fails when the chart version is a range or not exact: %s",
    (chartVersion) => {
      expect(validateLoadBalancerControllerProps({ ...LBC_PROPS, chartVersion })).toEqual([
        {
          field: "chartVersion",
          received: chartVersion,
          expected: "an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
        },
      ]);
    },
  );

  test("fails when the chart version's CRDs are not the ones the clusters have (Helm never upgrades crds/)", () => {
    expect(() => loadBalancerController({ chartVersion: "1.13.6" })).toThrow(
      'test/lbc: chartVersion: received "1.13.6"; expected a chart version whose crds/crds.yaml is the one the clusters have (sha256 ac851d9c697da3ce636aafea89233ab59f0e4d5457bf22570dbd83de84c6570d, shipped by charts 1.13.0, 1.13.1, 1.13.2, 1.13.3, 1.13.4, 1.13.5): Helm installs crds/ only on the first install; apply the new version\'s CRDs first and record them in LOAD_BALANCER_CONTROLLER_CRDS (README "Upgrading", "CRDs of charts")',
    );
  });

  test("the default chart version ships the recorded CRDs", () => {
    expect(LOAD_BALANCER_CONTROLLER_CRDS.chartVersions).toContain(
      LOAD_BALANCER_CONTROLLER_CHART_VERSION,
    );
  });

  test.each(["1.13.0", "1.13.1", "1.13.2", "1.13.4", "1.13.5"])(
    "chart %s ships the same CRDs as 1.13.3 (eks-charts stable/aws-load-balancer-controller/crds/crds.yaml)",
    (chartVersion) => {
      expect(validateLoadBalancerControllerProps({ ...LBC_PROPS, chartVersion })).toEqual([]);
    },
  );

  test("fails when the chart moves off the line the IAM policy was published for", () => {
    expect(() => loadBalancerController({ chartVersion: "1.14.0" })).toThrow(
      'test/lbc: chartVersion: received "1.14.0"; expected a 1.13.x chart version: constructs/policies/aws-load-balancer-controller.json is the IAM policy published for controller v2.13.3; replace it with the new release\'s policy before moving the chart to another line',
    );
  });
});

describe("load balancer controller IAM policy", () => {
  const text = loadBalancerControllerPolicy();
  const actions = allowedActions(text);

  test("is the shipped published document, unmodified", () => {
    const file = readFileSync(
      join(REPO_ROOT, "constructs", "policies", "aws-load-balancer-controller.json"),
      "utf8",
    );
    expect(JSON.parse(text)).toEqual(JSON.parse(file));
    expect(policy(text).Statement).toHaveLength(16);
  });

  test("has no '*' action and no 'service:*' action", () => {
    expect(actions.length).toBeGreaterThan(50);
    expect(actions.filter((a) => a === "*" || /^[a-z0-9-]+:\*$/.test(a))).toEqual([]);
  });

  test("has no NotAction statement (an allow-all-but list)", () => {
    expect(policy(text).Statement.filter((s) => "NotAction" in s)).toEqual([]);
  });

  test("fits the managed-policy size limit", () => {
    expect(text.length).toBeLessThan(6144);
  });
});

describe("SNS publish policy", () => {
  test("publishes to the one topic only", () => {
    const doc = policy(snsPublishPolicy([{ topicArn: CRITICAL_TOPIC }]));
    expect(doc.Statement).toEqual([
      { Sid: "PublishAlerts", Effect: "Allow", Action: ["sns:Publish"], Resource: CRITICAL_TOPIC },
    ]);
  });

  test("uses the topic's key only through SNS", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/0d9c1a4e-8a7b-4b4c-9d5e-2f3a4b5c6d7e";
    const text = snsPublishPolicy([{ topicArn: CRITICAL_TOPIC, kmsKeyArn: key }]);
    expect(allowedActions(text)).toEqual(["sns:Publish", "kms:GenerateDataKey*", "kms:Decrypt"]);
    expect(policy(text).Statement[1]).toMatchObject({
      Resource: key,
      Condition: { StringLike: { "kms:ViaService": "sns.*" } },
    });
  });

  test("publishes to several topics, each key through SNS only", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/0d9c1a4e-8a7b-4b4c-9d5e-2f3a4b5c6d7e";
    const other = "arn:aws:sns:eu-west-1:123456789012:other";
    const doc = policy(
      snsPublishPolicy([
        { topicArn: CRITICAL_TOPIC, kmsKeyArn: key },
        { topicArn: other },
        { topicArn: CRITICAL_TOPIC, kmsKeyArn: key },
      ]),
    );
    expect(doc.Statement.map((s) => s.Resource)).toEqual([[CRITICAL_TOPIC, other], key]);
  });

  test("fails when the topic is not an SNS topic ARN", () => {
    expect(() => snsPublishPolicy([{ topicArn: "alerts" }])).toThrow(
      'targets[0].topicArn: received "alerts"; expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts',
    );
  });

  test("fails when the key is an alias", () => {
    expect(() =>
      snsPublishPolicy([{ topicArn: CRITICAL_TOPIC, kmsKeyArn: "alias/alerts" }]),
    ).toThrow('targets[0].kmsKeyArn: received "alias/alerts"; expected a KMS key ARN');
  });
});

describe("MetricsServer", () => {
  const stack = testStack();
  providers(stack);
  new MetricsServer(stack, "metrics-server");
  const { release, values } = releaseOf(synth(stack));

  test("installs the kubernetes-sigs chart, pinned, in kube-system", () => {
    expect(release).toMatchObject({
      name: "metrics-server",
      repository: "https://kubernetes-sigs.github.io/metrics-server/",
      chart: "metrics-server",
      version: "3.13.0",
      namespace: "kube-system",
    });
  });

  test("two replicas, spread over nodes, with a disruption budget keeping one", () => {
    expect(values.replicas).toBe(2);
    expect(values.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    expect(
      values.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]
        .podAffinityTerm.topologyKey,
    ).toBe("kubernetes.io/hostname");
  });

  test("fails when the chart version is not exact", () => {
    const s = testStack();
    providers(s);
    expect(() => new MetricsServer(s, "metrics-server", { chartVersion: "3.x" })).toThrow(
      "test/metrics-server: chartVersion: received \"3.x\"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
    );
    expect(validateMetricsServerProps({ chartVersion: "3.12.2" })).toEqual([]);
  });
});

/** Alert rules by name. */
function rulesOf(values: Values): Record<string, Record<string, any>> {
  const groups = values.additionalPrometheusRulesMap["platform-runbook"].groups as {
    rules: Record<string, any>[];
  }[];
  return Object.fromEntries(groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
}

/** The number an alert expression compares against (`... > N`). */
function thresholdOf(expr: string): number {
  const match = /> (\d+(\.\d+)?)$/.exec(expr);
  if (!match) throw new Error(`no trailing threshold in ${expr}`);
  return Number(match[1]);
}

describe("Monitoring", () => {
  const { json, release, values, construct } = monitoring();
  const rules = rulesOf(values);

  test("kube-prometheus-stack, pinned, in its own namespace created here", () => {
    expect(release).toMatchObject({
      name: "kube-prometheus-stack",
      repository: "https://prometheus-community.github.io/helm-charts",
      chart: "kube-prometheus-stack",
      version: "75.15.1",
    });
    const [nsName, ns] = Object.entries(resources(json, "kubernetes_namespace_v1"))[0];
    expect((ns.metadata as Record<string, unknown>).name).toBe("monitoring");
    expect(release.namespace).toBe(`\${kubernetes_namespace_v1.${nsName}.metadata[0].name}`);
    expect(Object.keys(resources(json, "kubernetes_namespace_v1"))).toHaveLength(1);
  });

  test("the namespace is configurable", () => {
    const ns = only(monitoring({ namespace: "observability" }).json, "kubernetes_namespace_v1");
    expect((ns.metadata as Record<string, unknown>).name).toBe("observability");
  });

  test("alert rules: one per runbook threshold, each with severity, for and annotations", () => {
    expect(Object.keys(rules).sort()).toEqual([
      "ContainerCpuNearLimit",
      "ContainerMemoryNearLimit",
      "ContainerRestartingOften",
      "HttpErrorRateHigh",
      "HttpLatencyP95High",
    ]);
    for (const rule of Object.values(rules)) {
      expect(["critical", "warning"]).toContain(rule.labels.severity);
      expect(rule.for).toMatch(/^\d+m$/);
      expect(rule.annotations.summary).toEqual(expect.any(String));
      expect(rule.annotations.description).toEqual(expect.any(String));
    }
    expect(construct.alertRuleGroups.flatMap((g) => g.rules)).toHaveLength(5);
  });

  test("HTTP error rate: 5xx over all requests above 1%, critical", () => {
    const r = rules.HttpErrorRateHigh;
    expect(thresholdOf(r.expr)).toBe(0.01);
    expect(r.expr).toContain('rate(http_requests_total{status=~"5.."}[5m])');
    expect(r.expr).toContain("/ sum by (namespace, job) (rate(http_requests_total[5m]))");
    expect(r.labels.severity).toBe("critical");
  });

  test("p95 latency above 500 ms from the duration histogram, warning", () => {
    const r = rules.HttpLatencyP95High;
    expect(thresholdOf(r.expr)).toBe(0.5);
    expect(r.expr).toMatch(
      /^histogram_quantile\(0\.95, sum by \(namespace, job, le\) \(rate\(http_request_duration_seconds_bucket\[5m\]\)\)\)/,
    );
    expect(r.labels.severity).toBe("warning");
  });

  test("CPU above 80% of the limit, warning", () => {
    const r = rules.ContainerCpuNearLimit;
    expect(thresholdOf(r.expr)).toBe(0.8);
    expect(r.expr).toContain("rate(container_cpu_usage_seconds_total{");
    expect(r.expr).toContain(
      'kube_pod_container_resource_limits{job="kube-state-metrics", resource="cpu"}',
    );
    expect(r.labels.severity).toBe("warning");
  });

  test("memory above 90% of the limit, warning", () => {
    const r = rules.ContainerMemoryNearLimit;
    expect(thresholdOf(r.expr)).toBe(0.9);
    expect(r.expr).toContain("container_memory_working_set_bytes{");
    expect(r.expr).toContain('resource="memory"');
    expect(r.labels.severity).toBe("warning");
  });

  test("more than 3 container restarts in 15 minutes, critical", () => {
    const r = rules.ContainerRestartingOften;
    expect(thresholdOf(r.expr)).toBe(3);
    expect(r.expr).toContain("increase(kube_pod_container_status_restarts_total{");
    expect(r.expr).toContain("[15m]");
    expect(r.labels.severity).toBe("critical");
  });

  test("thresholds and HTTP metric names are configurable", () => {
    const custom = rulesOf(
      monitoring({
        alertThresholds: { httpErrorRatio: 0.05, latencyP95Seconds: 0.25, restartsIn15m: 5 },
        httpMetrics: {
          requestsTotal: "myapp_requests_total",
          durationBucket: "myapp_request_seconds_bucket",
          statusLabel: "code",
        },
      }).values,
    );
    expect(thresholdOf(custom.HttpErrorRateHigh.expr)).toBe(0.05);
    expect(custom.HttpErrorRateHigh.expr).toContain('myapp_requests_total{code=~"5.."}');
    expect(thresholdOf(custom.HttpLatencyP95High.expr)).toBe(0.25);
    expect(custom.HttpLatencyP95High.expr).toContain("rate(myapp_request_seconds_bucket[5m])");
    expect(thresholdOf(custom.ContainerRestartingOften.expr)).toBe(5);
    expect(thresholdOf(custom.ContainerCpuNearLimit.expr)).toBe(0.8);
  });

  test("Alertmanager routes by severity to the critical and warning receivers", () => {
    const route = values.alertmanager.config.route;
    const routeFor = (severity: string) =>
      route.routes.find((r: { matchers: string[] }) =>
        r.matchers.includes(`severity = "${severity}"`),
      )?.receiver;
    expect(routeFor("critical")).toBe("critical");
    expect(routeFor("warning")).toBe("warning");
    // alerts with no or an unknown severity still reach a human
    expect(route.receiver).toBe("warning");
    expect(values.alertmanager.config.receivers.map((r: { name: string }) => r.name)).toEqual([
      "null",
      "critical",
      "warning",
    ]);
  });

  test("SNS receivers publish to their topics with SigV4 in the topic's region", () => {
    const byName = Object.fromEntries(
      values.alertmanager.config.receivers.map((r: { name: string }) => [r.name, r]),
    );
    expect(byName.critical.sns_configs).toEqual([
      { topic_arn: CRITICAL_TOPIC, sigv4: { region: "eu-west-1" }, send_resolved: true },
    ]);
    expect(byName.warning.sns_configs[0].topic_arn).toBe(WARNING_TOPIC);
  });

  test("SNS: Alertmanager's service account carries the IRSA role that may publish", () => {
    expect(values.alertmanager.serviceAccount).toEqual({
      create: true,
      name: "alertmanager",
      annotations: { "eks.amazonaws.com/role-arn": ALERTS_ROLE },
    });
  });

  test("SNS: a topic given as a reference is signed for the cluster's region", () => {
    const stack = testStack();
    providers(stack);
    const topic = new TerraformVariable(stack, "topic", { type: "string" });
    new Monitoring(stack, "monitoring", {
      region: "us-east-2",
      receivers: { ...SNS_RECEIVERS, critical: { type: "sns", topicArn: topic.stringValue } },
    });
    const receivers = releaseOf(synth(stack)).values.alertmanager.config.receivers;
    expect(receivers[1].sns_configs[0]).toEqual({
      topic_arn: "${var.topic}",
      sigv4: { region: "us-east-2" },
      send_resolved: true,
    });
  });

  // prometheus-operator pkg/alertmanager/statefulset.go: secretsDir = "/etc/alertmanager/secrets/",
  // each Secret of spec.secrets mounted at secretsDir + its name.
  describe("with a webhook receiver (URL from Secrets Manager)", () => {
    const stack = testStack();
    providers(stack);
    const operator = new ExternalSecretsOperator(stack, "eso", { kubernetesVersion: "1.35" });
    const construct = new Monitoring(stack, "monitoring", {
      region: "eu-west-1",
      receivers: {
        ...SNS_RECEIVERS,
        critical: { type: "webhook", secret: { name: "prod/monitoring/pagerduty", key: "url" } },
      },
      receiverSecrets: {
        roleArn: RECEIVER_SECRETS_ROLE,
        operator,
        readable: { prefixes: ["prod/monitoring/"] },
      },
    });
    const json = synth(stack);
    const releases = Object.values(resources(json, "helm_release")) as Record<string, any>[];
    const named = (name: string) => releases.find((r) => r.name === name)!;
    const am = JSON.parse(named("kube-prometheus-stack").values[0]).alertmanager;
    const secrets = JSON.parse(named("alertmanager-secrets").values[0]);

    test("the receiver Secret is synced by NamespaceSecrets in the monitoring namespace with its own role", () => {
      expect(construct.receiverSecrets?.namespace).toBe(construct.namespace);
      expect(named("alertmanager-secrets").namespace).toMatch(/^\$\{kubernetes_namespace_v1\./);
      expect(secrets.serviceAccount).toEqual({
        name: RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME,
        roleArn: RECEIVER_SECRETS_ROLE,
      });
      expect(secrets.secrets).toEqual([
        {
          name: RECEIVER_SECRET_NAME,
          data: [
            { secretKey: "critical", remoteKey: "prod/monitoring/pagerduty", property: "url" },
          ],
        },
      ]);
      // not Alertmanager's own service account (which carries the SNS role)
      expect(RECEIVER_SECRETS_SERVICE_ACCOUNT_NAME).not.toBe(am.serviceAccount.name);
    });

    test("Alertmanager mounts the Secret and the receiver reads its URL from the file (url_file)", () => {
      expect(am.alertmanagerSpec.secrets).toEqual(["alertmanager-receivers"]);
      expect(am.config.receivers.find((r: any) => r.name === "critical")).toEqual({
        name: "critical",
        webhook_configs: [
          {
            url_file: "/etc/alertmanager/secrets/alertmanager-receivers/critical",
            send_resolved: true,
          },
        ],
      });
      expect(am.config.receivers.find((r: any) => r.name === "warning").sns_configs).toHaveLength(
        1,
      );
    });
  });

  test("Alertmanager mounts no Secret (every receiver is SNS)", () => {
    expect(values.alertmanager.alertmanagerSpec.secrets).toBeUndefined();
    expect(JSON.stringify(values.alertmanager)).not.toContain("webhook_configs");
  });

  test("Grafana is not exposed: ClusterIP Service, no Ingress", () => {
    expect(values.grafana.service).toEqual({ type: "ClusterIP" });
    expect(values.grafana.ingress).toEqual({ enabled: false });
    expect(values.prometheus.ingress).toEqual({ enabled: false });
    expect(values.alertmanager.ingress).toEqual({ enabled: false });
  });

  test("Grafana's admin password is generated in the cluster, never the chart default", () => {
    expect(values.grafana.adminPassword).toBe("");
    expect(JSON.stringify(json)).not.toContain("prom-operator");
    expect(construct.grafanaAdminSecretName).toBe("kube-prometheus-stack-grafana");
  });

  test("Grafana can use an existing admin Secret", () => {
    const v = monitoring({ grafanaAdminSecretName: "grafana-admin" }).values;
    expect(v.grafana.admin).toEqual({
      existingSecret: "grafana-admin",
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
  });

  test("Prometheus discovers the ServiceMonitors of every namespace (each app colour's)", () => {
    // kube-prometheus-stack 75.15.1 templates/prometheus/prometheus.yaml: with the NilUsesHelmValues
    // switch off and no selector, the Prometheus resource gets serviceMonitorSelector: {} (every
    // ServiceMonitor), and an unset serviceMonitorNamespaceSelector renders {} (every namespace).
    const spec = values.prometheus.prometheusSpec;
    expect(spec.serviceMonitorSelectorNilUsesHelmValues).toBe(false);
    expect(spec.serviceMonitorSelector).toBeUndefined();
    expect(spec.serviceMonitorNamespaceSelector).toBeUndefined();
  });

  test("production: 2 Prometheus and 2 Alertmanager replicas with disruption budgets", () => {
    expect(values.prometheus.prometheusSpec.replicas).toBe(2);
    expect(values.prometheus.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
    expect(values.alertmanager.alertmanagerSpec.replicas).toBe(2);
    expect(values.alertmanager.podDisruptionBudget).toEqual({ enabled: true, minAvailable: 1 });
  });

  test("Prometheus retention by time and by size, on a persistent volume, with resources", () => {
    const spec = values.prometheus.prometheusSpec;
    expect(spec.retention).toBe("15d");
    expect(spec.retentionSize).toBe("45GB");
    const [scName] = Object.keys(resources(json, "kubernetes_storage_class_v1"));
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
      storageClassName: `\${kubernetes_storage_class_v1.${scName}.metadata[0].name}`,
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "50Gi" } },
    });
    expect(spec.resources.requests).toEqual({ cpu: "500m", memory: "2Gi" });
    expect(spec.resources.limits.memory).toBe("4Gi");
  });

  test("Prometheus volumes can grow: the StorageClass allows volume expansion", () => {
    expect(only(json, "kubernetes_storage_class_v1").allow_volume_expansion).toBe(true);
  });

  test("the plan refuses a storageGb other than the size of the existing Prometheus volumes", () => {
    // The operator labels the PVCs of its StatefulSet with the Prometheus resource's name.
    const [name, pvcs] = Object.entries(json.data?.kubernetes_resources ?? {})[0];
    const [ns] = Object.keys(resources(json, "kubernetes_namespace_v1"));
    expect(pvcs).toMatchObject({
      api_version: "v1",
      kind: "PersistentVolumeClaim",
      namespace: `\${kubernetes_namespace_v1.${ns}.metadata[0].name}`,
      label_selector: "operator.prometheus.io/name=kube-prometheus-stack-prometheus",
    });
    expect(release.lifecycle.precondition).toEqual([
      {
        condition: `\${alltrue([for pvc in data.kubernetes_resources.${name}.objects : try(pvc.status.capacity.storage, "50Gi") == "50Gi"])}`,
        error_message: [
          "Monitoring test/monitoring: storageGb 50 (50Gi) is not the size of the existing Prometheus volumes, and the Prometheus Operator never resizes them (volumes cannot shrink at all).",
          'To grow them: patch each PVC to 50Gi (kubectl -n monitoring get pvc -l operator.prometheus.io/name=kube-prometheus-stack-prometheus; kubectl -n monitoring patch pvc <name> -p \'{"spec":{"resources":{"requests":{"storage":"50Gi"}}}}\'),',
          "wait until each reports capacity 50Gi, delete the StatefulSet but not its pods (kubectl -n monitoring delete statefulset prometheus-kube-prometheus-stack-prometheus --cascade=orphan), then plan again.",
        ].join(" "),
      },
    ]);
  });

  test("Prometheus volumes are encrypted: own gp3 StorageClass with encrypted=true", () => {
    expect(only(json, "kubernetes_storage_class_v1")).toMatchObject({
      metadata: { name: "monitoring-encrypted-gp3" },
      storage_provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
      reclaim_policy: "Retain",
      volume_binding_mode: "WaitForFirstConsumer",
    });
  });

  test("the volume key can be a customer managed KMS key", () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/0d9c1a4e-8a7b-4b4c-9d5e-2f3a4b5c6d7e";
    const sc = only(monitoring({ volumeKmsKeyArn: key }).json, "kubernetes_storage_class_v1");
    expect(sc.parameters).toEqual({ type: "gp3", encrypted: "true", kmsKeyId: key });
  });

  test("an existing StorageClass can be named instead", () => {
    const m = monitoring({ storageClassName: "encrypted-gp3" });
    expect(resources(m.json, "kubernetes_storage_class_v1")).toEqual({});
    expect(
      m.values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName,
    ).toBe("encrypted-gp3");
  });

  test("development: one replica each, shorter retention, smaller volume", () => {
    const { values: v, json: j } = monitoring({ tier: "development" });
    expect(only(j, "kubernetes_storage_class_v1").reclaim_policy).toBe("Delete");
    expect(v.prometheus.prometheusSpec).toMatchObject({
      replicas: 1,
      retention: "7d",
      retentionSize: "18GB",
    });
    expect(v.prometheus.podDisruptionBudget.enabled).toBe(false);
    expect(v.alertmanager.alertmanagerSpec.replicas).toBe(1);
  });

  test("a chart bump upgrades the operator's CRDs first: the chart's CRD upgrade job, pinned images", () => {
    // kube-prometheus-stack 75.15.1 charts/crds/templates/upgrade/job.yaml: a pre-install,
    // pre-upgrade and pre-rollback hook that server-side applies the CRDs of the chart version.
    expect(values.crds).toEqual({
      enabled: true,
      upgradeJob: {
        enabled: true,
        // the CRDs were created by Helm (crds/): take over the fields it owns
        forceConflicts: true,
        image: {
          busybox: { registry: "docker.io", repository: "busybox", tag: "1.37.0" },
          // tag "": the chart picks kubectl of the cluster's own Kubernetes version
          kubectl: { registry: "registry.k8s.io", repository: "kubectl", tag: "" },
        },
        resources: {
          requests: { cpu: "50m", memory: "64Mi" },
          limits: { memory: "256Mi" },
        },
        podSecurityContext: {
          runAsNonRoot: true,
          runAsUser: 65534,
          runAsGroup: 65534,
          fsGroup: 65534,
          seccompProfile: { type: "RuntimeDefault" },
        },
        containerSecurityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
      },
    });
  });

  test("EKS-managed control-plane components are not scraped", () => {
    for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) {
      expect(values[component]).toEqual({ enabled: false });
    }
  });

  test("the values are deterministic", () => {
    expect(monitoring().release.values).toEqual(release.values);
  });
});

describe("Monitoring validation", () => {
  test("fails when a receiver has an unknown type", () => {
    expect(() =>
      monitoring({
        receivers: {
          ...SNS_RECEIVERS,
          critical: { type: "pager", address: "oncall@example.com" } as unknown as AlertReceiver,
        },
      }),
    ).toThrow(
      'test/monitoring: receivers.critical.type: received "pager"; expected "pagerduty" (with secret), "slack" (with secret and channel), "email" (with topicArn or smtp), "sns" (with topicArn) or "webhook" (with secret)',
    );
  });

  test("fails when a receiver is missing", () => {
    expect(() =>
      monitoring({
        receivers: { critical: SNS_RECEIVERS.critical } as MonitoringProps["receivers"],
      }),
    ).toThrow(
      'test/monitoring: receivers.warning.type: received nothing; expected "pagerduty" (with secret), "slack" (with secret and channel), "email" (with topicArn or smtp), "sns" (with topicArn) or "webhook" (with secret)',
    );
  });

  test("fails when a receiver is a webhook without receiverSecrets (nothing would create its Secret), listing every receiver problem", () => {
    const webhook: AlertReceiver = { type: "webhook", secret: { name: "prod/monitoring/pager" } };
    expect(() =>
      monitoring({
        receivers: {
          critical: webhook,
          warning: { type: "sns", topicArn: "warning-alerts", roleArn: "admin" },
        },
      }),
    ).toThrow(
      [
        'test/monitoring: receiverSecrets: received nothing; expected the role and External Secrets Operator that sync the secret of receivers.critical from Secrets Manager into Secret "alertmanager-receivers" (Alertmanager does not start without it)',
        'test/monitoring: receivers.warning.topicArn: received "warning-alerts"; expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts',
        'test/monitoring: receivers.warning.roleArn: received "admin"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/alertmanager',
      ].join("\n"),
    );
  });

  test("fails when a webhook receiver's secret is outside what the receiver secrets' role reads", () => {
    const stack = testStack();
    providers(stack);
    const operator = new ExternalSecretsOperator(stack, "eso", { kubernetesVersion: "1.35" });
    expect(
      () =>
        new Monitoring(stack, "monitoring", {
          region: "eu-west-1",
          receivers: {
            ...SNS_RECEIVERS,
            critical: { type: "webhook", secret: { name: "prod/web/pager" } },
          },
          receiverSecrets: {
            roleArn: RECEIVER_SECRETS_ROLE,
            operator,
            readable: { prefixes: ["prod/monitoring/"] },
          },
        }),
    ).toThrow(
      'test/monitoring: receivers.critical.secret.name: received "prod/web/pager"; expected a name starting with "prod/monitoring/" (the monitoring SecretStore\'s role reads nothing else)',
    );
  });

  test("fails when the two SNS receivers name different roles", () => {
    expect(() =>
      monitoring({
        receivers: {
          critical: SNS_RECEIVERS.critical,
          warning: {
            type: "sns",
            topicArn: WARNING_TOPIC,
            roleArn: "arn:aws:iam::123456789012:role/other",
          },
        },
      }),
    ).toThrow(
      `test/monitoring: receivers.warning.roleArn: received "arn:aws:iam::123456789012:role/other"; expected the same role as receivers.critical.roleArn (${ALERTS_ROLE}): Alertmanager has one service account`,
    );
  });

  test("fails on a bad chart version, namespace, region and thresholds", () => {
    expect(() =>
      monitoring({
        chartVersion: ">=75.0.0",
        namespace: "Monitoring",
        region: "EU",
        alertThresholds: { httpErrorRatio: 1.5, latencyP95Seconds: 0, restartsIn15m: 2.5 },
        retentionDays: 0,
      }),
    ).toThrow(
      [
        'test/monitoring: region: received "EU"; expected an AWS region such as eu-west-1',
        "test/monitoring: namespace: received \"Monitoring\"; expected a DNS-1123 label: 1-63 lowercase letters, digits and '-'",
        "test/monitoring: chartVersion: received \">=75.0.0\"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
        "test/monitoring: alertThresholds.httpErrorRatio: received 1.5; expected a ratio greater than 0 and at most 1 (0.01 = 1%)",
        "test/monitoring: alertThresholds.latencyP95Seconds: received 0; expected a number of seconds greater than 0 (0.5 = 500 ms)",
        "test/monitoring: alertThresholds.restartsIn15m: received 2.5; expected a whole number of restarts, 0 or more",
        "test/monitoring: retentionDays: received 0; expected a whole number, 1 or more",
      ].join("\n"),
    );
  });

  test("fails when a volume key is given with an existing StorageClass, or is an alias", () => {
    expect(() => monitoring({ storageClassName: "gp2", volumeKmsKeyArn: "alias/aws/ebs" })).toThrow(
      [
        'test/monitoring: volumeKmsKeyArn: received "alias/aws/ebs"; expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias',
        'test/monitoring: volumeKmsKeyArn: received "alias/aws/ebs"; expected no key when storageClassName names an existing StorageClass (its parameters decide encryption)',
      ].join("\n"),
    );
  });

  test("fails when HTTP metric names could inject PromQL", () => {
    expect(
      validateMonitoringProps({
        receivers: SNS_RECEIVERS,
        region: "eu-west-1",
        httpMetrics: {
          requestsTotal: 'up{job="x"}',
          durationBucket: "latency_seconds",
          statusLabel: "a-b",
        },
      }),
    ).toEqual([
      {
        field: "httpMetrics.requestsTotal",
        received: 'up{job="x"}',
        expected: "a Prometheus metric name",
      },
      {
        field: "httpMetrics.durationBucket",
        received: "latency_seconds",
        expected: "the _bucket series of a histogram, such as http_request_duration_seconds_bucket",
      },
      { field: "httpMetrics.statusLabel", received: "a-b", expected: "a Prometheus label name" },
    ]);
  });

  test("valid props have no problems", () => {
    expect(validateMonitoringProps({ receivers: SNS_RECEIVERS, region: "eu-west-1" })).toEqual([]);
  });
});
