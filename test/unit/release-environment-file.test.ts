import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentFile, lineDiff, ReleaseRefusal } from "../../release/environment-file";
import { ENVIRONMENTS_DIR } from "../helpers";

const staging = () => EnvironmentFile.read(ENVIRONMENTS_DIR, "staging");

/** The lines of `after` that are not in `before` (and vice versa). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  return { removed: a.filter((l) => !b.includes(l)), added: b.filter((l) => !a.includes(l)) };
}

describe("release edits of an environment file", () => {
  it("changes only the canaryWeight line on a shift, comments and layout byte for byte", () => {
    const before = staging();
    const after = before.withCanaryWeight("web", 25);
    expect(changedLines(before.text, after.text)).toEqual({
      removed: ["      canaryWeight: 10"],
      added: ["      canaryWeight: 25"],
    });
    expect(after.text).toContain(
      "release: # each colour pins its image version, chart version and values",
    );
    expect(after.snapshot("web").canaryWeight).toBe(25);
  });

  it("starts a version on the idle colour with the app's chart version and values", () => {
    const before = staging().withCanaryWeight("web", 0);
    const after = before.startOnIdle("web", "6.8.0");
    // stable is green, so blue is idle
    expect(changedLines(before.text, after.text)).toEqual({
      removed: ["      blue: { version: 6.7.1, chart: 6.7.1, values: { replicaCount: 2 } }"],
      // the app's config is pinned with the values (apps.web.config in the shipped file)
      added: [
        '      blue: { version: 6.8.0, chart: 6.7.1, values: { replicaCount: 2 }, config: { PODINFO_LEVEL: info, PODINFO_RANDOM_DELAY: "false" }, secrets: [ API_TOKEN ] }',
      ],
    });
    expect(after.app("web").release.green).toEqual(before.app("web").release.green);
  });

  it("copies new app defaults into the started colour only", () => {
    const text = staging()
      .text.replace(
        "values: { replicaCount: 2 }\n    release",
        "values: { replicaCount: 3, ui: { message: hi } }\n    release",
      )
      .replace("canaryWeight: 10", "canaryWeight: 0");
    const file = new EnvironmentFile(join(ENVIRONMENTS_DIR, "staging.yaml"), text);
    const after = file.startOnIdle("web", "6.8.0");
    expect(after.app("web").release.blue.values).toEqual({
      replicaCount: 3,
      ui: { message: "hi" },
    });
    expect(after.app("web").release.green.values).toEqual({ replicaCount: 2 });
  });

  it("quotes a version YAML would read as a number", () => {
    const after = staging().withCanaryWeight("web", 0).startOnIdle("web", "1.10");
    expect(after.text).toContain('blue: { version: "1.10"');
    expect(after.app("web").release.blue.version).toBe("1.10");
  });

  it("promotes: the idle colour stable, weight 0", () => {
    const after = staging().withStable("web", "blue");
    expect(after.snapshot("web")).toMatchObject({ stable: "blue", canaryWeight: 0 });
    expect(changedLines(staging().text, after.text).added).toEqual([
      "      stable: blue",
      "      canaryWeight: 0",
    ]);
  });

  it("restores a colour's entry to its exact previous text", () => {
    const before = staging().withCanaryWeight("web", 0);
    const previous = before.colourEntry("web", "blue");
    const restored = before.startOnIdle("web", "6.8.0").restoreEntry("web", "blue", previous);
    expect(restored.text).toBe(before.text);
    // from the journal's data alone (another process) the values are the same
    const fromData = before
      .startOnIdle("web", "6.8.0")
      .restoreEntry("web", "blue", { data: previous.data });
    expect(fromData.app("web").release.blue).toEqual(before.app("web").release.blue);
  });

  it("edits block-style release entries in place", () => {
    const text = staging()
      .text.replace(
        "      blue: { version: 6.7.1, chart: 6.7.1, values: { replicaCount: 2 } }",
        "      blue:\n        version: 6.7.1 # pinned\n        chart: 6.7.1\n        values:\n          replicaCount: 2",
      )
      .replace("canaryWeight: 10", "canaryWeight: 0");
    const file = new EnvironmentFile(join(ENVIRONMENTS_DIR, "staging.yaml"), text);
    const after = file.startOnIdle("web", "6.8.0");
    expect(after.text).toContain("        version: 6.8.0 # pinned\n        chart: 6.7.1\n");
    // a field the entry lacks is appended at its indentation; the comment stays
    expect(after.text).toContain(
      '          replicaCount: 2\n        config: { PODINFO_LEVEL: info, PODINFO_RANDOM_DELAY: "false" }\n        secrets: [ API_TOKEN ]\n      green:',
    );
    expect(after.app("web").release.blue).toEqual({
      version: "6.8.0",
      chart: "6.7.1",
      values: { replicaCount: 2 },
      config: { PODINFO_LEVEL: "info", PODINFO_RANDOM_DELAY: "false" },
      secrets: ["API_TOKEN"],
    });
  });

  it("fails when an edit would make the file invalid, naming the field, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-file-"));
    const path = join(dir, "staging.yaml");
    writeFileSync(path, readFileSync(join(ENVIRONMENTS_DIR, "staging.yaml"), "utf8"));
    const file = EnvironmentFile.read(dir, "staging");
    expect(() => file.startOnIdle("web", "latest")).toThrow(ReleaseRefusal);
    expect(() => file.startOnIdle("web", "latest")).toThrow(
      /apps\.web\.release\.blue\.version: received "latest"; expected a pinned image tag/,
    );
    expect(readFileSync(path, "utf8")).toBe(file.text);
  });

  it("fails when the app does not exist, naming the apps there are", () => {
    expect(() => staging().app("api")).toThrow(/no app "api" under apps \(apps here: web\)/);
  });

  it("fails when there is no file for the environment, naming where it looked", () => {
    expect(() => EnvironmentFile.read(ENVIRONMENTS_DIR, "qa")).toThrow(
      /No environment file for "qa": looked for .*qa\.yaml and .*qa\.yml/,
    );
  });

  it("writes atomically and reads back what it wrote", () => {
    const dir = mkdtempSync(join(tmpdir(), "release-file-"));
    writeFileSync(join(dir, "staging.yaml"), staging().text);
    const next = EnvironmentFile.read(dir, "staging").withCanaryWeight("web", 50);
    next.write();
    expect(EnvironmentFile.read(dir, "staging").snapshot("web").canaryWeight).toBe(50);
  });

  it("shows an edit as a small diff", () => {
    expect(lineDiff("a\nb\nc\n", "a\nB\nc\n")).toBe("@@ line 2\n- b\n+ B");
    expect(lineDiff("a\n", "a\n")).toBe("(no change)");
  });
});
