import { resourceRule } from "../rule";

/** An exact chart version: no ranges, no `latest`, bare semver. */
const EXACT = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmChartPinned = resourceRule({
  id: "helm-chart-pinned",
  severity: "error",
  description: "Every Helm release pins an exact chart version from a named repository.",
  reason:
    "Without a version Helm installs whatever is newest at apply time, so the same plan deploys different code on different days and a review means nothing.",
  reference:
    "DESIGN.md section 2 (chart versions are pinned); Helm docs, helm install --version; checkov CKV_TF_1 (module sources pinned, the same practice)",
  fix: 'Set version to an exact chart version (e.g. "1.13.3", no ranges) and repository to the chart\'s repository URL.',
  types: ["helm_release"],
  check(release) {
    const version = release.config.version;
    const chart = String(release.config.chart ?? "");
    const local = chart.startsWith("./") || chart.startsWith("/") || chart.startsWith("../");
    if (local) return undefined; // a chart in this repository is pinned by the commit
    if (typeof version !== "string" || !EXACT.test(version))
      return `version is ${JSON.stringify(version ?? null)}, not an exact chart version`;
    if (!release.config.repository && !chart.startsWith("oci://"))
      return "no repository: the chart comes from whatever repository the machine has configured";
    return undefined;
  },
});
