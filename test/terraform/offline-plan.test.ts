/**
 * The slower suite: synthesizes every environment in offline mode and runs real `terraform init`,
 * `validate` and `plan` against the local hashicorp/aws provider mirror, with no credentials and no
 * network, then asserts on `terraform show -json` of the plan.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../stacks/app";
import { findProviderMirror, initValidatePlan, type PlanJson } from "../../scripts/lib/terraform";
import { databaseIdentifier } from "../../config/rules";
import { ENVIRONMENTS_DIR, environmentFolder, rawEnvironment } from "../helpers";

const outdir = mkdtempSync(join(tmpdir(), "platform-offline-"));
const { app, environments } = buildApp({
  environmentDirectory: ENVIRONMENTS_DIR,
  outdir,
  offline: true,
  today: "2026-12-01",
});
app.synth();

type Change = NonNullable<PlanJson["resource_changes"]>[number];

test("the hashicorp/aws provider mirror is available", () => {
  expect(findProviderMirror()).toBeDefined();
});

describe.each(environments.map((e) => e.config))("$name-infrastructure offline", (env) => {
  let changes: Change[] = [];
  let configuration: { address: string; provider_config_key?: string }[] = [];
  let outputChanges: Record<
    string,
    { actions: string[]; after?: unknown; after_unknown?: unknown }
  > = {};
  let checks: { address: { kind: string; name: string }; status: string }[] = [];
  const ofType = (type: string) => changes.filter((c) => c.type === type);
  const after = (c: Change) => c.change.after ?? {};

  beforeAll(() => {
    const plan = initValidatePlan(join(outdir, "stacks", `${env.name}-infrastructure`));
    changes = plan.resource_changes ?? [];
    checks = (plan as { checks?: typeof checks }).checks ?? [];
    configuration =
      (plan.configuration as { root_module?: { resources?: typeof configuration } }).root_module
        ?.resources ?? [];
    outputChanges = (plan as { output_changes?: typeof outputChanges }).output_changes ?? {};
  }, 300_000);

  test("plans only creations", () => {
    expect(changes.length).toBeGreaterThan(30);
    expect(new Set(changes.map((c) => c.change.actions.join("/")))).toEqual(new Set(["create"]));
  });

  test("the VPC and nine private-by-default subnets", () => {
    expect(ofType("aws_vpc").map(after)).toEqual([
      expect.objectContaining({ cidr_block: env.network.cidr, enable_dns_hostnames: true }),
    ]);
    const subnets = ofType("aws_subnet").map(after);
    expect(subnets).toHaveLength(9);
    for (const s of subnets) expect(s.map_public_ip_on_launch).toBe(false);
    expect(new Set(subnets.map((s) => s.availability_zone))).toEqual(
      new Set(env.network.availabilityZones),
    );
  });

  test("NAT gateways follow natGateways", () => {
    const expected = { none: 0, single: 1, perAz: env.network.availabilityZones.length }[
      env.network.natGateways
    ];
    expect(ofType("aws_nat_gateway")).toHaveLength(expected);
    expect(ofType("aws_eip")).toHaveLength(expected);
  });

  test("flow logs of ALL traffic to an encrypted group with the file's retention", () => {
    expect(ofType("aws_flow_log").map(after)).toEqual([
      expect.objectContaining({ traffic_type: "ALL" }),
    ]);
    expect(ofType("aws_cloudwatch_log_group").map(after)).toContainEqual(
      expect.objectContaining({ retention_in_days: env.network.flowLogRetentionDays }),
    );
    for (const key of ofType("aws_kms_key").map(after)) expect(key.enable_key_rotation).toBe(true);
  });

  test("interface endpoints only in the production tier", () => {
    const interfaces = ofType("aws_vpc_endpoint")
      .map(after)
      .filter((e) => e.vpc_endpoint_type === "Interface");
    expect(interfaces).toHaveLength(env.tier === "production" ? 4 : 0);
  });

  test("the EKS cluster, its node groups, add-ons, OIDC provider and roles", () => {
    expect(ofType("aws_eks_cluster").map(after)).toEqual([
      expect.objectContaining({
        name: env.cluster.name ?? env.name,
        version: env.cluster.kubernetesVersion,
      }),
    ]);
    expect(
      ofType("aws_eks_node_group")
        .map((c) => after(c).node_group_name)
        .sort(),
    ).toEqual(Object.keys(env.cluster.nodeGroups).sort());
    expect(
      ofType("aws_eks_addon")
        .map((c) => after(c).addon_name)
        .sort(),
    ).toEqual(["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
    const cni = ofType("aws_eks_addon")
      .map(after)
      .find((a) => a.addon_name === "vpc-cni")!;
    expect(JSON.parse(String(cni.configuration_values))).toEqual({ enableNetworkPolicy: "true" });
    // the cluster's issuer (IRSA) and, with a github section, GitHub Actions' (GithubDeployRoles)
    expect(
      ofType("aws_iam_openid_connect_provider")
        .map((c) => (after(c).tags as Record<string, string>).Name)
        .sort(),
    ).toEqual(["github-actions", `${env.cluster.name ?? env.name}-irsa`].sort());
    const roleNames = ofType("aws_iam_role").map((c) => after(c).name);
    const cluster = env.cluster.name ?? env.name;
    expect(roleNames).toEqual(
      expect.arrayContaining([
        `${cluster}-cluster`,
        `${cluster}-node`,
        `${cluster}-vpc-cni`,
        `${cluster}-ebs-csi-driver`,
      ]),
    );
    // one entry per principal: the admins and the workloads deployer (the deploy role, which every
    // shipped file sets apart from its admins, so this plan shows the deployer entry)
    const principals = [
      ...new Set([...env.cluster.admins, ...(env.deployRoleArn ? [env.deployRoleArn] : [])]),
    ];
    expect(principals.length).toBeGreaterThan(env.cluster.admins.length);
    // and GitHub's plan role, whose ARN is known after apply, with a read-only view
    expect(
      ofType("aws_eks_access_entry")
        .map((c) => after(c).principal_arn ?? "(the github plan role)")
        .sort(),
    ).toEqual([...principals, "(the github plan role)"].sort());
    expect(ofType("aws_eks_access_policy_association").map(after)).toEqual([
      ...principals.map(() =>
        expect.objectContaining({
          policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
          access_scope: [{ namespaces: null, type: "cluster" }],
        }),
      ),
      expect.objectContaining({
        policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
        access_scope: [{ namespaces: null, type: "cluster" }],
      }),
    ]);
  });

  test("in-VPC pipeline runners: CodeBuild in the private subnets, a webhook per queued job, 443 to the cluster from their group", () => {
    expect(env.pipeline).toBeDefined();
    const project = `${env.name}-runners`;
    expect(ofType("aws_codebuild_project").map(after)).toEqual([
      expect.objectContaining({
        name: project,
        environment: [
          expect.objectContaining({
            type: "LINUX_CONTAINER",
            image: "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            privileged_mode: false,
          }),
        ],
        source: [
          expect.objectContaining({
            type: "GITHUB",
            location: env.pipeline!.repository,
            auth: [{ type: "CODECONNECTIONS", resource: env.pipeline!.connectionArn }],
          }),
        ],
        logs_config: [
          {
            cloudwatch_logs: [
              { group_name: `/aws/codebuild/${project}`, status: "ENABLED", stream_name: null },
            ],
            s3_logs: [expect.objectContaining({ status: "DISABLED" })],
          },
        ],
      }),
    ]);
    expect(ofType("aws_codebuild_webhook").map(after)).toEqual([
      expect.objectContaining({
        project_name: project,
        build_type: "BUILD",
        filter_group: [
          {
            filter: [
              { type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED", exclude_matched_pattern: false },
            ],
          },
        ],
      }),
    ]);
    // the subnets and groups are created in the same plan: known only after apply
    const [projectChange] = ofType("aws_codebuild_project");
    expect(projectChange.change.after_unknown).toMatchObject({
      vpc_config: [{ subnets: true, security_group_ids: true, vpc_id: true }],
    });
    // ... and the configuration says which: the private subnets, the runners' own group
    const projectConfig = configuration.find((r) => r.address === projectChange.address) as {
      expressions?: { vpc_config?: { subnets?: { references?: string[] } }[] };
    };
    const subnetRefs = (projectConfig.expressions?.vpc_config?.[0].subnets?.references ?? [])
      .filter((ref) => ref.endsWith(".id"))
      .map((ref) => ref.replace(/_[0-9A-F]{8}\.id$/, ""));
    expect(subnetRefs.sort()).toEqual(
      env.network.availabilityZones.map((az) => `aws_subnet.network_private-subnet-${az}`).sort(),
    );
    const toCluster = ofType("aws_vpc_security_group_ingress_rule").filter((c) =>
      c.address.includes("cluster-api-from-runners"),
    );
    expect(toCluster.map(after)).toEqual([
      expect.objectContaining({
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        cidr_ipv4: null,
      }),
    ]);
    expect(toCluster[0].change.after_unknown).toMatchObject({
      security_group_id: true,
      referenced_security_group_id: true,
    });
    // Terraform renders the escaped label as GitHub Actions expects it
    expect(outputChanges.pipeline_runners?.after).toMatchObject({
      runs_on: `codebuild-${project}-\${{ github.run_id }}-\${{ github.run_attempt }}`,
    });
  });

  test("one immutable, scanned ECR repository per app", () => {
    const repos = ofType("aws_ecr_repository").map(after);
    expect(repos.map((r) => r.name).sort()).toEqual(
      Object.keys(env.apps)
        .map((app) => `${env.name}/${app}`)
        .sort(),
    );
    for (const r of repos) expect(r.image_tag_mutability).toBe("IMMUTABLE");
  });

  test("the PostgreSQL database: private, encrypted, Multi-AZ in production", () => {
    expect(ofType("aws_db_instance").map(after)).toEqual([
      expect.objectContaining({
        engine: "postgres",
        publicly_accessible: false,
        storage_encrypted: true,
        manage_master_user_password: true,
        multi_az: env.tier === "production",
        deletion_protection: env.tier === "production",
      }),
    ]);
  });

  test("the OpenSearch domain of logs: VPC-only, encrypted, TLS 1.2+, fine-grained access by IAM, sized by tier", () => {
    const production = env.tier === "production";
    const [domain] = ofType("aws_opensearch_domain").map(after);
    expect(domain).toMatchObject({
      domain_name: `${env.name}-logs`,
      encrypt_at_rest: [{ enabled: true }],
      node_to_node_encryption: [{ enabled: true }],
      domain_endpoint_options: [
        expect.objectContaining({
          enforce_https: true,
          tls_security_policy: "Policy-Min-TLS-1-2-PFS-2023-10",
        }),
      ],
      advanced_security_options: [
        expect.objectContaining({ enabled: true, internal_user_database_enabled: false }),
      ],
      cluster_config: [
        expect.objectContaining({
          zone_awareness_enabled: production,
          dedicated_master_enabled: production,
          instance_count: production ? 3 : 1,
        }),
      ],
    });
    // the access policy names the roles' ARNs, known after apply (unit tests check it)
    expect(domain.log_publishing_options).toHaveLength(4);
  });

  test("the database's exported logs go to encrypted groups created before the instance", () => {
    const identifier = env.database.identifier ?? `${env.name}-postgres`;
    const groups = ofType("aws_cloudwatch_log_group")
      .map(after)
      .filter((g) => String(g.name).startsWith("/aws/rds/"));
    expect(groups.map((g) => g.name).sort()).toEqual([
      `/aws/rds/instance/${identifier}/postgresql`,
      `/aws/rds/instance/${identifier}/upgrade`,
    ]);
    for (const g of groups) {
      expect(g.retention_in_days).toBe(env.tier === "production" ? 365 : 30);
    }
    // Terraform orders the instance after its log groups
    const instance = configuration.find((r) => r.address.startsWith("aws_db_instance.")) as {
      depends_on?: string[];
    };
    const groupAddresses = ofType("aws_cloudwatch_log_group")
      .filter((c) => String(after(c).name).startsWith("/aws/rds/"))
      .map((c) => c.address);
    expect(instance.depends_on).toEqual(expect.arrayContaining(groupAddresses));
  });

  test("the static site: private encrypted bucket behind CloudFront with origin access control", () => {
    expect(ofType("aws_s3_bucket_public_access_block").map(after)).toContainEqual(
      expect.objectContaining({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      }),
    );
    expect(ofType("aws_cloudfront_origin_access_control").map(after)).toEqual([
      expect.objectContaining({ signing_behavior: "always", signing_protocol: "sigv4" }),
    ]);
    const [distribution] = ofType("aws_cloudfront_distribution").map(after);
    // aliases is a set: Terraform lists it sorted
    expect(distribution.aliases ?? []).toEqual([...(env.cdn.domainNames ?? [])].sort());
  });

  test("the static site serves directory indexes and answers missing keys with its 404 page", () => {
    expect(ofType("aws_cloudfront_function").map(after)).toEqual([
      expect.objectContaining({
        name: `${env.name}-directory-index`,
        runtime: "cloudfront-js-2.0",
        publish: true,
      }),
    ]);
    const [distribution] = ofType("aws_cloudfront_distribution").map(after);
    const behaviour = (distribution.default_cache_behavior as Record<string, unknown>[])[0];
    expect(behaviour.function_association).toEqual([
      expect.objectContaining({ event_type: "viewer-request" }),
    ]);
    expect(
      (distribution.custom_error_response as Record<string, unknown>[]).map((r) => [
        r.error_code,
        r.response_code,
        r.response_page_path,
      ]),
    ).toEqual([
      [403, 404, "/404.html"],
      [404, 404, "/404.html"],
    ]);
  });

  test("outputs what the README and the release tool need", () => {
    const expected = [
      "site_bucket_name",
      "distribution_id",
      "distribution_domain_name",
      "database_identifier",
      "database_endpoint",
      "database_port",
      "database_master_secret_arn",
      "alarm_topic_arn",
      "alarm_topic_arn_us_east_1",
      "cluster_security_group_id",
      ...(env.dns ? ["app_certificate_arns"] : []),
    ];
    for (const name of expected)
      expect([name, outputChanges[name]?.actions]).toEqual([name, ["create"]]);
    // known from the configuration at plan time; the others once the resources exist
    expect(outputChanges.database_identifier.after).toBe(databaseIdentifier(env));
    expect(outputChanges.database_port.after).toBe(5432);
    expect(outputChanges.site_bucket_name.after).toBe(`${env.name}-${env.account}-content`);
    for (const name of ["distribution_id", "database_master_secret_arn", "alarm_topic_arn"])
      expect([name, outputChanges[name].after_unknown]).toEqual([name, true]);
  });

  test("certificates validated through DNS records in the declared zones, only with a dns section", () => {
    const certificates = ofType("aws_acm_certificate");
    const records = ofType("aws_route53_record");
    const validations = ofType("aws_acm_certificate_validation");
    if (!env.dns) {
      expect([certificates, records, validations]).toEqual([[], [], []]);
      return;
    }
    const appHosts = [
      ...new Set(
        Object.values(env.apps)
          .filter((a) => a.certificateArn === undefined)
          .map((a) => a.host),
      ),
    ];
    const cdnNames = env.cdn.certificateArn ? [] : (env.cdn.domainNames ?? []);
    // one certificate per app host, plus the CDN's (its first name is the subject)
    expect(certificates.map((c) => after(c).domain_name).sort()).toEqual(
      [...appHosts, ...cdnNames.slice(0, 1)].sort(),
    );
    for (const c of certificates) {
      expect(after(c)).toMatchObject({ validation_method: "DNS" });
    }
    // one validation record per certificate name, keyed by the name, in a declared zone
    expect(records.map((r) => /\["(.+)"\]$/.exec(r.address)?.[1]).sort()).toEqual(
      [...appHosts, ...cdnNames].sort(),
    );
    const zoneIds = env.dns.zones.map((z) => z.id);
    for (const r of records) {
      expect(zoneIds).toContain(after(r).zone_id);
      expect(after(r)).toMatchObject({ ttl: 60, allow_overwrite: true });
    }
    expect(validations).toHaveLength(certificates.length);
    // the CDN's certificate, its records and validation are created in us-east-1
    const usEast1 = configuration
      .filter((r) => r.provider_config_key === "aws.us_east_1")
      .map((r) => r.address.split(".")[0]);
    for (const type of [
      "aws_acm_certificate",
      "aws_route53_record",
      "aws_acm_certificate_validation",
    ]) {
      expect(usEast1.filter((t) => t === type)).toHaveLength(cdnNames.length > 0 ? 1 : 0);
    }
  });

  test("the cluster's upgrade policy is explicit: standard support by default", () => {
    expect(after(ofType("aws_eks_cluster")[0]).upgrade_policy).toEqual([
      { support_type: env.cluster.supportType ?? "STANDARD" },
    ]);
  });

  test("Cluster Autoscaler's IRSA role may scale only the cluster's own ASGs", () => {
    const cluster = env.cluster.name ?? env.name;
    expect(ofType("aws_iam_role").map((c) => after(c).name)).toContain(
      `${cluster}-kube-system-cluster-autoscaler`,
    );
    const policy = ofType("aws_iam_role_policy")
      .map(after)
      .find((p) => p.name === "cluster-autoscaler")!;
    const statements = JSON.parse(String(policy.policy)).Statement;
    expect(statements.find((s: any) => s.Sid === "ScaleOwnNodeGroups").Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: "owned" },
    });
  });

  test("ExternalDNS's IRSA role only with a dns section", () => {
    const roles = ofType("aws_iam_role").map((c) => after(c).name);
    const name = `${env.cluster.name ?? env.name}-external-dns-external-dns`;
    if (env.dns) expect(roles).toContain(name);
    else expect(roles).not.toContain(name);
  });

  test("alarms notify an encrypted topic, CloudFront's from us-east-1", () => {
    const alarms = ofType("aws_cloudwatch_metric_alarm").map(after);
    expect(alarms.map((a) => a.metric_name).sort()).toEqual(
      [
        "5xxErrorRate",
        "CPUUtilization",
        "DatabaseConnections",
        "FreeStorageSpace",
        "FreeableMemory",
        // the log store's (OpenSearch, namespace AWS/ES)
        "AutomatedSnapshotFailure",
        "ClusterIndexWritesBlocked",
        "ClusterStatus.red",
        "FreeStorageSpace",
        "JVMMemoryPressure",
      ].sort(),
    );
    // the topic ARNs are known only after apply: the plan marks both action lists unknown
    for (const c of ofType("aws_cloudwatch_metric_alarm")) {
      expect(c.change.after_unknown).toMatchObject({ alarm_actions: true, ok_actions: true });
    }
    const subscriptions = ofType("aws_sns_topic_subscription").map(after);
    expect(subscriptions.filter((s) => s.protocol === "email").map((s) => s.endpoint)).toEqual([
      env.alerts.email,
      env.alerts.email,
    ]);
    // with a PagerDuty or Slack receiver (prod) the alarm forwarder, its code packaged at
    // synthesis, is subscribed to both topics
    const { critical, warning } = env.monitoring.receivers;
    const forwarded = [critical, warning].some((r) => r.type === "pagerduty" || r.type === "slack");
    expect(subscriptions.filter((s) => s.protocol === "lambda")).toHaveLength(forwarded ? 2 : 0);
    expect(ofType("aws_lambda_function").map((c) => after(c).runtime)).toEqual(
      forwarded ? ["nodejs22.x"] : [],
    );
  });

  test("RDS storage events reach the alarm topic: at the autoscaling ceiling and at 80% of it", () => {
    const id = databaseIdentifier(env);
    const rules = ofType("aws_cloudwatch_event_rule").map(after);
    expect(rules.map((r) => r.name).sort()).toEqual([
      `${env.name}-database-storage-at-limit`,
      `${env.name}-database-storage-near-limit`,
    ]);
    for (const r of rules) {
      expect(JSON.parse(String(r.event_pattern)).detail.SourceIdentifier).toEqual([id]);
    }
    expect(ofType("aws_cloudwatch_event_target")).toHaveLength(2);
    const freeStorage = ofType("aws_cloudwatch_metric_alarm")
      .map(after)
      .find((a) => a.metric_name === "FreeStorageSpace")!;
    expect(freeStorage.threshold).toBe(
      Math.round(env.database.allocatedStorageGb * 1024 ** 3 * 0.05),
    );
  });

  test("a check per alarm topic, unknown until the subscriptions exist (a warning once failing, never an error)", () => {
    expect(
      checks
        .filter((c) => c.address.kind === "check")
        .map((c) => [c.address.name, c.status])
        .sort(),
    ).toEqual([
      [`alarm_email_confirmed_${env.name}_${env.region}`, "unknown"],
      [`alarm_email_confirmed_${env.name}_us-east-1`, "unknown"],
    ]);
  });

  test("every resource carries the default tags", () => {
    const vpc = after(ofType("aws_vpc")[0]);
    expect(vpc.tags_all).toMatchObject({
      environment: env.name,
      "managed-by": "cdktf-platform",
      ...env.tags,
    });
  });
});

// A node group that may scale to zero and is selected by label: its ASG carries the label as a
// Cluster Autoscaler node-template tag (validated and planned by the real provider).
describe("a labelled node group that scales from zero, offline", () => {
  let changes: Change[] = [];

  beforeAll(() => {
    const prod = rawEnvironment("prod") as Record<string, any>;
    prod.cluster.nodeGroups.batch = {
      instanceTypes: ["c6i.large"],
      minSize: 0,
      maxSize: 4,
      desiredSize: 0,
      labels: { workload: "batch" },
    };
    const dir = mkdtempSync(join(tmpdir(), "platform-offline-labels-"));
    const built = buildApp({
      environmentDirectory: environmentFolder({ prod }),
      outdir: dir,
      offline: true,
      today: "2026-12-01",
    });
    built.app.synth();
    changes = initValidatePlan(join(dir, "stacks", "prod-infrastructure")).resource_changes ?? [];
  }, 300_000);

  test("tags the group's Auto Scaling group with the label, known after apply", () => {
    const tags = changes.filter((c) => c.type === "aws_autoscaling_group_tag");
    expect(tags.map((c) => c.change.actions)).toEqual([["create"]]);
    expect(tags[0].change.after).toMatchObject({
      tag: [
        {
          key: "k8s.io/cluster-autoscaler/node-template/label/workload",
          value: "batch",
          propagate_at_launch: false,
        },
      ],
    });
    expect(tags[0].change.after_unknown).toMatchObject({ autoscaling_group_name: true });
  });
});
