/**
 * The platform against what podinfo 6.7.1 really renders (`charts/podinfo` at tag 6.7.1, modelled
 * in test/support/podinfo-chart.ts): for every shipped environment and both colours, the Helm
 * values the workloads stack synthesizes are rendered the chart's way, and everything the
 * platform creates around the release (PDB, HPA, NetworkPolicy, ALB action, ServiceMonitor)
 * must agree with the Service selector and pod labels that come out.
 */
import { spawnSync } from "node:child_process";
import { parseAllDocuments, stringify } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { COLOURS } from "../../constructs/blue-green-release";
import { COLOUR_LABELS_SCRIPT } from "../../constructs/private/colour-post-renderer";
import { restrictedProblems } from "../../constructs/private/pod-security";
import { renderPodinfo, selectorLabels, type Rendered } from "../support/podinfo-chart";
import { environment, environmentStacks, resources, type StackJson } from "../helpers";

const byKind = (objects: Rendered[], kind: string) => objects.filter((o) => o.kind === kind);

function kubernetes(json: StackJson, type: string, name: string): Record<string, any> | undefined {
  return Object.values(resources(json, type)).find((r) => (r.metadata as any)?.name === name);
}

function releaseValues(json: StackJson, name: string): Record<string, unknown> {
  const release = Object.values(resources(json, "helm_release")).find((r) => r.name === name)!;
  return JSON.parse((release.values as string[])[0]) as Record<string, unknown>;
}

describe.each(["dev", "staging", "prod"])("podinfo 6.7.1 in %s", (env) => {
  const { workloads } = environmentStacks(env);

  describe.each(COLOURS)("colour %s", (colour) => {
    const releaseName = `web-${colour}`;
    const values = releaseValues(workloads, releaseName);
    const objects = renderPodinfo(values, releaseName);
    const [deployment] = byKind(objects, "Deployment");
    const [service] = byKind(objects, "Service");
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const serviceSelector = service.spec.selector as Record<string, string>;

    test("the Service and Deployment are named <app>-<colour>", () => {
      expect(service.name).toBe(releaseName);
      expect(deployment.name).toBe(releaseName);
    });

    test("the pods carry only app.kubernetes.io/name (_helpers.tpl podinfo.selectorLabels)", () => {
      // The defect this guards against: a selector on app.kubernetes.io/instance, which podinfo
      // never renders, selected no pod at all.
      expect(podLabels).toEqual({ "app.kubernetes.io/name": releaseName });
      expect(serviceSelector).toEqual(podLabels);
      expect(selectorLabels(values, releaseName)).toEqual(serviceSelector);
    });

    test("the NetworkPolicy allow rule selects exactly the Service's pods", () => {
      const policy = kubernetes(
        workloads,
        "kubernetes_network_policy_v1",
        `${releaseName}-allow-alb-and-monitoring`,
      )!;
      expect(policy.spec.pod_selector.match_labels).toEqual(serviceSelector);
      // the port it opens is the container port the Service's targetPort "http" names
      const http = deployment.spec.template.spec.containers[0].ports.find(
        (p: { name: string }) => p.name === service.spec.ports[0].targetPort,
      );
      expect(policy.spec.ingress[0].ports).toEqual([
        { port: String(http.containerPort), protocol: "TCP" },
      ]);
    });

    test("the PodDisruptionBudget and HPA (production) target the Service's pods and Deployment", () => {
      const budget = kubernetes(workloads, "kubernetes_pod_disruption_budget_v1", releaseName);
      const hpa = kubernetes(workloads, "kubernetes_horizontal_pod_autoscaler_v2", releaseName);
      if (env === "prod") {
        expect(budget!.spec.selector.match_labels).toEqual(serviceSelector);
        expect(hpa!.spec.scale_target_ref).toEqual({
          api_version: "apps/v1",
          kind: "Deployment",
          name: deployment.name,
        });
        // the chart's own budget and autoscaler stay off: one of each per Deployment
        expect(byKind(objects, "PodDisruptionBudget")).toEqual([]);
        expect(byKind(objects, "HorizontalPodAutoscaler")).toEqual([]);
        expect(deployment.spec.replicas).toBeGreaterThanOrEqual(hpa!.spec.min_replicas);
      } else {
        expect(budget).toBeUndefined();
        expect(hpa).toBeUndefined();
      }
    });

    test("the ALB's Service selects the chart's pods and targets the container's port", () => {
      const ingress = Object.values(resources(workloads, "kubernetes_ingress_v1"))[0] as any;
      const action = JSON.parse(
        ingress.metadata.annotations["alb.ingress.kubernetes.io/actions.blue-green"],
      );
      const group = action.forwardConfig.targetGroups.find(
        (g: { serviceName: string }) => g.serviceName === `${releaseName}-alb`,
      );
      const albService = kubernetes(workloads, "kubernetes_service_v1", group.serviceName)!;
      expect(albService.spec.selector).toEqual(serviceSelector);
      expect(albService.spec.port[0].port).toBe(group.servicePort);
      const http = deployment.spec.template.spec.containers[0].ports.find(
        (p: { name: string }) => p.name === "http",
      );
      expect(albService.spec.port[0].target_port).toBe(String(http.containerPort));
    });

    test("a ServiceMonitor scrapes /metrics of this colour's Service (series label service=<app>-<colour>)", () => {
      const [monitor] = byKind(objects, "ServiceMonitor");
      expect(monitor.spec.selector.matchLabels).toEqual(serviceSelector);
      for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
        expect(service.labels[key]).toBe(value);
      }
      expect(monitor.spec.endpoints).toEqual([
        { path: "/metrics", port: service.spec.ports[0].name, interval: "15s" },
      ]);
      // the Prometheus Operator sets `service` from __meta_kubernetes_service_name
      // (prometheus-operator pkg/prometheus/promcfg.go), so the colours' series differ by it
      expect(service.name).toBe(releaseName);
    });

    test("the container passes Pod Security restricted", () => {
      const container = deployment.spec.template.spec.containers[0];
      expect(restrictedProblems(container.securityContext)).toEqual([]);
      const namespace = Object.values(resources(workloads, "kubernetes_namespace_v1")).find(
        (n) => (n.metadata as any).name === "web",
      ) as any;
      expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    });

    test("the container requests realistic CPU and memory and has limits", () => {
      const container = deployment.spec.template.spec.containers[0];
      expect(container.resources).toEqual({
        requests: { cpu: "100m", memory: "64Mi" },
        limits: { cpu: "1", memory: "128Mi" },
      });
    });

    test("after the post-renderer the pods show the colour and its version (kubectl get pods -L colour)", () => {
      const release = Object.values(resources(workloads, "helm_release")).find(
        (r) => r.name === releaseName,
      ) as any;
      const [, ...args] = release.postrender.args as string[];
      const manifest = objects
        .map((o) =>
          stringify(
            {
              apiVersion: o.apiVersion,
              kind: o.kind,
              metadata: { name: o.name, labels: o.labels },
              spec: o.spec,
            },
            // Helm writes no YAML aliases (the model shares label objects)
            { aliasDuplicateObjects: false },
          ),
        )
        .join("---\n");
      const result = spawnSync(release.postrender.binary_path, [COLOUR_LABELS_SCRIPT, ...args], {
        input: manifest,
        encoding: "utf8",
      });
      expect(result.stderr).toBe("");
      const after = parseAllDocuments(result.stdout).map((d) => d.toJS());
      const deploymentAfter = after.find((o) => o.kind === "Deployment");
      // podinfo's templates set neither label (no podLabels value; the version is the chart's appVersion)
      expect(podLabels).not.toHaveProperty("colour");
      expect(deploymentAfter.spec.template.metadata.labels).toEqual({
        ...podLabels,
        colour,
        "app.kubernetes.io/version": environment(env).apps.web.release[colour].version,
      });
      expect(deploymentAfter.spec.selector).toEqual(deployment.spec.selector);
      expect(after.find((o) => o.kind === "Service").spec.selector).toEqual(serviceSelector);
    });

    test("the colour traces as <app>-<colour> to the collector, in a Deployment the API accepts", () => {
      const container = deployment.spec.template.spec.containers[0];
      // templates/deployment.yaml: extraArgs after the chart's own flags; podinfo 6.7.x traces
      // only with --otel-service-name (cmd/podinfo/main.go, pkg/api/http/tracer.go)
      expect(container.command.slice(0, 2)).toEqual(["./podinfo", "--port=9898"]);
      expect(container.command.filter((a: string) => a.startsWith("--otel-"))).toEqual([
        `--otel-service-name=${releaseName}`,
      ]);
      expect(container.command[container.command.length - 1]).toBe(
        `--otel-service-name=${releaseName}`,
      );
      // extraEnvs verbatim in env: the OTLP gRPC exporter's endpoint, plaintext (http://)
      const traces = (container.env as { name: string; value: string }[]).filter(
        (e) => e.name === "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
      );
      expect(traces).toEqual([
        {
          name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          value: expect.stringMatching(/^http:\/\/opentelemetry-collector\..+:4317$/),
        },
      ]);
      expect(() =>
        new Deployment({
          metadata: { name: deployment.name, labels: deployment.labels },
          spec: deployment.spec as any,
        }).validate(),
      ).not.toThrow();
    });

    test("the image tag is the colour's version in the environment file", () => {
      const version = environment(env).apps.web.release[colour].version;
      expect(deployment.spec.template.spec.containers[0].image).toBe(
        `ghcr.io/stefanprodan/podinfo:${version}`,
      );
    });
  });
});
