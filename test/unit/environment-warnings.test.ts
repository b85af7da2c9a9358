/**
 * Synthesis warnings about valid environment files (config/warnings.ts, stacks/app.ts): printed,
 * never fatal, each naming the file and field. Dates are injected: no test depends on the real date.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environmentWarnings } from "../../config/warnings";
import { buildApp } from "../../stacks/app";
import { environment, environmentFolder, rawEnvironment } from "../helpers";

/**
 * The file on an older minor, without the app's secrets and database: External Secrets Operator 2.8 is tested
 * on 1.35 and 1.36 only, so a file that syncs secrets is refused on 1.32 (config/rules.ts).
 */
function onOlderMinor(raw: any, version: string): void {
  raw.cluster.kubernetesVersion = version;
  for (const app of Object.values(raw.apps ?? {}) as any[]) {
    delete app.secrets;
    delete app.database; // the database bootstrap needs the operator too
    delete app.migrations;
  }
  delete raw.monitoring; // so do the alert receivers' keys
}

describe("environment warnings", () => {
  test("none for the shipped environments on 2026-12-01 (1.35 is in standard support)", () => {
    for (const name of ["dev", "staging", "prod"])
      expect(environmentWarnings(environment(name), "2026-12-01")).toEqual([]);
  });

  test("warns when the cluster's version is out of standard support on the day of synthesis", () => {
    const env = environment("prod", (raw: any) => onOlderMinor(raw, "1.32"));
    expect(environmentWarnings(env, "2026-12-01")).toEqual([
      {
        field: "cluster.kubernetesVersion",
        message:
          '"1.32" is out of EKS standard support since 2026-03-23: with supportType STANDARD EKS upgrades the control plane automatically, and the next plan tries to move it back to 1.32, which EKS refuses; upgrade one minor version at a time, next 1.33 (newest in standard support: 1.35, until 2027-03-27)',
      },
    ]);
  });

  test("the warning follows the file's supportType", () => {
    const env = environment("prod", (raw: any) => {
      onOlderMinor(raw, "1.32");
      raw.cluster.supportType = "EXTENDED";
    });
    expect(environmentWarnings(env, "2026-12-01")[0].message).toContain(
      "the cluster runs on paid extended support until 2027-03-23",
    );
  });

  test("buildApp formats them per file and also annotates the cluster construct", () => {
    const prod = rawEnvironment("prod") as any;
    onOlderMinor(prod, "1.32");
    const dir = environmentFolder({ prod, dev: rawEnvironment("dev") });
    const { app, warnings } = buildApp({
      environmentDirectory: dir,
      outdir: mkdtempSync(join(tmpdir(), "platform-warnings-")),
      today: "2026-12-01",
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^Warning: .*prod\.yaml: cluster\.kubernetesVersion: "1\.32" is out of EKS standard support since 2026-03-23: /,
      ),
    ]);
    const annotated = app.node
      .findAll()
      .filter((c) => c.node.metadata.some((m) => m.type === "@cdktf/warn"))
      .map((c) => c.node.path);
    expect(annotated).toEqual(["prod-infrastructure/cluster"]);
  });
});
