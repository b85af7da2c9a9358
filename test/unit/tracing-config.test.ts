/** The environment file's `tracing` section: typed, defaults by tier, the collector's value rules. */
import { stringify } from "yaml";
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
