import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Testing } from "cdktf";
import {
  LOG_STORE_BOOTSTRAP_SCRIPT,
  LogStoreBootstrap,
  logStoreBootstrapPlan,
  type LogStoreBootstrapProps,
} from "../../constructs/log-store-bootstrap";
import { PODINFO_LOG } from "../../constructs/private/log-store-bootstrap";
import { LOG_STORE_BOOTSTRAP_ACCESS } from "../../constructs/log-store";
import { InfrastructureStack } from "../../stacks/infrastructure-stack";
import { WorkloadsStack } from "../../stacks/workloads-stack";
import { startFakeOpenSearch, type FakeOpenSearch } from "../support/fake-opensearch";
import { environment, resources, synth, testStack } from "../helpers";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const script = require(LOG_STORE_BOOTSTRAP_SCRIPT) as {
  sign: (...args: unknown[]) => Record<string, string>;
  isSubset: (a: unknown, b: unknown) => boolean;
};
const run = promisify(execFile);
const REGION = "eu-west-1";
const TOKEN = "eyJ.fake.web-identity-token";

const planOptions = {
  environmentName: "dev",
  tier: "development" as const,
  writerRoleArn: "arn:aws:iam::111111111111:role/dev-logs-fluent-bit",
  tracingRoleArn: "arn:aws:iam::111111111111:role/dev-jaeger",
  readerArns: ["arn:aws:iam::111111111111:role/platform-admin"],
};

/** Runs the Job's script as the Job does (node <script> <plan>), IRSA-style credentials. */
async function bootstrap(fake: FakeOpenSearch, plan: unknown) {
  const dir = mkdtempSync(join(tmpdir(), "log-bootstrap-"));
  writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  const env = {
    PATH: process.env.PATH,
    OPENSEARCH_URL: fake.url,
    AWS_REGION: REGION,
    AWS_ROLE_ARN: "arn:aws:iam::111111111111:role/dev-logs-bootstrap",
    AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "token"),
    AWS_ENDPOINT_URL_STS: fake.stsUrl,
    BOOTSTRAP_RETRIES: "3",
    BOOTSTRAP_RETRY_DELAY_MS: "1",
  };
  return run(process.execPath, [LOG_STORE_BOOTSTRAP_SCRIPT, join(dir, "plan.json")], { env });
}

describe("the bootstrap script against a loopback OpenSearch API", () => {
  let fake: FakeOpenSearch;
  beforeEach(async () => {
    fake = await startFakeOpenSearch(REGION, TOKEN);
  });
  afterEach(() => fake.close());

  test("creates every item, each request SigV4-signed as the role STS handed out", async () => {
    const plan = logStoreBootstrapPlan(planOptions);
    const { stdout } = await bootstrap(fake, plan);
    expect(fake.rejected).toEqual([]);
    expect(fake.stsCalls).toHaveLength(1);
    expect(fake.stsCalls[0].body.get("RoleArn")).toBe(
      "arn:aws:iam::111111111111:role/dev-logs-bootstrap",
    );
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(plan.items.length);
    for (const line of lines) expect(line).toMatch(/^created /);
    for (const item of plan.items) expect(fake.store.get(item.path)?.body).toEqual(item.body);
    // every request carried a well-formed SigV4 header for service es in the region
    for (const request of fake.requests) {
      expect(request.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIAFAKEBOOTSTRAP\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(request.headers["x-amz-security-token"]).toBe("fake-session-token");
    }
    // saved objects: Dashboards' XSRF header and the global tenant, written with overwrite
    const savedObjectWrites = fake.requests.filter(
      (r) => r.method === "POST" && r.path.startsWith("/_dashboards/"),
    );
    expect(savedObjectWrites).toHaveLength(5);
    for (const write of savedObjectWrites) {
      expect(write.headers["osd-xsrf"]).toBe("true");
      expect(write.headers.securitytenant).toBe("global");
      expect(write.query).toEqual({ overwrite: "true" });
    }
  });

  test("every request the script makes is one its IAM policy (and the domain policy) allows", async () => {
    await bootstrap(fake, logStoreBootstrapPlan(planOptions));
    await bootstrap(fake, logStoreBootstrapPlan({ ...planOptions, retentionDays: 3 }));
    const allowed = (method: string, path: string) =>
      (LOG_STORE_BOOTSTRAP_ACCESS.methods as readonly string[]).includes(method) &&
      LOG_STORE_BOOTSTRAP_ACCESS.paths.some((pattern) =>
        new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(
          path.replace(/^\//, ""),
        ),
      );
    expect(fake.requests.length).toBeGreaterThan(20);
    for (const r of fake.requests)
      expect([r.method, r.path, allowed(r.method, r.path)]).toEqual([r.method, r.path, true]);
    expect(allowed("DELETE", "/_plugins/_ism/policies/x")).toBe(false);
    expect(allowed("GET", "/logs-dev-2026.12.01/_search")).toBe(false);
  });

  test("a second run reads everything back and writes nothing", async () => {
    const plan = logStoreBootstrapPlan(planOptions);
    await bootstrap(fake, plan);
    const before = fake.requests.length;
    const { stdout } = await bootstrap(fake, plan);
    const second = fake.requests.slice(before);
    expect(second.map((r) => r.method)).toEqual(plan.items.map(() => "GET"));
    for (const line of stdout.trim().split("\n")) expect(line).toMatch(/^unchanged /);
    expect(fake.rejected).toEqual([]);
  });

  test("a changed retention updates the two ISM policies only (logs, traces), with their seq_no (no 409)", async () => {
    await bootstrap(fake, logStoreBootstrapPlan(planOptions));
    const before = fake.requests.length;
    const { stdout } = await bootstrap(
      fake,
      logStoreBootstrapPlan({ ...planOptions, retentionDays: 14 }),
    );
    const writes = fake.requests.slice(before).filter((r) => r.method !== "GET");
    expect(writes).toEqual([
      expect.objectContaining({
        method: "PUT",
        path: "/_plugins/_ism/policies/logs-dev-retention",
        query: { if_seq_no: "0", if_primary_term: "1" },
      }),
      expect.objectContaining({
        method: "PUT",
        path: "/_plugins/_ism/policies/jaeger-retention",
        query: { if_seq_no: "0", if_primary_term: "1" },
      }),
    ]);
    expect(stdout).toMatch(/^updated ism-policy \/_plugins\/_ism\/policies\/logs-dev-retention$/m);
    expect(
      fake.store.get("/_plugins/_ism/policies/logs-dev-retention")!.body.policy.states[0]
        .transitions[0].conditions.min_index_age,
    ).toBe("14d");
  });

  test("a domain still starting (503) is retried; a refusal fails the Job with the response", async () => {
    fake.failNext(2);
    await bootstrap(fake, logStoreBootstrapPlan(planOptions));
    expect(fake.store.size).toBe(logStoreBootstrapPlan(planOptions).items.length);

    const bad = { items: [{ kind: "index-template", path: "/_unknown/x", body: {} }] };
    await expect(bootstrap(fake, bad)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("GET /_unknown/x: HTTP 405"),
    });
  });

  test("a wrong web identity token fails before any OpenSearch request", async () => {
    const dir = mkdtempSync(join(tmpdir(), "log-bootstrap-"));
    writeFileSync(join(dir, "plan.json"), JSON.stringify(logStoreBootstrapPlan(planOptions)));
    writeFileSync(join(dir, "token"), "other");
    await expect(
      run(process.execPath, [LOG_STORE_BOOTSTRAP_SCRIPT, join(dir, "plan.json")], {
        env: {
          OPENSEARCH_URL: fake.url,
          AWS_REGION: REGION,
          AWS_ROLE_ARN: "arn:aws:iam::111111111111:role/x",
          AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "token"),
          AWS_ENDPOINT_URL_STS: fake.stsUrl,
        },
      }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("AssumeRoleWithWebIdentity failed"),
    });
    expect(fake.requests).toEqual([]);
  });
});

describe("the script's signer and comparison", () => {
  test("signs AWS's get-vanilla test vector (aws-sig-v4-test-suite) as AWS documents", () => {
    const request = {
      method: "GET",
      host: "example.amazonaws.com",
      path: "/",
      query: {},
      headers: {},
      body: "",
    };
    const credentials = {
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    };
    const date = new Date("2015-08-30T12:36:00Z");
    expect(
      script.sign(request, credentials, "us-east-1", "service", date, { contentSha256: false })
        .authorization,
    ).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
    // what the Job sends: the payload hash signed too
    const headers = script.sign(request, credentials, "us-east-1", "service", date);
    expect(headers.authorization).toMatch(/SignedHeaders=host;x-amz-content-sha256;x-amz-date,/);
    expect(headers["x-amz-content-sha256"]).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  test("isSubset: extra fields in the read-back are fine, a different value or length is not", () => {
    expect(script.isSubset({ a: 1, b: [{ c: 2 }] }, { a: "1", b: [{ c: 2, d: 3 }], e: 4 })).toBe(
      true,
    );
    expect(script.isSubset({ a: 1 }, { a: 2 })).toBe(false);
    expect(script.isSubset({ b: [1] }, { b: [1, 2] })).toBe(false);
    expect(script.isSubset({ a: { b: 1 } }, { a: null })).toBe(false);
  });
});

describe("the plan: retention, templates, roles and saved objects", () => {
  const dev = logStoreBootstrapPlan(planOptions);
  const prod = logStoreBootstrapPlan({
    ...planOptions,
    environmentName: "prod",
    tier: "production",
  });
  const item = (plan: typeof dev, path: string) =>
    plan.items.find((i) => i.path === path)!.body as any;

  test("an ISM policy per tier deletes daily indexes after 7 (development) or 30 (production) days", () => {
    const ism = item(dev, "/_plugins/_ism/policies/logs-dev-retention").policy;
    expect(ism.states[0].transitions).toEqual([
      { state_name: "delete", conditions: { min_index_age: "7d" } },
    ]);
    expect(ism.states[1]).toEqual({ name: "delete", actions: [{ delete: {} }], transitions: [] });
    expect(ism.ism_template).toEqual([{ index_patterns: ["logs-dev-*"], priority: 100 }]);
    expect(
      item(prod, "/_plugins/_ism/policies/logs-prod-retention").policy.states[0].transitions[0]
        .conditions.min_index_age,
    ).toBe("30d");
  });

  test("Jaeger's daily indexes are kept as long as the logs (its own cleaner knows only basic auth)", () => {
    for (const [plan, days] of [
      [dev, "7d"],
      [prod, "30d"],
    ] as const) {
      const ism = item(plan, "/_plugins/_ism/policies/jaeger-retention").policy;
      expect(ism.ism_template).toEqual([{ index_patterns: ["jaeger-*"], priority: 100 }]);
      expect(ism.states[0].transitions).toEqual([
        { state_name: "delete", conditions: { min_index_age: days } },
      ]);
      expect(ism.states[1]).toEqual({ name: "delete", actions: [{ delete: {} }], transitions: [] });
    }
  });

  test("the index template maps podinfo's level, msg and ts, the namespace, app and colour", () => {
    // podinfo 6.7.1 cmd/podinfo/main.go initZap: TimeKey "ts", LevelKey "level", MessageKey "msg"
    expect(PODINFO_LOG).toMatchObject({ time: "ts", level: "level", message: "msg" });
    const template = item(dev, "/_index_template/logs-dev");
    expect(template.index_patterns).toEqual(["logs-dev-*"]);
    const properties = template.template.mappings.properties;
    expect(template.template.mappings.dynamic).toBe(false);
    expect(properties.level).toEqual({ type: "keyword" });
    expect(properties.ts).toEqual({ type: "date" });
    expect(properties.msg.type).toBe("text");
    expect(properties.app).toEqual({ type: "keyword" });
    expect(properties.colour).toEqual({ type: "keyword" });
    expect(properties.namespace).toEqual({ type: "keyword" });
    expect(properties.kubernetes.properties.namespace_name).toEqual({ type: "keyword" });
    // podinfo 6.7.1 pkg/api/http/logging.go: "request started" with uri, method, remote, ...
    expect(Object.keys(properties.data.properties)).toEqual([
      "proto",
      "uri",
      "method",
      "remote",
      "user-agent",
    ]);
    expect(template.template.settings.index.number_of_replicas).toBe(0);
    expect(item(prod, "/_index_template/logs-prod").template.settings.index).toMatchObject({
      number_of_shards: 3,
      number_of_replicas: 1,
    });
  });

  test("the security roles map to the platform's IAM roles, the writer to logs-<env>-* only", () => {
    expect(item(dev, "/_plugins/_security/api/rolesmapping/logs_writer")).toEqual({
      backend_roles: ["arn:aws:iam::111111111111:role/dev-logs-fluent-bit"],
    });
    expect(item(dev, "/_plugins/_security/api/rolesmapping/jaeger")).toEqual({
      backend_roles: ["arn:aws:iam::111111111111:role/dev-jaeger"],
    });
    expect(item(dev, "/_plugins/_security/api/rolesmapping/logs_reader")).toEqual({
      backend_roles: ["arn:aws:iam::111111111111:role/platform-admin"],
    });
    const writer = item(dev, "/_plugins/_security/api/roles/logs_writer");
    expect(writer.index_permissions.map((p: any) => p.index_patterns)).toEqual([["logs-dev-*"]]);
    const jaeger = item(dev, "/_plugins/_security/api/roles/jaeger");
    expect(jaeger.index_permissions.map((p: any) => p.index_patterns)).toEqual([["jaeger-*"]]);
    const reader = item(dev, "/_plugins/_security/api/roles/logs_reader");
    expect(reader.index_permissions[0].allowed_actions).not.toContain("write");
  });

  test("Dashboards: errors by app and colour, error tracking and the request log", () => {
    const titles = dev.items
      .filter((i) => i.kind === "saved-object")
      .map((i) => [i.path, (i.body as any).attributes.title]);
    expect(titles).toEqual([
      ["/_dashboards/api/saved_objects/index-pattern/logs-dev", "logs-dev-*"],
      ["/_dashboards/api/saved_objects/search/logs-dev-errors", "Errors (dev)"],
      [
        "/_dashboards/api/saved_objects/visualization/logs-dev-errors-by-app-and-colour",
        "Errors by app and colour (dev)",
      ],
      ["/_dashboards/api/saved_objects/search/logs-dev-requests", "Request log (dev)"],
      ["/_dashboards/api/saved_objects/dashboard/logs-dev-error-tracking", "Error tracking (dev)"],
    ]);
    const vis = item(
      dev,
      "/_dashboards/api/saved_objects/visualization/logs-dev-errors-by-app-and-colour",
    );
    const aggs = JSON.parse(vis.attributes.visState).aggs;
    expect(aggs.filter((a: any) => a.type === "terms").map((a: any) => a.params.field)).toEqual([
      "app",
      "colour",
    ]);
    const errors = item(dev, "/_dashboards/api/saved_objects/search/logs-dev-errors");
    expect(JSON.parse(errors.attributes.kibanaSavedObjectMeta.searchSourceJSON).query.query).toBe(
      "level:(error or dpanic or panic or fatal)",
    );
    const requests = item(dev, "/_dashboards/api/saved_objects/search/logs-dev-requests");
    expect(JSON.parse(requests.attributes.kibanaSavedObjectMeta.searchSourceJSON).query.query).toBe(
      'msg:"request started"',
    );
    // every reference names an object the plan creates
    const paths = new Set(dev.items.map((i) => i.path));
    for (const i of dev.items.filter((x) => x.kind === "saved-object")) {
      for (const ref of (i.body as any).references) {
        expect(paths).toContain(`/_dashboards/api/saved_objects/${ref.type}/${ref.id}`);
      }
    }
  });
});

describe("LogStoreBootstrap: the Job in the workloads stack", () => {
  const env = environment("dev");
  const app = Testing.app();
  const infrastructure = new InfrastructureStack(app, "dev-infrastructure", {
    environment: env,
    offline: true,
  });
  const workloads = new WorkloadsStack(app, "dev-workloads", {
    environment: env,
    offline: true,
    infrastructure,
  });
  const json = synth(workloads);
  const job = Object.values(resources(json, "kubernetes_job_v1")).find((j: any) =>
    j.metadata.name.startsWith("log-store-bootstrap-"),
  ) as any;

  test("a hashed name, waited for, restricted pod security, the IRSA service account", () => {
    expect(job.metadata.name).toMatch(/^log-store-bootstrap-[0-9a-f]{10}$/);
    expect(job.metadata.namespace).toMatch(/kubernetes_namespace_v1\.log-collector_namespace/);
    expect(job.wait_for_completion).toBe(true);
    const pod = job.spec.template.spec;
    expect(pod.security_context).toEqual({
      run_as_non_root: true,
      run_as_user: "1000",
      run_as_group: "1000",
      seccomp_profile: { type: "RuntimeDefault" },
    });
    expect(pod.container[0].security_context).toEqual({
      allow_privilege_escalation: false,
      read_only_root_filesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.container[0].image).toBe("public.ecr.aws/docker/library/node:22.20.0-alpine3.22");
    const sa = Object.values(resources(json, "kubernetes_service_account_v1")).find(
      (s: any) => s.metadata.name === "log-store-bootstrap",
    ) as any;
    expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /irsa-logging-log-store-bootstrap/,
    );
    const envVars = Object.fromEntries(pod.container[0].env.map((e: any) => [e.name, e.value]));
    expect(envVars.OPENSEARCH_URL).toMatch(/^https:\/\/\$\{.+\.endpoint\}$/);
  });

  test("the ConfigMap holds the script and plan as Terraform literals (no interpolation)", () => {
    const configMap = Object.values(resources(json, "kubernetes_config_map_v1")).find(
      (c: any) => c.metadata.name === job.metadata.name,
    ) as any;
    const script = configMap.data["bootstrap.cjs"] as string;
    expect(script).toMatch(/\$\$\{/);
    expect(script).not.toMatch(/(?<!\$)\$\{/);
    const unescaped = script.split("$${").join("${").split("%%{").join("%{");
    expect(unescaped).toBe(readFileSync(LOG_STORE_BOOTSTRAP_SCRIPT, "utf8"));
  });

  test("the plan names the roles the infrastructure stack creates (their computed ARNs)", () => {
    const configMap = Object.values(resources(json, "kubernetes_config_map_v1")).find(
      (c: any) => c.metadata.name === job.metadata.name,
    ) as any;
    const plan = JSON.parse(configMap.data["plan.json"]);
    const mapping = (role: string) =>
      plan.items.find((i: any) => i.path === `/_plugins/_security/api/rolesmapping/${role}`).body;
    const roleNames = Object.values(synth(infrastructure).resource!.aws_iam_role).map(
      (r: any) => `arn:aws:iam::111111111111:role/${r.name}`,
    );
    expect(roleNames).toContain(mapping("logs_writer").backend_roles[0]);
    expect(roleNames).toContain(mapping("jaeger").backend_roles[0]);
  });

  test("Fluent Bit's release waits for the Job", () => {
    const release = Object.values(resources(json, "helm_release")).find(
      (r: any) => r.chart === "aws-for-fluent-bit",
    ) as any;
    expect(release.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kubernetes_job_v1\.log-store-bootstrap_job/),
      ]),
    );
  });

  test("the Job's name changes with the plan, and only with it", () => {
    const name = (overrides: Partial<LogStoreBootstrapProps> = {}) =>
      new LogStoreBootstrap(testStack(), "b", { ...props, ...overrides }).jobName;
    expect(name()).toBe(name({ endpoint: "other.example" }));
    expect(name()).not.toBe(name({ retentionDays: 9 }));
  });
});

const props: LogStoreBootstrapProps = {
  environmentName: "dev",
  tier: "development",
  endpoint: "vpc-dev-logs.eu-west-1.es.amazonaws.com",
  region: REGION,
  roleArn: "arn:aws:iam::111111111111:role/dev-logs-bootstrap",
  writerRoleArn: planOptions.writerRoleArn,
  tracingRoleArn: planOptions.tracingRoleArn,
  readerArns: planOptions.readerArns,
  namespace: "logging",
};

describe("LogStoreBootstrap fails when", () => {
  const make = (overrides: Partial<LogStoreBootstrapProps>) =>
    new LogStoreBootstrap(testStack(), "bootstrap", { ...props, ...overrides });

  test.each([
    [
      { retentionDays: 0 },
      "test/bootstrap: retentionDays: received 0; expected an integer number of days from 1 to 3650",
    ],
    [
      { writerRoleArn: "fluent-bit" },
      'writerRoleArn: received "fluent-bit"; expected a literal IAM role or user ARN',
    ],
    [{ tracingRoleArn: "${aws_iam_role.x.arn}" }, "tracingRoleArn: received"],
    [{ readerArns: ["arn:aws:iam::1:role/x"] }, "readerArns[0]: received"],
    [
      { timeoutSeconds: 10 },
      "timeoutSeconds: received 10; expected an integer number of seconds from 60 to 3600",
    ],
    [
      { image: "node:latest" },
      'image: received "node:latest"; expected an image with a pinned tag',
    ],
  ] as [Partial<LogStoreBootstrapProps>, string][])("%j", (overrides, message) => {
    expect(() => make(overrides)).toThrow(message);
  });
});
