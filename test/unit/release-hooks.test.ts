/**
 * The release flow's hooks around the steps, against the loopback harness: the pre-deployment
 * backup, the wait for the ALB to serve a weight change, the drain before an old colour's pods
 * are replaced, the CDN invalidation after a promote, and the notices. The AWS implementations of
 * these seams have their own tests on the SDK's wire requests; here they are recorded stand-ins.
 */
import type {
  CdnInvalidation,
  DatabaseBackup,
  Notifier,
  ReleaseNotice,
  TrafficVerifier,
} from "../../release/types";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(60_000);

let fixture: ReleaseFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const calls: string[] = [];
beforeEach(() => (calls.length = 0));

function recordingNotifier(): Notifier & { notices: ReleaseNotice[] } {
  const notices: ReleaseNotice[] = [];
  return {
    notices,
    send: (notice) => notices.push(notice),
    flush: async () => ({ failed: [] }),
  };
}

const backup = (fail?: string): DatabaseBackup => ({
  async snapshot(request, progress) {
    calls.push(`snapshot ${request.app} ${request.version} keep ${request.keep}`);
    progress("snapshot release-staging-web-6-8-0: 100%");
    if (fail) throw new Error(fail);
    return { snapshotId: "release-staging-web-6-8-0-20261201", deleted: [] };
  },
});

describe("pre-deployment backup", () => {
  it("snapshots before anything is deployed when the app asks for it", async () => {
    const f = (fixture = await releaseFixture({}, (t) =>
      t.replace("      canaryWeight: 0", "      canaryWeight: 0\n      backup: true"),
    ));
    const outcome = await f.release(["start", "staging", "web", "6.8.0"], {
      extra: {
        backup: {
          snapshot: async (request, progress) => {
            calls.push(`snapshot with ${f.harness.deploys().length} deploys done`);
            return backup().snapshot(request, progress);
          },
        },
      },
    });
    expect(outcome.code).toBe(0);
    expect(calls).toEqual(["snapshot with 0 deploys done", "snapshot web 6.8.0 keep 5"]);
    expect(f.journal().map((e) => e.step)).toEqual(["backed-up", "started"]);
    expect(f.journal()[0].message).toBe("snapshot release-staging-web-6-8-0-20261201");
  });

  it("refuses the release (exit 2, nothing deployed) when the snapshot fails", async () => {
    const f = (fixture = await releaseFixture({}, (t) =>
      t.replace("      canaryWeight: 0", "      canaryWeight: 0\n      backup: true"),
    ));
    const before = f.text();
    const outcome = await f.release(["run", "staging", "web", "6.8.0"], {
      extra: {
        backup: backup(
          "snapshot release-staging-web-6-8-0 timed out after 60m (last status: creating)",
        ),
      },
    });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.at(-1)).toMatch(
      /refused, nothing changed: the pre-deployment backup failed, so nothing was deployed: snapshot .* timed out after 60m \(last status: creating\)/,
    );
    expect(f.text()).toBe(before);
    expect(f.harness.deploys()).toEqual([]);
  });

  it("takes no snapshot in a development-tier app without backup: true", async () => {
    const f = (fixture = await releaseFixture());
    expect(
      (await f.release(["start", "staging", "web", "6.8.0"], { extra: { backup: backup() } })).code,
    ).toBe(0);
    expect(calls).toEqual([]);
  });
});

describe("verified traffic", () => {
  const verifier = (failAt?: string): TrafficVerifier => ({
    async waitForWeights(app, weights, timeoutMs, progress) {
      calls.push(
        `wait ${app.namespace}/${app.name} blue ${weights.blue} green ${weights.green} within ${timeoutMs}`,
      );
      progress(`ALB rule weights blue ${weights.blue} / green ${weights.green}`);
      if (failAt && failAt === `${weights.blue}/${weights.green}`) {
        throw new Error(
          "ALB rule still forwards blue 0 / green 100 after 5m; blue targets: 2 unhealthy",
        );
      }
    },
    async deregistrationDelayMs() {
      return 300;
    },
  });

  it("waits for the ALB after every weight change, before the bake", async () => {
    const f = (fixture = await releaseFixture());
    expect(
      (await f.release(["run", "staging", "web", "6.8.0"], { extra: { traffic: verifier() } }))
        .code,
    ).toBe(0);
    expect(calls).toEqual([
      "wait web/web blue 10 green 90 within 300000",
      "wait web/web blue 100 green 0 within 300000",
    ]);
  });

  it("rolls back when the ALB never serves the new weights", async () => {
    const f = (fixture = await releaseFixture());
    const outcome = await f.release(["run", "staging", "web", "6.8.0"], {
      extra: { traffic: verifier("10/90") },
    });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.at(-1)).toMatch(
      /failed and rolled back: shift 10% to blue 6\.8\.0 failed: ALB rule still forwards blue 0 \/ green 100 after 5m; blue targets: 2 unhealthy; rolled back to 100% to green 6\.7\.0/,
    );
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
  });

  it("lets the old colour drain for its deregistration delay before its pods are replaced", async () => {
    const f = (fixture = await releaseFixture());
    expect(
      (await f.release(["run", "staging", "web", "6.8.0"], { extra: { traffic: verifier() } }))
        .code,
    ).toBe(0);
    const promotedAt = Date.parse(f.journal().find((e) => e.step === "promoted")!.time);
    const outcome = await f.release(["start", "staging", "web", "6.9.0"], {
      extra: { traffic: verifier() },
    });
    expect(outcome.code).toBe(0);
    const startDeploy = f.harness.deploys().at(-1)!;
    expect(Date.parse(startDeploy.time) - promotedAt).toBeGreaterThanOrEqual(300);
    expect(startDeploy.appliedVersions.web.green).toBe("6.9.0");
  });
});

describe("CDN invalidation after a promote", () => {
  const withCdn = (t: string) =>
    t.replace("    release:\n", "    cdn: { invalidatePaths: [/*] }\n    release:\n");
  const cdn = (fail?: string): CdnInvalidation => ({
    async invalidate(paths, reference, progress) {
      calls.push(`invalidate ${paths.join(",")} ${reference.replace(/-[^-]+-[^-]+$/, "")}`);
      progress("invalidation I2J0: InProgress");
      if (fail) throw new Error(fail);
      return { invalidationId: "I2J0" };
    },
  });

  it("invalidates the app's paths once the promote baked well", async () => {
    const f = (fixture = await releaseFixture({}, withCdn));
    const outcome = await f.release(["run", "staging", "web", "6.8.0"], { extra: { cdn: cdn() } });
    expect(outcome.code).toBe(0);
    expect(calls).toEqual(["invalidate /* release-staging-web-6.8.0"]);
    expect(
      f
        .journal()
        .map((e) => e.step)
        .slice(-2),
    ).toEqual(["invalidated", "run-finished"]);
  });

  it("reports a failed invalidation with exit 4 and keeps the healthy release", async () => {
    const f = (fixture = await releaseFixture({}, withCdn));
    const notifier = recordingNotifier();
    const outcome = await f.release(["run", "staging", "web", "6.8.0"], {
      extra: { cdn: cdn("AccessDenied"), notifier },
    });
    expect(outcome.code).toBe(4);
    expect(outcome.stderr.at(-1)).toMatch(
      /released 6\.8\.0: blue stable with 100% of traffic .*; but the CDN invalidation of \/\* failed \(the release itself is healthy and stays\): AccessDenied \[exit 4/,
    );
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });
    expect(notifier.notices.map((n) => n.kind)).toContain("invalidation-failed");
  });
});

describe("notices", () => {
  it("tells every turn of a good run, with the release's id on each", async () => {
    const f = (fixture = await releaseFixture());
    const notifier = recordingNotifier();
    expect(
      (await f.release(["run", "staging", "web", "6.8.0"], { extra: { notifier } })).code,
    ).toBe(0);
    expect(notifier.notices.map((n) => `${n.kind}/${n.severity}`)).toEqual([
      "started/info",
      "gate/info",
      "gate/info",
      "promoted/info",
      "gate/info",
      "finished/info",
    ]);
    expect(new Set(notifier.notices.map((n) => n.releaseId)).size).toBe(1);
    expect(notifier.notices.at(-1)).toMatchObject({
      environment: "staging",
      app: "web",
      version: "6.8.0",
      state: { stable: "blue", canaryWeight: 0 },
    });
  });

  it("pages on a rollback, naming the failing gate", async () => {
    const f = (fixture = await releaseFixture({ "6.8.2": { breaksAfter: 6 } }));
    const notifier = recordingNotifier();
    expect(
      (await f.release(["run", "staging", "web", "6.8.2", "--bake", "1s"], { extra: { notifier } }))
        .code,
    ).toBe(1);
    const kinds = notifier.notices.map((n) => `${n.kind}/${n.severity}`);
    expect(kinds.slice(-3)).toEqual(["gate/warning", "rolled-back/critical", "failed/warning"]);
    expect(
      notifier.notices.find((n) => n.kind === "gate" && n.severity === "warning")?.gate,
    ).toMatchObject({ verdict: "fail" });
  });
});

describe("notification secrets", () => {
  it("refuses the release before any change when a webhook's variable is not set", async () => {
    const f = (fixture = await releaseFixture({}, (t) =>
      t.replace(
        "\napps:\n",
        "\nnotifications: { sns: false, slack: [{ webhookUrl: { env: RELEASE_TEST_UNSET_WEBHOOK } }] }\napps:\n",
      ),
    ));
    const { releaseMain } = await import("../../release/cli");
    const stderr: string[] = [];
    const before = f.text();
    const code = await releaseMain(["start", "staging", "web", "6.8.0"], {
      cwd: f.root,
      environmentDirectory: f.envDir,
      offline: true,
      deployCommand: f.harness.deployCommand,
      stdout: () => {},
      stderr: (line) => stderr.push(line),
    });
    expect(code).toBe(2);
    expect(stderr.at(-1)).toBe(
      "staging/web start: refused, nothing changed: notifications.slack[0].webhookUrl: environment variable RELEASE_TEST_UNSET_WEBHOOK is not set [exit 2]",
    );
    expect(f.text()).toBe(before);
    expect(f.harness.deploys()).toEqual([]);
  });
});
