jest.mock("@kubernetes/client-node", () =>
  jest.requireActual("../support/client-node").loadClientNode(),
);

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Job } from "@kubernetes/client-node";
import { migrationJob, type MigrationJobInput } from "../../release/migrations/job";
import {
  MigrationJobConflict,
  runMigrationJob,
  type MigrationJobOptions,
} from "../../release/migrations/job-runner";
import { FakeKubeApi, type KubeObject } from "../support/fake-kube-api";
import {
  seedJobStatus,
  startJobController,
  type JobScript,
  type RunningController,
} from "../support/fake-kube-controllers";

const TOKEN_IMAGE = `public.ecr.aws/aws-cli/aws-cli:2.27.50@sha256:${"b2".repeat(32)}`;
const JOBS = "/apis/batch/v1/namespaces/web/jobs";

const render = (overrides: Partial<MigrationJobInput> = {}): V1Job =>
  migrationJob({
    environment: "staging",
    app: "web",
    namespace: "web",
    version: "6.8.0",
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:6.8.0",
    command: ["npm", "run", "migrate"],
    database: { host: "db.example", port: 5432, name: "web" },
    deadlineSeconds: 30,
    serviceAccountName: "web-migrator",
    tokenImage: TOKEN_IMAGE,
    region: "eu-west-1",
    ...overrides,
  });

let fake: FakeKubeApi;
let controller: RunningController | undefined;
let logs: string[];
let progress: string[];

beforeEach(async () => {
  fake = new FakeKubeApi();
  await fake.start();
  logs = [];
  progress = [];
});

afterEach(async () => {
  controller?.stop();
  await controller?.settled();
  controller = undefined;
  await fake.stop();
});

const options = (more: Partial<MigrationJobOptions> = {}): MigrationJobOptions => ({
  log: (line) => logs.push(line),
  progress: (line) => progress.push(line),
  timeoutMs: 10_000,
  pollIntervalMs: 5,
  logGraceMs: 2000,
  ...more,
});

const script = (s: JobScript, options?: { msPerDeadlineSecond?: number }) => {
  controller = startJobController(fake, () => s, options);
};

/** Seeds a Job as an earlier run left it. */
const seed = (
  job: V1Job,
  state: "Complete" | "Failed" | "active",
  extra?: (o: KubeObject) => void,
) => {
  const created = fake.create(structuredClone(job) as unknown as KubeObject);
  seedJobStatus(fake, "web", created.metadata.name, state);
  if (extra) fake.update("batch/v1", "Job", "web", created.metadata.name, extra);
  return fake.get("batch/v1", "Job", "web", created.metadata.name)!;
};

describe("runMigrationJob", () => {
  test("a Job that succeeds: the log arrives line by line in order, the result is succeeded", async () => {
    const lines = ["> web@6.8.0 migrate", "migrating up 0007_add_email_index", "done: 1 migration"];
    script({ log: lines });
    const result = await runMigrationJob(fake.access(), render(), options());

    expect(result).toMatchObject({
      outcome: "succeeded",
      jobName: "web-migrate-6-8-0",
      namespace: "web",
      logTail: lines,
      summary: "the migration Job web/web-migrate-6-8-0 succeeded: version 6.8.0 is migrated",
    });
    expect(logs).toEqual(lines);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    // the Job as stored passed the server's schema check and is the one rendered
    const stored = fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0")!;
    expect(stored.spec.template.spec.containers[0].command).toEqual(["npm", "run", "migrate"]);
    expect(stored.spec.backoffLimit).toBe(0);
    expect(stored.metadata.annotations!["platform-release/migration-version"]).toBe("6.8.0");
    // the log was followed (one stream), not re-read
    const logRequests = fake.requestsTo("GET", /\/pods\/[^/]+\/log$/);
    expect(logRequests).toHaveLength(1);
    expect(logRequests[0].query.get("follow")).toBe("true");
    expect(logRequests[0].query.get("container")).toBe("migrate");
    // the pod was found by the Job's label
    expect(
      fake.requestsTo("GET", "/api/v1/namespaces/web/pods")[0].query.get("labelSelector"),
    ).toBe("batch.kubernetes.io/job-name=web-migrate-6-8-0");
    // a fresh token for each batch of requests
    expect(fake.tokensSeen().length).toBeGreaterThan(3);
    expect(progress[0]).toBe("created the migration Job web/web-migrate-6-8-0 (version 6.8.0)");
    expect(progress.some((l) => l.includes("migrate running"))).toBe(true);
    expect(fake.openLogStreams()).toBe(0);
  });

  test("a failed Job: failed with the reason, the exit code, the termination message and the log", async () => {
    script({
      log: ["migrating up 0008_rename_users", 'error: relation "accounts" already exists'],
      exitCode: 3,
      terminationMessage: 'relation "accounts" already exists',
    });
    const result = await runMigrationJob(fake.access(), render(), options());

    expect(result).toMatchObject({
      outcome: "failed",
      reason: "BackoffLimitExceeded",
      message: "Job has reached the specified backoff limit",
      container: "migrate",
      exitCode: 3,
      terminationMessage: 'relation "accounts" already exists',
      logTail: ["migrating up 0008_rename_users", 'error: relation "accounts" already exists'],
    });
    expect(logs).toEqual([
      "migrating up 0008_rename_users",
      'error: relation "accounts" already exists',
    ]);
    expect(result.summary).toBe(
      'the migration Job web/web-migrate-6-8-0 failed: BackoffLimitExceeded (Job has reached the specified backoff limit); container migrate exited 3: relation "accounts" already exists; inspect it with kubectl -n web describe job/web-migrate-6-8-0; kubectl -n web logs job/web-migrate-6-8-0 -c migrate',
    );
  });

  test("the token step fails: the init container's exit code and log are reported", async () => {
    script({
      initLog: [
        "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation",
      ],
      initExitCode: 254,
    });
    const result = await runMigrationJob(fake.access(), render(), options());

    expect(result).toMatchObject({
      outcome: "failed",
      reason: "BackoffLimitExceeded",
      container: "token",
      exitCode: 254,
    });
    expect(logs).toEqual([
      "[token] An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation",
    ]);
    expect(result.summary).toContain("container token exited 254");
    expect(fake.requestsTo("GET", /\/log$/).map((r) => r.query.get("container"))).toEqual([
      "token",
    ]);
  });

  test("a deadline: DeadlineExceeded, with the log streamed until the pod was killed", async () => {
    // 1 "second" of activeDeadlineSeconds lasts 60 ms in the fake cluster
    script(
      {
        log: ["migrating up 0009_backfill", "backfilled 1000 rows"],
        hang: true,
        waitForFollower: true,
      },
      { msPerDeadlineSecond: 60 },
    );
    const result = await runMigrationJob(fake.access(), render({ deadlineSeconds: 1 }), options());

    expect(result).toMatchObject({
      outcome: "failed",
      reason: "DeadlineExceeded",
      message: "Job was active longer than specified deadline",
    });
    expect(logs).toEqual(["migrating up 0009_backfill", "backfilled 1000 rows"]);
    // the pod is gone: no exit code to report
    expect(result).not.toHaveProperty("exitCode", expect.anything());
    expect(progress.some((l) => l.includes("is gone (deleted when the Job failed)"))).toBe(true);
  });

  test("an existing Complete Job: already-succeeded, nothing created or run", async () => {
    const job = render();
    const before = seed(job, "Complete");
    controller = startJobController(fake, () => ({ log: ["must not run"] }));
    const result = await runMigrationJob(fake.access(), job, options());

    expect(result).toMatchObject({
      outcome: "already-succeeded",
      jobName: "web-migrate-6-8-0",
      logTail: [],
    });
    expect(result.summary).toMatch(
      /^the migration Job web\/web-migrate-6-8-0 already succeeded at \d{4}-\d\d-\d\dT[\d:.]+Z: version 6\.8\.0 is migrated, nothing was run$/,
    );
    expect(fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0")!.metadata.uid).toBe(
      before.metadata.uid,
    );
    expect(fake.list("v1", "Pod", "web")).toEqual([]);
    expect(fake.requestsTo("DELETE", /.*/)).toEqual([]);
    expect(logs).toEqual([]);
  });

  test("an existing Failed Job: deleted in the background, waited for, created again and run", async () => {
    const job = render();
    const before = seed(job, "Failed", (o) => {
      o.metadata.finalizers = ["example.com/hold"];
    });
    fake.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-migrate-6-8-0-old",
        namespace: "web",
        labels: { "batch.kubernetes.io/job-name": "web-migrate-6-8-0" },
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: "web-migrate-6-8-0",
            uid: before.metadata.uid!,
          },
        ],
      },
      spec: { containers: [{ name: "migrate", image: "x" }] },
    });
    // the finalizer holds the old Job after the DELETE until the runner has read it twice more
    let readsBeforeDelete = -1;
    let polledWhileHeld = 0;
    const holder = setInterval(() => {
      const reads = fake.requestsTo("GET", `${JOBS}/web-migrate-6-8-0`).length;
      const held = fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0");
      if (!held?.metadata.deletionTimestamp || held.metadata.uid !== before.metadata.uid) return;
      if (readsBeforeDelete < 0) readsBeforeDelete = reads;
      if (reads - readsBeforeDelete >= 2) {
        polledWhileHeld = reads - readsBeforeDelete;
        fake.update("batch/v1", "Job", "web", "web-migrate-6-8-0", (o) => {
          o.metadata.finalizers = [];
        });
      }
    }, 2);
    const release = () => clearInterval(holder);
    controller = startJobController(fake, (j) =>
      j.metadata.uid !== before.metadata.uid ? { log: ["retry ok"] } : undefined,
    );
    const result = await runMigrationJob(fake.access(), job, options());
    release();

    expect(result.outcome).toBe("succeeded");
    expect(logs).toEqual(["retry ok"]);
    const deletes = fake.requestsTo("DELETE", `${JOBS}/web-migrate-6-8-0`);
    expect(deletes).toHaveLength(1);
    const policy =
      deletes[0].query.get("propagationPolicy") ??
      JSON.parse(deletes[0].body || "{}").propagationPolicy;
    expect(policy).toBe("Background");
    // it waited: the old Job was read while the finalizer held it, and the new one has a new uid
    expect(polledWhileHeld).toBeGreaterThanOrEqual(2);
    const posts = fake.requestsTo("POST", JOBS);
    expect(posts).toHaveLength(2);
    expect(fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0")!.metadata.uid).not.toBe(
      before.metadata.uid,
    );
    // the old pod was garbage-collected with its Job and never mistaken for the new one
    expect(fake.get("v1", "Pod", "web", "web-migrate-6-8-0-old")).toBeUndefined();
    expect(progress).toContain(
      "the migration Job web/web-migrate-6-8-0 failed before (BackoffLimitExceeded: Job has reached the specified backoff limit); deleting it to run the migration again",
    );
  });

  test("an existing Job that is still running: a clear error, nothing changed", async () => {
    const job = render();
    seed(job, "active");
    const error = await runMigrationJob(fake.access(), job, options()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MigrationJobConflict);
    expect((error as Error).message).toMatch(
      /^The migration Job web\/web-migrate-6-8-0 \(version 6\.8\.0\) already exists and is still running \(started [^,]+, 1 active pod\(s\)\): another migration of this version is running, which the release lock should have prevented\. Nothing was changed\. Inspect it: kubectl -n web describe job\/web-migrate-6-8-0; kubectl -n web logs job\/web-migrate-6-8-0 -c migrate$/,
    );
    expect(fake.requestsTo("DELETE", /.*/)).toEqual([]);
    expect(fake.requestsTo("POST", JOBS)).toHaveLength(1);
  });

  test("a Job of that name for another version (same sanitized name): a clear error", async () => {
    seed(render({ version: "1.2.3-build.7" }), "Complete");
    const error = await runMigrationJob(
      fake.access(),
      render({ version: "1.2.3+build.7" }),
      options(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationJobConflict);
    expect((error as Error).message).toBe(
      "The migration Job web/web-migrate-1-2-3-build-7 already exists for version 1.2.3-build.7, not 1.2.3+build.7 (both versions make the same Job name): delete it (kubectl -n web delete job/web-migrate-1-2-3-build-7) or release a version with another name",
    );
  });

  test("a 403 on create: one error naming the request and the server's message", async () => {
    fake.reject(
      "POST",
      JOBS,
      403,
      "Forbidden",
      'jobs.batch is forbidden: User "arn:aws:sts::123456789012:assumed-role/ci/x" cannot create resource "jobs" in API group "batch" in the namespace "web"',
    );
    await expect(runMigrationJob(fake.access(), render(), options())).rejects.toThrow(
      'POST /apis/batch/v1/namespaces/web/jobs: 403 jobs.batch is forbidden: User "arn:aws:sts::123456789012:assumed-role/ci/x" cannot create resource "jobs" in API group "batch" in the namespace "web"',
    );
  });

  test("a 401: the request and Unauthorized", async () => {
    const strict = new FakeKubeApi({ authorize: (t) => t === "the-good-token" });
    await strict.start();
    try {
      await expect(runMigrationJob(strict.access(), render(), options())).rejects.toThrow(
        "POST /apis/batch/v1/namespaces/web/jobs: 401 Unauthorized",
      );
    } finally {
      await strict.stop();
    }
  });

  test("a 500 while following: the request and the server's message", async () => {
    script({ log: ["a"], stepMs: 20 });
    fake.reject(
      "GET",
      `${JOBS}/web-migrate-6-8-0/status`,
      500,
      "InternalError",
      "etcdserver: request timed out",
    );
    await expect(runMigrationJob(fake.access(), render(), options())).rejects.toThrow(
      "GET /apis/batch/v1/namespaces/web/jobs/web-migrate-6-8-0/status: 500 etcdserver: request timed out",
    );
  });

  test("the server rejects an invalid Job (422): the causes are in the error", async () => {
    const job = render();
    job.metadata!.name = "web-migrate-" + "x".repeat(60);
    await expect(runMigrationJob(fake.access(), job, options())).rejects.toThrow(
      /^POST \/apis\/batch\/v1\/namespaces\/web\/jobs: 422 Job\.batch "web-migrate-x+" is invalid: spec\.template\.labels: Invalid value: "web-migrate-x+": .*must be no more than 63 characters/,
    );
  });

  test("connection refused: the request and the network error", async () => {
    const closed = new FakeKubeApi();
    await closed.start();
    const access = closed.access();
    await closed.stop();
    await expect(runMigrationJob(access, render(), options())).rejects.toThrow(
      /^POST \/apis\/batch\/v1\/namespaces\/web\/jobs: request to http:\/\/127\.0\.0\.1:\d+\/apis\/batch\/v1\/namespaces\/web\/jobs failed, reason: connect ECONNREFUSED/,
    );
  });

  test("the client-side timeout: timed-out, the Job left running, how to inspect it", async () => {
    script({ log: ["migrating up 0010_big_table", "still copying"], hang: true });
    const result = await runMigrationJob(fake.access(), render(), options({ timeoutMs: 1000 }));

    expect(result).toMatchObject({
      outcome: "timed-out",
      inspect:
        "kubectl -n web describe job/web-migrate-6-8-0; kubectl -n web logs job/web-migrate-6-8-0 -c migrate",
      logTail: ["migrating up 0010_big_table", "still copying"],
    });
    expect(result.summary).toBe(
      "the migration Job web/web-migrate-6-8-0 did not finish within 1s; it was left as it is (nothing deleted): inspect it with kubectl -n web describe job/web-migrate-6-8-0; kubectl -n web logs job/web-migrate-6-8-0 -c migrate",
    );
    expect(fake.requestsTo("DELETE", /.*/)).toEqual([]);
    expect(fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0")!.status.active).toBe(1);
    // the log stream was closed
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.openLogStreams()).toBe(0);
  });

  test("a dropped log stream is resumed without repeating lines", async () => {
    const lines = Array.from({ length: 8 }, (_, i) => `step ${i + 1}`);
    controller = startJobController(fake, () => ({ log: lines, stepMs: 15 }));
    let dropped = false;
    const stop = fake.onChange(() => {
      // once a few lines are out, break the stream
      if (!dropped && logs.length >= 3) {
        dropped = true;
        fake.dropLogStreams();
      }
    });
    const result = await runMigrationJob(fake.access(), render(), options());
    stop();

    expect(dropped).toBe(true);
    expect(result.outcome).toBe("succeeded");
    expect(logs).toEqual(lines);
    expect(fake.requestsTo("GET", /\/log$/).length).toBeGreaterThan(1);
  });

  test("clusters before 1.27: the pod is found by the job-name label", async () => {
    script({ log: ["old cluster"], legacyLabels: true });
    const result = await runMigrationJob(fake.access(), render(), options());
    expect(result.outcome).toBe("succeeded");
    expect(logs).toEqual(["old cluster"]);
    expect(
      fake
        .requestsTo("GET", "/api/v1/namespaces/web/pods")
        .map((r) => r.query.get("labelSelector")),
    ).toContain("job-name=web-migrate-6-8-0");
  });

  test("a pod that cannot be created: the Job's warning events are reported", async () => {
    script({ noPod: true });
    const warned = fake.onChange((event) => {
      if (event.type === "ADDED" && event.object.kind === "Job") {
        fake.create({
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: "web-migrate-6-8-0.1", namespace: "web" },
          involvedObject: {
            kind: "Job",
            name: "web-migrate-6-8-0",
            namespace: "web",
            uid: event.object.metadata.uid,
          },
          type: "Warning",
          reason: "FailedCreate",
          message:
            'Error creating: pods "web-migrate-6-8-0-x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true',
          count: 1,
        });
      }
    });
    const result = await runMigrationJob(fake.access(), render(), options({ timeoutMs: 500 }));
    warned();
    expect(result.outcome).toBe("timed-out");
    expect(progress.filter((l) => l.includes("FailedCreate"))).toEqual([
      'migration Job web/web-migrate-6-8-0: FailedCreate: Error creating: pods "web-migrate-6-8-0-x" is forbidden: violates PodSecurity "restricted:latest": runAsNonRoot != true',
    ]);
  });
});

describe("runMigrationJob over TLS", () => {
  let dir: string;
  let server: HttpsServer;
  let endpoint: string;
  let certPem: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kube-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "pipe" },
    );
    certPem = readFileSync(join(dir, "cert.pem"), "utf8");
    // an API server that forbids everything: enough to see the TLS handshake succeed or fail
    server = createHttpsServer(
      { key: readFileSync(join(dir, "key.pem")), cert: certPem },
      (req, res) => {
        res.writeHead(403, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            reason: "Forbidden",
            code: 403,
            message: `${req.method} forbidden over TLS`,
          }),
        );
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test("with the cluster's CA the handshake succeeds (the server's answer comes through)", async () => {
    await expect(
      runMigrationJob(
        { server: endpoint, caPem: certPem, token: async () => "t" },
        render(),
        options(),
      ),
    ).rejects.toThrow("POST /apis/batch/v1/namespaces/web/jobs: 403 POST forbidden over TLS");
  });

  test("without it the certificate is refused: the request and the TLS error", async () => {
    await expect(
      runMigrationJob({ server: endpoint, token: async () => "t" }, render(), options()),
    ).rejects.toThrow(
      /^POST \/apis\/batch\/v1\/namespaces\/web\/jobs: request to https:.* failed, reason: self[- ]signed certificate/,
    );
  });
});
