/**
 * The release tool end to end against the loopback harness: real HTTP through a fake ALB that
 * routes by the live Ingress, a fake Kubernetes API, podinfo-like colours and a recording deploy.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileReleaseLock } from "../../release/file-lock";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(60_000);

let fixture: ReleaseFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

const start = async (...args: Parameters<typeof releaseFixture>) => {
  fixture = await releaseFixture(...args);
  return fixture;
};

/** The lines that differ between two texts. */
function changed(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  return [
    ...a.filter((l) => !b.includes(l)).map((l) => `- ${l}`),
    ...b.filter((l) => !a.includes(l)).map((l) => `+ ${l}`),
  ];
}

describe("release run", () => {
  it("runs a good version to promoted: new colour stable, weight 0, comments intact", async () => {
    const f = await start();
    const before = f.text();
    const outcome = await f.release(["run", "staging", "web", "6.8.0", "--bake", "0s"]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.at(-1)).toMatch(
      /^staging\/web run: released 6\.8\.0: blue stable with 100% of traffic in .* \[exit 0, .*\]$/,
    );
    // stable was green, so 6.8.0 went to blue, then blue was promoted
    expect(changed(before, f.text())).toEqual([
      "-       stable: green",
      "-       blue: { version: 6.7.1, chart: 6.7.1, values: { replicaCount: 2 } }",
      "+       stable: blue",
      '+       blue: { version: 6.8.0, chart: 6.7.1, values: { replicaCount: 2 }, config: { PODINFO_LEVEL: info, PODINFO_RANDOM_DELAY: "false" }, secrets: [ API_TOKEN ] }',
    ]);
    expect(f.text()).toContain("# each colour pins its image version, chart version and values");
    // start (pods only), shift 10% (Ingress), promote (Ingress)
    expect(f.harness.deploys().map((d) => [d.ok, d.ingressChanged])).toEqual([
      [true, false],
      [true, true],
      [true, true],
    ]);
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });
    expect(f.harness.colour("web", "green").version).toBe("6.7.0"); // the warm standby
    expect(
      f.journal().map((e) => `${e.step}${e.stage ? ` (${e.stage})` : ""} ${e.outcome}`),
    ).toEqual([
      "run-started ok",
      "started (start) ok",
      "verified (verify) ok",
      "shifted ok",
      "baked (shift 10) ok",
      "promoted ok",
      "baked (promote) ok",
      "run-finished ok",
    ]);
    // the canary really got live traffic during its bake, and the preview route reached it
    const requests = f.harness.requests();
    expect(requests.some((r) => !r.preview && r.version === "6.8.0")).toBe(true);
    expect(requests.filter((r) => r.preview).every((r) => r.colour === "blue")).toBe(true);
  });

  it("fails verify with a broken version: exit 1, the file as it was, no live traffic to it", async () => {
    const f = await start({ "6.8.1": "broken" });
    const before = f.text();
    const outcome = await f.release(["run", "staging", "web", "6.8.1"]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.at(-1)).toMatch(
      /failed and rolled back: verification failed: blue 6\.8\.1 failed verification: health: GET \/healthz: not 3 consecutive 2xx within 2s/,
    );
    expect(f.text()).toBe(before);
    expect(f.harness.deploys().map((d) => d.appliedVersions.web)).toEqual([
      { blue: "6.8.1", green: "6.7.0" },
      { blue: "6.7.1", green: "6.7.0" },
    ]);
    expect(f.harness.requests().filter((r) => !r.preview && r.version === "6.8.1")).toEqual([]);
    expect(f.journal().at(-1)).toMatchObject({ step: "run-finished", outcome: "failed" });
  });

  it("rolls back to weight 0 when the version breaks during the bake, traffic first", async () => {
    // healthy for verify (3 health + 2 smoke through the preview route), then 500s
    const f = await start({ "6.8.2": { breaksAfter: 6 } });
    const outcome = await f.release(["run", "staging", "web", "6.8.2", "--bake", "2s"]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.at(-1)).toMatch(
      /failed and rolled back: .* failed on the (live|preview) route during the 10% bake: .*500/,
    );
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
    expect(f.text()).toContain("canaryWeight: 0");
    // the Ingress was patched before the reconciling deploy, which then had nothing to change
    const patch = f.harness.kubeRequests().find((r) => r.method === "PATCH");
    const deploys = f.harness.deploys();
    expect(patch).toBeDefined();
    expect(Date.parse(patch!.time)).toBeLessThanOrEqual(Date.parse(deploys.at(-1)!.time));
    expect(deploys.at(-1)).toMatchObject({ ok: true, ingressChanged: false });
    const rolledBack = f.journal().find((e) => e.step === "rolled-back");
    expect(rolledBack?.trafficRestoredMs).toBeLessThanOrEqual(60_000);
    expect(
      outcome.stderr.some((l) =>
        /traffic restored on the Ingress in .*: 100% to green 6\.7\.0/.test(l),
      ),
    ).toBe(true);
  });

  it("rolls back when the deploy of a step fails", async () => {
    const f = await start();
    expect((await f.release(["start", "staging", "web", "6.8.0"])).code).toBe(0);
    f.harness.failDeploys(1);
    const outcome = await f.release(["shift", "staging", "web", "25", "--bake", "0s"]);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.at(-1)).toMatch(
      /failed and rolled back: the deploy to shift 25% to blue 6\.8\.0 failed; rolled back to 100% to green 6\.7\.0/,
    );
    expect(f.text()).toContain("canaryWeight: 0");
    expect(f.harness.deploys().map((d) => d.ok)).toEqual([true, false, true]);
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
  });

  it("exits 3 when the rollback deploy fails, saying where traffic is and what to run", async () => {
    const f = await start();
    await f.release(["start", "staging", "web", "6.8.0"]);
    f.harness.failDeploys(2);
    const outcome = await f.release(["shift", "staging", "web", "25"]);
    expect(outcome.code).toBe(3);
    const message = outcome.stderr.at(-2)!;
    expect(outcome.stderr.at(-1)).toMatch(
      /^staging\/web shift: ROLLBACK INCOMPLETE \(see above\) \[exit 3, /,
    );
    expect(message).toMatch(
      /^staging\/web: ROLLBACK INCOMPLETE\. Traffic is safe: the live Ingress already sends 100% to green 6\.7\.0\./,
    );
    expect(message).toContain(
      `Run it again by hand until it succeeds:\n  PLATFORM_ENV_DIR=${f.envDir} ${f.harness.deployCommand} staging-workloads`,
    );
    expect(f.journal().at(-1)).toMatchObject({ step: "rollback-failed", outcome: "failed" });
  });

  it("exits 3 and says traffic may not be restored when neither the API nor the deploy works", async () => {
    const f = await start();
    await f.release(["start", "staging", "web", "6.8.0"]);
    expect((await f.release(["shift", "staging", "web", "25", "--bake", "0s"])).code).toBe(0);
    f.harness.failKubeApi(true);
    f.harness.failAllDeploys(true);
    const outcome = await f.release(["rollback", "staging", "web"]);
    expect(outcome.code).toBe(3);
    expect(outcome.stderr.join("\n")).toMatch(
      /Traffic may NOT be restored: the Ingress could not be patched \(.*503.*\); it may still send 75% to green 6\.7\.0, 25% to blue 6\.8\.0\./,
    );
  });
});

describe("release commands one by one", () => {
  it("start, verify, shift, promote, then rollback restores the previous colour without new pods", async () => {
    const f = await start();
    expect((await f.release(["start", "staging", "web", "6.8.0"])).code).toBe(0);
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
    const verified = await f.release(["verify", "staging", "web"]);
    expect(verified.code).toBe(0);
    expect(verified.stdout.at(-1)).toMatch(
      /blue 6\.8\.0 verified through the preview route \(3 gate\(s\) passed\)/,
    );
    expect((await f.release(["shift", "staging", "web", "50", "--bake", "0s"])).code).toBe(0);
    expect(f.harness.weights("web")).toEqual({ blue: 50, green: 50 });
    expect((await f.release(["promote", "staging", "web", "--bake", "0s"])).code).toBe(0);
    expect(f.harness.weights("web")).toEqual({ blue: 100, green: 0 });

    const deploysBefore = f.harness.deploys().length;
    const outcome = await f.release(["rollback", "staging", "web"]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.at(-1)).toMatch(
      /rolled back: the promote of blue 6\.8\.0 undone: green 6\.7\.0 stable again/,
    );
    expect(f.harness.weights("web")).toEqual({ blue: 0, green: 100 });
    expect(f.text()).toMatch(/stable: green\n\s+canaryWeight: 0/);
    const reconcile = f.harness.deploys().slice(deploysBefore);
    expect(reconcile).toHaveLength(1);
    // the same versions stay on both colours: no pod was redeployed; the Ingress was patched first
    expect(reconcile[0]).toMatchObject({
      ok: true,
      ingressChanged: false,
      appliedVersions: { web: { blue: "6.8.0", green: "6.7.0" } },
    });
  });

  it("refuses to start the stable version or during a canary (exit 2, nothing changed)", async () => {
    const f = await start();
    const live = await f.release(["start", "staging", "web", "6.7.0"]);
    expect(live.code).toBe(2);
    expect(live.stderr.at(-1)).toMatch(
      /refused, nothing changed: 6\.7\.0 is already live on green \(stable\)/,
    );
    await f.release(["start", "staging", "web", "6.8.0"]);
    await f.release(["shift", "staging", "web", "10", "--bake", "0s"]);
    const during = await f.release(["start", "staging", "web", "6.9.0"]);
    expect(during.code).toBe(2);
    expect(during.stderr.at(-1)).toMatch(
      /a canary is in progress \(90% to green 6\.7\.0, 10% to blue 6\.8\.0\)/,
    );
    expect(f.harness.deploys()).toHaveLength(2);
  });

  it("refuses while another release holds the lock, naming it; --break-lock clears it", async () => {
    const f = await start();
    await new FileReleaseLock(join(f.root, ".release", "staging-web.lock")).acquire(
      {
        id: "x",
        environment: "staging",
        app: "web",
        holder: "alice@laptop",
        command: "release run staging web 6.7.9",
        acquiredAt: "",
        expiresAt: "",
      },
      60_000,
    );
    const before = f.text();
    const held = await f.release(["start", "staging", "web", "6.8.0"]);
    expect(held.code).toBe(2);
    expect(held.stderr.at(-1)).toMatch(
      /another release holds the lock \(.*staging-web\.lock\): alice@laptop since .*, "release run staging web 6\.7\.9", valid until .*--break-lock/,
    );
    expect(f.text()).toBe(before);
    expect(f.harness.deploys()).toHaveLength(0);

    const broken = await f.release([
      "start",
      "staging",
      "web",
      "6.8.0",
      "--break-lock",
      "alice's laptop died",
    ]);
    expect(broken.code).toBe(0);
    expect(f.journal()[0]).toMatchObject({
      step: "lock-broken",
      message: expect.stringMatching(/alice@laptop .*: alice's laptop died$/),
    });
  });

  it("refuses when the deployed state differs from the file, naming both; --force goes on", async () => {
    const f = await start();
    writeFileSync(f.file, f.text().replace("canaryWeight: 0", "canaryWeight: 20"));
    const drifted = await f.release(["promote", "staging", "web"]);
    expect(drifted.code).toBe(2);
    expect(drifted.stderr.join("\n")).toMatch(
      /the deployed state \(.*staging-workloads\.tfstate\) differs from .*staging\.yaml:\n {2}weights: file blue 20\/green 80, deployed blue 0\/green 100\n/,
    );
    expect(f.harness.deploys()).toHaveLength(0);
    const forced = await f.release(["shift", "staging", "web", "30", "--force", "--bake", "0s"]);
    expect(forced.code).toBe(0);
    expect(forced.stderr.join("\n")).toMatch(
      /weights: file blue 20\/green 80, deployed blue 0\/green 100\n {2}going on \(--force\)/,
    );
    expect(f.harness.weights("web")).toEqual({ blue: 30, green: 70 });
  });

  it("stops without another change when someone breaks its lock mid-release (exit 3)", async () => {
    const f = await start();
    const lock = new FileReleaseLock(join(f.root, ".release", "staging-web.lock"));
    const breaker = setInterval(() => {
      if (f.harness.weights("web")?.blue !== 10) return;
      clearInterval(breaker);
      void lock.forceRelease().then(() =>
        lock.acquire(
          {
            id: "y",
            environment: "staging",
            app: "web",
            holder: "bob@ops",
            command: "release rollback staging web",
            acquiredAt: "",
            expiresAt: "",
          },
          60_000,
        ),
      );
    }, 5);
    const outcome = await f.release(["run", "staging", "web", "6.8.0", "--bake", "3s"], {
      lockTtlMs: 300,
    });
    clearInterval(breaker);
    expect(outcome.code).toBe(3);
    expect(outcome.stderr.join("\n")).toMatch(
      /staging\/web: stopped without further changes: the release lock .* is no longer ours: held by bob@ops since .*Another release now owns this app; the file says 90% to green 6\.7\.0, 10% to blue 6\.8\.0/,
    );
    // no rollback and no promote: the new holder decides
    expect(f.harness.deploys()).toHaveLength(2);
    expect((await lock.read())?.holder).toBe("bob@ops");
  });

  it("--dry-run prints every edit and deploy and changes nothing", async () => {
    const f = await start();
    const before = f.text();
    const outcome = await f.release(["run", "staging", "web", "6.8.0", "--dry-run"]);
    expect(outcome.code).toBe(0);
    const printed = outcome.stderr.join("\n");
    expect(printed).toContain(
      "-       blue: { version: 6.7.1, chart: 6.7.1, values: { replicaCount: 2 } }",
    );
    expect(printed).toContain(
      '+       blue: { version: 6.8.0, chart: 6.7.1, values: { replicaCount: 2 }, config: { PODINFO_LEVEL: info, PODINFO_RANDOM_DELAY: "false" }, secrets: [ API_TOKEN ] }',
    );
    expect(printed).toContain("+       canaryWeight: 10");
    expect(printed).toContain("+       stable: blue");
    expect(printed).toContain(
      `dry run: would deploy: PLATFORM_ENV_DIR=${f.envDir} ${f.harness.deployCommand} staging-workloads`,
    );
    expect(f.text()).toBe(before);
    expect(f.harness.deploys()).toHaveLength(0);
    expect(f.harness.requests()).toHaveLength(0);
    expect(f.journal()).toEqual([]);
  });

  it("--json prints one JSON object per event and a summary", async () => {
    const f = await start();
    const outcome = await f.release(["start", "staging", "web", "6.8.0", "--json"]);
    const events = outcome.stdout.map(
      (line) => JSON.parse(line) as { event: string; step?: string; exitCode?: number },
    );
    expect(events.map((e) => e.step ?? e.event)).toEqual(["started", "summary"]);
    expect(events.at(-1)).toMatchObject({ event: "summary", exitCode: 0 });
  });

  it("status shows colours, versions, live weights, phase and the last events", async () => {
    const f = await start();
    await f.release(["start", "staging", "web", "6.8.0"]);
    const outcome = await f.release(["status", "staging", "web"]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout.slice(0, 6)).toEqual([
      "staging/web: started: blue 6.8.0 awaits traffic (preview route only)",
      "  stable  green 6.7.0 (chart 6.7.1)  100%",
      "  idle    blue  6.8.0 (chart 6.7.1)  0%",
      `  deployed: green stable, blue 0% / green 100% (${join(f.root, "cdktf.out/stacks/staging-workloads/staging-workloads.tfstate")})`,
      "  live Ingress: blue 0% / green 100%",
      "  lock: free",
    ]);
    expect(outcome.stdout.at(-1)).toMatch(/tester {2}start: started ok 6\.8\.0/);
  });
});

describe("release before the first deploy", () => {
  it("refuses when nothing is deployed yet, saying to deploy first", async () => {
    const f = await start();
    const { rmSync } = await import("node:fs");
    rmSync(f.harness.statePath("staging-workloads"));
    const outcome = await f.release(["start", "staging", "web", "6.8.0"]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.at(-1)).toMatch(
      /staging\/web: nothing is deployed to compare the file with: no local state file .*staging-workloads\.tfstate\. Deploy the workloads stack first \(PLATFORM_ENV_DIR=.*\), or pass --force\./,
    );
    expect(f.harness.deploys()).toHaveLength(0);
  });
});
