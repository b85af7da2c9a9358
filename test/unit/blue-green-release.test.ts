import { TerraformVariable } from "cdktf";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { Release } from "@cdktf/provider-helm/lib/release";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import {
  BlueGreenRelease,
  DEFAULT_APP_VALUES,
  validateBlueGreenReleaseProps,
  type BlueGreenReleaseProps,
  type Colour,
  type ColourRelease,
  type ReleaseState,
} from "../../constructs/blue-green-release";
import {
  deepMergeValues,
  renderValues,
  type HelmValues,
} from "../../constructs/private/helm-values";
import { only, rejectionLines, resources, synth, testStack, type StackJson } from "../helpers";

/** The public subnets of prod's 10.30.0.0/16 (private /19 x 4 slots, then public /22). */
const PUBLIC_SUBNETS = ["10.30.128.0/22", "10.30.132.0/22", "10.30.136.0/22"];

const BASE: BlueGreenReleaseProps = {
  name: "web",
  namespace: "web",
  chart: {
    repository: "https://stefanprodan.github.io/podinfo",
    name: "podinfo",
    version: "6.7.1",
  },
  host: "app.example.com",
  servicePort: 9898,
  healthPath: "/healthz",
  loadBalancerCidrs: PUBLIC_SUBNETS,
  release: {
    stable: "blue",
    canaryWeight: 0,
    blue: { version: "6.7.0", chart: "6.7.1", values: { replicaCount: 3 } },
    green: { version: "6.7.1", chart: "6.7.1", values: { replicaCount: 3 } },
  },
};

/** Prop overrides; `values` (a test shorthand) replaces both colours' own values. */
type Overrides = Omit<Partial<BlueGreenReleaseProps>, "release"> & {
  release?: Partial<ReleaseState>;
  values?: HelmValues;
};

function withOverrides({ values, release, ...rest }: Overrides): BlueGreenReleaseProps {
  const merged = { ...BASE.release, ...release };
  return {
    ...BASE,
    ...rest,
    release:
      values === undefined
        ? merged
        : { ...merged, blue: { ...merged.blue, values }, green: { ...merged.green, values } },
  };
}

function app(overrides: Overrides = {}) {
  const stack = testStack();
  new KubernetesProvider(stack, "kubernetes", {});
  new HelmProvider(stack, "helm", {});
  const construct = new BlueGreenRelease(stack, "web", withOverrides(overrides));
  return { construct, json: synth(stack) };
}

const ALB = "alb.ingress.kubernetes.io";

function annotations(json: StackJson): Record<string, string> {
  return (only(json, "kubernetes_ingress_v1").metadata as { annotations: Record<string, string> })
    .annotations;
}

function targetGroups(json: StackJson, action: string): unknown[] {
  const parsed = JSON.parse(annotations(json)[`${ALB}/actions.${action}`]) as {
    type: string;
    forwardConfig: { targetGroups: unknown[] };
  };
  expect(parsed.type).toBe("forward");
  return parsed.forwardConfig.targetGroups;
}

function release(json: StackJson, name: string): Record<string, unknown> {
  const found = Object.values(resources(json, "helm_release")).filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

function valuesOf(json: StackJson, name: string): Record<string, any> {
  const list = release(json, name).values as string[];
  expect(list).toHaveLength(1);
  return JSON.parse(list[0]) as Record<string, any>;
}

/** Paths (dot-joined) where two JSON values differ. */
function differences(a: unknown, b: unknown, path: string[] = []): string[] {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], [
        ...path,
        k,
      ]),
    );
  }
  return a === b ? [] : [path.join(" > ")];
}

/** Problem lines of a failing construction, without the construct path prefix check. */
function problems(overrides: Overrides): string[] {
  return rejectionLines(() => app(overrides));
}

describe("BlueGreenRelease weighted routing", () => {
  test.each<[Colour, number, { blue: number; green: number }]>([
    ["blue", 0, { blue: 100, green: 0 }],
    ["blue", 10, { blue: 90, green: 10 }],
    ["green", 10, { blue: 10, green: 90 }],
    ["blue", 100, { blue: 0, green: 100 }],
    ["green", 0, { blue: 0, green: 100 }],
    ["green", 50, { blue: 50, green: 50 }],
  ])("stable %s with canary weight %d: blue %j", (stable, canaryWeight, expected) => {
    const { json, construct } = app({ release: { stable, canaryWeight } });
    expect(targetGroups(json, "blue-green")).toEqual([
      { serviceName: "web-blue-alb", servicePort: 9898, weight: expected.blue },
      { serviceName: "web-green-alb", servicePort: 9898, weight: expected.green },
    ]);
    expect(construct.weights).toEqual(expected);
  });

  test("both colours are always listed, weight 0 included", () => {
    const { json } = app({ release: { stable: "green", canaryWeight: 0 } });
    const groups = targetGroups(json, "blue-green") as { serviceName: string; weight: number }[];
    expect(groups.map((g) => g.serviceName)).toEqual(["web-blue-alb", "web-green-alb"]);
    expect(groups.find((g) => g.serviceName === "web-blue-alb")?.weight).toBe(0);
  });

  test("the host routes / (Prefix) to the weighted action through use-annotation", () => {
    const { json } = app();
    const spec = only(json, "kubernetes_ingress_v1").spec as any;
    expect(spec.ingress_class_name).toBe("alb");
    expect(spec.rule).toHaveLength(1);
    expect(spec.rule[0].host).toBe("app.example.com");
    expect(spec.rule[0].http.path[1]).toEqual({
      path: "/",
      path_type: "Prefix",
      backend: { service: { name: "blue-green", port: { name: "use-annotation" } } },
    });
  });
});

describe("BlueGreenRelease preview route", () => {
  test.each<[Colour, string]>([
    ["blue", "web-green-alb"],
    ["green", "web-blue-alb"],
  ])("stable %s: the preview action forwards only to %s", (stable, idleService) => {
    const { json, construct } = app({ release: { stable, canaryWeight: 25 } });
    expect(targetGroups(json, "preview")).toEqual([
      { serviceName: idleService, servicePort: 9898, weight: 100 },
    ]);
    expect(construct.idleColour).toBe(idleService.replace(/^web-|-alb$/g, ""));
    expect(construct.stableColour).toBe(stable);
  });

  test("the preview action matches the X-Preview: true header on the app host", () => {
    const { json } = app();
    expect(JSON.parse(annotations(json)[`${ALB}/conditions.preview`])).toEqual([
      { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Preview", values: ["true"] } },
    ]);
  });

  test("the preview path is listed before the weighted path, on the same host", () => {
    const { json } = app();
    const paths = (only(json, "kubernetes_ingress_v1").spec as any).rule[0].http.path;
    expect(paths.map((p: any) => [p.path, p.path_type, p.backend.service])).toEqual([
      ["/", "Prefix", { name: "preview", port: { name: "use-annotation" } }],
      ["/", "Prefix", { name: "blue-green", port: { name: "use-annotation" } }],
    ]);
  });

  test("the preview header is configurable and exposed", () => {
    const { json, construct } = app({ preview: { header: "X-Canary", value: "yes" } });
    expect(JSON.parse(annotations(json)[`${ALB}/conditions.preview`])).toEqual([
      { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Canary", values: ["yes"] } },
    ]);
    expect(construct.previewRoute).toEqual({
      host: "app.example.com",
      header: "X-Canary",
      value: "yes",
    });
  });
});

describe("BlueGreenRelease ALB secure defaults", () => {
  const a = annotations(app().json);

  test("internet-facing, pod IP targets", () => {
    expect(a[`${ALB}/scheme`]).toBe("internet-facing");
    expect(a[`${ALB}/target-type`]).toBe("ip");
  });

  test("listens on 80 and 443 and redirects HTTP to HTTPS", () => {
    expect(JSON.parse(a[`${ALB}/listen-ports`])).toEqual([{ HTTP: 80 }, { HTTPS: 443 }]);
    expect(a[`${ALB}/ssl-redirect`]).toBe("443");
  });

  test("TLS 1.2+ policy by default", () => {
    expect(a[`${ALB}/ssl-policy`]).toBe("ELBSecurityPolicy-TLS13-1-2-2021-06");
  });

  test("invalid header fields are dropped", () => {
    expect(a[`${ALB}/load-balancer-attributes`]).toBe(
      "routing.http.drop_invalid_header_fields.enabled=true",
    );
  });

  test("health checks use healthPath", () => {
    expect(a[`${ALB}/healthcheck-path`]).toBe("/healthz");
  });

  test("no certificate-arn by default (discovered by host); the TLS host is declared", () => {
    expect(a[`${ALB}/certificate-arn`]).toBeUndefined();
    expect((only(app().json, "kubernetes_ingress_v1").spec as any).tls).toEqual([
      { hosts: ["app.example.com"] },
    ]);
  });

  test("certificate-arn when given", () => {
    const arn =
      "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc";
    expect(annotations(app({ certificateArn: arn }).json)[`${ALB}/certificate-arn`]).toBe(arn);
  });

  test("the Ingress comes before the pods: after its Services, waiting for its load balancer", () => {
    const { json } = app();
    const ingress = only(json, "kubernetes_ingress_v1");
    expect(ingress.wait_for_load_balancer).toBe(true);
    expect(ingress.depends_on).toEqual([
      expect.stringContaining("kubernetes_service_v1.web_alb-service-blue"),
      expect.stringContaining("kubernetes_service_v1.web_alb-service-green"),
    ]);
    // the releases (and so every pod) wait for the Ingress: the load balancer controller
    // injects readiness gates only into pods created after their TargetGroupBinding
    for (const name of ["web-blue", "web-green"]) {
      expect(release(json, name).depends_on).toContainEqual(
        expect.stringMatching(/^kubernetes_ingress_v1\.web_ingress_/),
      );
    }
  });

  test.each<[Colour, string]>([
    ["blue", "web-blue-alb"],
    ["green", "web-green-alb"],
  ])("the ALB targets a platform-owned Service per colour (%s: %s)", (colour, name) => {
    const { json, construct } = app({ targetPort: 8080 });
    const service = Object.values(resources(json, "kubernetes_service_v1")).find(
      (s) => (s.metadata as any).name === name,
    ) as any;
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": `web-${colour}` },
      port: [{ name: "http", port: 9898, target_port: "8080", protocol: "TCP" }],
    });
    expect(service.metadata.labels).toEqual({ "app.kubernetes.io/part-of": "web", colour });
    expect(construct.serviceNames[colour]).toBe(name);
    expect(Object.keys(resources(json, "kubernetes_service_v1"))).toEqual([
      expect.stringMatching(/^web_alb-service-blue_/),
      expect.stringMatching(/^web_alb-service-green_/),
    ]);
  });
});

describe("BlueGreenRelease externalDnsHostname", () => {
  test("annotates the Ingress with the host for ExternalDNS when set", () => {
    const a = annotations(app({ externalDnsHostname: true }).json);
    expect(a["external-dns.alpha.kubernetes.io/hostname"]).toBe("app.example.com");
  });

  test("off by default", () => {
    for (const externalDnsHostname of [undefined, false]) {
      const a = annotations(app({ externalDnsHostname }).json);
      expect(a["external-dns.alpha.kubernetes.io/hostname"]).toBeUndefined();
    }
  });
});

describe("BlueGreenRelease Helm releases", () => {
  const { json } = app();

  test("two releases named <app>-blue and <app>-green, construct ids keyed by colour", () => {
    expect(Object.keys(resources(json, "helm_release"))).toEqual([
      expect.stringMatching(/^web_release-blue_/),
      expect.stringMatching(/^web_release-green_/),
    ]);
    expect(release(json, "web-blue")).toBeDefined();
    expect(release(json, "web-green")).toBeDefined();
  });

  test.each(["web-blue", "web-green"])(
    "%s installs the chart at its entry's pinned version",
    (name) => {
      expect(release(json, name)).toMatchObject({
        repository: "https://stefanprodan.github.io/podinfo",
        chart: "podinfo",
        version: "6.7.1",
      });
    },
  );

  test("each colour installs its own chart version and values, never the app's defaults", () => {
    const pinned = app({
      chart: { ...BASE.chart, version: "6.9.0" },
      release: {
        blue: { version: "6.7.0", chart: "6.7.0", values: { replicaCount: 4 } },
        green: { version: "6.7.1", chart: "6.7.1", values: { ui: { message: "green" } } },
      },
    }).json;
    expect(release(pinned, "web-blue").version).toBe("6.7.0");
    expect(release(pinned, "web-green").version).toBe("6.7.1");
    expect(valuesOf(pinned, "web-blue").replicaCount).toBe(4);
    expect(valuesOf(pinned, "web-blue")).not.toHaveProperty("ui");
    expect(valuesOf(pinned, "web-green").ui).toEqual({ message: "green" });
    expect(valuesOf(pinned, "web-green").replicaCount).toBe(2); // the HPA floor, nothing inherited
  });

  test.each(["web-blue", "web-green"])(
    "%s is atomic, waits, cleans up on failure, bounded history and timeout",
    (name) => {
      expect(release(json, name)).toMatchObject({
        atomic: true,
        wait: true,
        cleanup_on_fail: true,
        max_history: 5,
        timeout: 600,
      });
    },
  );

  test.each<[string, Colour, string]>([
    ["web-blue", "blue", "6.7.0"],
    ["web-green", "green", "6.7.1"],
  ])("%s is post-rendered with its colour and version labels", (name, colour, version) => {
    expect(release(json, name).postrender).toEqual({
      binary_path: "node",
      args: [
        expect.stringMatching(
          /^assets\/colour-labels-post-renderer\/[0-9A-F]{32}\/colour-labels\.cjs$/,
        ),
        colour,
        version,
      ],
    });
  });

  test("colourLabels: false turns the post-renderer off", () => {
    expect(release(app({ colourLabels: false }).json, "web-blue").postrender).toBeUndefined();
  });

  test("history and timeout are configurable", () => {
    const custom = app({ maxHistory: 3, timeoutSeconds: 900 }).json;
    expect(release(custom, "web-green")).toMatchObject({ max_history: 3, timeout: 900 });
  });

  test("releases go into the created namespace and never create it", () => {
    for (const name of ["web-blue", "web-green"]) {
      expect(release(json, name).create_namespace).toBe(false);
      expect(String(release(json, name).namespace)).toMatch(
        /^\$\{kubernetes_namespace_v1\.web_namespace_.*\.metadata\[0\]\.name\}$/,
      );
    }
  });

  test("per-colour values: full name, image tag = version, ports, ServiceMonitor", () => {
    for (const [name, version] of [
      ["web-blue", "6.7.0"],
      ["web-green", "6.7.1"],
    ]) {
      const values = valuesOf(json, name);
      expect(values.fullnameOverride).toBe(name);
      expect(values.image).toEqual({ tag: version });
      expect(values.service).toEqual({ externalPort: 9898, httpPort: 9898 });
      expect(values.serviceMonitor).toEqual({ enabled: true });
    }
  });

  test("shared values are deep-merged under the colour values", () => {
    const merged = app({
      values: {
        image: { repository: "example.com/web", tag: "ignored" },
        ui: { message: "hello" },
        fullnameOverride: "ignored",
      },
    }).json;
    const values = valuesOf(merged, "web-green");
    expect(values.image).toEqual({ repository: "example.com/web", tag: "6.7.1" });
    expect(values.ui).toEqual({ message: "hello" });
    expect(values.fullnameOverride).toBe("web-green");
  });

  test("values render deterministically with sorted keys", () => {
    const text = (release(json, "web-blue").values as string[])[0];
    const keys = Object.keys(JSON.parse(text));
    expect(keys).toEqual([...keys].sort());
    const reordered = app({ values: { ...BASE.release.blue.values } }).json;
    expect(release(reordered, "web-blue").values).toEqual(release(json, "web-blue").values);
    expect(renderValues({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 2 } })).toBe(
      renderValues({ a: { c: 2, d: [3, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  test("deep merge: objects merge, arrays and null replace, undefined keeps", () => {
    expect(
      deepMergeValues(
        { a: { b: 1, c: [1, 2] }, d: { e: 1 }, f: 1 },
        { a: { c: [3] }, d: null, f: undefined },
      ),
    ).toEqual({ a: { b: 1, c: [3] }, d: null, f: 1 });
  });

  test("production: replicaCount is at least the HPA floor, chart HPA and PDB are off", () => {
    const values = valuesOf(json, "web-blue");
    expect(values.replicaCount).toBe(3);
    expect(values.hpa).toEqual({ enabled: false });
    expect(values).toHaveProperty("podDisruptionBudget", null);
    const small = valuesOf(app({ values: { replicaCount: 1 } }).json, "web-blue");
    expect(small.replicaCount).toBe(2);
  });

  test("development: shared replicaCount is kept, no chart overrides for HPA or PDB", () => {
    const values = valuesOf(app({ tier: "development" }).json, "web-blue");
    expect(values.replicaCount).toBe(3);
    expect(values).not.toHaveProperty("hpa");
    expect(values).not.toHaveProperty("podDisruptionBudget");
  });

  test("the colourValues hook replaces the default overrides", () => {
    const custom = app({
      colourValues: (colour, version, context) => ({
        nameOverride: context.releaseName,
        app: { colour, version },
      }),
    }).json;
    expect(valuesOf(custom, "web-green")).toEqual({
      ...DEFAULT_APP_VALUES,
      replicaCount: 3,
      nameOverride: "web-green",
      app: { colour: "green", version: "6.7.1" },
    });
  });
});

describe("BlueGreenRelease default values (under the shared values)", () => {
  test("realistic requests and limits, and a restricted securityContext, on both colours", () => {
    const { json } = app();
    for (const name of ["web-blue", "web-green"]) {
      const values = valuesOf(json, name);
      expect(values.resources).toEqual({
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "1", memory: "128Mi" },
      });
      expect(values.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 100,
        runAsGroup: 101,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  test("the app's values override the defaults key by key", () => {
    const values = valuesOf(
      app({ values: { resources: { requests: { cpu: "250m" } } } }).json,
      "web-blue",
    );
    expect(values.resources).toEqual({
      requests: { cpu: "250m", memory: "64Mi" },
      limits: { cpu: "1", memory: "128Mi" },
    });
  });

  test("defaultValues replaces the platform defaults (for a chart laid out differently)", () => {
    const values = valuesOf(
      app({
        defaultValues: { app: { requests: { cpu: "1" } } },
        cpuRequestPath: "app.requests.cpu",
      }).json,
      "web-blue",
    );
    expect(values.app).toEqual({ requests: { cpu: "1" } });
    expect(values).not.toHaveProperty("resources");
    expect(values).not.toHaveProperty("securityContext");
  });
});

describe("BlueGreenRelease refuses pods the cluster would reject or mis-scale", () => {
  test("fails when an HPA would scale a container without a CPU request", () => {
    const green = { ...BASE.release.green, values: { resources: { requests: { cpu: null } } } };
    expect(problems({ release: { green } })).toEqual([
      "test/web: release.green.values.resources.requests.cpu: received null; expected a CPU request greater than zero, such as 100m: the HPA scales on CPU utilization, a percentage of the request (or set autoscaling.enabled: false)",
    ]);
    expect(problems({ defaultValues: {}, podSecurityStandard: "baseline" })).toEqual([
      "test/web: release.blue.values.resources.requests.cpu: received nothing; expected a CPU request greater than zero, such as 100m: the HPA scales on CPU utilization, a percentage of the request (or set autoscaling.enabled: false)",
      "test/web: release.green.values.resources.requests.cpu: received nothing; expected a CPU request greater than zero, such as 100m: the HPA scales on CPU utilization, a percentage of the request (or set autoscaling.enabled: false)",
    ]);
  });

  test.each(["0", "0m", "lots", ""])("fails when the CPU request is %j", (cpu) => {
    const blue = { ...BASE.release.blue, values: { resources: { requests: { cpu } } } };
    expect(problems({ release: { blue } })).toEqual([
      `test/web: release.blue.values.resources.requests.cpu: received ${JSON.stringify(cpu)}; expected a CPU request greater than zero, such as 100m: the HPA scales on CPU utilization, a percentage of the request (or set autoscaling.enabled: false)`,
    ]);
  });

  test("no CPU request is needed without an HPA", () => {
    const values = { resources: { requests: { cpu: null } } };
    expect(() => app({ values, autoscaling: { enabled: false } })).not.toThrow();
    expect(() => app({ values, tier: "development" })).not.toThrow();
    expect(() => app({ values: { resources: { requests: { cpu: 0.25 } } } })).not.toThrow();
  });

  test("fails when the colour selector would select both colours' pods", () => {
    expect(problems({ colourSelector: () => ({ "app.kubernetes.io/part-of": "web" }) })).toEqual([
      'test/web: colourSelector: received {"blue":{"app.kubernetes.io/part-of":"web"},"green":{"app.kubernetes.io/part-of":"web"}}; expected non-empty labels that differ between the colours (one colour\'s PDB, HPA and NetworkPolicy must never select the other colour\'s pods)',
    ]);
    expect(problems({ colourSelector: () => ({}) })).toHaveLength(1);
  });

  test("fails when the securityContext would be rejected by the restricted namespace", () => {
    const blue = {
      ...BASE.release.blue,
      values: {
        securityContext: {
          runAsUser: 0,
          allowPrivilegeEscalation: true,
          capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] },
          seccompProfile: null,
        },
      },
    };
    expect(problems({ release: { blue } })).toEqual([
      'test/web: release.blue.values.securityContext.allowPrivilegeEscalation: received true; expected false (Pod Security "restricted", enforced on the app namespace); or set podSecurityStandard: baseline',
      'test/web: release.blue.values.securityContext.capabilities: received {"drop":["ALL"],"add":["NET_ADMIN"]}; expected drop: [ALL], adding nothing but NET_BIND_SERVICE (Pod Security "restricted", enforced on the app namespace); or set podSecurityStandard: baseline',
      'test/web: release.blue.values.securityContext.runAsUser: received 0; expected a non-zero UID (Pod Security "restricted", enforced on the app namespace); or set podSecurityStandard: baseline',
      'test/web: release.blue.values.securityContext.seccompProfile: received null; expected { type: RuntimeDefault } (Pod Security "restricted", enforced on the app namespace); or set podSecurityStandard: baseline',
    ]);
  });

  test("a pod-level securityContext satisfies runAsNonRoot and seccomp", () => {
    expect(() =>
      app({
        values: {
          securityContext: { runAsNonRoot: null, seccompProfile: null },
          podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
        },
      }),
    ).not.toThrow();
  });

  test("baseline namespaces accept any securityContext", () => {
    expect(() =>
      app({ podSecurityStandard: "baseline", values: { securityContext: { runAsUser: 0 } } }),
    ).not.toThrow();
  });
});

describe("BlueGreenRelease namespace and network policies", () => {
  const { json, construct } = app();

  test("the namespace carries the pod readiness gate label", () => {
    const ns = only(json, "kubernetes_namespace_v1").metadata as any;
    expect(ns.name).toBe("web");
    expect(ns.labels["elbv2.k8s.aws/pod-readiness-gate-inject"]).toBe("enabled");
    expect(construct.namespace).toBe("web");
  });

  test("the namespace enforces the restricted Pod Security Standard by default", () => {
    const labels = (only(json, "kubernetes_namespace_v1").metadata as any).labels;
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
    expect(labels["pod-security.kubernetes.io/audit"]).toBe("restricted");
    const relaxed = app({ podSecurityStandard: "baseline" }).json;
    expect(
      (only(relaxed, "kubernetes_namespace_v1").metadata as any).labels[
        "pod-security.kubernetes.io/enforce"
      ],
    ).toBe("baseline");
  });

  const policies = Object.values(resources(json, "kubernetes_network_policy_v1"));
  const byName = (name: string) => policies.find((p) => (p.metadata as any).name === name) as any;

  test("default deny: every pod, Ingress, no rule", () => {
    const deny = byName("default-deny-ingress");
    expect(deny.spec).toEqual({ pod_selector: {}, policy_types: ["Ingress"] });
  });

  test.each(["blue", "green"])(
    "%s admits only the public subnets (the ALB) on the target port and the monitoring namespace",
    (colour) => {
      const allow = byName(`web-${colour}-allow-alb-and-monitoring`);
      expect(allow.spec.pod_selector).toEqual({
        match_labels: { "app.kubernetes.io/name": `web-${colour}` },
      });
      expect(allow.spec.policy_types).toEqual(["Ingress"]);
      expect(allow.spec.ingress).toEqual([
        {
          from: PUBLIC_SUBNETS.map((cidr) => ({ ip_block: { cidr } })),
          ports: [{ port: "9898", protocol: "TCP" }],
        },
        {
          from: [
            {
              namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "monitoring" } },
            },
          ],
          ports: [{ port: "9898", protocol: "TCP" }],
        },
      ]);
    },
  );

  test("exactly the deny policy and one allow policy per colour", () => {
    expect(policies.map((p) => (p.metadata as any).name).sort()).toEqual([
      "default-deny-ingress",
      "web-blue-allow-alb-and-monitoring",
      "web-green-allow-alb-and-monitoring",
    ]);
  });

  test("monitoring namespace, ports and load balancer CIDR tokens are taken as given", () => {
    const stack = testStack();
    const cidr = new TerraformVariable(stack, "vpc_cidr", { type: "string" }).stringValue;
    new BlueGreenRelease(stack, "web", {
      ...BASE,
      loadBalancerCidrs: [cidr],
      targetPort: 8080,
      metricsPort: 9797,
      monitoringNamespace: "observability",
    });
    const allow = Object.values(resources(synth(stack), "kubernetes_network_policy_v1")).find(
      (p) => (p.metadata as any).name === "web-blue-allow-alb-and-monitoring",
    ) as any;
    expect(allow.spec.ingress[0]).toEqual({
      from: [{ ip_block: { cidr: "${var.vpc_cidr}" } }],
      ports: [{ port: "8080", protocol: "TCP" }],
    });
    expect(allow.spec.ingress[1]).toEqual({
      from: [
        {
          namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "observability" } },
        },
      ],
      ports: [{ port: "9797", protocol: "TCP" }],
    });
  });

  test("the namespace (and so everything in it) can wait for the load balancer controller", () => {
    expect(only(json, "kubernetes_namespace_v1").depends_on).toBeUndefined();
    const stack = testStack();
    const controller = new Release(stack, "controller", {
      name: "aws-load-balancer-controller",
      chart: "aws-load-balancer-controller",
    });
    new BlueGreenRelease(stack, "web", { ...BASE, dependsOn: [controller] });
    const namespace = only(synth(stack), "kubernetes_namespace_v1");
    expect(namespace.depends_on).toEqual(["helm_release.controller"]);
  });

  test("releases start only after the network policies and the Ingress exist", () => {
    expect(release(json, "web-blue").depends_on).toEqual([
      expect.stringContaining("network-policy-default-deny"),
      expect.stringContaining("network-policy-allow-blue"),
      expect.stringMatching(/^kubernetes_ingress_v1\.web_ingress_/),
    ]);
  });
});

describe("BlueGreenRelease disruption budgets and autoscaling", () => {
  test("production: a PodDisruptionBudget per colour on that colour's pods", () => {
    const budgets = Object.values(resources(app().json, "kubernetes_pod_disruption_budget_v1"));
    expect(budgets.map((b) => [(b.metadata as any).name, b.spec])).toEqual([
      [
        "web-blue",
        {
          max_unavailable: "1",
          selector: { match_labels: { "app.kubernetes.io/name": "web-blue" } },
        },
      ],
      [
        "web-green",
        {
          max_unavailable: "1",
          selector: { match_labels: { "app.kubernetes.io/name": "web-green" } },
        },
      ],
    ]);
  });

  test("production: an autoscaling/v2 HPA per colour on that colour's Deployment", () => {
    const hpas = Object.values(resources(app().json, "kubernetes_horizontal_pod_autoscaler_v2"));
    expect(hpas.map((h) => (h.spec as any).scale_target_ref)).toEqual([
      { api_version: "apps/v1", kind: "Deployment", name: "web-blue" },
      { api_version: "apps/v1", kind: "Deployment", name: "web-green" },
    ]);
    for (const h of hpas) {
      expect(h.spec).toMatchObject({
        min_replicas: 2,
        max_replicas: 10,
        metric: [
          {
            type: "Resource",
            resource: { name: "cpu", target: { type: "Utilization", average_utilization: 70 } },
          },
        ],
      });
    }
  });

  test("autoscaling bounds and target are configurable", () => {
    const json = app({
      autoscaling: { minReplicas: 3, maxReplicas: 6, targetCpuUtilization: 55 },
    }).json;
    const hpa = Object.values(resources(json, "kubernetes_horizontal_pod_autoscaler_v2"))[0];
    expect(hpa.spec).toMatchObject({ min_replicas: 3, max_replicas: 6 });
    expect((hpa.spec as any).metric[0].resource.target.average_utilization).toBe(55);
  });

  test("development: no PDB and no HPA by default", () => {
    const json = app({ tier: "development" }).json;
    expect(resources(json, "kubernetes_pod_disruption_budget_v1")).toEqual({});
    expect(resources(json, "kubernetes_horizontal_pod_autoscaler_v2")).toEqual({});
  });

  test("production: PDB and HPA can be turned off", () => {
    const json = app({ podDisruptionBudget: false, autoscaling: { enabled: false } }).json;
    expect(resources(json, "kubernetes_pod_disruption_budget_v1")).toEqual({});
    expect(resources(json, "kubernetes_horizontal_pod_autoscaler_v2")).toEqual({});
  });

  test("development: PDB and HPA can be turned on", () => {
    const json = app({
      tier: "development",
      podDisruptionBudget: true,
      autoscaling: { enabled: true },
    }).json;
    expect(Object.keys(resources(json, "kubernetes_pod_disruption_budget_v1"))).toHaveLength(2);
    expect(Object.keys(resources(json, "kubernetes_horizontal_pod_autoscaler_v2"))).toHaveLength(2);
  });
});

describe("BlueGreenRelease release steps change one thing", () => {
  const before = app().json;

  test("a new chart version or values on green change only green's release", () => {
    const after = app({
      release: { green: { ...BASE.release.green, chart: "6.8.0", values: { replicaCount: 5 } } },
    }).json;
    expect(differences(before, after)).toEqual([
      expect.stringMatching(/^resource > helm_release > web_release-green_\w+ > values > 0$/),
      expect.stringMatching(/^resource > helm_release > web_release-green_\w+ > version$/),
    ]);
  });

  test("the app's default chart version changes no colour's release", () => {
    const after = app({ chart: { ...BASE.chart, version: "6.9.0" } }).json;
    expect(differences(before, after)).toEqual([]);
  });

  test("changing canaryWeight changes only the weighted action annotation", () => {
    const after = app({ release: { canaryWeight: 20 } }).json;
    expect(differences(before, after)).toEqual([
      expect.stringMatching(
        /^resource > kubernetes_ingress_v1 > web_ingress_\w+ > metadata > annotations > alb\.ingress\.kubernetes\.io\/actions\.blue-green$/,
      ),
    ]);
  });

  test("changing blue's version changes only the blue release's values and version label", () => {
    const after = app({ release: { blue: { ...BASE.release.blue, version: "6.7.2" } } }).json;
    expect(differences(before, after)).toEqual([
      expect.stringMatching(
        /^resource > helm_release > web_release-blue_\w+ > postrender > args > 2$/,
      ),
      expect.stringMatching(/^resource > helm_release > web_release-blue_\w+ > values > 0$/),
    ]);
    expect(valuesOf(after, "web-blue").image.tag).toBe("6.7.2");
  });

  test("promoting (switching stable) changes only the ingress actions", () => {
    const after = app({ release: { stable: "green" } }).json;
    expect(differences(before, after).map((d) => d.split(" > ").slice(-1)[0])).toEqual([
      "alb.ingress.kubernetes.io/actions.blue-green",
      "alb.ingress.kubernetes.io/actions.preview",
    ]);
  });
});

describe("BlueGreenRelease outputs", () => {
  const { construct } = app({ release: { stable: "green", canaryWeight: 30 } });

  test("host, preview route, weights and colours", () => {
    expect(construct.host).toBe("app.example.com");
    expect(construct.previewRoute).toEqual({
      host: "app.example.com",
      header: "X-Preview",
      value: "true",
    });
    expect(construct.weights).toEqual({ blue: 30, green: 70 });
    expect(construct.stableColour).toBe("green");
    expect(construct.idleColour).toBe("blue");
  });

  test("releases by colour, ingress, namespace", () => {
    expect(construct.releases.blue).toBeInstanceOf(Release);
    expect(construct.releases.blue.nameInput).toBe("web-blue");
    expect(construct.releases.green.nameInput).toBe("web-green");
    expect(construct.releaseNames).toEqual({ blue: "web-blue", green: "web-green" });
    expect(construct.ingress).toBeInstanceOf(IngressV1);
    expect(construct.namespace).toBe("web");
    expect(construct.loadBalancerHostname).toMatch(/^\$\{TfToken\[/);
  });
});

describe("BlueGreenRelease validation", () => {
  test("valid props have no problem", () => {
    expect(validateBlueGreenReleaseProps(BASE)).toEqual([]);
    expect(validateBlueGreenReleaseProps({ ...BASE, loadBalancerCidrs: undefined })).toEqual([]);
  });

  test("fails with every problem at once, prefixed by the construct path", () => {
    expect(
      problems({
        namespace: "default",
        host: "App.example.com",
        release: { stable: "red" as Colour, canaryWeight: 101 },
      }),
    ).toEqual([
      'test/web: namespace: received "default"; expected a namespace of the app\'s own, not default or kube-*',
      'test/web: host: received "App.example.com"; expected a lowercase DNS host name such as app.example.com',
      'test/web: release.stable: received "red"; expected "blue" or "green"',
      "test/web: release.canaryWeight: received 101; expected an integer from 0 to 100 (the percentage of traffic sent to the idle colour)",
    ]);
  });

  test("fails when the app name is not a DNS-1035 label", () => {
    expect(problems({ name: "1web" })).toEqual([
      "test/web: name: received \"1web\"; expected a DNS-1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (it names the Services <name>-blue and <name>-green)",
    ]);
  });

  test("fails when a release name would exceed 53 characters", () => {
    const name = "a".repeat(48);
    expect(problems({ name })).toEqual([
      `test/web: name: received "${name}"; expected at most 47 characters, so that the Helm release names <name>-blue and <name>-green have at most 53`,
    ]);
    expect(() => app({ name: "a".repeat(47) })).not.toThrow();
  });

  test("fails when the namespace is not a DNS-1123 label", () => {
    expect(problems({ namespace: "Web_ns" })).toEqual([
      "test/web: namespace: received \"Web_ns\"; expected a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });

  test.each(["default", "kube-system", "kube-public"])("fails when the namespace is %s", (ns) => {
    expect(problems({ namespace: ns })).toEqual([
      `test/web: namespace: received "${ns}"; expected a namespace of the app's own, not default or kube-*`,
    ]);
  });

  test.each(["^6.7.1", "~6.7", "6.x", ">=6.0.0", "latest", "6.7", ""])(
    "fails when the chart version is %j (not pinned)",
    (version) => {
      expect(problems({ chart: { ...BASE.chart, version } })).toEqual([
        `test/web: chart.version: received ${JSON.stringify(version)}; expected an exact chart version such as 6.7.1 (no ranges such as ^1, ~1, 1.x or >=1, no 'latest')`,
      ]);
    },
  );

  test("fails when the chart repository is not https or oci", () => {
    expect(problems({ chart: { ...BASE.chart, repository: "http://charts.example.com" } })).toEqual(
      [
        'test/web: chart.repository: received "http://charts.example.com"; expected an https:// or oci:// chart repository URL',
      ],
    );
  });

  test("fails when the chart name is invalid", () => {
    expect(problems({ chart: { ...BASE.chart, name: "Pod Info" } })).toEqual([
      'test/web: chart.name: received "Pod Info"; expected a chart name such as podinfo',
    ]);
  });

  test.each<[Colour, string | undefined]>([
    ["blue", ""],
    ["green", "latest"],
    ["blue", undefined],
    ["green", "-rc1"],
    ["blue", "6.7.1-"],
    ["green", "_6.7.1"],
    ["blue", "6".repeat(64)],
  ])("fails when the %s version is %j", (colour, version) => {
    const rendered = version === undefined ? "nothing" : JSON.stringify(version);
    const entry = { ...BASE.release[colour], version } as ColourRelease;
    expect(problems({ release: { [colour]: entry } })).toEqual([
      `test/web: release.${colour}.version: received ${rendered}; expected a pinned image tag such as 6.7.1 that is also a label value: 1-63 letters, digits, '_', '.' and '-', starting and ending with a letter or digit, not 'latest'`,
    ]);
  });

  test.each([-1, 2.5, 1000])("fails when canaryWeight is %d", (canaryWeight) => {
    expect(problems({ release: { canaryWeight } })).toEqual([
      `test/web: release.canaryWeight: received ${canaryWeight}; expected an integer from 0 to 100 (the percentage of traffic sent to the idle colour)`,
    ]);
  });

  test.each(["^6.7.1", "latest", undefined])(
    "fails when a colour's chart version is %j",
    (chart) => {
      const entry = { ...BASE.release.green, chart } as ColourRelease;
      const rendered = chart === undefined ? "nothing" : JSON.stringify(chart);
      expect(problems({ release: { green: entry } })).toEqual([
        `test/web: release.green.chart: received ${rendered}; expected an exact chart version such as 6.7.1 (no ranges such as ^1, ~1, 1.x or >=1, no 'latest'): the chart version this colour runs, pinned in its own entry`,
      ]);
    },
  );

  test("fails when a colour's values are not an object", () => {
    const entry = { ...BASE.release.blue, values: ["replicaCount"] } as unknown as ColourRelease;
    expect(problems({ release: { blue: entry } })).toEqual([
      'test/web: release.blue.values: received ["replicaCount"]; expected an object of Helm values (this colour\'s own)',
    ]);
  });

  test("fails when the stable colour is not blue or green", () => {
    expect(problems({ release: { stable: "" as Colour } })).toEqual([
      'test/web: release.stable: received ""; expected "blue" or "green"',
    ]);
  });

  test.each(["localhost", "app.example.com.", "*.example.com", "app_1.example.com"])(
    "fails when the host is %j",
    (host) => {
      expect(problems({ host })).toEqual([
        `test/web: host: received "${host}"; expected a lowercase DNS host name such as app.example.com`,
      ]);
    },
  );

  test.each([0, 65536, 80.5])("fails when servicePort is %d", (servicePort) => {
    expect(problems({ servicePort })).toEqual([
      `test/web: servicePort: received ${servicePort}; expected an integer port from 1 to 65535`,
    ]);
  });

  test("fails when targetPort or metricsPort is out of range", () => {
    expect(problems({ targetPort: 0, metricsPort: 70000 })).toEqual([
      "test/web: targetPort: received 0; expected an integer port from 1 to 65535",
      "test/web: metricsPort: received 70000; expected an integer port from 1 to 65535",
    ]);
  });

  test.each(["healthz", "", "/health check"])("fails when healthPath is %j", (healthPath) => {
    expect(problems({ healthPath })).toEqual([
      `test/web: healthPath: received ${JSON.stringify(healthPath)}; expected an HTTP path starting with /`,
    ]);
  });

  test("fails when the certificate is not an ACM ARN", () => {
    expect(problems({ certificateArn: "arn:aws:iam::123456789012:server-certificate/x" })).toEqual([
      'test/web: certificateArn: received "arn:aws:iam::123456789012:server-certificate/x"; expected an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/...',
    ]);
  });

  test("fails when a load balancer CIDR is not a CIDR block", () => {
    expect(problems({ loadBalancerCidrs: ["10.30.128.0/22", "10.30.132.1/22"] })).toEqual([
      'test/web: loadBalancerCidrs[1]: received "10.30.132.1/22"; expected an IPv4 CIDR block with no host bits set, such as 10.30.4.0/22 (a public subnet the ALB sends from)',
    ]);
  });

  test("fails when there is no load balancer CIDR", () => {
    expect(problems({ loadBalancerCidrs: [] })).toEqual([
      "test/web: loadBalancerCidrs: received []; expected at least one CIDR: the public subnets where the ALB's interfaces live",
    ]);
  });

  test("fails when minReplicas is below 2 with autoscaling on", () => {
    expect(problems({ autoscaling: { minReplicas: 1 } })).toEqual([
      "test/web: autoscaling.minReplicas: received 1; expected an integer of at least 2 (one replica per colour does not survive a node drain)",
    ]);
    expect(() => app({ autoscaling: { enabled: false, minReplicas: 1 } })).not.toThrow();
    expect(() => app({ tier: "development", autoscaling: { minReplicas: 1 } })).not.toThrow();
  });

  test("fails when maxReplicas is below minReplicas", () => {
    expect(problems({ autoscaling: { minReplicas: 4, maxReplicas: 3 } })).toEqual([
      "test/web: autoscaling.maxReplicas: received 3; expected an integer of at least autoscaling.minReplicas (4)",
    ]);
  });

  test("maxReplicas defaults to at least minReplicas", () => {
    const json = app({ autoscaling: { minReplicas: 12 } }).json;
    const hpa = Object.values(resources(json, "kubernetes_horizontal_pod_autoscaler_v2"))[0];
    expect(hpa.spec).toMatchObject({ min_replicas: 12, max_replicas: 12 });
  });

  test("fails when the CPU target is not a percentage", () => {
    expect(problems({ autoscaling: { targetCpuUtilization: 0 } })).toEqual([
      "test/web: autoscaling.targetCpuUtilization: received 0; expected an integer percentage from 1 to 100",
    ]);
  });

  test("fails when the monitoring namespace is not a DNS-1123 label", () => {
    expect(problems({ monitoringNamespace: "Monitoring" })).toEqual([
      "test/web: monitoringNamespace: received \"Monitoring\"; expected a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });

  test("fails when the preview header or value is unusable", () => {
    expect(problems({ preview: { header: "X Preview", value: "" } })).toEqual([
      "test/web: preview.header: received \"X Preview\"; expected an HTTP header name of 1-40 letters, digits and '-' (the ALB limit)",
      'test/web: preview.value: received ""; expected a header value of 1-128 characters (the ALB limit)',
    ]);
  });

  test.each(["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-1-2017-01", "custom"])(
    "fails when the TLS policy %s allows TLS below 1.2",
    (sslPolicy) => {
      expect(problems({ sslPolicy })).toEqual([
        `test/web: sslPolicy: received "${sslPolicy}"; expected an ELB security policy that allows only TLS 1.2 or newer, such as ELBSecurityPolicy-TLS13-1-2-2021-06`,
      ]);
    },
  );

  test.each([
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
  ])("accepts the TLS 1.2+ policy %s", (sslPolicy) => {
    expect(annotations(app({ sslPolicy }).json)[`${ALB}/ssl-policy`]).toBe(sslPolicy);
  });

  test("fails when maxHistory is unbounded or timeoutSeconds out of range", () => {
    expect(problems({ maxHistory: 0, timeoutSeconds: 0 })).toEqual([
      "test/web: maxHistory: received 0; expected an integer from 1 to 100 (0 would keep every revision)",
      "test/web: timeoutSeconds: received 0; expected an integer number of seconds from 1 to 3600",
    ]);
  });

  test("unresolved tokens are not validated", () => {
    const stack = testStack();
    const variable = (id: string) =>
      new TerraformVariable(stack, id, { type: "string" }).stringValue;
    expect(
      () =>
        new BlueGreenRelease(stack, "web", {
          ...BASE,
          loadBalancerCidrs: [variable("cidr")],
          certificateArn: variable("certificate"),
          host: variable("host"),
        }),
    ).not.toThrow();
  });

  test("the pure validator names fields as the props (for the environment file)", () => {
    expect(
      validateBlueGreenReleaseProps({
        ...BASE,
        loadBalancerCidrs: undefined,
        chart: { ...BASE.chart, version: "latest" },
      }).map((p) => p.field),
    ).toEqual(["chart.version"]);
  });
});
