jest.mock("@kubernetes/client-node", () =>
  jest.requireActual("../support/client-node").loadClientNode(),
);

import {
  CHANGE_CAUSE_ANNOTATION,
  RESTARTED_AT_ANNOTATION,
  restartDeployments,
  rolloutStatus,
} from "../../release/migrations/restart";
import { FakeKubeApi } from "../support/fake-kube-api";
import {
  deploymentObject,
  startDeploymentController,
  type RolloutScript,
  type RunningController,
} from "../support/fake-kube-controllers";

const BLUE = { "app.kubernetes.io/name": "web-blue" };
const GREEN = { "app.kubernetes.io/name": "web-green" };
const AT = new Date("2026-12-01T10:00:00.000Z");

let fake: FakeKubeApi;
let controller: RunningController | undefined;
let progress: string[];

beforeEach(async () => {
  fake = new FakeKubeApi();
  await fake.start();
  progress = [];
  fake.create(deploymentObject("web", "web-blue", BLUE, 3));
  fake.create(deploymentObject("web", "web-blue-worker", BLUE, 1));
  fake.create(deploymentObject("web", "web-green", GREEN, 2));
  // the controller has rolled out what exists
  for (const name of ["web-blue", "web-blue-worker", "web-green"]) {
    fake.update("apps/v1", "Deployment", "web", name, (d) => {
      const n = d.spec.replicas;
      d.status = {
        observedGeneration: 1,
        replicas: n,
        updatedReplicas: n,
        readyReplicas: n,
        availableReplicas: n,
      };
    });
  }
});

afterEach(async () => {
  controller?.stop();
  await controller?.settled();
  controller = undefined;
  await fake.stop();
});

/** Resolves once the Deployment is read (GET) again after this call. */
async function readAgain(name: string): Promise<void> {
  const path = new RegExp(`/deployments/${name}$`);
  const before = fake.requestsTo("GET", path).length;
  while (fake.requestsTo("GET", path).length <= before)
    await new Promise((resolve) => setTimeout(resolve, 1));
}

const roll = (script: (name: string) => RolloutScript = () => ({})) => {
  controller = startDeploymentController(fake, (d) => script(d.metadata.name));
};

const options = (more = {}) => ({
  pollIntervalMs: 5,
  timeoutMs: 5000,
  progress: (line: string) => progress.push(line),
  now: () => AT,
  ...more,
});

describe("restartDeployments", () => {
  test("patches the colour's Deployments like kubectl rollout restart and waits for the rollouts", async () => {
    // each status the controller sets is read before it moves on: the intermediate states below
    // are seen however busy the machine is
    roll((name) => ({ afterStep: () => readAgain(name) }));
    const names = await restartDeployments(
      fake.access(),
      "web",
      "app.kubernetes.io/name=web-blue",
      "secret web/DATABASE_URL rotated",
      options(),
    );

    expect(names).toEqual(["web-blue", "web-blue-worker"]);
    for (const name of names) {
      const d = fake.get("apps/v1", "Deployment", "web", name)!;
      expect(d.spec.template.metadata.annotations).toEqual({
        [RESTARTED_AT_ANNOTATION]: "2026-12-01T10:00:00.000Z",
      });
      expect(d.metadata.annotations![CHANGE_CAUSE_ANNOTATION]).toBe(
        "secret web/DATABASE_URL rotated",
      );
      expect(d.metadata.generation).toBe(2);
      expect(d.status).toMatchObject({
        observedGeneration: 2,
        updatedReplicas: d.spec.replicas,
        availableReplicas: d.spec.replicas,
        replicas: d.spec.replicas,
      });
      // the rest of the template is untouched (a strategic merge, not a replacement)
      expect(d.spec.template.spec.containers).toEqual([
        { name: "app", image: "ghcr.io/stefanprodan/podinfo:6.7.1" },
      ]);
    }
    // the other colour is not touched
    expect(fake.get("apps/v1", "Deployment", "web", "web-green")!.metadata.generation).toBe(1);
    const patches = fake.requestsTo("PATCH", /\/deployments\//);
    expect(patches.map((p) => p.headers["content-type"])).toEqual([
      "application/strategic-merge-patch+json",
      "application/strategic-merge-patch+json",
    ]);
    expect(
      fake
        .requestsTo("GET", "/apis/apps/v1/namespaces/web/deployments")[0]
        .query.get("labelSelector"),
    ).toBe("app.kubernetes.io/name=web-blue");
    // progress as the rollout moved, ending with each one done
    expect(progress.slice(0, 2)).toEqual([
      "restarted deployment web/web-blue (secret web/DATABASE_URL rotated) at 2026-12-01T10:00:00.000Z",
      "restarted deployment web/web-blue-worker (secret web/DATABASE_URL rotated) at 2026-12-01T10:00:00.000Z",
    ]);
    expect(progress).toContain("web-blue: rolled out (3 of 3 available)");
    expect(progress).toContain("web-blue-worker: rolled out (1 of 1 available)");
    expect(
      progress.some((l) =>
        /^web-blue: (\d of 3 new replicas updated|1 old replicas pending termination|waiting for the spec update to be observed)$/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  test("no Deployment matching: a clear error, nothing patched", async () => {
    await expect(
      restartDeployments(
        fake.access(),
        "web",
        "app.kubernetes.io/name=web-purple",
        "rotation",
        options(),
      ),
    ).rejects.toThrow(
      "No Deployment in namespace web matches app.kubernetes.io/name=web-purple: nothing was restarted",
    );
    expect(fake.requestsTo("PATCH", /.*/)).toEqual([]);
  });

  test("a paused Deployment: refused before anything is patched", async () => {
    fake.update("apps/v1", "Deployment", "web", "web-blue-worker", (d) => {
      d.spec.paused = true;
    });
    await expect(
      restartDeployments(
        fake.access(),
        "web",
        "app.kubernetes.io/name=web-blue",
        "rotation",
        options(),
      ),
    ).rejects.toThrow("Cannot restart web-blue-worker in namespace web: paused");
    expect(fake.requestsTo("PATCH", /.*/)).toEqual([]);
  });

  test("a rollout that does not complete in time: the error says what it waits for", async () => {
    roll((name) => ({ stall: name === "web-blue" }));
    await expect(
      restartDeployments(
        fake.access(),
        "web",
        "app.kubernetes.io/name=web-blue",
        "rotation",
        options({ timeoutMs: 200 }),
      ),
    ).rejects.toThrow(
      "The restart of web/web-blue did not complete within 200 ms: web-blue: 1 of 3 new replicas updated",
    );
  });

  test("a rollout past its progress deadline fails at once", async () => {
    roll((name) => ({ progressDeadlineExceeded: name === "web-blue" }));
    await expect(
      restartDeployments(
        fake.access(),
        "web",
        "app.kubernetes.io/name=web-blue",
        "rotation",
        options(),
      ),
    ).rejects.toThrow(
      'The restart of deployment web/web-blue failed: web-blue: exceeded its progress deadline (ReplicaSet "web-blue-new" has timed out progressing.)',
    );
  });

  test("a 403 on the patch: the request and the server's message", async () => {
    fake.reject(
      "PATCH",
      "/apis/apps/v1/namespaces/web/deployments/web-blue",
      403,
      "Forbidden",
      'deployments.apps "web-blue" is forbidden: User "ci" cannot patch resource "deployments"',
    );
    await expect(
      restartDeployments(
        fake.access(),
        "web",
        "app.kubernetes.io/name=web-blue",
        "rotation",
        options(),
      ),
    ).rejects.toThrow(
      'PATCH /apis/apps/v1/namespaces/web/deployments/web-blue: 403 deployments.apps "web-blue" is forbidden: User "ci" cannot patch resource "deployments"',
    );
  });
});

describe("rolloutStatus", () => {
  const d = (status: object, generation = 2, replicas = 3) => ({
    metadata: { name: "web-blue", generation },
    spec: { replicas, selector: {}, template: {} },
    status,
  });

  test("follows kubectl rollout status step by step", () => {
    expect(rolloutStatus(d({ observedGeneration: 1 }), 2).detail).toBe(
      "web-blue: waiting for the spec update to be observed",
    );
    expect(
      rolloutStatus(d({ observedGeneration: 2, updatedReplicas: 1, replicas: 4 }), 2).detail,
    ).toBe("web-blue: 1 of 3 new replicas updated");
    expect(
      rolloutStatus(d({ observedGeneration: 2, updatedReplicas: 3, replicas: 4 }), 2).detail,
    ).toBe("web-blue: 1 old replicas pending termination");
    expect(
      rolloutStatus(
        d({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }),
        2,
      ).detail,
    ).toBe("web-blue: 2 of 3 updated replicas available");
    expect(
      rolloutStatus(
        d({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }),
        2,
      ),
    ).toEqual({ state: "done", detail: "web-blue: rolled out (3 of 3 available)" });
  });

  test("an older status with a newer generation since the patch is not done", () => {
    expect(
      rolloutStatus(
        d({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }, 3),
        2,
      ).state,
    ).toBe("waiting");
  });
});
