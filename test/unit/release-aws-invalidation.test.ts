/**
 * The CloudFront invalidation against a mocked CloudFront client: the exact CreateInvalidation
 * input, polling GetInvalidation until Completed with progress, the timeout on a fake clock, and
 * API errors named with the distribution.
 */
import {
  CloudFrontClient,
  CloudFrontServiceException,
  CreateInvalidationCommand,
  GetInvalidationCommand,
} from "@aws-sdk/client-cloudfront";
import { mockClient } from "aws-sdk-client-mock";
import { CloudFrontInvalidation } from "../../release/aws/invalidation";
import { NOW } from "../support/release-aws";

const cloudfront = mockClient(CloudFrontClient);
const DIST = "E2EXAMPLE123";

beforeEach(() => cloudfront.reset());
afterAll(() => cloudfront.restore());

function cdn(timeoutMs = 60_000) {
  const state = { t: NOW, sleeps: [] as number[] };
  const inv = new CloudFrontInvalidation(new CloudFrontClient({ region: "us-east-1" }), DIST, {
    pollIntervalMs: 5_000,
    timeoutMs,
    now: () => state.t,
    sleep: async (ms) => {
      state.sleeps.push(ms);
      state.t += ms;
    },
  });
  return { inv, state };
}

const created = (status = "InProgress") => ({
  Location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${DIST}/invalidation/I1`,
  Invalidation: {
    Id: "I1",
    Status: status,
    CreateTime: new Date(NOW),
    InvalidationBatch: undefined,
  },
});
const got = (status: string) => ({ Invalidation: { ...created().Invalidation, Status: status } });

test("creates the invalidation with the release's caller reference and waits for Completed", async () => {
  cloudfront.on(CreateInvalidationCommand).resolves(created());
  cloudfront
    .on(GetInvalidationCommand)
    .resolvesOnce(got("InProgress"))
    .resolvesOnce(got("InProgress"))
    .resolves(got("Completed"));
  const { inv, state } = cdn();
  const lines: string[] = [];

  const result = await inv.invalidate(["/*", "/index.html"], "release-prod-web-r1", (l) =>
    lines.push(l),
  );

  expect(result).toEqual({ invalidationId: "I1" });
  expect(cloudfront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input)).toEqual([
    {
      DistributionId: DIST,
      InvalidationBatch: {
        CallerReference: "release-prod-web-r1",
        Paths: { Quantity: 2, Items: ["/*", "/index.html"] },
      },
    },
  ]);
  expect(cloudfront.commandCalls(GetInvalidationCommand).map((c) => c.args[0].input)).toEqual([
    { DistributionId: DIST, Id: "I1" },
    { DistributionId: DIST, Id: "I1" },
    { DistributionId: DIST, Id: "I1" },
  ]);
  expect(lines).toEqual([
    `cdn: invalidating /* /index.html on distribution ${DIST}`,
    "cdn: invalidation I1: InProgress",
    "cdn: invalidation I1: Completed",
    "cdn: invalidation I1 completed in 15s",
  ]);
  expect(state.sleeps).toEqual([5_000, 5_000, 5_000]);
});

test("an invalidation already Completed at creation is not polled", async () => {
  cloudfront.on(CreateInvalidationCommand).resolves(created("Completed"));
  const { inv } = cdn();
  await expect(inv.invalidate(["/*"], "ref", () => {})).resolves.toEqual({
    invalidationId: "I1",
  });
  expect(cloudfront.commandCalls(GetInvalidationCommand)).toHaveLength(0);
});

test("times out on the injected clock, naming the invalidation and its last status", async () => {
  cloudfront.on(CreateInvalidationCommand).resolves(created());
  cloudfront.on(GetInvalidationCommand).resolves(got("InProgress"));
  const { inv, state } = cdn(12_000);
  const wall = Date.now();
  await expect(inv.invalidate(["/*"], "ref", () => {})).rejects.toThrow(
    `CloudFront invalidation I1 on distribution ${DIST} not completed after 12s; last status: InProgress (it goes on in CloudFront)`,
  );
  expect(state.sleeps).toEqual([5_000, 5_000, 2_000]);
  expect(Date.now() - wall).toBeLessThan(1_000);
});

test("API errors name the call, the distribution and the AWS error", async () => {
  cloudfront.on(CreateInvalidationCommand).rejects(
    new CloudFrontServiceException({
      name: "NoSuchDistribution",
      $fault: "client",
      $metadata: { httpStatusCode: 404 },
      message: "The specified distribution does not exist.",
    }),
  );
  await expect(cdn().inv.invalidate(["/*"], "ref", () => {})).rejects.toThrow(
    `CloudFront CreateInvalidation on distribution ${DIST} failed: NoSuchDistribution (HTTP 404): The specified distribution does not exist.`,
  );

  cloudfront.reset();
  cloudfront.on(CreateInvalidationCommand).resolves(created());
  cloudfront.on(GetInvalidationCommand).rejects(
    new CloudFrontServiceException({
      name: "AccessDenied",
      $fault: "client",
      $metadata: { httpStatusCode: 403 },
      message: "not authorized",
    }),
  );
  await expect(cdn().inv.invalidate(["/*"], "ref", () => {})).rejects.toThrow(
    `CloudFront GetInvalidation I1 on distribution ${DIST} failed (last status: InProgress): AccessDenied (HTTP 403): not authorized`,
  );
});

test("bad input is refused before any call", async () => {
  const { inv } = cdn();
  await expect(inv.invalidate([], "ref", () => {})).rejects.toThrow("no paths given");
  await expect(inv.invalidate(["index.html"], "ref", () => {})).rejects.toThrow(
    'path "index.html" must start with /',
  );
  await expect(inv.invalidate(["/*"], "", () => {})).rejects.toThrow("empty caller reference");
  expect(cloudfront.calls()).toHaveLength(0);
});
