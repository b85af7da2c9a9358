/**
 * ExternalDNS: the release, the chart conventions it relies on and its IRSA policy.
 *
 * Chart conventions are read from kubernetes-sigs/external-dns at tag
 * `external-dns-helm-chart-1.21.1` (chart 1.21.1, appVersion 0.21.0), `charts/external-dns/`;
 * each test below names the file it comes from.
 */
import { TerraformVariable } from "cdktf";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import {
  EXTERNAL_DNS_CHART_VERSION,
  EXTERNAL_DNS_SERVICE_ACCOUNT,
  ExternalDns,
  validateExternalDnsProps,
  type ExternalDnsProps,
} from "../../constructs/external-dns";
import { externalDnsPolicy } from "../../constructs/private/addon-policies";
import { only, policy, rejectionLines, synth, testStack } from "../helpers";

const ROLE = "arn:aws:iam::123456789012:role/prod-external-dns-external-dns";
const APEX = { id: "Z0123456789ABCDEFGHIJ", domain: "example.com" };
const SHOP = { id: "Z0SHOP1234567890ABCDE", domain: "shop.example.org" };

const PROPS: ExternalDnsProps = {
  zones: [APEX, SHOP],
  roleArn: ROLE,
  region: "eu-west-1",
  txtOwnerId: "prod",
};

function externalDns(props: Partial<ExternalDnsProps> = {}) {
  const stack = testStack();
  new HelmProvider(stack, "helm", {});
  new KubernetesProvider(stack, "kubernetes", {});
  const construct = new ExternalDns(stack, "external-dns", { ...PROPS, ...props });
  const json = synth(stack);
  const release = only(json, "helm_release") as Record<string, any>;
  return { construct, json, release, values: JSON.parse(release.values[0]) as Record<string, any> };
}

describe("ExternalDns", () => {
  const { release, values, json, construct } = externalDns();

  test("installs the kubernetes-sigs chart, pinned, atomic, in its own namespace", () => {
    expect(release).toMatchObject({
      name: "external-dns",
      repository: "https://kubernetes-sigs.github.io/external-dns/",
      chart: "external-dns",
      version: "1.21.1",
      atomic: true,
      wait: true,
      cleanup_on_fail: true,
      max_history: 5,
      create_namespace: false,
    });
    expect(construct.chartVersion).toBe(EXTERNAL_DNS_CHART_VERSION);
    expect(release.namespace).toMatch(
      /^\$\{kubernetes_namespace_v1\.[\w-]+\.metadata\[0\]\.name\}$/,
    );
  });

  test("the namespace enforces the restricted Pod Security Standard", () => {
    expect(only(json, "kubernetes_namespace_v1").metadata).toMatchObject({
      name: "external-dns",
      labels: {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    });
  });

  // _helpers.tpl "external-dns.serviceAccountName": with serviceAccount.create, the name is
  // serviceAccount.name (else the full name); serviceaccount.yaml renders it in the release
  // namespace. The IRSA trust subject depends on both.
  test("chart convention: the service account is named from serviceAccount.name, in the release namespace", () => {
    expect(values.serviceAccount).toMatchObject({ create: true, name: "external-dns" });
    expect(EXTERNAL_DNS_SERVICE_ACCOUNT).toEqual({
      namespace: "external-dns",
      name: values.serviceAccount.name,
    });
    expect(values.namespaceOverride).toBeUndefined();
  });

  // serviceaccount.yaml: serviceAccount.annotations are written onto the ServiceAccount.
  test("chart convention: serviceAccount.annotations carry the IRSA role", () => {
    expect(values.serviceAccount.annotations).toEqual({ "eks.amazonaws.com/role-arn": ROLE });
  });

  // values.yaml `provider: { name: aws }` and _helpers.tpl "external-dns.providerName": 1.21.1
  // reads provider.name (the plain string form is deprecated).
  test("chart convention: the provider is set as provider.name", () => {
    expect(values.provider).toEqual({ name: "aws" });
  });

  // deployment.yaml: `--policy={{ .Values.policy }}`, `--registry={{ .Values.registry }}`,
  // `--txt-owner-id` when txtOwnerId is set; values.schema.json: policy is one of create-only,
  // sync, upsert-only, and the chart default is upsert-only.
  test("chart convention: policy, registry and txtOwnerId are chart values; production never deletes", () => {
    expect(values).toMatchObject({ policy: "upsert-only", registry: "txt", txtOwnerId: "prod" });
    expect(construct.policy).toBe("upsert-only");
    expect(externalDns({ tier: "development" }).values.policy).toBe("sync");
  });

  // deployment.yaml: `--source=` per entry of sources, `--domain-filter=` per entry of
  // domainFilters (the chart default sources are service and ingress).
  test("chart convention: sources and domainFilters are lists; only Ingresses are watched", () => {
    expect(values.sources).toEqual(["ingress"]);
    expect(values.domainFilters).toEqual(["example.com", "shop.example.org"]);
  });

  // deployment.yaml: extraArgs as a map renders `--<key>=<value>` once per element of a list
  // value. 1.21.1 has no value of its own for ExternalDNS's --zone-id-filter flag
  // (pkg/apis/externaldns/types.go at v0.21.0: "zone-id-filter", one flag per zone).
  test("chart convention: the zone id filter is passed through extraArgs, one flag per zone", () => {
    expect(values.extraArgs).toEqual({
      "zone-id-filter": ["Z0123456789ABCDEFGHIJ", "Z0SHOP1234567890ABCDE"],
    });
  });

  // deployment.yaml: env is rendered as the external-dns container's env (the AWS tutorial's
  // "Using Helm (with OIDC)" sets AWS_DEFAULT_REGION the same way).
  test("chart convention: env sets the AWS SDK region", () => {
    expect(values.env).toEqual([{ name: "AWS_DEFAULT_REGION", value: "eu-west-1" }]);
  });

  // deployment.yaml: podSecurityContext is the pod's securityContext, securityContext the
  // container's; values.yaml defaults are kept, set explicitly so the restricted namespace admits
  // the pod even if a later chart changes them.
  test("chart convention: pod and container security contexts pass the restricted standard", () => {
    expect(values.podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(values.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(values.securityContext.runAsUser).toBeGreaterThan(0);
  });

  // deployment.yaml: resources are the external-dns container's (values.yaml default: none).
  test("chart convention: resources set requests and a memory limit", () => {
    expect(values.resources).toEqual({
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { memory: "256Mi" },
    });
  });

  test("unresolved references are passed through to the values", () => {
    const stack = testStack();
    new HelmProvider(stack, "helm", {});
    new KubernetesProvider(stack, "kubernetes", {});
    const role = new TerraformVariable(stack, "role", { type: "string" });
    new ExternalDns(stack, "external-dns", { ...PROPS, roleArn: role.stringValue });
    const values = JSON.parse((only(synth(stack), "helm_release") as any).values[0]);
    expect(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBe("${var.role}");
  });

  test("fails when every field is wrong, listing all problems", () => {
    expect(
      rejectionLines(() =>
        externalDns({
          zones: [{ id: "hostedzone/Z1", domain: "example.com" }],
          roleArn: "external-dns",
          region: "europe",
          txtOwnerId: "prod,owner=me",
          chartVersion: "1.x",
        }),
      ),
    ).toEqual([
      'test/external-dns: zones[0].id: received "hostedzone/Z1"; expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ: "Z" and up to 31 upper-case letters and digits, without /hostedzone/',
      'test/external-dns: roleArn: received "external-dns"; expected an IAM role ARN such as arn:aws:iam::123456789012:role/external-dns',
      'test/external-dns: region: received "europe"; expected an AWS region such as eu-west-1',
      "test/external-dns: txtOwnerId: received \"prod,owner=me\"; expected 1-63 letters, digits, '.', '_' and '-', starting with a letter or digit (it is written into every TXT ownership record)",
      "test/external-dns: chartVersion: received \"1.x\"; expected an exact chart version such as 1.2.3 (no ranges, no 'latest', no leading 'v')",
    ]);
  });

  test("fails without a zone", () => {
    expect(validateExternalDnsProps({ ...PROPS, zones: [] })).toEqual([
      {
        field: "zones",
        received: [],
        expected: "at least one Route 53 hosted zone ({ id, domain })",
      },
    ]);
  });

  test("valid props have no problems", () => {
    expect(validateExternalDnsProps(PROPS)).toEqual([]);
    // the environment file has no role ARN yet: the validation input makes it optional
    expect(validateExternalDnsProps({ ...PROPS, roleArn: undefined })).toEqual([]);
  });
});

describe("externalDnsPolicy", () => {
  test("changes and reads records in exactly the declared zones; lists zones on * only", () => {
    expect(policy(externalDnsPolicy([APEX.id, SHOP.id])).Statement).toEqual([
      {
        Sid: "ChangeRecordsInDeclaredZones",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        Resource: [
          "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
          "arn:aws:route53:::hostedzone/Z0SHOP1234567890ABCDE",
        ],
      },
      {
        Sid: "ListHostedZones",
        Effect: "Allow",
        Action: ["route53:ListHostedZones"],
        Resource: "*",
      },
    ]);
  });

  test("uses the region's partition", () => {
    expect(policy(externalDnsPolicy([APEX.id], "aws-cn")).Statement[0].Resource).toEqual([
      "arn:aws-cn:route53:::hostedzone/Z0123456789ABCDEFGHIJ",
    ]);
  });

  test("fails on a zone id of the wrong shape, or no zone", () => {
    expect(() => externalDnsPolicy(["/hostedzone/Z0123456789ABCDEFGHIJ"])).toThrow(
      'zoneIds[0]: received "/hostedzone/Z0123456789ABCDEFGHIJ"; expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ',
    );
    expect(() => externalDnsPolicy([])).toThrow(
      "zoneIds: received []; expected at least one hosted zone id",
    );
  });
});
