import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { awsReleaseBackends } from "../../release/aws/backends";
import { S3StackOutputs } from "../../release/aws/s3-state";
import { LocalStackOutputs, stackOutputsFromState } from "../../release/deployed-state";
import { body } from "../support/release-aws";

const STATE = JSON.stringify({
  version: 4,
  outputs: {
    database_identifier: { value: "prod-postgres", type: "string" },
    distribution_id: { value: "E2EXAMPLE", type: "string" },
  },
});

const s3 = mockClient(S3Client);
afterAll(() => s3.restore());
beforeEach(() => s3.reset());

describe("infrastructure outputs for the release tool", () => {
  it("reads every output of a state", () => {
    expect(stackOutputsFromState(STATE, "x.tfstate")).toEqual({
      database_identifier: "prod-postgres",
      distribution_id: "E2EXAMPLE",
    });
  });

  it("fails on a state that is not v4 JSON, naming it", () => {
    expect(() => stackOutputsFromState("{", "prod-infrastructure.tfstate")).toThrow(
      /^The Terraform state prod-infrastructure\.tfstate is not JSON/,
    );
    expect(() => stackOutputsFromState('{"version":3}', "s")).toThrow(
      /has format version 3; the release tool reads version 4/,
    );
  });

  it("reads the local state file offline and says when there is none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "outputs-"));
    writeFileSync(join(dir, "dev-infrastructure.tfstate"), STATE);
    expect(
      await new LocalStackOutputs(join(dir, "dev-infrastructure.tfstate")).read(),
    ).toMatchObject({ distribution_id: "E2EXAMPLE" });
    await expect(new LocalStackOutputs(join(dir, "missing.tfstate")).read()).rejects.toThrow(
      /Cannot read the state .*missing\.tfstate: .*\(is the stack deployed\?\)/,
    );
  });

  it("reads the state object from the bucket, or names the missing key", async () => {
    s3.on(GetObjectCommand, {
      Bucket: "example-tfstate-prod",
      Key: "prod-infrastructure.tfstate",
    }).resolves({
      Body: body(STATE),
    });
    const outputs = new S3StackOutputs(
      new S3Client({ region: "eu-west-1" }),
      "example-tfstate-prod",
      "prod-infrastructure",
    );
    expect(await outputs.read()).toMatchObject({ database_identifier: "prod-postgres" });
    s3.reset();
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no", $metadata: {} }));
    await expect(outputs.read()).rejects.toThrow(
      "s3://example-tfstate-prod/prod-infrastructure.tfstate: no state yet (is prod-infrastructure deployed?)",
    );
  });

  it("refuses a backup when the infrastructure state has no database_identifier output", async () => {
    s3.on(GetObjectCommand).resolves({
      Body: body('{"version":4,"outputs":{}}'),
    });
    const env = {
      name: "prod",
      region: "eu-west-1",
      account: "333333333333",
      state: { bucket: "example-tfstate-prod", region: "eu-west-1" },
      cluster: { nodeGroups: {} },
    } as unknown as Parameters<typeof awsReleaseBackends>[0];
    const backends = awsReleaseBackends(env, "web", {
      s3: new S3Client({ region: "eu-west-1" }),
      credentials: async () => ({ accessKeyId: "a", secretAccessKey: "b" }),
    } as unknown as Parameters<typeof awsReleaseBackends>[2]);
    await expect(
      backends.backup!.snapshot(
        { app: "web", version: "6.8.0", keep: 5, timeoutMs: 1000 },
        () => {},
      ),
    ).rejects.toThrow(
      "s3://example-tfstate-prod/prod-infrastructure.tfstate has no database_identifier output: deploy prod-infrastructure first",
    );
  });
});
