/**
 * The release harness behaves like the real counterparts it stands for: the ALB routes like the
 * AWS Load Balancer Controller's rules, the Kubernetes API answers like kube-apiserver (Status
 * errors, merge patch, resourceVersion; see the references in kubernetes-api.ts), and the deploy
 * command applies what the workloads stack synthesizes.
 */
import { spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import {
  PREVIEW_ACTION_ANNOTATION,
  trafficAnnotations,
  WEIGHTED_ACTION_ANNOTATION,
} from "../../constructs/private/traffic";
import { ENVIRONMENTS_DIR, environmentStacks } from "../helpers";
import {
  startReleaseHarness,
  type Behaviour,
  type ReleaseHarness,
} from "../support/release-harness";

const HOST = "web.staging.example.com";
const INGRESS_PATH = "/apis/networking.k8s.io/v1/namespaces/web/ingresses/web";
const STACK = "staging-workloads";

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with an explicit Host header (which fetch cannot send). */
function send(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Runs a shell command the way the release tool runs the deploy command (async, through a shell). */
function runShell(
  command: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let envDir: string;
let harness: ReleaseHarness;

/** Starts a harness on a fresh copy of staging.yaml (edited first), seeded: deployed = file. */
async function start(
  edit?: (raw: any) => void,
  behaviours?: Record<string, Behaviour>,
): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), "release-harness-"));
  envDir = join(dir, "environments");
  mkdirSync(envDir);
  copyFileSync(join(ENVIRONMENTS_DIR, "staging.yaml"), join(envDir, "staging.yaml"));
  if (edit) editFile(edit);
  harness = await startReleaseHarness({
    environmentDirectory: envDir,
    stateDirectory: join(dir, "stacks"),
    recordDirectory: join(dir, "records"),
    behaviours,
  });
  await harness.seed();
}

function editFile(edit: (raw: any) => void): void {
  const path = join(envDir, "staging.yaml");
  const raw = parse(readFileSync(path, "utf8"));
  edit(raw);
  writeFileSync(path, stringify(raw));
}

afterEach(async () => {
  await harness?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const alb = (path = "/", headers: Record<string, string> = {}) =>
  send(harness.albUrl, path, { headers: { host: HOST, ...headers } });

/** The colours answering `count` requests in a row (from podinfo's `/` hostname). */
async function colours(count: number, headers: Record<string, string> = {}): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const answer = await alb("/", headers);
    seen.push(JSON.parse(answer.body).hostname.split("-")[1]);
  }
  return seen;
}

const kube = (
  method: string,
  body?: unknown,
  contentType = "application/merge-patch+json",
  token: string | null = harness.token,
) =>
  send(harness.kubeApiUrl, INGRESS_PATH, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": contentType }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

const deploy = () => runShell(`${harness.deployCommand} ${STACK}`, { PLATFORM_ENV_DIR: envDir });

describe("colour servers", () => {
  test("answer like podinfo with the version deployed to the colour", async () => {
    await start();
    const blue = harness.colour("web", "blue");
    expect(blue).toMatchObject({ version: "6.7.1", url: expect.stringMatching(/^http:\/\/127/) });
    const get = (path: string) => send(blue.url!, path);
    expect(await get("/healthz")).toMatchObject({ status: 200, body: '{"status":"OK"}' });
    expect((await get("/readyz")).status).toBe(200);
    expect(JSON.parse((await get("/version")).body)).toEqual({
      version: "6.7.1",
      commit: "harness",
    });
    expect(JSON.parse((await get("/")).body)).toMatchObject({
      hostname: expect.stringMatching(/^web-blue-/),
      version: "6.7.1",
      message: "greetings from podinfo v6.7.1",
    });
    expect((await get("/nope")).status).toBe(404);
  });

  test("broken, breaksAfter, slowMs and down versions, also changed at runtime", async () => {
    await start((raw) => (raw.apps.web.release.blue.version = "6.8.0"), {
      "6.8.0": { breaksAfter: 2 },
    });
    const preview = () => alb("/healthz", { "X-Preview": "true" }).then((a) => a.status);
    expect([await preview(), await preview(), await preview()]).toEqual([200, 200, 500]);

    await harness.setBehaviour("6.8.0", "broken");
    expect(await preview()).toBe(500);

    await harness.setBehaviour("6.8.0", { slowMs: 150 });
    const started = Date.now();
    expect(await preview()).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    await harness.setBehaviour("6.8.0", "down");
    expect(harness.colour("web", "blue").url).toBeUndefined();
    const down = await alb("/healthz", { "X-Preview": "true" });
    expect(down).toMatchObject({ status: 502, body: expect.stringContaining("502 Bad Gateway") });
    expect(down.headers.server).toBe("awselb/2.0");

    await harness.setBehaviour("6.8.0", "healthy");
    expect(await preview()).toBe(200);
  });
});

describe("fake ALB", () => {
  test("weighted round-robin is exact: a 5% canary gets 1 request in 20, weight 0 none", async () => {
    await start((raw) => (raw.apps.web.release.canaryWeight = 5));
    expect(harness.weights("web")).toEqual({ blue: 5, green: 95 });
    const seen = await colours(40);
    expect(seen.filter((c) => c === "blue")).toHaveLength(2);
    expect(seen.slice(0, 20).filter((c) => c === "blue")).toHaveLength(1);

    const patched = await kube("PATCH", {
      metadata: {
        annotations: trafficAnnotations("web", 9898, { stable: "green", canaryWeight: 0 }),
      },
    });
    expect(patched.status).toBe(200);
    expect(new Set(await colours(30))).toEqual(new Set(["green"]));
  });

  test("the preview header (any case of its name) reaches the idle colour", async () => {
    await start();
    expect(new Set(await colours(20, { "x-preview": "true" }))).toEqual(new Set(["blue"]));
    expect(new Set(await colours(5, { "X-PREVIEW": "true" }))).toEqual(new Set(["blue"]));
    expect((await colours(10, { "X-Preview": "no" })).filter((c) => c === "blue")).toHaveLength(1);
    const last = harness.requests().at(-1)!;
    expect(last).toMatchObject({ host: HOST, path: "/", preview: false, status: 200 });
    expect(harness.requests()[0]).toMatchObject({
      preview: true,
      colour: "blue",
      version: "6.7.1",
    });
    expect(harness.requests()[0].time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test("a host that no Ingress rule names gets the default 404; a port in Host is ignored", async () => {
    await start();
    const other = await send(harness.albUrl, "/", { headers: { host: "other.example.com" } });
    expect(other).toMatchObject({ status: 404, body: "" });
    expect(harness.requests()[0]).toMatchObject({ host: "other.example.com", status: 404 });
    expect(harness.requests()[0].colour).toBeUndefined();
    expect((await alb("/", { host: `${HOST}:80` })).status).toBe(200);
  });

  test("no target group with weight answers 503; a broken action keeps the last good rules", async () => {
    await start();
    const group = (colour: string) => ({ serviceName: `web-${colour}-alb`, servicePort: 9898 });
    const forward = (weights: [number, number]) =>
      JSON.stringify({
        type: "forward",
        forwardConfig: {
          targetGroups: [
            { ...group("blue"), weight: weights[0] },
            { ...group("green"), weight: weights[1] },
          ],
        },
      });
    await kube("PATCH", {
      metadata: { annotations: { [WEIGHTED_ACTION_ANNOTATION]: forward([0, 0]) } },
    });
    expect((await alb()).status).toBe(503);

    await kube("PATCH", {
      metadata: { annotations: { [WEIGHTED_ACTION_ANNOTATION]: forward([100, 0]) } },
    });
    await kube("PATCH", {
      metadata: { annotations: { [WEIGHTED_ACTION_ANNOTATION]: "{not json" } },
    });
    expect(new Set(await colours(5))).toEqual(new Set(["blue"]));
    expect(harness.reconcileErrors()).toEqual([
      expect.objectContaining({ ingress: expect.stringMatching(/^web\/web@\d+$/) }),
    ]);
  });
});

describe("fake Kubernetes API", () => {
  test("a merge PATCH changes routing at once; null deletes a key; a no-op keeps the version", async () => {
    await start();
    const before = JSON.parse((await kube("GET")).body);
    expect(before).toMatchObject({
      kind: "Ingress",
      apiVersion: "networking.k8s.io/v1",
      metadata: { name: "web", namespace: "web", generation: 1 },
    });

    const patch = {
      metadata: {
        annotations: {
          ...trafficAnnotations("web", 9898, { stable: "blue", canaryWeight: 0 }),
          "alb.ingress.kubernetes.io/ssl-redirect": null,
        },
      },
    };
    const patched = await kube("PATCH", patch);
    expect(patched.status).toBe(200);
    const after = JSON.parse(patched.body);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(
      Number(before.metadata.resourceVersion),
    );
    expect(after.metadata.generation).toBe(1);
    expect(after.metadata.annotations["alb.ingress.kubernetes.io/ssl-redirect"]).toBeUndefined();
    expect(after.metadata.annotations["alb.ingress.kubernetes.io/scheme"]).toBe("internet-facing");
    expect(new Set(await colours(10))).toEqual(new Set(["blue"]));
    expect(new Set(await colours(3, { "X-Preview": "true" }))).toEqual(new Set(["green"]));

    const again = JSON.parse((await kube("PATCH", patch)).body);
    expect(again.metadata.resourceVersion).toBe(after.metadata.resourceVersion);
    expect(harness.kubeRequests().map((r) => [r.method, r.status])).toEqual([
      ["GET", 200],
      ["PATCH", 200],
      ["PATCH", 200],
    ]);
    expect(harness.kubeRequests()[1]).toMatchObject({
      path: INGRESS_PATH,
      contentType: "application/merge-patch+json",
      body: patch,
      time: expect.stringMatching(/^\d{4}-/),
    });

    // without its condition the preview rule (listed first) catches every request, as on an ALB
    const condition = { "alb.ingress.kubernetes.io/conditions.preview": null };
    await kube("PATCH", { metadata: { annotations: condition } });
    expect(new Set(await colours(5))).toEqual(new Set(["green"]));
    expect(harness.requests().at(-1)).toMatchObject({ preview: true, colour: "green" });
  });

  test("strategic merge patch merges annotations like a merge patch", async () => {
    await start();
    const annotations = trafficAnnotations("web", 9898, { stable: "green", canaryWeight: 0 });
    const answer = await kube(
      "PATCH",
      { metadata: { annotations } },
      "application/strategic-merge-patch+json; charset=utf-8",
    );
    expect(answer.status).toBe(200);
    expect(harness.weights("web")).toEqual({ blue: 0, green: 100 });
    expect(harness.ingress("web")!.metadata.annotations![PREVIEW_ACTION_ANNOTATION]).toBe(
      annotations[PREVIEW_ACTION_ANNOTATION],
    );
  });

  test("401 Unauthorized Status without the bearer token", async () => {
    await start();
    for (const token of [null, "wrong"]) {
      const answer = await kube("GET", undefined, undefined, token);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toEqual({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "Unauthorized",
        reason: "Unauthorized",
        code: 401,
      });
    }
  });

  test("404 NotFound, 415 UnsupportedMediaType, 422 Invalid as Status objects", async () => {
    await start();
    const missing = await send(harness.kubeApiUrl, INGRESS_PATH.replace(/web$/, "api"), {
      headers: { authorization: `Bearer ${harness.token}` },
    });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "NotFound",
      code: 404,
      message: 'ingresses.networking.k8s.io "api" not found',
      details: { name: "api", group: "networking.k8s.io", kind: "ingresses" },
    });

    const jsonPatch = [{ op: "replace", path: "/metadata/annotations/x", value: "y" }];
    const unsupported = await kube("PATCH", jsonPatch, "application/json-patch+json");
    expect(unsupported.status).toBe(415);
    expect(JSON.parse(unsupported.body)).toMatchObject({
      reason: "UnsupportedMediaType",
      code: 415,
    });

    const before = harness.ingress("web")!;
    const invalid = await kube("PATCH", {
      metadata: { annotations: { [WEIGHTED_ACTION_ANNOTATION]: { type: "forward" } } },
    });
    expect(invalid.status).toBe(422);
    expect(JSON.parse(invalid.body)).toMatchObject({
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Invalid",
      code: 422,
      details: {
        name: "web",
        kind: "Ingress",
        causes: [
          expect.objectContaining({ field: expect.stringContaining("metadata.annotations") }),
        ],
      },
    });
    expect(harness.ingress("web")).toEqual(before);

    const renamed = await kube("PATCH", { metadata: { name: "other" } });
    expect(JSON.parse(renamed.body)).toMatchObject({ reason: "BadRequest", code: 400 });
  });

  test("PUT: 409 Conflict on a stale resourceVersion; a spec change moves the generation", async () => {
    await start();
    const current = JSON.parse((await kube("GET")).body);
    await kube("PATCH", { metadata: { labels: { touched: "yes" } } });
    const stale = await kube("PUT", current, "application/json");
    expect(stale.status).toBe(409);
    expect(JSON.parse(stale.body)).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Conflict",
      code: 409,
      message: expect.stringContaining("the object has been modified"),
    });

    const fresh = JSON.parse((await kube("GET")).body);
    fresh.spec.rules[0].host = "web2.staging.example.com";
    const put = await kube("PUT", fresh, "application/json");
    expect(put.status).toBe(200);
    expect(JSON.parse(put.body).metadata).toMatchObject({ generation: 2 });
    expect((await alb()).status).toBe(404);
    expect(
      (await send(harness.albUrl, "/", { headers: { host: "web2.staging.example.com" } })).status,
    ).toBe(200);

    const patchStale = await kube("PATCH", {
      metadata: { resourceVersion: current.metadata.resourceVersion, labels: { a: "b" } },
    });
    expect(patchStale.status).toBe(409);
  });

  test("failure injection: 503 Status, or a closed connection", async () => {
    await start();
    harness.failKubeApi(true);
    const unavailable = await kube("GET");
    expect(unavailable.status).toBe(503);
    expect(JSON.parse(unavailable.body)).toMatchObject({ kind: "Status", code: 503 });
    harness.failKubeApi("reset");
    await expect(kube("GET")).rejects.toThrow(/socket hang up|ECONNRESET/);
    harness.failKubeApi(false);
    expect((await kube("GET")).status).toBe(200);
    expect(harness.kubeRequests().map((r) => r.status)).toEqual([503, 0, 200]);
  });
});

describe("recording deploy command", () => {
  test("through a real shell: records the file, rolls the colours, writes the Ingress and the state", async () => {
    await start();
    const seeded = JSON.parse(readFileSync(harness.statePath(STACK), "utf8"));
    editFile((raw) => {
      raw.apps.web.release.blue.version = "6.8.0";
      raw.apps.web.release.canaryWeight = 0;
    });
    const run = await deploy();
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain("Apply complete!");

    const text = readFileSync(join(envDir, "staging.yaml"), "utf8");
    expect(readFileSync(join(dir, "records", `001-${STACK}.yaml`), "utf8")).toBe(text);
    expect(harness.deploys()).toEqual([
      expect.objectContaining({
        seq: 1,
        stack: STACK,
        file: text,
        ok: true,
        ingressChanged: true,
        appliedVersions: { web: { blue: "6.8.0", green: "6.7.0" } },
      }),
    ]);

    const state = JSON.parse(readFileSync(join(dir, "stacks", STACK, `${STACK}.tfstate`), "utf8"));
    expect(state).toMatchObject({ version: 4, serial: seeded.serial + 1, lineage: seeded.lineage });
    expect(state.outputs.app_web.value).toMatchObject({
      stable_colour: "green",
      idle_colour: "blue",
      weights: { blue: 0, green: 100 },
      versions: { blue: "6.8.0", green: "6.7.0" },
      load_balancer_hostname: expect.stringMatching(
        /^k8s-web-web-.*\.eu-west-1\.elb\.amazonaws\.com$/,
      ),
    });
    expect(state.outputs.app_web.type[0]).toBe("object");

    const preview = await alb("/version", { "X-Preview": "true" });
    expect(JSON.parse(preview.body).version).toBe("6.8.0");
    expect(new Set(await colours(10))).toEqual(new Set(["green"]));
  });

  test("an injected failure exits 1 and applies nothing; an invalid file fails like a synth", async () => {
    await start();
    const ingress = harness.ingress("web");
    const state = readFileSync(harness.statePath(STACK), "utf8");
    editFile((raw) => (raw.apps.web.release.blue.version = "6.8.0"));
    harness.failDeploys(1);
    const failed = await deploy();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Error: Kubernetes cluster unreachable/);
    expect(harness.colour("web", "blue").version).toBe("6.7.1");
    expect(harness.ingress("web")).toEqual(ingress);
    expect(readFileSync(harness.statePath(STACK), "utf8")).toBe(state);
    expect(harness.deploys()[0]).toMatchObject({
      seq: 1,
      ok: false,
      ingressChanged: false,
      appliedVersions: {},
    });
    expect(existsSync(join(dir, "records", `001-${STACK}.yaml`))).toBe(true);

    expect((await deploy()).code).toBe(0);
    expect(harness.colour("web", "blue").version).toBe("6.8.0");

    harness.failAllDeploys(true);
    expect((await deploy()).code).toBe(1);
    expect((await deploy()).code).toBe(1);
    harness.failAllDeploys(false);

    editFile((raw) => (raw.apps.web.release.canaryWeight = 150));
    const invalid = await deploy();
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("canaryWeight");
    expect(harness.weights("web")).toEqual({ blue: 10, green: 90 });
    expect(harness.deploys().map((d) => [d.seq, d.ok])).toEqual([
      [1, false],
      [2, true],
      [3, false],
      [4, false],
      [5, false],
    ]);
  });

  test("ingressChanged is false when the deploy's annotations equal the live ones", async () => {
    await start();
    // a fast rollback: the live Ingress is patched first, then the file says the same
    const rolledBack = trafficAnnotations("web", 9898, { stable: "green", canaryWeight: 0 });
    await kube("PATCH", { metadata: { annotations: rolledBack } });
    editFile((raw) => (raw.apps.web.release.canaryWeight = 0));
    expect((await deploy()).code).toBe(0);
    expect(harness.deploys()[0].ingressChanged).toBe(false);

    editFile((raw) => (raw.apps.web.release.canaryWeight = 20));
    expect((await deploy()).code).toBe(0);
    expect(harness.deploys()[1].ingressChanged).toBe(true);
    expect(harness.weights("web")).toEqual({ blue: 20, green: 80 });
  });

  test("applies what the workloads stack synthesizes: the Ingress and the app output", async () => {
    await start();
    const { workloads } = environmentStacks("staging", true);
    const synthesized = Object.values(workloads.resource!.kubernetes_ingress_v1)[0] as any;
    const live = harness.ingress("web")!;
    // the certificate comes from the infrastructure stack (a token in the synth)
    const annotations = { ...synthesized.metadata.annotations };
    delete annotations["alb.ingress.kubernetes.io/certificate-arn"];
    expect(live.metadata.annotations).toEqual(annotations);
    expect(live.metadata.labels).toEqual(synthesized.metadata.labels);
    expect(live.spec!.ingressClassName).toBe(synthesized.spec.ingress_class_name);
    expect(live.spec!.rules).toEqual(
      synthesized.spec.rule.map((rule: any) => ({
        host: rule.host,
        http: {
          paths: rule.http.path.map((p: any) => ({
            path: p.path,
            pathType: p.path_type,
            backend: p.backend,
          })),
        },
      })),
    );

    const state = JSON.parse(readFileSync(harness.statePath(STACK), "utf8"));
    expect(state.outputs.app_web.value).toEqual({
      ...(workloads.output!.app_web.value as any),
      load_balancer_hostname: harness.ingress("web")!.status!.loadBalancer!.ingress![0].hostname,
    });
  });
});
