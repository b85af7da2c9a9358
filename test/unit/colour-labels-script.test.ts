import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAllDocuments } from "yaml";
import { COLOUR_LABELS_SCRIPT } from "../../constructs/private/colour-post-renderer";
import { REPO_ROOT } from "../helpers";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of the script, without NODE_PATH (module resolution as Helm would run it). */
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== "NODE_PATH"));

function run(args: string[], input: string, script = COLOUR_LABELS_SCRIPT, cwd = REPO_ROOT): Run {
  const result = spawnSync(process.execPath, [script, ...args], {
    input,
    cwd,
    env,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The documents of a stream as plain data, read as YAML 1.1 (as Helm reads them). */
function documents(stream: string): any[] {
  return parseAllDocuments(stream, { version: "1.1" }).map((d) => d.toJS());
}

const STREAM = `---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web-blue
  labels:
    app.kubernetes.io/name: web-blue
    app.kubernetes.io/version: "1.0.0" # the chart's appVersion
spec:
  selector:
    app.kubernetes.io/name: web-blue
  ports:
    - port: 80
---
---
# a document with nothing but a comment
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-blue
  labels:
    app.kubernetes.io/name: web-blue
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: web-blue
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web-blue
      annotations:
        colour: blue
    spec:
      containers:
        - name: web
          image: ghcr.io/stefanprodan/podinfo:6.7.0
      volumes:
        - name: config
          configMap: { name: web-blue, defaultMode: 0644 }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  selector: { matchLabels: { app: db } }
  serviceName: db
  template:
    metadata: { labels: { app: db } }
    spec: { containers: [{ name: db, image: postgres }] }
  volumeClaimTemplates:
    - metadata: { name: data, labels: { app: db } }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 1Gi } } }
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
  labels:
spec:
  schedule: "0 * * * *"
  jobTemplate:
    metadata: { labels: { job: report } }
    spec:
      selector: { matchLabels: { job: report } }
      template:
        spec: { restartPolicy: Never, containers: [{ name: r, image: busybox }] }
---
apiVersion: v1
kind: Pod
metadata: { name: probe }
spec: { containers: [{ name: p, image: busybox }] }
---
apiVersion: v1
kind: List
metadata: {}
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: { name: one }
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: { name: agent }
    spec:
      selector: { matchLabels: { app: agent } }
      template:
        metadata: { labels: { app: agent } }
        spec: { containers: [{ name: a, image: agent }] }
`;

const LABELS = { colour: "green", "app.kubernetes.io/version": "6.7.1" };

describe("colour-labels post-renderer script", () => {
  const result = run(["green", "6.7.1"], STREAM);
  const input = documents(STREAM).filter((d) => d !== null);
  const output = documents(result.stdout);

  test("succeeds and writes nothing to stderr", () => {
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  test("drops empty documents and keeps the order of the others", () => {
    expect(output.map((d) => `${d.kind}/${d.metadata?.name ?? ""}`)).toEqual([
      "Service/web-blue",
      "Deployment/web-blue",
      "StatefulSet/db",
      "CronJob/report",
      "Pod/probe",
      "List/",
    ]);
  });

  test("changes exactly the object and pod template labels, nothing else", () => {
    const expected = structuredClone(input);
    const [service, deployment, statefulSet, cronJob, pod, list] = expected;
    for (const object of [service, deployment, statefulSet, cronJob, pod, ...list.items]) {
      object.metadata.labels = { ...object.metadata.labels, ...LABELS };
    }
    for (const workload of [deployment, statefulSet, list.items[1]]) {
      workload.spec.template.metadata.labels = {
        ...workload.spec.template.metadata.labels,
        ...LABELS,
      };
    }
    cronJob.spec.jobTemplate.spec.template.metadata = { labels: LABELS };
    expect(output).toEqual(expected);
  });

  test("overwrites the chart's version label and sets it on the pod template", () => {
    expect(input[0].metadata.labels["app.kubernetes.io/version"]).toBe("1.0.0");
    expect(output[0].metadata.labels["app.kubernetes.io/version"]).toBe("6.7.1");
    expect(output[1].spec.template.metadata.labels).toEqual({
      "app.kubernetes.io/name": "web-blue",
      ...LABELS,
    });
  });

  test("leaves every selector and the volumeClaimTemplates as they were", () => {
    const [service, deployment, statefulSet, cronJob, , list] = output;
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": "web-blue" });
    expect(deployment.spec.selector).toEqual({
      matchLabels: { "app.kubernetes.io/name": "web-blue" },
    });
    expect(statefulSet.spec.selector).toEqual({ matchLabels: { app: "db" } });
    expect(statefulSet.spec.volumeClaimTemplates).toEqual(input[2].spec.volumeClaimTemplates);
    expect(cronJob.spec.jobTemplate.metadata).toEqual({ labels: { job: "report" } });
    expect(cronJob.spec.jobTemplate.spec.selector).toEqual({ matchLabels: { job: "report" } });
    expect(list.items[1].spec.selector).toEqual({ matchLabels: { app: "agent" } });
    expect(list.metadata).toEqual({});
  });

  test("keeps comments and YAML 1.1 octal numbers as written", () => {
    expect(result.stdout).toContain("# Source: web/templates/deployment.yaml\n");
    expect(result.stdout).toContain("defaultMode: 0644");
    expect(output[1].spec.template.spec.volumes[0].configMap.defaultMode).toBe(0o644);
  });

  test("separates documents with ---", () => {
    expect(result.stdout.startsWith("---\n")).toBe(true);
    expect(result.stdout.match(/^---$/gm)).toHaveLength(6);
  });

  test("quotes a version that YAML would read as a number", () => {
    const out = run(["blue", "10"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    expect(out.status).toBe(0);
    expect(documents(out.stdout)[0].metadata.labels["app.kubernetes.io/version"]).toBe("10");
  });

  test("leaves the pod templates of other API groups alone", () => {
    const crd = "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nspec:\n  template: {}\n";
    const out = run(["blue", "1.0"], crd);
    expect(out.status).toBe(0);
    expect(documents(out.stdout)[0].spec).toEqual({ template: {} });
  });

  test("an empty stream gives an empty stream", () => {
    expect(run(["blue", "1.0"], "")).toEqual({ status: 0, stdout: "", stderr: "" });
  });
});

describe("colour-labels post-renderer script: bad input", () => {
  const object = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
  const expectedVersion =
    "expected a label value: at most 63 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting and ending with a letter or digit";

  test.each([
    [["red", "1.0"], 'colour-labels: bad colour "red": expected blue or green'],
    [["Blue", "1.0"], 'colour-labels: bad colour "Blue": expected blue or green'],
    [["blue", ""], `colour-labels: bad version "": ${expectedVersion}`],
    [["blue", "-1.0"], `colour-labels: bad version "-1.0": ${expectedVersion}`],
    [["blue", "1.0_"], `colour-labels: bad version "1.0_": ${expectedVersion}`],
    [["blue", "1.0+build"], `colour-labels: bad version "1.0+build": ${expectedVersion}`],
    [
      ["blue", "a".repeat(64)],
      `colour-labels: bad version "${"a".repeat(64)}": ${expectedVersion}`,
    ],
    [
      ["blue"],
      "colour-labels: expected 2 arguments <colour> <version>, got 1 (usage: node colour-labels.cjs <blue|green> <version>)",
    ],
    [
      ["blue", "1.0", "extra"],
      "colour-labels: expected 2 arguments <colour> <version>, got 3 (usage: node colour-labels.cjs <blue|green> <version>)",
    ],
  ])("%j exits 2 with one line and no output", (args, message) => {
    expect(run(args, object)).toEqual({ status: 2, stdout: "", stderr: `${message}\n` });
  });

  test("accepts a 63-character version", () => {
    expect(run(["blue", "a".repeat(63)], object).status).toBe(0);
  });

  test("unparsable YAML exits 1 with the parser's error and no output", () => {
    const out = run(["blue", "1.0"], `${object}---\nkind: Service\nmetadata: [\n`);
    expect(out.status).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(
      /^colour-labels: cannot parse the manifests: .*line \d+, column \d+\n$/,
    );
  });

  test("labels that are not a map exit 1 naming the object, with no output", () => {
    const out = run(
      ["blue", "1.0"],
      `${object}---\nkind: Service\nmetadata: {name: s, labels: x}\n`,
    );
    expect(out).toEqual({
      status: 1,
      stdout: "",
      stderr: 'colour-labels: document 2 (Service "s").metadata.labels is not a map\n',
    });
  });
});

describe("colour-labels post-renderer script: finding the yaml package", () => {
  const object = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "colour-labels-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of the script where cdktf puts it, outside this project. */
  function stackCopy(root: string): { script: string; stackDir: string } {
    const stackDir = join(root, "cdktf.out/stacks/workloads");
    const script = join(stackDir, "assets/colour-labels-post-renderer/HASH/colour-labels.cjs");
    mkdirSync(dirname(script), { recursive: true });
    copyFileSync(COLOUR_LABELS_SCRIPT, script);
    return { script, stackDir };
  }

  test("from the working directory", () => {
    const { script } = stackCopy(dir);
    const out = run(["blue", "1.0"], object, script, REPO_ROOT);
    expect(out.stderr).toBe("");
    expect(documents(out.stdout)[0].metadata.labels.colour).toBe("blue");
  });

  test("from the dependencies of @platform/aws-eks-platform in a consumer project", () => {
    const platform = join(dir, "node_modules/@platform/aws-eks-platform");
    mkdirSync(join(platform, "node_modules"), { recursive: true });
    writeFileSync(join(platform, "package.json"), '{"name":"@platform/aws-eks-platform"}');
    symlinkSync(join(REPO_ROOT, "node_modules/yaml"), join(platform, "node_modules/yaml"));
    const { script, stackDir } = stackCopy(dir);
    const out = run(["green", "2.0"], object, script, stackDir);
    expect(out.stderr).toBe("");
    expect(documents(out.stdout)[0].metadata.labels.colour).toBe("green");
  });

  test("nowhere: exits 2 saying what is missing and what to run, with no output", () => {
    const { script, stackDir } = stackCopy(dir);
    const out = run(["blue", "1.0"], object, script, stackDir);
    expect(out.status).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr).toMatch(
      /^colour-labels: cannot find the npm package yaml \(version 2\), looked from .*: run npm ci in the project that synthesized this stack\n$/,
    );
  });
});
