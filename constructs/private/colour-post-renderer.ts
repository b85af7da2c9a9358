/** The Helm post-renderer that labels every object of a colour's release with its colour and version. */
import { join } from "node:path";
import type { Construct } from "constructs";
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";
import type { ReleasePostrender } from "@cdktf/provider-helm/lib/release";
import type { Colour } from "../blue-green-release";
import { isToken } from "./validation";

/** The script, run by `node` (plain CommonJS, no build step). */
export const COLOUR_LABELS_SCRIPT = join(__dirname, "..", "post-renderers", "colour-labels.cjs");

/** Construct id of the script's asset, directly under the stack: one copy per stack, a stable path. */
export const COLOUR_LABELS_ASSET_ID = "colour-labels-post-renderer";

/** A Kubernetes label value (not empty); the script checks the same. */
const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** The stack's copy of the script, created on first use. */
function colourLabelsAsset(scope: Construct): TerraformAsset {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(COLOUR_LABELS_ASSET_ID);
  if (existing === undefined) {
    return new TerraformAsset(stack, COLOUR_LABELS_ASSET_ID, {
      path: COLOUR_LABELS_SCRIPT,
      type: AssetType.FILE,
    });
  }
  if (!(existing instanceof TerraformAsset)) {
    throw new Error(
      `${stack.node.path}: the construct id ${COLOUR_LABELS_ASSET_ID} is reserved for the colour-labels post-renderer asset`,
    );
  }
  return existing;
}

/**
 * The `postrender` of a colour's `helm_release`: Helm pipes the rendered manifests through
 * `node <script> <colour> <version>`, which sets the labels `colour` and
 * `app.kubernetes.io/version` on every object and pod template (charts such as podinfo set
 * neither from values). The script is a cdktf asset of the stack: the path is relative to the
 * stack folder (Terraform's working directory) and named by the script's content hash, so it is
 * the same on every machine and changes only when the script does. `node` is looked up on PATH
 * of the machine running Terraform. Helm does not post-render hooks (e.g. `helm test` pods).
 */
export function colourPostRenderer(
  scope: Construct,
  colour: Colour,
  version: string,
): ReleasePostrender {
  if (!isToken(version) && !LABEL_VALUE.test(version)) {
    throw new Error(
      `${scope.node.path}: version ${JSON.stringify(version)} of ${colour} is not a Kubernetes label value: expected at most 63 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting and ending with a letter or digit`,
    );
  }
  return {
    binaryPath: "node",
    args: [colourLabelsAsset(scope).path, colour, version],
  };
}
