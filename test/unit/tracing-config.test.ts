/**
 * The environment file's `tracing` section (typed, defaults by tier, the collector's value rules),
 * and the labels the collector's k8s_attributes reads being the ones the stack really sets.
 */
import { spawnSync } from "node:child_process";
import { parse as parseYaml, stringify } from "yaml";
import { COLOUR_LABELS_SCRIPT } from "../../constructs/private/colour-post-renderer";
import { APP_NAMESPACE_LABEL, COLOUR_POD_LABEL } from "../../constructs/private/tracing";
import { parseEnvironment } from "../../config/load";
import { environment, environmentStacks, rawEnvironment, resources } from "../helpers";

function parse(name: string, tracing: unknown) {
  const raw = rawEnvironment(name);
  raw.tracing = tracing;
  return parseEnvironment(stringify(raw), name);
}

const collectorValues = (name: string, edit?: (raw: Record<string, unknown>) => void) => {
  const { workloads } = environmentStacks(name, false, edit);
  const release = Object.values(resources(workloads, "helm_release")).find(
    (r) => r.name === "opentelemetry-collector",
  ) as any;
  return JSON.parse(release.values[0]);
};

describe("tracing in the environment file", () => {
  test("is optional: the ratio is the tier's (100% in development, 10% in production)", () => {
    expect(environment("dev").tracing).toEqual({});
    expect(collectorValues("dev").alternateConfig.processors.probabilistic_sampler).toEqual({
      sampling_percentage: 100,
    });
    expect(collectorValues("prod").alternateConfig.processors.probabilistic_sampler).toEqual({
      sampling_percentage: 10,
    });
  });

  test("samplingRatio overrides the tier's", () => {
    const values = collectorValues("prod", (raw) => {
      raw.tracing = { samplingRatio: 0.5 };
    });
    expect(values.alternateConfig.processors.probabilistic_sampler).toEqual({
      sampling_percentage: 50,
    });
  });

  test("fails when samplingRatio is not a ratio, or the section has an unknown key", () => {
    expect(parse("dev", { samplingRatio: 2 }).problems).toEqual([
      {
        field: "tracing.samplingRatio",
        received: 2,
        expected:
          "a ratio greater than 0 and at most 1 (0.1 keeps 10% of traces; 1 keeps every trace)",
      },
    ]);
    expect(parse("dev", { ratio: 0.5 }).problems.map((p) => p.field)).toEqual(["tracing.ratio"]);
  });
});

describe("the labels k8s_attributes reads", () => {
  test("the app namespace carries app.kubernetes.io/part-of: <app> (read as `app`)", () => {
    const { workloads } = environmentStacks("dev");
    const namespace = Object.values(resources(workloads, "kubernetes_namespace_v1")).find(
      (n) => (n.metadata as any).name === "web",
    ) as any;
    expect(namespace.metadata.labels[APP_NAMESPACE_LABEL]).toBe("web");
    const collector = Object.values(resources(workloads, "helm_release")).find(
      (r) => r.name === "opentelemetry-collector",
    ) as any;
    const labels = JSON.parse(collector.values[0]).alternateConfig.processors.k8s_attributes.extract
      .labels;
    expect(labels).toContainEqual({ tag_name: "app", key: APP_NAMESPACE_LABEL, from: "namespace" });
    expect(labels).toContainEqual({ tag_name: "colour", key: COLOUR_POD_LABEL, from: "pod" });
  });

  test("the colour post-renderer puts the colour label on pod templates (read as `colour`)", () => {
    const manifest = stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web-green" },
      spec: { template: { metadata: { labels: { "app.kubernetes.io/name": "web-green" } } } },
    });
    const result = spawnSync(process.execPath, [COLOUR_LABELS_SCRIPT, "green", "6.7.1"], {
      input: manifest,
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    expect(parseYaml(result.stdout).spec.template.metadata.labels[COLOUR_POD_LABEL]).toBe("green");
  });
});
