/** The platform-owned local Helm charts under constructs/charts/, shipped with the package. */
import { join } from "node:path";
import type { Construct } from "constructs";
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";

/** The local charts, by folder name under constructs/charts/. */
export const LOCAL_CHARTS = ["namespace-secrets"] as const;
/** A local chart of the platform. */
export type LocalChart = (typeof LOCAL_CHARTS)[number];

/** Absolute path of a local chart's folder (next to the compiled module, in dist/ too). */
export function localChartDirectory(chart: LocalChart): string {
  return join(__dirname, "..", "charts", chart);
}

/**
 * The `chart` of a `helm_release` installing a local chart: the chart folder is a cdktf asset of
 * the stack (one copy per stack, construct id `<chart>-chart` directly under the stack), so the
 * path is relative to the synthesized stack folder, Terraform's working directory, and works on
 * any machine that runs the plan; the folder is named by the chart's content hash, so a changed
 * template changes the path and Terraform upgrades the release. The leading `./` makes Helm read
 * it as a path, never as a repository chart name.
 */
export function localChartPath(scope: Construct, chart: LocalChart): string {
  const stack = TerraformStack.of(scope);
  const id = `${chart}-chart`;
  const existing = stack.node.tryFindChild(id);
  if (existing !== undefined && !(existing instanceof TerraformAsset)) {
    throw new Error(
      `${stack.node.path}: the construct id ${id} is reserved for the ${chart} local chart asset`,
    );
  }
  const asset =
    (existing as TerraformAsset | undefined) ??
    new TerraformAsset(stack, id, { path: localChartDirectory(chart), type: AssetType.DIRECTORY });
  return `./${asset.path}`;
}
