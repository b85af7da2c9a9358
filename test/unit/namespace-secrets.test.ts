/**
 * NamespaceSecrets: the helm_release of the platform's local chart, what the chart renders under
 * the real Helm v3.17.2 (every object validated against the external-secrets.io/v1 CRD schemas
 * and the Kubernetes ServiceAccount schema), and the validation of its props.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, TerraformVariable } from "cdktf";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { ExternalSecretsOperator } from "../../constructs/external-secrets-operator";
import {
  NamespaceSecrets,
  validateNamespaceSecretsProps,
  type NamespaceSecretsProps,
} from "../../constructs/namespace-secrets";
import { localChartDirectory } from "../../constructs/private/local-chart";
import { setPolicyTier } from "../../policy/suppressions";
import { helmRunner, manifestObjects } from "../support/helm";
import { checkBuilt } from "../support/policy";
import { only, REPO_ROOT, rejectionLines, resources, synth, testStack } from "../helpers";

const ROLE = "arn:aws:iam::123456789012:role/prod-web-web-secrets";
const MASTER =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0123abcd-4567-89ef-0123-456789abcdef-AbCdEf";

type Props = Omit<NamespaceSecretsProps, "operator">;
const PROPS: Props = {
  namespace: "web",
  serviceAccountName: "web-secrets",
  roleArn: ROLE,
  region: "eu-west-1",
  secrets: {
    "web-secrets": {
      API_TOKEN: { name: "prod/web/api", key: "token" },
      SIGNING_KEY: { name: "prod/web/signing-key" },
    },
  },
  readable: { prefixes: ["prod/web/"] },
};

function build(stack: TerraformStack, props: Partial<Props> = {}) {
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const operator = new ExternalSecretsOperator(stack, "eso", { kubernetesVersion: "1.35" });
  return new NamespaceSecrets(stack, "secrets", { ...PROPS, ...props, operator });
}

function namespaceSecrets(props: Partial<Props> = {}) {
  const stack = testStack();
  const construct = build(stack, props);
  const json = synth(stack);
  const release = Object.values(resources(json, "helm_release")).find(
    (r) => r.name === construct.releaseName,
  ) as Record<string, any>;
  return { construct, json, release, values: JSON.parse(release.values[0]) };
}

/** `helm template` of the local chart with the values the construct renders. */
function template(values: unknown, namespace = "web", releaseName = "web-secrets") {
  const dir = mkdtempSync(join(tmpdir(), "namespace-secrets-"));
  try {
    writeFileSync(join(dir, "values.json"), JSON.stringify(values));
    const helm = helmRunner(dir);
    const result = helm(
      "template",
      releaseName,
      localChartDirectory("namespace-secrets"),
      "--namespace",
      namespace,
      "--values",
      join(dir, "values.json"),
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    return manifestObjects(result.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Validates external-secrets.io/v1 objects with the ESM script (the models are ESM only). */
function validateExternalSecrets(
  objects: unknown[],
): { kind: string; name: string; result?: string; error?: string }[] {
  const result = spawnSync(
    process.execPath,
    [join(REPO_ROOT, "test/support/validate-external-secrets.mjs")],
    { input: JSON.stringify(objects), encoding: "utf8", cwd: REPO_ROOT },
  );
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout);
}

describe("NamespaceSecrets: the release", () => {
  const { release, values, json, construct } = namespaceSecrets();

  test("installs the local chart from a stack asset, atomic, in the namespace, after the operator", () => {
    expect(release).toMatchObject({
      name: "web-secrets",
      namespace: "web",
      create_namespace: false,
      atomic: true,
      wait: true,
      cleanup_on_fail: true,
      max_history: 5,
    });
    // relative to the synthesized stack folder (Terraform's working directory), by content hash
    expect(release.chart).toMatch(/^\.\/assets\/namespace-secrets-chart\/[0-9A-F]{32,}$/i);
    expect(release.repository).toBeUndefined();
    expect(release.depends_on).toEqual([expect.stringMatching(/^helm_release\.eso_release_/)]);
  });

  test("the values carry names only: the service account and role, the store, each Secret's keys", () => {
    expect(values).toEqual({
      apiVersion: "external-secrets.io/v1",
      serviceAccount: { name: "web-secrets", roleArn: ROLE },
      store: { name: "web-secrets", region: "eu-west-1" },
      refreshInterval: "1h",
      secrets: [
        {
          name: "web-secrets",
          data: [
            { secretKey: "API_TOKEN", remoteKey: "prod/web/api", property: "token" },
            { secretKey: "SIGNING_KEY", remoteKey: "prod/web/signing-key" },
          ],
        },
      ],
    });
    expect(construct.secretKeys).toEqual({ "web-secrets": ["API_TOKEN", "SIGNING_KEY"] });
    expect(construct.storeName).toBe("web-secrets");
    expect(json.resource?.kubernetes_manifest).toBeUndefined();
  });

  test("the chart folder is copied into the synthesized stack, templates included", () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "namespace-secrets-out-")) });
    const stack = new TerraformStack(app, "assets");
    const construct = build(stack);
    app.synth();
    const stackJson = JSON.parse(
      readFileSync(join(app.outdir, "stacks/assets/cdk.tf.json"), "utf8"),
    );
    const chart = Object.values(stackJson.resource.helm_release as Record<string, any>).find(
      (r) => r.name === construct.releaseName,
    ).chart as string;
    for (const file of [
      "Chart.yaml",
      "values.yaml",
      "templates/serviceaccount.yaml",
      "templates/secretstore.yaml",
      "templates/externalsecrets.yaml",
    ])
      expect(existsSync(join(app.outdir, "stacks/assets", chart, file))).toBe(true);
    rmSync(app.outdir, { recursive: true, force: true });
  });

  test("one chart asset per stack, however many namespaces", () => {
    const stack = testStack();
    build(stack);
    const other = stack.node.findChild("eso") as ExternalSecretsOperator;
    new NamespaceSecrets(stack, "monitoring-secrets", {
      ...PROPS,
      namespace: "monitoring",
      serviceAccountName: "alertmanager-secrets",
      readable: undefined,
      operator: other,
    });
    const releases = Object.values(resources(synth(stack), "helm_release")).filter((r) =>
      String(r.chart).startsWith("./assets/"),
    );
    expect(releases).toHaveLength(2);
    expect(new Set(releases.map((r) => r.chart)).size).toBe(1);
  });

  test("passes the policy pack in production (no pods: requests, HPA and PDB rules suppressed with a reason)", () => {
    const result = checkBuilt(
      (stack) => {
        setPolicyTier(stack, "production");
        build(stack);
      },
      { tier: "production" },
    );
    expect(result.findings.map((f) => `${f.rule}: ${f.problem}`)).toEqual([]);
    const suppressed = result.suppressed.filter((s) => s.path.includes("/secrets/"));
    expect(suppressed.map((s) => s.rule).sort()).toEqual([
      "k8s-hpa-in-production",
      "k8s-pdb-in-production",
      "k8s-resource-requests",
    ]);
  });
});

describe("NamespaceSecrets: what the local chart renders (helm template)", () => {
  const { values } = namespaceSecrets({
    secrets: {
      "web-secrets": {
        API_TOKEN: { name: "prod/web/api", key: "token" },
        SIGNING_KEY: { name: "prod/web/signing-key" },
      },
      "web-database": { DATABASE_MASTER: { name: MASTER, key: "password" } },
    },
    readable: { prefixes: ["prod/web/"], arns: [MASTER] },
    refreshInterval: "15m",
  });
  const objects = template(values);
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  test("a ServiceAccount, a SecretStore and one ExternalSecret per Kubernetes Secret, all in the namespace", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ExternalSecret/web-database",
      "ExternalSecret/web-secrets",
      "SecretStore/web-secrets",
      "ServiceAccount/web-secrets",
    ]);
    for (const o of objects) expect(o.metadata.namespace).toBe("web");
  });

  test("every SecretStore and ExternalSecret validates against the external-secrets.io/v1 schemas", () => {
    const custom = objects.filter((o) => o.kind !== "ServiceAccount");
    expect(custom.map((o) => o.apiVersion)).toEqual(Array(3).fill("external-secrets.io/v1"));
    expect(validateExternalSecrets(custom)).toEqual(
      custom.map((o) => ({ kind: o.kind, name: o.metadata.name, result: "ok" })),
    );
  });

  test("the schema check can fail: a wrong creation policy is refused", () => {
    const broken = structuredClone(byKind("ExternalSecret")[0]);
    broken.spec.target.creationPolicy = "Adopt";
    expect(validateExternalSecrets([broken])[0].error).toMatch(/creationPolicy/);
  });

  test("the ServiceAccount validates (kubernetes-models), carries the IRSA role and mounts no token", () => {
    const [account] = byKind("ServiceAccount");
    expect(() => new ServiceAccount(account).validate()).not.toThrow();
    expect(account.metadata.annotations).toEqual({ "eks.amazonaws.com/role-arn": ROLE });
    expect(account.automountServiceAccountToken).toBe(false);
  });

  test("the SecretStore reads Secrets Manager in the region as that ServiceAccount (jwt)", () => {
    const [store] = byKind("SecretStore");
    expect(store.spec).toEqual({
      provider: {
        aws: {
          service: "SecretsManager",
          region: "eu-west-1",
          auth: { jwt: { serviceAccountRef: { name: "web-secrets" } } },
        },
      },
    });
  });

  test("each ExternalSecret owns its Secret, keeps the last value when the remote one is gone, refreshes on the interval", () => {
    const secrets = Object.fromEntries(byKind("ExternalSecret").map((e) => [e.metadata.name, e]));
    expect(secrets["web-secrets"].spec).toEqual({
      refreshInterval: "15m",
      secretStoreRef: { kind: "SecretStore", name: "web-secrets" },
      target: { name: "web-secrets", creationPolicy: "Owner", deletionPolicy: "Retain" },
      data: [
        { secretKey: "API_TOKEN", remoteRef: { key: "prod/web/api", property: "token" } },
        { secretKey: "SIGNING_KEY", remoteRef: { key: "prod/web/signing-key" } },
      ],
    });
    // an exact ARN (the RDS master secret) and a property of its JSON
    expect(secrets["web-database"].spec.data).toEqual([
      { secretKey: "DATABASE_MASTER", remoteRef: { key: MASTER, property: "password" } },
    ]);
  });

  test("values that look like YAML stay strings (keys and names are quoted)", () => {
    const rendered = template({
      ...values,
      secrets: [
        { name: "s", data: [{ secretKey: "ON", remoteKey: "prod/web/1", property: "true" }] },
      ],
    });
    const external = rendered.find((o) => o.kind === "ExternalSecret");
    expect(external.spec.data[0]).toEqual({
      secretKey: "ON",
      remoteRef: { key: "prod/web/1", property: "true" },
    });
  });
});

describe("NamespaceSecrets: validation", () => {
  test("fails when a secret is outside what the role may read, listing every problem", () => {
    expect(
      rejectionLines(() =>
        namespaceSecrets({
          secrets: {
            "web-secrets": {
              API_TOKEN: { name: "prod/other/api" },
              "bad key": { name: "staging/web/x" },
              EMPTY: { name: "", key: "a b" },
            },
            Bad_Name: {},
          },
        }),
      ),
    ).toEqual([
      'test/secrets: secrets.web-secrets.API_TOKEN.name: received "prod/other/api"; expected a name starting with "prod/web/" (the role of the secrets\' SecretStore reads nothing else)',
      "test/secrets: secrets.web-secrets.bad key: received \"bad key\"; expected a Secret key: letters, digits, '-', '_' and '.'",
      'test/secrets: secrets.web-secrets.bad key.name: received "staging/web/x"; expected a name starting with "prod/web/" (the role of the secrets\' SecretStore reads nothing else)',
      'test/secrets: secrets.web-secrets.EMPTY.name: received ""; expected a Secrets Manager secret name (1-512 letters, digits and /_+=.@-) or secret ARN',
      'test/secrets: secrets.web-secrets.EMPTY.name: received ""; expected a name starting with "prod/web/" (the role of the secrets\' SecretStore reads nothing else)',
      'test/secrets: secrets.web-secrets.EMPTY.key: received "a b"; expected a key of the secret\'s JSON object (1-256 characters, no spaces), or no key for the whole secret',
      "test/secrets: secrets.Bad_Name: received \"Bad_Name\"; expected a Secret name: lowercase letters, digits, '-' and '.'",
      "test/secrets: secrets.Bad_Name: received {}; expected at least one key, each with the Secrets Manager secret it is read from",
    ]);
  });

  test("fails when an ARN is not one of the role's exact ARNs (a prefix never admits an ARN)", () => {
    expect(
      validateNamespaceSecretsProps({
        ...PROPS,
        secrets: { s: { A: { name: MASTER } } },
      }).map((p) => p.field),
    ).toEqual(["secrets.s.A.name"]);
  });

  test("fails when the names, role, region, interval or release name are invalid", () => {
    expect(
      rejectionLines(() =>
        namespaceSecrets({
          namespace: "Web",
          serviceAccountName: "a".repeat(54),
          roleArn: "web-role",
          region: "Ireland",
          refreshInterval: "30s",
          secrets: {},
        }),
      ),
    ).toEqual([
      'test/secrets: namespace: received "Web"; expected a namespace name (DNS-1123 label)',
      `test/secrets: roleArn: received "web-role"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/prod-web-web-secrets`,
      'test/secrets: region: received "Ireland"; expected an AWS region such as eu-west-1',
      `test/secrets: serviceAccountName: received "${"a".repeat(54)}"; expected a Helm release name: 1-53 lowercase letters, digits and '-' (the release is named after the service account unless releaseName is set)`,
      'test/secrets: refreshInterval: received "30s"; expected a duration of at least one minute in h, m and s, such as 1h or 15m (every refresh is a Secrets Manager call per secret)',
      "test/secrets: secrets: received {}; expected at least one Kubernetes Secret with at least one key",
    ]);
  });

  test("unresolved tokens are not validated", () => {
    const stack = testStack();
    const role = new TerraformVariable(stack, "role", {}).stringValue;
    expect(() => build(stack, { roleArn: role })).not.toThrow();
    expect(only(synth(stack), "kubernetes_namespace_v1")).toBeDefined();
  });
});
