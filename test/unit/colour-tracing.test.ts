/**
 * Tracing per colour: BlueGreenRelease's `tracesEndpoint` and the default colour values for
 * podinfo 6.7.x. podinfo traces only when `--otel-service-name` is set (stefanprodan/podinfo at
 * tag 6.7.1: `cmd/podinfo/main.go` defines the flag, "when not set tracing is disabled";
 * `pkg/api/http/tracer.go` returns a no-op tracer without it and otherwise builds an
 * `otlptracegrpc` exporter from the environment); the chart renders `extraArgs` after its own
 * flags and `extraEnvs` verbatim in `env` (`charts/podinfo/templates/deployment.yaml`; its
 * values.yaml comment shows `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as the example).
 */
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import {
  BlueGreenRelease,
  TRACES_ENDPOINT_VARIABLE,
  type BlueGreenReleaseProps,
} from "../../constructs/blue-green-release";
import { renderPodinfo } from "../support/podinfo-chart";
import { PODINFO_RELEASE } from "../support/podinfo-release";
import { rejectionLines, resources, synth, testStack } from "../helpers";

const ENDPOINT = "http://opentelemetry-collector.monitoring.svc.cluster.local:4317";

const BASE = PODINFO_RELEASE;

function colourValues(props: Partial<BlueGreenReleaseProps>) {
  const stack = testStack();
  new KubernetesProvider(stack, "kubernetes", {});
  new HelmProvider(stack, "helm", {});
  new BlueGreenRelease(stack, "web", { ...BASE, ...props });
  const releases = Object.values(resources(synth(stack), "helm_release")) as any[];
  return Object.fromEntries(
    releases.map((r) => [r.name as string, JSON.parse(r.values[0]) as Record<string, any>]),
  );
}

describe("tracing per colour", () => {
  test("with an endpoint, each colour's pods trace as <app>-<colour> to it", () => {
    const values = colourValues({ tracesEndpoint: ENDPOINT });
    for (const colour of ["blue", "green"]) {
      const name = `web-${colour}`;
      expect(values[name].extraArgs).toEqual([`--otel-service-name=${name}`]);
      expect(values[name].extraEnvs).toEqual([{ name: TRACES_ENDPOINT_VARIABLE, value: ENDPOINT }]);
      const [deployment] = renderPodinfo(values[name], name).filter((o) => o.kind === "Deployment");
      const container = deployment.spec.template.spec.containers[0];
      expect(container.command).toContain(`--otel-service-name=${name}`);
      expect(container.env).toContainEqual({ name: TRACES_ENDPOINT_VARIABLE, value: ENDPOINT });
    }
    expect(TRACES_ENDPOINT_VARIABLE).toBe("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  });

  test("without one, no colour traces (podinfo's tracer stays a no-op)", () => {
    const values = colourValues({});
    for (const v of Object.values(values)) {
      expect(v.extraArgs).toBeUndefined();
      expect(v.extraEnvs).toBeUndefined();
    }
  });

  test("a colour's own extraArgs and extraEnvs are kept, the platform's after them", () => {
    const own = {
      extraArgs: ["--ui-message=hello"],
      extraEnvs: [{ name: "PODINFO_UI_COLOR_X", value: "1" }],
    };
    const values = colourValues({
      tracesEndpoint: ENDPOINT,
      release: { ...BASE.release, blue: { ...BASE.release.blue, values: own } },
    });
    expect(values["web-blue"].extraArgs).toEqual([
      "--ui-message=hello",
      "--otel-service-name=web-blue",
    ]);
    expect(values["web-blue"].extraEnvs).toEqual([
      { name: "PODINFO_UI_COLOR_X", value: "1" },
      { name: TRACES_ENDPOINT_VARIABLE, value: ENDPOINT },
    ]);
    expect(values["web-green"].extraArgs).toEqual(["--otel-service-name=web-green"]);
  });

  test("fails when a colour's configuration sets the traces endpoint too", () => {
    expect(
      rejectionLines(() =>
        colourValues({
          tracesEndpoint: ENDPOINT,
          release: {
            ...BASE.release,
            green: { ...BASE.release.green, config: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "x" } },
          },
        }),
      ),
    ).toEqual([
      'test/web: release.green.config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: received "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"; expected a variable the podinfo chart does not set itself (it sets PODINFO_UI_COLOR, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT from its values: set the chart value instead)',
    ]);
  });

  test.each(["opentelemetry-collector:4317", "grpc://collector:4317", "http://collector"])(
    "fails when the endpoint is %s",
    (endpoint) => {
      expect(rejectionLines(() => colourValues({ tracesEndpoint: endpoint }))).toEqual([
        `test/web: tracesEndpoint: received "${endpoint}"; expected an OTLP gRPC endpoint URL such as http://opentelemetry-collector.monitoring.svc.cluster.local:4317 (http:// sends plaintext)`,
      ]);
    },
  );
});
