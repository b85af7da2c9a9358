import { request } from "node:http";
import {
  FakeKubeApi,
  mergePatch,
  parseLabelSelector,
  strategicMergePatch,
} from "../support/fake-kube-api";
import { deploymentObject } from "../support/fake-kube-controllers";

let fake: FakeKubeApi;
beforeEach(async () => {
  fake = new FakeKubeApi();
  await fake.start();
});
afterEach(() => fake.stop());

/** One raw HTTP request; the body as text. */
function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  onChunk?: (text: string) => void,
): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${fake.endpoint}${path}`,
      {
        method,
        headers: {
          Authorization: "Bearer t",
          ...(payload ? { "Content-Type": contentType } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString("utf8");
          onChunk?.(c.toString("utf8"));
        });
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const DEPLOYMENTS = "/apis/apps/v1/namespaces/web/deployments";

describe("the fake Kubernetes API server", () => {
  test("create 201, again 409 AlreadyExists, get, get a missing one 404 NotFound", async () => {
    const created = await call(
      "POST",
      DEPLOYMENTS,
      deploymentObject("web", "web-blue", { a: "b" }),
    );
    expect(created.status).toBe(201);
    expect(created.json.metadata).toMatchObject({
      name: "web-blue",
      namespace: "web",
      generation: 1,
    });
    expect(created.json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

    const again = await call("POST", DEPLOYMENTS, deploymentObject("web", "web-blue", { a: "b" }));
    expect(again.status).toBe(409);
    expect(again.json).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'deployments.apps "web-blue" already exists',
      reason: "AlreadyExists",
      details: { name: "web-blue", group: "apps", kind: "deployments" },
      code: 409,
    });
    expect((await call("GET", `${DEPLOYMENTS}/web-blue`)).json.metadata.name).toBe("web-blue");
    const missing = await call("GET", `${DEPLOYMENTS}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      reason: "NotFound",
      message: 'deployments.apps "nope" not found',
      code: 404,
    });
  });

  test("a schema-invalid object is refused with 422 Invalid and its causes", async () => {
    const bad = deploymentObject("web", "web-blue", { a: "b" });
    bad.spec.replicas = "three";
    bad.spec.template.spec.containers[0].name = undefined;
    const answer = await call("POST", DEPLOYMENTS, bad);
    expect(answer.status).toBe(422);
    expect(answer.json.reason).toBe("Invalid");
    expect(answer.json.details.causes.map((c: { field: string }) => c.field).sort()).toEqual([
      "spec.replicas",
      "spec.template.spec.containers.0",
    ]);
    expect(fake.list("apps/v1", "Deployment", "web")).toEqual([]);
  });

  test("no token: 401 Unauthorized", async () => {
    const answer = await new Promise<number>((resolve) =>
      request(`${fake.endpoint}${DEPLOYMENTS}`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).end(),
    );
    expect(answer).toBe(401);
  });

  test("list by label selector and by field selector", async () => {
    fake.create(
      deploymentObject("web", "web-blue", { "app.kubernetes.io/name": "web-blue", tier: "web" }),
    );
    fake.create(
      deploymentObject("web", "web-green", { "app.kubernetes.io/name": "web-green", tier: "web" }),
    );
    fake.create(deploymentObject("other", "x", { "app.kubernetes.io/name": "web-blue" }));
    const names = async (query: string) =>
      (await call("GET", `${DEPLOYMENTS}?${query}`)).json.items.map((d: any) => d.metadata.name);
    expect(await names("labelSelector=app.kubernetes.io%2Fname%3Dweb-blue")).toEqual(["web-blue"]);
    expect(
      await names("labelSelector=tier%3Dweb%2Capp.kubernetes.io%2Fname%21%3Dweb-blue"),
    ).toEqual(["web-green"]);
    expect(
      await names("labelSelector=app.kubernetes.io%2Fname%20in%20(web-blue%2Cweb-green)"),
    ).toEqual(["web-blue", "web-green"]);
    expect(await names("fieldSelector=metadata.name%3Dweb-green")).toEqual(["web-green"]);
    expect((await call("GET", `${DEPLOYMENTS}?labelSelector=a%20in%20b`)).status).toBe(400);
  });

  test("merge patch and strategic merge patch; the generation moves with the spec", async () => {
    const d = deploymentObject("web", "web-blue", { a: "b" });
    d.spec.template.spec.containers.push({ name: "sidecar", image: "busybox" });
    fake.create(d);
    const smp = await call(
      "PATCH",
      `${DEPLOYMENTS}/web-blue`,
      { spec: { template: { spec: { containers: [{ name: "app", image: "podinfo:6.7.2" }] } } } },
      "application/strategic-merge-patch+json",
    );
    expect(smp.status).toBe(200);
    expect(smp.json.metadata.generation).toBe(2);
    expect(smp.json.spec.template.spec.containers).toEqual([
      { name: "app", image: "podinfo:6.7.2" },
      { name: "sidecar", image: "busybox" },
    ]);
    // a merge patch replaces lists
    const merge = await call(
      "PATCH",
      `${DEPLOYMENTS}/web-blue`,
      {
        metadata: { annotations: { x: "y" } },
        spec: { template: { spec: { containers: [{ name: "only", image: "i" }] } } },
      },
      "application/merge-patch+json",
    );
    expect(merge.json.spec.template.spec.containers).toEqual([{ name: "only", image: "i" }]);
    expect(merge.json.metadata.annotations).toEqual({ x: "y" });
    const metadataOnly = await call(
      "PATCH",
      `${DEPLOYMENTS}/web-blue`,
      { metadata: { labels: { a: "b", c: "d" } } },
      "application/merge-patch+json",
    );
    expect(metadataOnly.json.metadata.generation).toBe(3);
    const jsonPatch = await call(
      "PATCH",
      `${DEPLOYMENTS}/web-blue`,
      [{ op: "remove", path: "/spec" }],
      "application/json-patch+json",
    );
    expect(jsonPatch.status).toBe(415);
  });

  test("a Job's template is immutable; delete honours propagation and finalizers", async () => {
    const job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j", namespace: "web", finalizers: ["x/hold"] },
      spec: {
        template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "i" }] } },
      },
    };
    const created = await call("POST", "/apis/batch/v1/namespaces/web/jobs", job);
    expect(created.json.spec.template.metadata.labels["batch.kubernetes.io/job-name"]).toBe("j");
    const immutable = await call(
      "PATCH",
      "/apis/batch/v1/namespaces/web/jobs/j",
      { spec: { template: { spec: { containers: [{ name: "c", image: "other" }] } } } },
      "application/merge-patch+json",
    );
    expect(immutable.status).toBe(422);
    expect(immutable.json.message).toContain("spec.template: Invalid value: field is immutable");

    fake.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "j-pod",
        namespace: "web",
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name: "j", uid: created.json.metadata.uid },
        ],
      },
      spec: { containers: [{ name: "c", image: "i" }] },
    });
    const deleting = await call(
      "DELETE",
      "/apis/batch/v1/namespaces/web/jobs/j?propagationPolicy=Background",
    );
    expect(deleting.json.metadata.deletionTimestamp).toBeDefined();
    expect(fake.get("batch/v1", "Job", "web", "j")).toBeDefined();
    fake.update("batch/v1", "Job", "web", "j", (o) => {
      o.metadata.finalizers = [];
    });
    expect(fake.get("batch/v1", "Job", "web", "j")).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.get("v1", "Pod", "web", "j-pod")).toBeUndefined();
  });

  test("a Job deleted without a policy orphans its pods, as batch/v1 does", async () => {
    const job = fake.create({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "j", namespace: "web" },
      spec: {
        template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "i" }] } },
      },
    });
    fake.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "j-pod",
        namespace: "web",
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "Job", name: "j", uid: job.metadata.uid! },
        ],
      },
      spec: { containers: [{ name: "c", image: "i" }] },
    });
    expect((await call("DELETE", "/apis/batch/v1/namespaces/web/jobs/j")).json).toMatchObject({
      kind: "Status",
      status: "Success",
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.get("v1", "Pod", "web", "j-pod")!.metadata.ownerReferences).toEqual([]);
  });

  test("pod logs: 400 while waiting, the whole log, tailLines, and follow=true streaming to the end", async () => {
    fake.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "web" },
      spec: { containers: [{ name: "c", image: "i" }] },
      status: {
        phase: "Pending",
        containerStatuses: [
          {
            name: "c",
            image: "i",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: "ContainerCreating" } },
          },
        ],
      },
    });
    const waiting = await call("GET", "/api/v1/namespaces/web/pods/p/log?container=c");
    expect(waiting.status).toBe(400);
    expect(waiting.json.message).toBe(
      'container "c" in pod "p" is waiting to start: ContainerCreating',
    );
    fake.update("v1", "Pod", "web", "p", (p) => {
      p.status.containerStatuses[0].state = { running: { startedAt: "2026-01-01T00:00:00Z" } };
    });
    fake.writeLog("web", "p", "c", "one\ntwo\n");
    expect((await call("GET", "/api/v1/namespaces/web/pods/p/log?container=c")).text).toBe(
      "one\ntwo\n",
    );
    expect(
      (await call("GET", "/api/v1/namespaces/web/pods/p/log?container=c&tailLines=1")).text,
    ).toBe("two\n");
    expect((await call("GET", "/api/v1/namespaces/web/pods/p/log?container=nope")).status).toBe(
      400,
    );

    const chunks: string[] = [];
    const followed = call(
      "GET",
      "/api/v1/namespaces/web/pods/p/log?container=c&follow=true",
      undefined,
      undefined,
      (c) => {
        chunks.push(c);
        if (chunks.length === 1) fake.writeLog("web", "p", "c", "three\n");
        if (chunks.length === 2) fake.endLog("web", "p", "c");
      },
    );
    expect((await followed).text).toBe("one\ntwo\nthree\n");
    expect(chunks).toEqual(["one\ntwo\n", "three\n"]);
    expect(fake.openLogStreams()).toBe(0);
  });

  test("scripted rejections answer a Status; watches are refused clearly", async () => {
    fake.reject(
      "GET",
      DEPLOYMENTS,
      503,
      "ServiceUnavailable",
      "the server is currently unable to handle the request",
      1,
    );
    expect((await call("GET", DEPLOYMENTS)).json).toMatchObject({
      code: 503,
      reason: "ServiceUnavailable",
    });
    expect((await call("GET", DEPLOYMENTS)).status).toBe(200);
    const watch = await call("GET", `${DEPLOYMENTS}?watch=true`);
    expect(watch.status).toBe(400);
    expect(watch.json.message).toContain("watch is not supported");
  });
});

describe("patch and selector helpers", () => {
  test("mergePatch: RFC 7386", () => {
    expect(
      mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 1 }, e: [2], f: "g" }),
    ).toEqual({
      a: 1,
      b: { d: 3, x: 1 },
      e: [2],
      f: "g",
    });
  });

  test("strategicMergePatch: lists by merge key, $patch directives", () => {
    const target = {
      env: [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
      ],
      args: ["x"],
      m: { k: 1, l: 2 },
    };
    expect(
      strategicMergePatch(target, {
        env: [
          { name: "B", $patch: "delete" },
          { name: "C", value: "3" },
          { name: "A", value: "9" },
        ],
        args: ["y"],
        m: { $patch: "replace", z: 1 },
      }),
    ).toEqual({
      env: [
        { name: "A", value: "9" },
        { name: "C", value: "3" },
      ],
      args: ["y"],
      m: { z: 1 },
    });
  });

  test("parseLabelSelector: every operator", () => {
    const matches = (selector: string, labels: Record<string, string>) =>
      parseLabelSelector(selector).every((r) => r(labels));
    expect(matches("a=b,c!=d,e,!f", { a: "b", c: "x", e: "" })).toBe(true);
    expect(matches("a==b", { a: "c" })).toBe(false);
    expect(matches("a notin (x, y)", { a: "z" })).toBe(true);
    expect(matches("!e", { e: "1" })).toBe(false);
    expect(() => parseLabelSelector("a in b")).toThrow("unable to parse requirement");
  });
});
