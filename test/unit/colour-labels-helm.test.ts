import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COLOUR_LABELS_SCRIPT } from "../../constructs/private/colour-post-renderer";
import { helmRunner, HELM_VERSION, manifestObjects } from "../support/helm";

/**
 * The post-renderer under the real Helm, on the real `helm create` scaffold: what Helm pipes
 * through it and what it makes of the result.
 */
describe("colour-labels post-renderer under Helm", () => {
  let dir: string;
  let helm: ReturnType<typeof helmRunner>;
  let plain: any[];
  let rendered: any[];

  const postRenderer = (colour: string, version: string) => [
    "--post-renderer",
    "node",
    "--post-renderer-args",
    COLOUR_LABELS_SCRIPT,
    "--post-renderer-args",
    colour,
    "--post-renderer-args",
    version,
  ];
  const find = (docs: any[], kind: string) => {
    const found = docs.filter((d) => d.kind === kind);
    if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
    return found[0];
  };
  const isHook = (doc: any) => doc.metadata?.annotations?.["helm.sh/hook"] !== undefined;
  const LABELS = { colour: "blue", "app.kubernetes.io/version": "6.7.0" };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "colour-labels-helm-"));
    helm = helmRunner(dir);
    const created = helm("create", "demo");
    if (created.status !== 0) throw new Error(`helm create failed: ${created.stderr}`);
    const chart = join(dir, "demo");
    const without = helm("template", "web-blue", chart);
    const withRenderer = helm("template", "web-blue", chart, ...postRenderer("blue", "6.7.0"));
    for (const result of [without, withRenderer]) {
      if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`);
    }
    plain = manifestObjects(without.stdout);
    rendered = manifestObjects(withRenderer.stdout);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test(`is Helm ${HELM_VERSION}`, () => {
    expect(helm("version", "--short").stdout).toMatch(new RegExp(`^${HELM_VERSION}\\+`));
  });

  test("the pod template of the Deployment carries the colour and its version", () => {
    const before = find(plain, "Deployment").spec.template.metadata.labels;
    const after = find(rendered, "Deployment").spec.template.metadata.labels;
    expect(before["app.kubernetes.io/version"]).toBe("1.16.0"); // the scaffold's appVersion
    expect(before.colour).toBeUndefined();
    expect(after).toEqual({ ...before, ...LABELS });
  });

  test("the Deployment and Service selectors are exactly as Helm renders them without it", () => {
    expect(find(rendered, "Deployment").spec.selector).toEqual(
      find(plain, "Deployment").spec.selector,
    );
    expect(find(rendered, "Service").spec.selector).toEqual(find(plain, "Service").spec.selector);
    expect(find(rendered, "Service").spec.selector).toEqual({
      "app.kubernetes.io/name": "demo",
      "app.kubernetes.io/instance": "web-blue",
    });
  });

  test("the Service and Deployment labels carry the version", () => {
    for (const kind of ["Service", "Deployment"]) {
      expect(find(plain, kind).metadata.labels["app.kubernetes.io/version"]).toBe("1.16.0");
      expect(find(rendered, kind).metadata.labels).toMatchObject(LABELS);
    }
  });

  test("every other part of every object is as Helm renders it without the post-renderer", () => {
    const expected = plain.map((doc) => {
      if (isHook(doc)) return doc;
      const copy = structuredClone(doc);
      copy.metadata.labels = { ...copy.metadata.labels, ...LABELS };
      if (copy.kind === "Deployment") {
        copy.spec.template.metadata.labels = { ...copy.spec.template.metadata.labels, ...LABELS };
      }
      return copy;
    });
    expect(rendered).toEqual(expected);
    expect(rendered.map((d) => d.kind)).toEqual(["ServiceAccount", "Service", "Deployment", "Pod"]);
  });

  test("Helm does not pass hooks (the helm test Pod) through the post-renderer", () => {
    const hook = find(rendered, "Pod");
    expect(isHook(hook)).toBe(true);
    expect(hook.metadata.labels["app.kubernetes.io/version"]).toBe("1.16.0");
    expect(hook.metadata.labels.colour).toBeUndefined();
  });

  test("a bad version fails the render with the script's message", () => {
    const result = helm("template", "web-blue", join(dir, "demo"), ...postRenderer("blue", "6.7_"));
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('colour-labels: bad version "6.7_"');
  });
});
