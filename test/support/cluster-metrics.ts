/**
 * A loopback server playing the cluster's exporters for the dashboard tests: the kubelet's cAdvisor
 * (`/metrics/cadvisor`) and kube-state-metrics (`/metrics/kube-state-metrics`), with the metric and
 * label names the platform's dashboards and alert rules read (cAdvisor's
 * `container_cpu_usage_seconds_total{namespace,pod,container}`, kube-state-metrics v2's
 * `kube_pod_container_resource_limits{resource}`, `kube_node_labels{label_*}`, ...). Counters grow
 * on every scrape, so `rate()` and `increase()` have something to show. Prometheus scrapes each
 * path as its own target, with the job labels the kube-prometheus-stack ServiceMonitors give them.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ScrapeTarget } from "./prometheus";

/** A pod of an app colour, as the exporters report it. */
export interface ClusterPod {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly node: string;
}

/** What the fake cluster holds. */
export interface ClusterShape {
  readonly pods: readonly ClusterPod[];
  /** Node name -> EKS managed node group. */
  readonly nodes: Readonly<Record<string, string>>;
  /** Namespace and name of a Deployment whose replicas are reported (the load balancer controller). */
  readonly deployment: { readonly namespace: string; readonly name: string };
}

const line = (name: string, labels: Record<string, string>, value: number) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}} ${value}`;

/** A running fake cluster exporter. */
export class ClusterMetrics {
  private scrapes = 0;
  private readonly server: Server;
  /** `127.0.0.1:<port>`. */
  address = "";

  private constructor(private readonly shape: ClusterShape) {
    this.server = createServer((req, res) => {
      const body =
        req.url === "/metrics/cadvisor"
          ? this.cadvisor()
          : req.url === "/metrics/kube-state-metrics"
            ? this.kubeStateMetrics()
            : undefined;
      if (body === undefined) return void res.writeHead(404).end("not found\n");
      this.scrapes++;
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(body);
    });
  }

  static async start(shape: ClusterShape): Promise<ClusterMetrics> {
    const metrics = new ClusterMetrics(shape);
    await new Promise<void>((resolve) => metrics.server.listen(0, "127.0.0.1", resolve));
    metrics.address = `127.0.0.1:${(metrics.server.address() as AddressInfo).port}`;
    return metrics;
  }

  /** The scrape targets, labelled as kube-prometheus-stack's ServiceMonitors label them. */
  get targets(): ScrapeTarget[] {
    return [
      {
        address: this.address,
        labels: {
          __metrics_path__: "/metrics/cadvisor",
          job: "kubelet",
          metrics_path: "/metrics/cadvisor",
        },
      },
      {
        address: this.address,
        labels: { __metrics_path__: "/metrics/kube-state-metrics", job: "kube-state-metrics" },
      },
    ];
  }

  private cadvisor(): string {
    const n = this.scrapes;
    return [
      "# TYPE container_cpu_usage_seconds_total counter",
      ...this.shape.pods.map((p) =>
        line(
          "container_cpu_usage_seconds_total",
          { namespace: p.namespace, pod: p.pod, container: p.container },
          0.2 * n,
        ),
      ),
      "# TYPE container_memory_working_set_bytes gauge",
      ...this.shape.pods.map((p) =>
        line(
          "container_memory_working_set_bytes",
          { namespace: p.namespace, pod: p.pod, container: p.container },
          64 * 2 ** 20,
        ),
      ),
      "",
    ].join("\n");
  }

  private kubeStateMetrics(): string {
    const n = this.scrapes;
    const { pods, nodes, deployment } = this.shape;
    const controllerPod = {
      namespace: deployment.namespace,
      pod: `${deployment.name}-5d8f9c7b6-abcde`,
      container: "controller",
      node: Object.keys(nodes)[0],
    };
    const all = [...pods, controllerPod];
    const container = (p: ClusterPod) => ({
      namespace: p.namespace,
      pod: p.pod,
      container: p.container,
    });
    return [
      "# TYPE kube_pod_container_resource_limits gauge",
      ...pods.flatMap((p) => [
        line(
          "kube_pod_container_resource_limits",
          { ...container(p), node: p.node, resource: "cpu", unit: "core" },
          0.5,
        ),
        line(
          "kube_pod_container_resource_limits",
          { ...container(p), node: p.node, resource: "memory", unit: "byte" },
          256 * 2 ** 20,
        ),
      ]),
      "# TYPE kube_pod_container_resource_requests gauge",
      ...all.flatMap((p) => [
        line(
          "kube_pod_container_resource_requests",
          { ...container(p), node: p.node, resource: "cpu", unit: "core" },
          0.1,
        ),
        line(
          "kube_pod_container_resource_requests",
          { ...container(p), node: p.node, resource: "memory", unit: "byte" },
          128 * 2 ** 20,
        ),
      ]),
      "# TYPE kube_pod_container_status_restarts_total counter",
      ...all.map((p) =>
        line("kube_pod_container_status_restarts_total", container(p), Math.floor(n / 3)),
      ),
      "# TYPE kube_pod_info gauge",
      ...all.map((p) =>
        line(
          "kube_pod_info",
          { namespace: p.namespace, pod: p.pod, node: p.node, created_by_kind: "ReplicaSet" },
          1,
        ),
      ),
      "# TYPE kube_node_labels gauge",
      ...Object.entries(nodes).map(([node, group]) =>
        line("kube_node_labels", { node, label_eks_amazonaws_com_nodegroup: group }, 1),
      ),
      "# TYPE kube_node_status_condition gauge",
      ...Object.keys(nodes).flatMap((node) =>
        ["true", "false", "unknown"].map((status) =>
          line(
            "kube_node_status_condition",
            { node, condition: "Ready", status },
            status === "true" ? 1 : 0,
          ),
        ),
      ),
      "# TYPE kube_node_status_allocatable gauge",
      ...Object.keys(nodes).flatMap((node) => [
        line("kube_node_status_allocatable", { node, resource: "cpu", unit: "core" }, 1.93),
        line(
          "kube_node_status_allocatable",
          { node, resource: "memory", unit: "byte" },
          7 * 2 ** 30,
        ),
        line("kube_node_status_allocatable", { node, resource: "pods", unit: "integer" }, 29),
      ]),
      "# TYPE kube_deployment_spec_replicas gauge",
      line(
        "kube_deployment_spec_replicas",
        { namespace: deployment.namespace, deployment: deployment.name },
        2,
      ),
      "# TYPE kube_deployment_status_replicas_available gauge",
      line(
        "kube_deployment_status_replicas_available",
        { namespace: deployment.namespace, deployment: deployment.name },
        2,
      ),
      "",
    ].join("\n");
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
