/**
 * A `BlueGreenRelease` of podinfo in a development-tier test stack: blue on 6.7.0 (stable), green
 * on 6.7.1, both from chart 6.7.1 with no values of their own. Tests spread it and override what
 * they are about.
 */
import type { BlueGreenReleaseProps } from "../../constructs/blue-green-release";

export const PODINFO_RELEASE: BlueGreenReleaseProps = {
  name: "web",
  namespace: "web",
  chart: { repository: "https://stefanprodan.github.io/podinfo", name: "podinfo" },
  host: "app.example.com",
  servicePort: 9898,
  healthPath: "/healthz",
  loadBalancerCidrs: ["10.30.128.0/22"],
  tier: "development",
  release: {
    stable: "blue",
    canaryWeight: 0,
    blue: { version: "6.7.0", chart: "6.7.1", values: {} },
    green: { version: "6.7.1", chart: "6.7.1", values: {} },
  },
};
