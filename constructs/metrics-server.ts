import { Construct } from "constructs";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { addonRelease, checkChartVersion } from "./private/addon-release";
import { ProblemList, throwIfProblems, type Problem } from "./private/validation";
import { suppressPolicy } from "../policy/suppressions";

/** The pinned chart: 3.13.0 installs metrics-server v0.8.0. */
export const METRICS_SERVER_CHART_VERSION = "3.13.0";

/** Props of {@link MetricsServer}. */
export interface MetricsServerProps {
  /** Chart version (exact). @default "3.13.0" */
  readonly chartVersion?: string;
}

/** Every problem with metrics-server props, with field paths named as the props. */
export function validateMetricsServerProps(props: MetricsServerProps): Problem[] {
  const p = new ProblemList();
  checkChartVersion(p, props.chartVersion);
  return [...p.problems];
}

/**
 * metrics-server (the resource metrics API behind HPA and `kubectl top`) in `kube-system`: two
 * replicas on different nodes where possible, and a disruption budget keeping one available, so
 * a node drain never leaves autoscalers blind.
 */
export class MetricsServer extends Construct {
  /** The Helm release. */
  readonly release: Release;
  /** Helm release name. */
  readonly releaseName: string;
  /** Namespace metrics-server runs in. */
  readonly namespace: string;
  /** The chart version installed. */
  readonly chartVersion: string;

  constructor(scope: Construct, id: string, props: MetricsServerProps = {}) {
    super(scope, id);
    throwIfProblems(this, validateMetricsServerProps(props));
    this.chartVersion = props.chartVersion ?? METRICS_SERVER_CHART_VERSION;
    this.namespace = "kube-system";
    this.releaseName = "metrics-server";
    this.release = addonRelease(this, "release", {
      name: this.releaseName,
      repository: "https://kubernetes-sigs.github.io/metrics-server/",
      chart: "metrics-server",
      version: this.chartVersion,
      namespace: this.namespace,
      timeoutSeconds: 300,
      values: {
        replicas: 2,
        // the chart's own default (metrics-server 3.13.0 values.yaml), made explicit
        resources: { requests: { cpu: "100m", memory: "200Mi" } },
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: {
                    matchLabels: {
                      "app.kubernetes.io/name": "metrics-server",
                      "app.kubernetes.io/instance": this.releaseName,
                    },
                  },
                },
              },
            ],
          },
        },
      },
    });
    suppressPolicy(this.release, {
      rule: "k8s-hpa-in-production",
      reason:
        "metrics-server's load follows the number of nodes and pods, not traffic; two fixed replicas give availability (an HPA would also depend on the metrics it serves).",
    });
  }
}
