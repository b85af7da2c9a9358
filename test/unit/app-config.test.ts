/**
 * Configuration per app and colour (issue 16, section 1) and database access without passwords
 * (section 3): the ConfigMap each colour renders, how podinfo 6.7.1 receives it, the validation
 * rules, release start pinning it, and the IRSA roles that connect as one database role each.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import {
  BlueGreenRelease,
  HELM_CREATE_ADAPTER,
  secretLikeness,
  type BlueGreenReleaseProps,
} from "../../constructs/blue-green-release";
import { EnvironmentFile } from "../../release/environment-file";
import { parseEnvironment } from "../../config/load";
import {
  ENVIRONMENTS_DIR,
  environmentStacks,
  rawEnvironment,
  rejectionLines,
  resources,
  synth,
  testStack,
  type StackJson,
} from "../helpers";
import { renderPodinfo } from "../support/podinfo-chart";
import { PODINFO_RELEASE } from "../support/podinfo-release";
import { stringify } from "yaml";

const BASE: BlueGreenReleaseProps = {
  ...PODINFO_RELEASE,
  release: {
    ...PODINFO_RELEASE.release,
    blue: { ...PODINFO_RELEASE.release.blue, config: { LOG_FORMAT: "json" } },
    green: {
      ...PODINFO_RELEASE.release.green,
      config: { LOG_FORMAT: "text", FEATURE_X: "on" },
      secrets: ["API_TOKEN"],
    },
  },
  secretsFrom: { secretName: "web-secrets", keys: ["API_TOKEN"] },
};

function build(props: Partial<BlueGreenReleaseProps> = {}): StackJson {
  const stack = testStack();
  new KubernetesProvider(stack, "kubernetes", {});
  new HelmProvider(stack, "helm", {});
  new BlueGreenRelease(stack, "web", { ...BASE, ...props });
  return synth(stack);
}

function colourValues(json: StackJson, colour: string): Record<string, any> {
  const release = Object.values(resources(json, "helm_release")).find(
    (r) => r.name === `web-${colour}`,
  )!;
  return JSON.parse((release.values as string[])[0]) as Record<string, any>;
}

function configMaps(json: StackJson): Record<string, Record<string, any>> {
  return Object.fromEntries(
    Object.entries(resources(json, "kubernetes_config_map_v1")).map(([id, r]) => [
      (r.metadata as { name: string }).name,
      { id, ...r },
    ]),
  );
}

describe("configuration per colour", () => {
  const json = build();

  test("each colour renders its own ConfigMap <app>-<colour>-config from its pinned entry", () => {
    const maps = configMaps(json);
    expect(Object.keys(maps).sort()).toEqual(["web-blue-config", "web-green-config"]);
    expect(maps["web-blue-config"].data).toEqual({ LOG_FORMAT: "json" });
    expect(maps["web-green-config"].data).toEqual({ LOG_FORMAT: "text", FEATURE_X: "on" });
    expect(maps["web-green-config"].metadata.labels).toEqual({
      "app.kubernetes.io/part-of": "web",
      colour: "green",
    });
  });

  test("the ConfigMaps are valid Kubernetes objects", () => {
    for (const map of Object.values(configMaps(json))) {
      expect(() =>
        new ConfigMap({
          metadata: { name: map.metadata.name, namespace: "web", labels: map.metadata.labels },
          data: map.data,
        }).validate(),
      ).not.toThrow();
    }
  });

  test("a checksum of its own ConfigMap rolls only that colour's pods", () => {
    const maps = configMaps(json);
    for (const colour of ["blue", "green"]) {
      expect(colourValues(json, colour).podAnnotations).toEqual({
        "checksum/config": `\${sha256(jsonencode(kubernetes_config_map_v1.${maps[`web-${colour}-config`].id}.data))}`,
      });
    }
  });

  test("each colour's release waits for its ConfigMap", () => {
    const maps = configMaps(json);
    const release = Object.values(resources(json, "helm_release")).find(
      (r) => r.name === "web-blue",
    )!;
    expect(release.depends_on).toContain(`kubernetes_config_map_v1.${maps["web-blue-config"].id}`);
  });

  test("podinfo 6.7.1 puts the variables in the container env (templates/deployment.yaml extraEnvs)", () => {
    const green = renderPodinfo(colourValues(json, "green"), "web-green").find(
      (o) => o.kind === "Deployment",
    )!;
    const container = green.spec.template.spec.containers[0];
    expect(container.env).toEqual([
      // values.yaml sets ui.color, so the chart sets this one itself
      { name: "PODINFO_UI_COLOR", value: "#34577c" },
      {
        name: "LOG_FORMAT",
        valueFrom: { configMapKeyRef: { name: "web-green-config", key: "LOG_FORMAT" } },
      },
      {
        name: "FEATURE_X",
        valueFrom: { configMapKeyRef: { name: "web-green-config", key: "FEATURE_X" } },
      },
      { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "web-secrets", key: "API_TOKEN" } } },
    ]);
    expect(() =>
      new Deployment({
        metadata: { name: green.name, labels: green.labels },
        spec: green.spec as never,
      }).validate(),
    ).not.toThrow();
    const blue = renderPodinfo(colourValues(json, "blue"), "web-blue").find(
      (o) => o.kind === "Deployment",
    )!;
    expect(blue.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name)).toEqual([
      "PODINFO_UI_COLOR",
      "LOG_FORMAT",
    ]);
  });

  test("the app's own extraEnvs stay, the platform's follow them", () => {
    const extra = { name: "OWN", value: "1" };
    const values = colourValues(
      build({
        release: {
          ...BASE.release,
          blue: { ...BASE.release.blue, values: { extraEnvs: [extra] } },
        },
      }),
      "blue",
    );
    expect(values.extraEnvs.map((e: { name: string }) => e.name)).toEqual(["OWN", "LOG_FORMAT"]);
  });

  test("a colour with no configuration renders no ConfigMap and no annotation", () => {
    const json = build({
      release: {
        ...BASE.release,
        blue: { version: "6.7.0", chart: "6.7.1", values: {} },
      },
    });
    expect(Object.keys(configMaps(json))).toEqual(["web-green-config"]);
    expect(colourValues(json, "blue").podAnnotations).toBeUndefined();
    expect(colourValues(json, "blue").extraEnvs).toBeUndefined();
  });

  test("the platform's entries (the database connection) go into every colour's ConfigMap", () => {
    const json = build({ platformConfig: { PGHOST: "db.internal", PGUSER: "web_app" } });
    const maps = configMaps(json);
    expect(maps["web-blue-config"].data).toEqual({
      PGHOST: "db.internal",
      PGUSER: "web_app",
      LOG_FORMAT: "json",
    });
  });

  test("a { value, notSecret } entry renders its value", () => {
    const json = build({
      release: {
        ...BASE.release,
        blue: {
          ...BASE.release.blue,
          config: {
            PUBLIC_KEY_ID: {
              value: "AKIAIOSFODNN7EXAMPLE",
              notSecret: "the documented example id",
            },
          },
        },
      },
    });
    expect(configMaps(json)["web-blue-config"].data).toEqual({
      PUBLIC_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    });
  });
});

describe("configuration validation", () => {
  const reject = (props: Partial<BlueGreenReleaseProps>) =>
    rejectionLines(() => build(props as BlueGreenReleaseProps));
  const blue = (extra: Record<string, unknown>) => ({
    release: { ...BASE.release, blue: { ...BASE.release.blue, ...extra } },
  });

  test("fails when a value is not a string, naming how to quote it", () => {
    expect(reject(blue({ config: { PORT: 8080, DEBUG: true } }) as never)).toEqual([
      'test/web: release.blue.config.PORT: received 8080; expected a string: quote it in YAML ("8080"); the app reads every value as an environment variable',
      'test/web: release.blue.config.DEBUG: received true; expected a string: quote it in YAML ("true"); the app reads every value as an environment variable',
    ]);
  });

  test("fails when a key is not an environment-variable name", () => {
    expect(reject(blue({ config: { "log-level": "info", "1X": "a" } }) as never)).toEqual([
      `test/web: release.blue.config.log-level: received "log-level"; expected an environment-variable name: upper-case letters, digits and '_', not starting with a digit`,
      `test/web: release.blue.config.1X: received "1X"; expected an environment-variable name: upper-case letters, digits and '_', not starting with a digit`,
    ]);
  });

  test("fails when a value looks like a secret, by name or by value", () => {
    expect(
      reject(
        blue({
          config: {
            DB_PASSWORD: "hunter2",
            UPSTREAM: "https://user:pa55@api.example.com/",
            KEY_ID: "AKIAIOSFODNN7EXAMPLE",
          },
        }) as never,
      ),
    ).toEqual([
      'test/web: release.blue.config.DB_PASSWORD: received "DB_PASSWORD"; expected no secret in configuration (its name DB_PASSWORD says it is a secret): declare it under secrets (a Secrets Manager name; the value never enters the repository or Terraform state), or write { value: ..., notSecret: "<why it is not a secret>" }',
      'test/web: release.blue.config.UPSTREAM: received "UPSTREAM"; expected no secret in configuration (its value looks like a URL with a password in it): declare it under secrets (a Secrets Manager name; the value never enters the repository or Terraform state), or write { value: ..., notSecret: "<why it is not a secret>" }',
      'test/web: release.blue.config.KEY_ID: received "KEY_ID"; expected no secret in configuration (its value looks like an AWS access key id): declare it under secrets (a Secrets Manager name; the value never enters the repository or Terraform state), or write { value: ..., notSecret: "<why it is not a secret>" }',
    ]);
  });

  test("fails when the notSecret reason is too short to be one", () => {
    expect(
      reject(blue({ config: { TOKEN_URL: { value: "https://x", notSecret: "ok" } } }) as never),
    ).toEqual([
      'test/web: release.blue.config.TOKEN_URL.notSecret: received "ok"; expected the reason this value is not a secret, at least 10 characters',
    ]);
  });

  test("fails when the app default configuration has a problem (the next colour would pin it)", () => {
    expect(reject({ config: { GITHUB: "ghp_" + "a".repeat(36) } } as never)).toEqual([
      'test/web: config.GITHUB: received "GITHUB"; expected no secret in configuration (its value looks like a GitHub token): declare it under secrets (a Secrets Manager name; the value never enters the repository or Terraform state), or write { value: ..., notSecret: "<why it is not a secret>" }',
    ]);
  });

  test("fails when a colour pins a secret the app does not declare", () => {
    expect(reject({ secretsFrom: { secretName: "web-secrets", keys: [] } })).toEqual([
      'test/web: release.green.secrets[0]: received "API_TOKEN"; expected a secret the app declares (none declared): a colour that pins a secret no longer declared would not start; release a colour without it before removing the declaration',
    ]);
  });

  test("fails when configuration sets a variable the platform or the chart sets", () => {
    expect(
      reject({
        platformConfig: { PGHOST: "db" },
        ...blue({ config: { PGHOST: "other", PODINFO_UI_COLOR: "#fff" } }),
      }),
    ).toEqual([
      'test/web: release.blue.config.PGHOST: received "PGHOST"; expected a key the platform does not set (it sets PGHOST)',
      'test/web: release.blue.config.PODINFO_UI_COLOR: received "PODINFO_UI_COLOR"; expected a variable the podinfo chart does not set itself (it sets PODINFO_UI_COLOR from its values: set the chart value instead)',
    ]);
  });

  test("fails when the chart adapter has no way to set environment variables", () => {
    expect(reject({ chartAdapter: HELM_CREATE_ADAPTER })).toEqual([
      'test/web: release.blue: received "helm create chart"; expected a chart adapter with an environment-variable hook: configuration, secrets and the database connection reach pods as environment variables, and the helm create adapter has none (pass chartAdapter)',
      'test/web: release.green: received "helm create chart"; expected a chart adapter with an environment-variable hook: configuration, secrets and the database connection reach pods as environment variables, and the helm create adapter has none (pass chartAdapter)',
    ]);
  });
});

describe("what looks like a secret", () => {
  test.each([
    ["PASSWORD", "x"],
    ["STRIPE", "sk_live_abcdefghijklmnopqrstu"],
    ["SLACK", "https://hooks.slack.com/services/T000/B000/XXXX"],
    ["CERT", "-----BEGIN RSA PRIVATE KEY-----\nMIIE"],
    [
      "SESSION",
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
    ["SIGNING", "q8Zr3vT1xY0bLm5Nw2Kp7Hs9Dg4Fj6Ca"],
  ])("%s=%s is a secret", (key, value) => {
    expect(secretLikeness(key, value)).toBeDefined();
  });
  test.each([
    ["LOG_LEVEL", "debug"],
    ["UPSTREAM_URL", "https://api.example.com/v1/items?limit=100"],
    ["BUCKET", "example-site-prod-eu-west-1-assets"],
    ["IMAGE", "ghcr.io/stefanprodan/podinfo:6.7.1"],
    ["COMMIT", "3c546a7d0b1e2f4a5c6d7e8f9a0b1c2d3e4f5a6b"],
  ])("%s=%s is not", (key, value) => {
    expect(secretLikeness(key, value)).toBeUndefined();
  });
});

describe("release start pins configuration and secrets", () => {
  const staging = () => {
    const path = join(ENVIRONMENTS_DIR, "staging.yaml");
    // the shipped file declares API_TOKEN under apps.web.secrets
    const text = readFileSync(path, "utf8").replace("canaryWeight: 10", "canaryWeight: 0");
    return new EnvironmentFile(path, text);
  };

  test("the idle colour's entry gets the app's config and secret names; the stable colour is untouched", () => {
    const before = staging();
    const after = before.startOnIdle("web", "6.8.0");
    const app = after.app("web");
    expect(app.release.blue).toEqual({
      version: "6.8.0",
      chart: "6.7.1",
      values: { replicaCount: 2 },
      config: { PODINFO_LEVEL: "info", PODINFO_RANDOM_DELAY: "false" },
      secrets: ["API_TOKEN"],
    });
    expect(app.release.green).toEqual(before.app("web").release.green);
  });

  test("a later start edits the pinned fields in place", () => {
    const first = staging().startOnIdle("web", "6.8.0").withStable("web", "blue");
    const second = first.startOnIdle("web", "6.8.1");
    expect(second.app("web").release.green.config).toEqual({
      PODINFO_LEVEL: "info",
      PODINFO_RANDOM_DELAY: "false",
    });
    const again = second.withStable("web", "green").startOnIdle("web", "6.8.2");
    expect(
      second
        .diff(again)
        .split("\n")
        .filter((l) => l.startsWith("+")),
    ).toEqual([
      "+       stable: green",
      "+       canaryWeight: 0",
      '+       blue: { version: 6.8.2, chart: 6.7.1, values: { replicaCount: 2 }, config: { PODINFO_LEVEL: info, PODINFO_RANDOM_DELAY: "false" }, secrets: [ API_TOKEN ] }',
    ]);
  });
});

describe("database access", () => {
  const { infrastructure, workloads } = environmentStacks("staging", true);

  function role(name: string) {
    const [id, found] = Object.entries(resources(infrastructure, "aws_iam_role")).find(
      ([, r]) => r.name === name,
    )!;
    const policies = Object.values(resources(infrastructure, "aws_iam_role_policy")).filter((p) =>
      String(p.role).includes(id),
    );
    return { trust: String(found.assume_role_policy), policies };
  }

  test.each([
    ["staging-web-db-app", "default", "web_app"],
    ["staging-web-db-migrator", "web-migrator", "web_migrator"],
  ])("%s may only connect as %s's database role", (name, serviceAccount, user) => {
    const { trust, policies } = role(name);
    // the condition keys are the cluster's issuer (a token), so the document is read as text
    expect(trust.match(/sts:AssumeRoleWithWebIdentity/g)).toHaveLength(1);
    expect(trust.match(/:sub":"([^"]*)"/)?.[1]).toBe(`system:serviceaccount:web:${serviceAccount}`);
    expect(trust).toContain(':aud":"sts.amazonaws.com"');
    expect(policies).toHaveLength(1);
    const statements = JSON.parse(String(policies[0].policy)).Statement;
    expect(statements).toEqual([
      {
        Sid: "ConnectAsOwnRole",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: expect.stringMatching(
          new RegExp(
            `^arn:aws:rds-db:eu-west-1:222222222222:dbuser:\\$\\{aws_db_instance\\.database_instance_[0-9A-F]+\\.resource_id\\}/${user}$`,
          ),
        ),
      },
    ]);
  });

  test("the app's pods run as the namespace's default service account, annotated with the runtime role", () => {
    const [sa] = Object.values(resources(workloads, "kubernetes_default_service_account_v1"));
    expect(sa.automount_service_account_token).toBe(false);
    expect((sa.metadata as any).namespace).toBe("web");
    expect((sa.metadata as any).annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /irsa-web-default_[0-9A-F]+arn\}$/,
    );
    for (const release of Object.values(resources(workloads, "helm_release")).filter((r) =>
      ["web-blue", "web-green"].includes(String(r.name)),
    )) {
      expect(release.depends_on).toContainEqual(
        expect.stringMatching(/^kubernetes_default_service_account_v1\./),
      );
    }
  });

  test("the migration Job's service account carries the migrator role", () => {
    const [sa] = Object.values(resources(workloads, "kubernetes_service_account_v1")).filter(
      (s) => (s.metadata as any).name === "web-migrator",
    );
    expect((sa.metadata as any).annotations["eks.amazonaws.com/role-arn"]).toMatch(
      /irsa-web-web-migrator_[0-9A-F]+arn\}$/,
    );
  });

  test("both colours' ConfigMaps carry the runtime connection, libpq's names", () => {
    for (const colour of ["blue", "green"]) {
      const map = Object.values(resources(workloads, "kubernetes_config_map_v1")).find(
        (m) => (m.metadata as any).name === `web-${colour}-config`,
      )!;
      expect(map.data).toEqual({
        PGHOST: expect.stringContaining("address}"),
        PGPORT: "5432",
        PGDATABASE: "web",
        PGUSER: "web_app",
        PGSSLMODE: "require",
      });
    }
  });
});

describe("environment-file rules for databases", () => {
  const problems = (edit: (apps: Record<string, any>) => void) => {
    const raw = rawEnvironment("staging") as Record<string, any>;
    edit(raw.apps);
    return parseEnvironment(stringify(raw), "staging").problems.map(
      (p) => `${p.field}: ${p.expected}`,
    );
  };

  test("fails when migrations have no database", () => {
    expect(problems((apps) => delete apps.web.database)).toEqual([
      "apps.web.migrations: a database section too (apps.web.database: { name }): migrations run as the role web_migrator in that database",
    ]);
  });

  test("fails when a database name is not a plain PostgreSQL identifier or is reserved", () => {
    expect(problems((apps) => (apps.web.database = { name: "Web-DB" }))).toEqual([
      "apps.web.database.name: a PostgreSQL identifier: a lowercase letter or _ first, then lowercase letters, digits or _",
    ]);
    expect(problems((apps) => (apps.web.database = { name: "postgres" }))).toEqual([
      "apps.web.database.name: a database of the app's own, not one of postgres, template0, template1, rdsadmin",
    ]);
  });

  test("fails when two apps share a database", () => {
    expect(
      problems((apps) => {
        apps.api = {
          ...apps.web,
          namespace: "api",
          host: "api.staging.example.com",
          secrets: {},
        };
      }),
    ).toEqual([
      "apps.api.database.name: a database no other app uses (apps.web has it; a database has one migrator owner)",
    ]);
  });
});
