jest.mock("@kubernetes/client-node", () =>
  jest.requireActual("../support/client-node").loadClientNode(),
);

/**
 * Normal mode's migrations and restarts through the Kubernetes API (issue 16, sections 2 and
 * 4): `release start` creating the migration Job, `release contract` its contract Job, and
 * `release restart` rolling a colour, against the loopback API server with scripted
 * controllers (no cluster runs here).
 */
import { KubernetesMigrationRunner } from "../../release/migrations/kubernetes-runner";
import type { MigrationRequest } from "../../release/types";
import { FakeKubeApi } from "../support/fake-kube-api";
import {
  deploymentObject,
  startDeploymentController,
  startJobController,
  type JobScript,
  type RunningController,
} from "../support/fake-kube-controllers";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(60_000);

let fake: FakeKubeApi;
let controllers: RunningController[];
beforeEach(async () => {
  fake = new FakeKubeApi();
  await fake.start();
  controllers = [];
});
afterEach(async () => {
  for (const c of controllers) {
    c.stop();
    await c.settled();
  }
  await fake.stop();
});

const runner = () =>
  new KubernetesMigrationRunner({
    kubernetes: async () => fake.access(),
    database: async () => ({ host: "web-db.abc.eu-west-1.rds.amazonaws.com", port: 5432 }),
    region: "eu-west-1",
  });

const request: MigrationRequest = {
  environment: "staging",
  app: "web",
  namespace: "web",
  version: "6.8.0",
  phase: "expand",
  image: "ghcr.io/example-org/web-migrations:6.8.0",
  command: ["node", "migrate.js", "up"],
  database: "web",
  timeoutMs: 30_000,
};

const jobs = (script: JobScript) =>
  controllers.push(startJobController(fake, () => ({ stepMs: 2, ...script })));

describe("KubernetesMigrationRunner", () => {
  test("creates the version's Job as the migrator, streams its log, reports success", async () => {
    jobs({ log: ["applying 002_add_description", "done"] });
    const lines: string[] = [];
    const outcome = await runner().run(request, (l) => lines.push(l));
    expect(outcome).toMatchObject({
      outcome: "succeeded",
      where: "Job web/web-migrate-6-8-0 (kubectl -n web logs job/web-migrate-6-8-0)",
    });
    expect(lines).toEqual(expect.arrayContaining(["applying 002_add_description", "done"]));
    const job = fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0")!;
    const pod = (job.spec as any).template.spec;
    expect(pod.serviceAccountName).toBe("web-migrator");
    const migrate = pod.containers.find((c: any) => c.name === "migrate");
    expect(migrate.image).toBe(request.image);
    expect(migrate.command).toEqual(request.command);
    expect(Object.fromEntries(migrate.env.map((e: any) => [e.name, e.value]))).toMatchObject({
      PGHOST: "web-db.abc.eu-west-1.rds.amazonaws.com",
      PGPORT: "5432",
      PGDATABASE: "web",
      PGUSER: "web_migrator",
      PGSSLMODE: "require",
    });
    expect(pod.initContainers[0].image).toBe("public.ecr.aws/aws-cli/aws-cli:2.17.0");
    expect((job.spec as any).activeDeadlineSeconds).toBe(30);
  });

  test("a failed Job is a failed migration with the reason and exit code", async () => {
    jobs({ log: ['ERROR: column "name" does not exist'], exitCode: 3 });
    const outcome = await runner().run(request, () => undefined);
    expect(outcome.outcome).toBe("failed");
    expect(outcome.reason).toMatch(/^BackoffLimitExceeded, container migrate, exit code 3, /);
  });

  test("contract runs as its own Job, and a version that succeeded is not run again", async () => {
    jobs({ log: ["dropped items.legacy_code"] });
    const contract = {
      ...request,
      phase: "contract" as const,
      command: ["node", "migrate.js", "contract"],
    };
    expect((await runner().run(contract, () => undefined)).outcome).toBe("succeeded");
    expect(fake.get("batch/v1", "Job", "web", "web-contract-6-8-0")).toBeDefined();
    expect((await runner().run(contract, () => undefined)).outcome).toBe("already-succeeded");
  });
});

describe("release start and restart against the Kubernetes API", () => {
  let f: ReleaseFixture;
  afterEach(() => f?.stop());

  test("release start runs the migration Job before the idle colour changes", async () => {
    f = await releaseFixture();
    jobs({ log: ["migrated"] });
    const out = await f.release(["start", "staging", "web", "6.8.0"], {
      extra: { migrations: runner() },
    });
    expect(out.code).toBe(0);
    expect(fake.get("batch/v1", "Job", "web", "web-migrate-6-8-0")).toBeDefined();
    expect(f.journal().map((e) => e.step)).toEqual(["migrated", "stable-rechecked", "started"]);
    expect(f.journal()[0].message).toContain("Job web/web-migrate-6-8-0");
  });

  test("release restart rolls only the colour's Deployments and waits for them", async () => {
    f = await releaseFixture();
    fake.create(
      deploymentObject("web", "web-blue", { "app.kubernetes.io/name": "web-blue", colour: "blue" }),
    );
    fake.create(
      deploymentObject("web", "web-green", {
        "app.kubernetes.io/name": "web-green",
        colour: "green",
      }),
    );
    controllers.push(startDeploymentController(fake));
    const out = await f.release(["restart", "staging", "web", "green"], {
      extra: { kubernetes: async () => fake.access() },
    });
    expect(out.code).toBe(0);
    const annotations = (name: string) =>
      (fake.get("apps/v1", "Deployment", "web", name)!.spec as any).template.metadata
        ?.annotations ?? {};
    expect(annotations("web-green")["kubectl.kubernetes.io/restartedAt"]).toBeDefined();
    expect(annotations("web-blue")["kubectl.kubernetes.io/restartedAt"]).toBeUndefined();
    expect(f.journal().map((e) => `${e.step} ${e.outcome}`)).toEqual(["restarted ok"]);
    expect(f.harness.deploys()).toHaveLength(0);
  });

  test("release restart refuses a colour that is not blue or green", async () => {
    f = await releaseFixture();
    const out = await f.release(["restart", "staging", "web", "red"]);
    expect(out.code).toBe(2);
    expect(out.stderr.join("\n")).toContain(
      'restart: colour: received "red"; expected blue or green',
    );
  });
});
