/**
 * IAM of the secrets (issue 16): each app's SecretStore role reads only `<env>/<app>/*`, decrypts
 * the environment key only through Secrets Manager, and only its own service account assumes it;
 * the monitoring namespace's role reads only `<env>/monitoring/*`. Evaluated, not pattern-matched:
 * test/support/iam-policy.ts (identity policies) and test/support/iam-trust.ts (trust policies).
 */
import { secretsReadPolicy } from "../../constructs/private/addon-policies";
import { environmentStacks, policy, resources, type StackJson } from "../helpers";
import { isAllowed } from "../support/iam-policy";
import { mayAssumeWithWebIdentity } from "../support/iam-trust";

const ACCOUNT = "123456789012";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4a5b-8c7d-9e0f1a2b3c4d";
const OTHER_KEY = "arn:aws:kms:eu-west-1:123456789012:key/ffffffff-4e5f-4a5b-8c7d-9e0f1a2b3c4d";
const secret = (name: string, region = "eu-west-1", account = ACCOUNT) =>
  `arn:aws:secretsmanager:${region}:${account}:secret:${name}-AbC123`;
const read = (name: string) => ({ action: "secretsmanager:GetSecretValue", resource: name });
const viaSecretsManager = { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" };

describe("secretsReadPolicy", () => {
  const webProd = secretsReadPolicy({
    account: ACCOUNT,
    region: "eu-west-1",
    prefixes: ["prod/web/"],
    kmsKeyArns: [KEY],
  });

  test("app A's role reads <env>/A/x (value and description)", () => {
    expect(isAllowed(webProd, read(secret("prod/web/api")))).toBe(true);
    expect(
      isAllowed(webProd, {
        action: "secretsmanager:DescribeSecret",
        resource: secret("prod/web/nested/key"),
      }),
    ).toBe(true);
  });

  test.each([
    ["another app's secret", secret("prod/api/x")],
    ["an app whose name starts with A's", secret("prod/website/x")],
    ["A's secret of another environment", secret("staging/web/x")],
    ["A's name in another region", secret("prod/web/x", "us-east-1")],
    ["A's name in another account", secret("prod/web/x", "eu-west-1", "210987654321")],
    ["the environment's RDS master secret", secret("rds!db-0123")],
  ])("app A's role cannot read %s", (_case, arn) => {
    expect(isAllowed(webProd, read(arn))).toBe(false);
  });

  test("nothing but reading: no listing, writing or deleting", () => {
    for (const action of [
      "secretsmanager:ListSecrets",
      "secretsmanager:PutSecretValue",
      "secretsmanager:DeleteSecret",
      "secretsmanager:UpdateSecret",
    ])
      expect(isAllowed(webProd, { action, resource: secret("prod/web/api") })).toBe(false);
  });

  test("kms:Decrypt on the environment key only, and only through Secrets Manager", () => {
    const decrypt = { action: "kms:Decrypt", resource: KEY };
    expect(isAllowed(webProd, { ...decrypt, context: viaSecretsManager })).toBe(true);
    expect(isAllowed(webProd, decrypt)).toBe(false);
    expect(
      isAllowed(webProd, {
        ...decrypt,
        context: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" },
      }),
    ).toBe(false);
    expect(
      isAllowed(webProd, {
        action: "kms:Decrypt",
        resource: OTHER_KEY,
        context: viaSecretsManager,
      }),
    ).toBe(false);
    expect(
      isAllowed(webProd, {
        action: "kms:GenerateDataKey",
        resource: KEY,
        context: viaSecretsManager,
      }),
    ).toBe(false);
  });

  test("an exact ARN (the RDS master secret) is readable, and nothing next to it", () => {
    const master = secret("rds!db-0123");
    const platform = secretsReadPolicy({
      account: ACCOUNT,
      region: "eu-west-1",
      arns: [master],
      kmsKeyArns: [KEY],
    });
    expect(isAllowed(platform, read(master))).toBe(true);
    expect(isAllowed(platform, read(secret("rds!db-0124")))).toBe(false);
    expect(isAllowed(platform, read(secret("prod/web/api")))).toBe(false);
  });

  test("fails on a wildcard, a prefix without '/', an alias, or nothing to read", () => {
    expect(() =>
      secretsReadPolicy({
        account: ACCOUNT,
        region: "eu-west-1",
        prefixes: ["prod/*", "prod/web"],
        arns: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*"],
        kmsKeyArns: ["alias/prod/secrets"],
      }),
    ).toThrow(
      [
        `prefixes[0]: received "prod/*"; expected a secret name prefix ending in '/', such as prod/web/ (no wildcard)`,
        `prefixes[1]: received "prod/web"; expected a secret name prefix ending in '/', such as prod/web/ (no wildcard)`,
        `arns[0]: received "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/*"; expected the exact ARN of a secret (ending in its 6-character suffix, no wildcard)`,
        `kmsKeyArns[0]: received "alias/prod/secrets"; expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias`,
      ].join("\n"),
    );
    expect(() =>
      secretsReadPolicy({ account: ACCOUNT, region: "eu-west-1", kmsKeyArns: [] }),
    ).toThrow(
      "prefixes, arns: received nothing; expected at least one prefix or ARN\nkmsKeyArns: received []; expected the key(s) the secrets are encrypted with",
    );
  });
});

describe("the prod infrastructure stack's secrets roles", () => {
  let infrastructure: StackJson;
  beforeAll(() => {
    infrastructure = environmentStacks("prod", true, (raw) => {
      raw.monitoring = {
        receivers: { critical: { type: "webhook", secret: { name: "prod/monitoring/pagerduty" } } },
      };
    }).infrastructure;
  });
  const role = (name: string) => {
    const [id, found] = Object.entries(resources(infrastructure, "aws_iam_role")).find(
      ([, r]) => r.name === name,
    )!;
    const inline = Object.values(resources(infrastructure, "aws_iam_role_policy")).find(
      (p) => p.role === `\${aws_iam_role.${id}.id}`,
    )!;
    return { trust: String(found.assume_role_policy), policy: policy(inline.policy) };
  };
  const keyArn = () => {
    const [id] = Object.entries(resources(infrastructure, "aws_kms_key")).find(([, k]) =>
      String(k.description).startsWith("Secrets Manager secrets of environment prod"),
    )!;
    return `\${aws_kms_key.${id}.arn}`;
  };

  test("the environment key: rotated, kept from destroy in production, alias prod/secrets", () => {
    const [id, key] = Object.entries(resources(infrastructure, "aws_kms_key")).find(([, k]) =>
      String(k.description).startsWith("Secrets Manager secrets of environment prod"),
    )!;
    expect(key.enable_key_rotation).toBe(true);
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    expect(
      Object.values(resources(infrastructure, "aws_kms_alias")).find(
        (a) => a.target_key_id === `\${aws_kms_key.${id}.key_id}`,
      )?.name,
    ).toBe("alias/prod/secrets");
  });

  test("web's role reads prod/web/* and decrypts the environment key through Secrets Manager only", () => {
    const { policy: web } = role("prod-web-secrets");
    expect(isAllowed(web.Statement, read(secret("prod/web/api")))).toBe(true);
    expect(isAllowed(web.Statement, read(secret("prod/api/x")))).toBe(false);
    expect(isAllowed(web.Statement, read(secret("staging/web/api")))).toBe(false);
    expect(isAllowed(web.Statement, read(secret("prod/monitoring/pagerduty")))).toBe(false);
    const decrypt = { action: "kms:Decrypt", resource: keyArn() };
    expect(isAllowed(web.Statement, { ...decrypt, context: viaSecretsManager })).toBe(true);
    expect(isAllowed(web.Statement, decrypt)).toBe(false);
  });

  test("only system:serviceaccount:web:web-secrets (audience sts.amazonaws.com) assumes web's role", () => {
    const { trust } = role("prod-web-secrets");
    const statement = policy(trust).Statement[0] as any;
    const provider = statement.Principal.Federated as string;
    const keys = Object.keys(statement.Condition.StringEquals);
    const sub = keys.find((k) => k.endsWith(":sub"))!;
    const aud = keys.find((k) => k.endsWith(":aud"))!;
    const token = (subject: string, audience = "sts.amazonaws.com") => ({
      provider,
      claims: { [sub]: subject, [aud]: audience },
    });
    const text = JSON.stringify(policy(trust));
    expect(mayAssumeWithWebIdentity(text, token("system:serviceaccount:web:web-secrets"))).toBe(
      true,
    );
    for (const subject of [
      "system:serviceaccount:web:default",
      "system:serviceaccount:web:web-blue",
      "system:serviceaccount:other:web-secrets",
      "system:serviceaccount:external-secrets:external-secrets",
    ])
      expect(mayAssumeWithWebIdentity(text, token(subject))).toBe(false);
    expect(
      mayAssumeWithWebIdentity(text, token("system:serviceaccount:web:web-secrets", "other")),
    ).toBe(false);
  });

  test("the monitoring role reads prod/monitoring/* only, for monitoring:alertmanager-secrets", () => {
    const { policy: monitoring, trust } = role("prod-monitoring-secrets");
    expect(isAllowed(monitoring.Statement, read(secret("prod/monitoring/pagerduty")))).toBe(true);
    expect(isAllowed(monitoring.Statement, read(secret("prod/web/api")))).toBe(false);
    expect(JSON.stringify(policy(trust))).toContain(
      '"system:serviceaccount:monitoring:alertmanager-secrets"',
    );
  });
});
