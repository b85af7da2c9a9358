/**
 * The deployed state: the `app_<name>` output parsed from a Terraform v4 state, read from the
 * S3 backend's object (mocked S3) or from the local state file of offline mode.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { S3DeployedState } from "../../release/aws/s3-state";
import { deployedAppFromState, LocalDeployedState } from "../../release/deployed-state";
import { body, noSuchKey, s3Error } from "../support/release-aws";

const s3 = mockClient(S3Client);
const BUCKET = "example-tfstate-staging";
const LOCATION = `s3://${BUCKET}/staging-workloads.tfstate`;

beforeEach(() => s3.reset());
afterAll(() => s3.restore());

/** The `app_web` output as `terraform apply` of the workloads stack records it. */
const webOutput = {
  host: "web.staging.example.com",
  namespace: "web",
  stable_colour: "green",
  idle_colour: "blue",
  weights: { blue: 10, green: 90 },
  versions: { blue: "6.8.0", green: "6.7.1" },
  release_names: { blue: "web-blue", green: "web-green" },
  service_names: { blue: "web-blue-alb", green: "web-green-alb" },
  preview: { host: "web.staging.example.com", header: "x-preview", value: "blue" },
  load_balancer_hostname: null,
};

function state(outputs: Record<string, unknown>, version = 4): string {
  return JSON.stringify({
    version,
    terraform_version: "1.13.4",
    serial: 12,
    lineage: "3f2c1a9e-0000-4000-8000-000000000000",
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [name, { value, type: ["object", {}] }]),
    ),
    resources: [],
    check_results: null,
  });
}

describe("deployedAppFromState", () => {
  test("returns the app output's value", () => {
    const result = deployedAppFromState(state({ app_web: webOutput }), "web", LOCATION);
    expect(result).toEqual({
      found: true,
      location: LOCATION,
      app: expect.objectContaining({
        host: "web.staging.example.com",
        namespace: "web",
        stable_colour: "green",
        idle_colour: "blue",
        weights: { blue: 10, green: 90 },
        versions: { blue: "6.8.0", green: "6.7.1" },
      }),
    });
  });

  test("null attributes (unset in Terraform) read as undefined; older outputs lack versions", () => {
    const old = { ...webOutput, host: null, versions: undefined };
    const result = deployedAppFromState(state({ app_web: old }), "web", LOCATION);
    if (!result.found) throw new Error(result.reason);
    expect(result.app.host).toBeUndefined();
    expect(result.app.versions).toBeUndefined();
  });

  test("a missing output is found: false, naming the outputs present", () => {
    const result = deployedAppFromState(
      state({ app_api: webOutput, cluster_name: "staging" }),
      "web",
      LOCATION,
    );
    expect(result).toEqual({
      found: false,
      location: LOCATION,
      reason:
        "no output app_web in the workloads state (outputs present: app_api, cluster_name); is app web deployed?",
    });
  });

  test("a state with no outputs at all says none", () => {
    const result = deployedAppFromState(
      JSON.stringify({ version: 4, resources: [] }),
      "web",
      LOCATION,
    );
    expect(result.found === false && result.reason).toContain("(outputs present: none)");
  });

  test("text that is not a v4 state, or an output of the wrong shape, throws naming the state", () => {
    expect(() => deployedAppFromState("<html>", "web", LOCATION)).toThrow(
      `The Terraform state ${LOCATION} is not JSON`,
    );
    expect(() => deployedAppFromState(state({ app_web: webOutput }, 3), "web", LOCATION)).toThrow(
      `The Terraform state ${LOCATION} has format version 3; the release tool reads version 4`,
    );
    expect(() =>
      deployedAppFromState(
        state({ app_web: { ...webOutput, stable_colour: "red" } }),
        "web",
        LOCATION,
      ),
    ).toThrow(
      `The output app_web in the Terraform state ${LOCATION} is not an app release state: stable_colour:`,
    );
  });
});

describe("S3DeployedState", () => {
  const source = () =>
    new S3DeployedState(new S3Client({ region: "eu-west-1" }), BUCKET, "staging");

  test("reads <env>-workloads.tfstate from the state bucket", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(state({ app_web: webOutput })) });
    const result = await source().read("web");
    expect(result.found && result.app.stable_colour).toBe("green");
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: BUCKET, Key: "staging-workloads.tfstate" },
    ]);
    expect(source().location).toBe(LOCATION);
  });

  test("no state object yet: found false, never deployed", async () => {
    s3.on(GetObjectCommand).rejects(noSuchKey());
    expect(await source().read("web")).toEqual({
      found: false,
      location: LOCATION,
      reason: "no state yet: the workloads stack was never deployed",
    });
  });

  test("the output missing from the S3 state names the outputs present", async () => {
    s3.on(GetObjectCommand).resolves({ Body: body(state({ app_api: webOutput })) });
    const result = await source().read("web");
    expect(result.found === false && result.reason).toBe(
      "no output app_web in the workloads state (outputs present: app_api); is app web deployed?",
    );
  });

  test("access denied is an error naming the object", async () => {
    s3.on(GetObjectCommand).rejects(s3Error("AccessDenied", 403, "Access Denied"));
    await expect(source().read("web")).rejects.toThrow(
      `S3 GetObject of ${LOCATION} failed: AccessDenied (HTTP 403): Access Denied`,
    );
  });
});

describe("LocalDeployedState", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "release-state-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads the local state file with the same parser", async () => {
    const path = join(dir, "dev-workloads.tfstate");
    writeFileSync(path, state({ app_web: webOutput }));
    const result = await new LocalDeployedState(path).read("web");
    expect(result).toEqual({
      found: true,
      location: path,
      app: expect.objectContaining({ stable_colour: "green" }),
    });
  });

  test("a missing file is found: false naming the path", async () => {
    const path = join(dir, "nothing.tfstate");
    expect(await new LocalDeployedState(path).read("web")).toEqual({
      found: false,
      location: path,
      reason: `no local state file ${path}`,
    });
  });
});
