/**
 * The release tool with the normal-mode lock and journal: a real S3Client (path-style) against
 * the loopback fake S3, through a whole run against the loopback harness. The lock object is
 * created with `If-None-Match: *` and removed at the end; each journal event is its own object.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { S3Journal } from "../../release/aws/s3-journal";
import { S3ReleaseLock } from "../../release/aws/s3-lock";
import { offlineReleaseBackends } from "../../release/backends";
import { releaseMain } from "../../release/cli";
import { FakeS3Server } from "../support/fake-s3-server";
import { releaseFixture, type ReleaseFixture } from "../support/release-fixture";

jest.setTimeout(60_000);

const BUCKET = "example-tfstate-staging";
const s3 = new FakeS3Server();
let fixture: ReleaseFixture;
beforeAll(() => s3.start());
afterAll(() => s3.stop());
beforeEach(async () => {
  fixture = await releaseFixture();
});
afterEach(() => fixture.stop());

const client = () =>
  new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
  });

async function release(argv: string[]) {
  const stderr: string[] = [];
  const code = await releaseMain([...argv, "--base-url", fixture.harness.albUrl], {
    cwd: fixture.root,
    environmentDirectory: fixture.envDir,
    offline: false,
    deployCommand: fixture.harness.deployCommand,
    actor: "ci-bot",
    backends: async (env, app) => ({
      // the deployed state stays the harness's state file; lock and journal are in "S3"
      ...offlineReleaseBackends(env, app, fixture.root),
      lock: new S3ReleaseLock(client(), env.state.bucket, env.name, app),
      journal: new S3Journal(client(), env.state.bucket, env.name, app),
      kubernetes: async () => ({
        server: fixture.harness.kubeApiUrl,
        token: async () => fixture.harness.token,
      }),
    }),
    stdout: () => {},
    stderr: (line) => stderr.push(line),
  });
  return { code, stderr };
}

describe("release with the lock and journal in the state bucket", () => {
  it("takes the lock with a conditional write, journals each step as an object, frees the lock", async () => {
    const outcome = await release(["run", "staging", "web", "6.8.0", "--bake", "0s"]);
    expect(outcome.code).toBe(0);
    const lockWrites = s3.requestsTo("PUT", BUCKET, "release/locks/staging/web.json");
    expect(lockWrites[0].headers["if-none-match"]).toBe("*");
    expect(s3.objects.has(`${BUCKET}/release/locks/staging/web.json`)).toBe(false);
    const events = [...s3.objects.keys()].filter((k) =>
      k.startsWith(`${BUCKET}/release/journal/staging/web/`),
    );
    expect(events).toHaveLength(8);
    const journal = await new S3Journal(client(), BUCKET, "staging", "web").read();
    expect(journal.map((e) => e.step)).toEqual([
      "run-started",
      "started",
      "verified",
      "shifted",
      "baked",
      "promoted",
      "baked",
      "run-finished",
    ]);
    expect(fixture.harness.weights("web")).toEqual({ blue: 100, green: 0 });
  });

  it("exits 2 naming the holder when another release holds the S3 lock", async () => {
    await new S3ReleaseLock(client(), BUCKET, "staging", "web").acquire(
      {
        id: "other",
        environment: "staging",
        app: "web",
        holder: "alice (GitHub Actions run 7)",
        command: "release run staging web 6.7.9",
        acquiredAt: "",
        expiresAt: "",
      },
      60_000,
    );
    const before = fixture.text();
    const outcome = await release(["start", "staging", "web", "6.8.0"]);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.at(-1)).toMatch(
      /another release holds the lock \(s3:\/\/example-tfstate-staging\/release\/locks\/staging\/web\.json\): alice \(GitHub Actions run 7\) since/,
    );
    expect(fixture.text()).toBe(before);
    expect(fixture.harness.deploys()).toHaveLength(0);
    await new S3ReleaseLock(client(), BUCKET, "staging", "web").forceRelease();
  });
});
