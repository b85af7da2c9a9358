/**
 * A chart made with `helm create` (the real scaffold of Helm v3.17.2) released blue/green with
 * the adapter the README documents: the values and post-renderer arguments the construct
 * synthesizes are rendered by the real Helm, and everything the platform creates around each
 * colour must agree with what comes out.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import {
  BlueGreenRelease,
  COLOURS,
  releaseInstanceColourSelector,
  type ColourValuesFunction,
} from "../../constructs/blue-green-release";
import { COLOUR_LABELS_SCRIPT } from "../../constructs/private/colour-post-renderer";
import { restrictedProblems } from "../../constructs/private/pod-security";
import { helmRunner, manifestObjects } from "../support/helm";
import { resources, synth, testStack } from "../helpers";

/** The README's colourValues for a `helm create` chart. */
const helmCreateValues: ColourValuesFunction = (_colour, version, context) => ({
  fullnameOverride: context.releaseName,
  image: { tag: version },
  service: { port: context.servicePort },
  ...(context.minReplicas !== undefined ? { autoscaling: { enabled: false } } : {}),
});

describe("a helm create chart released blue/green", () => {
  const dir = mkdtempSync(join(tmpdir(), "helm-create-chart-"));
  const helm = helmRunner(dir);
  const stack = testStack();
  new KubernetesProvider(stack, "kubernetes", {});
  new HelmProvider(stack, "helm", {});
  new BlueGreenRelease(stack, "api", {
    name: "api",
    namespace: "api",
    chart: { repository: "https://charts.example.com", name: "demo" },
    host: "api.example.com",
    servicePort: 80,
    healthPath: "/",
    loadBalancerCidrs: ["10.30.128.0/22"],
    release: {
      stable: "blue",
      canaryWeight: 0,
      blue: { version: "1.27.0", chart: "0.1.0" },
      green: { version: "1.27.1", chart: "0.1.0" },
    },
    colourValues: helmCreateValues,
    colourSelector: releaseInstanceColourSelector,
  });
  const json = synth(stack);
  const rendered: Record<string, any[]> = {};

  beforeAll(() => {
    const created = helm("create", "demo");
    if (created.status !== 0) throw new Error(`helm create failed: ${created.stderr}`);
    for (const release of Object.values(resources(json, "helm_release")) as any[]) {
      const valuesFile = join(dir, `${release.name}.json`);
      writeFileSync(valuesFile, release.values[0]);
      const [, ...rendererArgs] = release.postrender.args as string[];
      const result = helm(
        "template",
        release.name,
        join(dir, "demo"),
        "--namespace",
        "api",
        "-f",
        valuesFile,
        "--post-renderer",
        release.postrender.binary_path,
        ...[COLOUR_LABELS_SCRIPT, ...rendererArgs].flatMap((a) => ["--post-renderer-args", a]),
      );
      if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
      rendered[release.name] = manifestObjects(result.stdout);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const one = (colour: string, kind: string) => {
    const found = rendered[`api-${colour}`].filter(
      (o) => o.kind === kind && !o.metadata.annotations?.["helm.sh/hook"],
    );
    expect(found).toHaveLength(1);
    return found[0];
  };
  const platform = (type: string, name: string) =>
    Object.values(resources(json, type)).find((r) => (r.metadata as any).name === name) as any;

  test.each(COLOURS)(
    "%s: the Service selects exactly releaseInstanceColourSelector's labels",
    (colour) => {
      const service = one(colour, "Service");
      expect(service.metadata.name).toBe(`api-${colour}`);
      expect(service.spec.selector).toEqual({
        "app.kubernetes.io/name": "demo",
        ...releaseInstanceColourSelector(colour, `api-${colour}`),
      });
    },
  );

  test.each(COLOURS)(
    "%s: the PDB, HPA and NetworkPolicy agree with the rendered objects",
    (colour) => {
      const service = one(colour, "Service");
      const deployment = one(colour, "Deployment");
      const podLabels = deployment.spec.template.metadata.labels;
      const other = one(colour === "blue" ? "green" : "blue", "Deployment").spec.template.metadata
        .labels;
      for (const selector of [
        platform("kubernetes_pod_disruption_budget_v1", `api-${colour}`).spec.selector.match_labels,
        platform("kubernetes_network_policy_v1", `api-${colour}-allow-alb-and-monitoring`).spec
          .pod_selector.match_labels,
      ]) {
        for (const [key, value] of Object.entries(selector)) expect(podLabels[key]).toBe(value);
        // and never the other colour's pods
        expect(Object.entries(selector).every(([key, value]) => other[key] === value)).toBe(false);
        for (const [key, value] of Object.entries(selector))
          expect(service.spec.selector[key]).toBe(value);
      }
      expect(
        platform("kubernetes_horizontal_pod_autoscaler_v2", `api-${colour}`).spec.scale_target_ref
          .name,
      ).toBe(deployment.metadata.name);
      // the chart's own autoscaler stays off
      expect(rendered[`api-${colour}`].filter((o) => o.kind === "HorizontalPodAutoscaler")).toEqual(
        [],
      );
    },
  );

  test.each(COLOURS)(
    "%s: the ALB's Service selects the rendered pods on the container's port, as does the NetworkPolicy",
    (colour) => {
      const service = one(colour, "Service");
      const deployment = one(colour, "Deployment");
      const container = deployment.spec.template.spec.containers[0];
      expect(service.spec.ports[0].port).toBe(80);
      const named = container.ports.find((p: any) => p.name === service.spec.ports[0].targetPort);
      const albService = platform("kubernetes_service_v1", `api-${colour}-alb`);
      for (const [key, value] of Object.entries(albService.spec.selector)) {
        expect(deployment.spec.template.metadata.labels[key]).toBe(value);
      }
      expect(albService.spec.port[0].target_port).toBe(String(named.containerPort));
      const policy = platform(
        "kubernetes_network_policy_v1",
        `api-${colour}-allow-alb-and-monitoring`,
      );
      expect(policy.spec.ingress[0].ports).toEqual([
        { port: String(named.containerPort), protocol: "TCP" },
      ]);
    },
  );

  test.each(COLOURS)("%s: pods carry the colour and its version, and pass restricted", (colour) => {
    const deployment = one(colour, "Deployment");
    const version = colour === "blue" ? "1.27.0" : "1.27.1";
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      colour,
      "app.kubernetes.io/version": version,
    });
    const container = deployment.spec.template.spec.containers[0];
    expect(container.image).toBe(`nginx:${version}`);
    expect(
      restrictedProblems(container.securityContext, deployment.spec.template.spec.securityContext),
    ).toEqual([]);
    expect(container.resources.requests).toEqual({ cpu: "100m", memory: "64Mi" });
  });
});
