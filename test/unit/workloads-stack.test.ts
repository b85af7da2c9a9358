import { Testing } from "cdktf";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { WorkloadsStack } from "../../stacks/workloads-stack";
import { environment, environmentStacks as stacks, type StackJson } from "../helpers";

describe("WorkloadsStack providers", () => {
  const { workloads, infrastructure } = stacks("prod");
  const kubernetes = workloads.provider!.kubernetes[0] as Record<string, any>;
  const helm = (workloads.provider!.helm[0] as Record<string, any>).kubernetes;
  const remote =
    "data.terraform_remote_state.cross-stack-reference-input-prod-infrastructure.outputs";

  test("reads the cluster endpoint, CA and name from the infrastructure stack's remote state", () => {
    expect(
      workloads.data!.terraform_remote_state["cross-stack-reference-input-prod-infrastructure"],
    ).toMatchObject({
      backend: "s3",
      config: {
        bucket: "example-tfstate-prod",
        key: "prod-infrastructure.tfstate",
        region: "eu-west-1",
      },
    });
    for (const connection of [kubernetes, helm]) {
      expect(connection.host).toMatch(
        new RegExp(
          `^\\$\\{${remote.replace(/\./g, "\\.")}\\.cross-stack-output-aws_eks_cluster.*endpoint\\}$`,
        ),
      );
      expect(connection.cluster_ca_certificate).toMatch(
        /^\$\{base64decode\(data\.terraform_remote_state\..*certificate_authority0data\)\}$/,
      );
    }
  });

  test("the infrastructure stack exports what the workloads stack references", () => {
    const outputs = Object.keys(infrastructure.output ?? {});
    expect(outputs.filter((o) => o.startsWith("cross-stack-output-aws_eks_cluster"))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/endpoint$/),
        expect.stringMatching(/certificate_authority0data$/),
        expect.stringMatching(/name$/),
      ]),
    );
  });

  test("authenticates with aws eks get-token, assuming the deploy role", () => {
    for (const connection of [kubernetes, helm]) {
      expect([connection.exec].flat()[0]).toEqual({
        api_version: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: [
          "eks",
          "get-token",
          "--cluster-name",
          expect.stringMatching(/cross-stack-output-aws_eks_cluster.*name\}$/),
          "--region",
          "eu-west-1",
          "--role-arn",
          "arn:aws:iam::123456789012:role/platform-deploy",
          "--output",
          "json",
        ],
      });
      expect(connection.token).toBeUndefined();
    }
  });

  test("no --role-arn without a deploy role", () => {
    const { workloads: noRole } = stacks("dev", false, (raw) => {
      // no runners without a deploy role to assume: the deployer reaches the public endpoint
      delete raw.deployRoleArn;
      delete raw.pipeline;
      delete raw.github;
      delete raw.apps.web.imageRepository; // its push role needs the github section's OIDC provider
      raw.cluster.endpointPublicAccessCidrs = ["198.51.100.0/24"];
    });
    expect(
      [(noRole.provider!.kubernetes[0] as Record<string, any>).exec].flat()[0].args,
    ).not.toContain("--role-arn");
  });

  test("its own S3 state key", () => {
    expect((workloads.terraform!.backend as Record<string, any>).s3).toMatchObject({
      key: "prod-workloads.tfstate",
      encrypt: true,
      use_lockfile: true,
    });
  });

  test("offline it still synthesizes, with local state next to the infrastructure state", () => {
    const { workloads: offline } = stacks("prod", true);
    expect(offline.terraform!.backend).toEqual({
      local: { path: "../prod-workloads/prod-workloads.tfstate" },
    });
    expect(
      offline.data!.terraform_remote_state["cross-stack-reference-input-prod-infrastructure"],
    ).toMatchObject({
      backend: "local",
      config: { path: "../prod-infrastructure/prod-infrastructure.tfstate" },
    });
  });
});

describe("WorkloadsStack contents", () => {
  const { workloads, infrastructure } = stacks("prod");
  const releases = workloads.resource!.helm_release as Record<string, Record<string, any>>;
  const byName = (name: string) => Object.values(releases).find((r) => r.name === name)!;
  const remote =
    /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-infrastructure\.outputs\.cross-stack-output-/;

  test("platform add-ons, both colours of every app, its secrets and the database bootstrap's, all pinned", () => {
    expect(
      Object.values(releases)
        .map((r) => r.name)
        .sort(),
    ).toEqual(
      [
        "alertmanager-secrets",
        "aws-load-balancer-controller",
        "cluster-autoscaler",
        "database-bootstrap",
        "external-dns",
        "external-secrets",
        "fluent-bit",
        "jaeger",
        "kube-prometheus-stack",
        "metrics-server",
        "opentelemetry-collector",
        "web-blue",
        "web-green",
        "web-secrets",
      ].sort(),
    );
    for (const r of Object.values(releases))
      if (!String(r.chart).startsWith("./assets/")) expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("traces: Jaeger on the log store's domain as the tracing role, the collector exporting to it, both colours sending to the collector", () => {
    const jaeger = byName("jaeger");
    const jaegerValues = JSON.parse(jaeger.values[0]);
    const storage =
      jaegerValues.userconfig.extensions.jaeger_storage.backends.opensearch.opensearch;
    // cross-stack references to InfrastructureStack.logStore.endpoint and tracingRole.arn
    expect(storage.server_urls).toEqual([
      expect.stringMatching(/^https:\/\/\$\{data\.terraform_remote_state\./),
    ]);
    expect(jaegerValues.jaeger.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(
      remote,
    );
    expect(jaegerValues.userconfig.extensions.sigv4auth).toEqual({
      region: "eu-west-1",
      service: "es",
    });
    // the tracing role trusts exactly the service account Jaeger runs as
    expect(jaegerValues.fullnameOverride).toBe("jaeger");
    const collector = byName("opentelemetry-collector");
    const collectorValues = JSON.parse(collector.values[0]);
    expect(collectorValues.alternateConfig.processors.probabilistic_sampler).toEqual({
      sampling_percentage: 10,
    });
    // the bootstrap maps the tracing role in OpenSearch before Jaeger puts its templates
    expect(jaeger.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^kubernetes_job_v1\.log-store-bootstrap/)]),
    );
    expect(collector.depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^helm_release\.jaeger_release/)]),
    );
    for (const colour of ["blue", "green"]) {
      const values = JSON.parse(byName(`web-${colour}`).values[0]);
      expect(values.extraArgs).toEqual([`--otel-service-name=web-${colour}`]);
      expect(values.extraEnvs).toContainEqual({
        name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        value: expect.stringMatching(
          /^http:\/\/opentelemetry-collector\.\$\{kubernetes_namespace_v1\.[\w-]+\.metadata\[0\]\.name\}\.svc\.cluster\.local:4317$/,
        ),
      });
    }
  });

  test("web's secrets: Secret web-secrets in its namespace from prod/web/*, with its role, before both colours", () => {
    const secrets = byName("web-secrets");
    const values = JSON.parse(secrets.values[0]);
    expect(values.serviceAccount.roleArn).toMatch(remote);
    expect(values.secrets).toEqual([
      {
        name: "web-secrets",
        data: [{ secretKey: "API_TOKEN", remoteKey: "prod/web/api", property: "token" }],
      },
    ]);
    expect(secrets.namespace).toBe(byName("web-blue").namespace);
    const [id] = Object.entries(releases).find(([, r]) => r.name === "web-secrets")!;
    for (const colour of ["web-blue", "web-green"])
      expect(byName(colour).depends_on).toContain(`helm_release.${id}`);
    const [operator] = Object.entries(releases).find(([, r]) => r.name === "external-secrets")!;
    expect(secrets.depends_on).toContain(`helm_release.${operator}`);
    const role = Object.values(infrastructure.resource!.aws_iam_role).find(
      (r) => r.name === "prod-web-secrets",
    );
    expect(role).toBeDefined();
  });

  test("the stack exposes each app's NamespaceSecrets and Secret name", () => {
    const app = Testing.app();
    const config = environment("prod");
    const infra = new InfrastructureStack(app, "prod-infrastructure", {
      environment: config,
      offline: true,
    });
    const stack = new WorkloadsStack(app, "prod-workloads", {
      environment: config,
      offline: true,
      infrastructure: infra,
    });
    expect(Object.keys(stack.appSecrets)).toEqual(["web"]);
    expect(stack.appSecretNames).toEqual({ web: "web-secrets" });
    expect(stack.appSecrets.web.secretKeys).toEqual({ "web-secrets": ["API_TOKEN"] });
    expect(stack.externalSecrets?.chartVersion).toBe("2.8.0");
  });

  test("no operator where nothing syncs secrets (dev: no app secrets, SNS receivers)", () => {
    const dev = stacks("dev").workloads.resource!.helm_release as Record<
      string,
      Record<string, any>
    >;
    expect(Object.values(dev).map((r) => r.name)).not.toContain("external-secrets");
  });

  test("the load balancer controller gets cluster name, VPC id and its IRSA role from the infrastructure stack", () => {
    const values = JSON.parse(byName("aws-load-balancer-controller").values[0]);
    expect(values.clusterName).toMatch(remote);
    expect(values.vpcId).toMatch(remote);
    expect(values.region).toBe("eu-west-1");
    expect(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(remote);
    const role = Object.values(infrastructure.resource!.aws_iam_role).find(
      (r) => r.name === "prod-kube-system-aws-load-balancer-controller",
    );
    expect(role).toBeDefined();
  });

  test("app releases wait for the load balancer controller and the monitoring release (its CRDs)", () => {
    const namespace = Object.values(workloads.resource!.kubernetes_namespace_v1).find(
      (n) => (n.metadata as Record<string, any>).name === "web",
    )!;
    expect(namespace.depends_on).toEqual([
      expect.stringMatching(/^helm_release\.aws-load-balancer-controller/),
      expect.stringMatching(/^helm_release\.monitoring_release/),
    ]);
    const monitoring = Object.entries(releases).find(
      ([, r]) => r.name === "kube-prometheus-stack",
    )!;
    expect(namespace.depends_on).toContain(`helm_release.${monitoring[0]}`);
  });

  test("pods admit the ALB from the public subnets only, never the whole VPC", () => {
    const allow = Object.values(workloads.resource!.kubernetes_network_policy_v1).find(
      (p) => (p.metadata as Record<string, any>).name === "web-blue-allow-alb-and-monitoring",
    )!;
    const sources = (allow.spec as any).ingress[0].from.map((f: any) => f.ip_block.cidr);
    expect(sources).toEqual(["10.30.128.0/22", "10.30.132.0/22", "10.30.136.0/22"]);
    expect(sources).not.toContain("10.30.0.0/16");
    // the same CIDRs the Network construct gives the public subnets
    const publicSubnets = Object.values(infrastructure.resource!.aws_subnet)
      .filter((s) => (s.tags as any)?.["kubernetes.io/role/elb"] === "1")
      .map((s) => s.cidr_block);
    expect(publicSubnets).toEqual(sources);
  });

  test("prod: critical pages PagerDuty, warning posts to Slack, info mails through the alarm topic with Alertmanager's own IRSA role", () => {
    const values = JSON.parse(byName("kube-prometheus-stack").values[0]);
    const receivers = values.alertmanager.config.receivers as {
      name: string;
      sns_configs?: { topic_arn: string }[];
      pagerduty_configs?: { routing_key_file: string }[];
      slack_configs?: { api_url_file: string; channel: string }[];
      webhook_configs?: { url_file: string }[];
    }[];
    const byReceiver = Object.fromEntries(receivers.map((r) => [r.name, r]));
    expect(Object.keys(byReceiver)).toEqual(["null", "critical", "warning", "info", "watchdog"]);
    expect(byReceiver.critical.pagerduty_configs![0].routing_key_file).toBe(
      "/etc/alertmanager/secrets/alertmanager-receivers/critical",
    );
    expect(byReceiver.warning.slack_configs![0].channel).toBe("#alerts-prod");
    expect(byReceiver.info.sns_configs![0].topic_arn).toMatch(remote);
    expect(byReceiver.watchdog.webhook_configs![0].url_file).toBe(
      "/etc/alertmanager/secrets/alertmanager-receivers/watchdog",
    );
    // the keys and URLs: synced from prod/monitoring/* by the monitoring SecretStore's own role
    const synced = JSON.parse(byName("alertmanager-secrets").values[0]);
    expect(synced.secrets[0].data).toEqual([
      { secretKey: "critical", remoteKey: "prod/monitoring/pagerduty", property: "routingKey" },
      { secretKey: "warning", remoteKey: "prod/monitoring/slack", property: "webhookUrl" },
      { secretKey: "watchdog", remoteKey: "prod/monitoring/heartbeat", property: "url" },
    ]);
    expect(synced.serviceAccount.roleArn).toMatch(remote);
    const role = Object.values(infrastructure.resource!.aws_iam_role).find(
      (r) => r.name === "prod-monitoring-alertmanager",
    );
    expect(role).toBeDefined();
    const inline = Object.values(infrastructure.resource!.aws_iam_role_policy).find((p) =>
      String(p.role).includes("irsa-monitoring-alertmanager"),
    )!;
    expect(
      JSON.parse(String(inline.policy))
        .Statement.map((s: any) => s.Action)
        .flat(),
    ).toEqual(["sns:Publish", "kms:GenerateDataKey*", "kms:Decrypt"]);
  });

  test("outputs what the release tool needs for every app", () => {
    const output = workloads.output!.app_web.value as Record<string, any>;
    expect(output).toMatchObject({
      host: "app.example.com",
      namespace: "web",
      stable_colour: "blue",
      idle_colour: "green",
      weights: { blue: 100, green: 0 },
      preview: { host: "app.example.com", header: "X-Preview", value: "true" },
    });
  });
});

describe("WorkloadsStack: a release step changes only what it should", () => {
  const base = stacks("staging").workloads;
  const diff = (edit: (raw: Record<string, any>) => void) => {
    const changed = stacks("staging", false, edit).workloads;
    const keys: string[] = [];
    for (const [type, byName] of Object.entries(changed.resource ?? {})) {
      for (const [name, config] of Object.entries(byName)) {
        if (JSON.stringify(config) !== JSON.stringify(base.resource?.[type]?.[name]))
          keys.push(`${type}.${name.replace(/_[0-9A-F]{8}$/, "")}`);
      }
    }
    return keys;
  };
  const action = (json: StackJson) =>
    JSON.parse(
      (Object.values(json.resource!.kubernetes_ingress_v1)[0].metadata as Record<string, any>)
        .annotations["alb.ingress.kubernetes.io/actions.blue-green"],
    ).forwardConfig.targetGroups.map((t: any) => [t.serviceName.replace(/-alb$/, ""), t.weight]);

  test("the staging file's weights are in the weighted action (green stable, 10% canary)", () => {
    expect(action(base)).toEqual([
      ["web-blue", 10],
      ["web-green", 90],
    ]);
  });

  test("canaryWeight changes only the Ingress", () => {
    expect(diff((raw) => (raw.apps.web.release.canaryWeight = 50))).toEqual([
      "kubernetes_ingress_v1.app-web_ingress",
    ]);
    expect(
      action(stacks("staging", false, (raw) => (raw.apps.web.release.canaryWeight = 50)).workloads),
    ).toEqual([
      ["web-blue", 50],
      ["web-green", 50],
    ]);
  });

  test("stable changes only the Ingress", () => {
    expect(diff((raw) => (raw.apps.web.release.stable = "blue"))).toEqual([
      "kubernetes_ingress_v1.app-web_ingress",
    ]);
  });

  test("the app's shared values and chart version change no colour's helm_release (byte-identical)", () => {
    const edited = stacks("staging", false, (raw) => {
      raw.apps.web.values = { replicaCount: 9, ui: { message: "next release" } };
      raw.apps.web.chart.version = "6.9.0";
    }).workloads;
    const releases = (json: StackJson) =>
      Object.fromEntries(
        Object.entries(json.resource!.helm_release).filter(([, r]) => r.chart === "podinfo"),
      );
    expect(Object.keys(releases(base))).toHaveLength(2);
    expect(JSON.stringify(releases(edited))).toBe(JSON.stringify(releases(base)));
    expect(diff((raw) => (raw.apps.web.values = { replicaCount: 9 }))).toEqual([]);
  });

  test("a colour's own chart version or values change only that colour's release", () => {
    expect(diff((raw) => (raw.apps.web.release.green.chart = "6.8.0"))).toEqual([
      "helm_release.app-web_release-green",
    ]);
    expect(diff((raw) => (raw.apps.web.release.blue.values = { replicaCount: 4 }))).toEqual([
      "helm_release.app-web_release-blue",
    ]);
  });

  test("a colour's version changes only that colour's release", () => {
    expect(diff((raw) => (raw.apps.web.release.blue.version = "6.7.2"))).toEqual([
      "helm_release.app-web_release-blue",
    ]);
  });
});
