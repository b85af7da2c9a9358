/**
 * `npm ci` refuses a lock file that lacks an optional dependency of a locked package, even one
 * for another platform. npm drops such entries when the registry it resolves against has no
 * version of them (squawk-cli's per-platform binaries): this keeps them in.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers";

test("every optional dependency of a locked package is in the lock file", () => {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  const missing = Object.entries(lock.packages).flatMap(([path, entry]) =>
    Object.keys(entry.optionalDependencies ?? {})
      .filter((name) => {
        const nested = `${path}/node_modules/${name}`;
        return !lock.packages[nested] && !lock.packages[`node_modules/${name}`];
      })
      .map((name) => `${path || "(root)"} -> ${name}`),
  );
  expect(missing).toEqual([]);
});
