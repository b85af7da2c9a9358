/**
 * `@kubernetes/client-node` 1.x is an ES module. Node 20.19+ `require`s ES modules natively, but
 * jest's module loader does not (it would need the package and its ESM dependencies transformed).
 * Tests that exercise code importing client-node map the package to the copy Node itself loads:
 *
 * ```ts
 * jest.mock("@kubernetes/client-node", () =>
 *   jest.requireActual("../support/client-node").loadClientNode(),
 * );
 * ```
 *
 * The code under test then runs the real client, unchanged; only the loader differs. (Its objects
 * come from Node's main realm, so code must not rely on `instanceof Error`/`Date` for them.)
 */

import type { createRequire } from "node:module";

/** The real `@kubernetes/client-node`, loaded by Node's own `require`. */
export function loadClientNode(): unknown {
  const getBuiltinModule = (
    process as unknown as {
      getBuiltinModule?: (id: string) => { createRequire: typeof createRequire };
    }
  ).getBuiltinModule;
  if (!getBuiltinModule) {
    throw new Error(
      "loading @kubernetes/client-node in jest needs Node >= 20.19 (require of ES modules)",
    );
  }
  return getBuiltinModule("node:module").createRequire(__filename)("@kubernetes/client-node");
}
