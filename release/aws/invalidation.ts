/**
 * The CloudFront invalidation after a promote (issue 10 section 3): `CreateInvalidation` on the
 * environment's distribution (the infrastructure stack's `distribution_id` output), then
 * `GetInvalidation` until `Completed`. The caller reference is unique per release, so a resumed
 * release that sends the same paths again gets the same invalidation back instead of a new one.
 */
import {
  CreateInvalidationCommand,
  GetInvalidationCommand,
  type CloudFrontClient,
} from "@aws-sdk/client-cloudfront";
import type { CdnInvalidation } from "../types";
import { awsErrorText } from "./aws-errors";
import { sleep as defaultSleep } from "./s3-util";

/** Tuning and test seams of {@link CloudFrontInvalidation}. */
export interface CloudFrontInvalidationOptions {
  /** Time between `GetInvalidation` polls. @default 10 s */
  readonly pollIntervalMs?: number;
  /** How long to wait for `Completed`. @default 15 minutes */
  readonly timeoutMs?: number;
  /** The clock of the timeout. @default Date.now */
  readonly now?: () => number;
  /** Waits between polls (tests advance a fake clock). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** CloudFront invalidations on one distribution. */
export class CloudFrontInvalidation implements CdnInvalidation {
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  /**
   * @param cloudfront a CloudFront client (the API is global; any region works)
   * @param distributionId the distribution (`distribution_id` output of the infrastructure stack)
   */
  constructor(
    private readonly cloudfront: CloudFrontClient,
    readonly distributionId: string,
    options: CloudFrontInvalidationOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 15 * 60_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Creates the invalidation (`reference` is its CallerReference) and waits until CloudFront
   * reports it `Completed`, printing each new status. Throws naming the distribution, the
   * invalidation and its last status on an API error or after the timeout.
   */
  async invalidate(
    paths: readonly string[],
    reference: string,
    progress: (line: string) => void,
  ): Promise<{ readonly invalidationId: string }> {
    if (paths.length === 0) throw new Error("CloudFront invalidation: no paths given");
    const bad = paths.find((p) => !p.startsWith("/"));
    if (bad !== undefined) {
      throw new Error(`CloudFront invalidation: path ${JSON.stringify(bad)} must start with /`);
    }
    if (!reference) throw new Error("CloudFront invalidation: an empty caller reference");
    const where = `distribution ${this.distributionId}`;
    const started = this.now();
    progress(`cdn: invalidating ${paths.join(" ")} on ${where}`);
    let id: string | undefined;
    let status: string | undefined;
    try {
      const out = await this.cloudfront.send(
        new CreateInvalidationCommand({
          DistributionId: this.distributionId,
          InvalidationBatch: {
            CallerReference: reference,
            Paths: { Quantity: paths.length, Items: [...paths] },
          },
        }),
      );
      id = out.Invalidation?.Id;
      status = out.Invalidation?.Status;
    } catch (error) {
      throw new Error(`CloudFront CreateInvalidation on ${where} failed: ${awsErrorText(error)}`, {
        cause: error,
      });
    }
    if (!id)
      throw new Error(`CloudFront CreateInvalidation on ${where} returned no invalidation id`);
    let reported = status ?? "";
    if (status) progress(`cdn: invalidation ${id}: ${status}`);
    const deadline = started + this.timeoutMs;
    while (status !== "Completed") {
      const left = deadline - this.now();
      if (left <= 0) {
        throw new Error(
          `CloudFront invalidation ${id} on ${where} not completed after ${Math.round(this.timeoutMs / 1000)}s; last status: ${status ?? "unknown"} (it goes on in CloudFront)`,
        );
      }
      await this.sleep(Math.min(this.pollIntervalMs, left));
      try {
        const out = await this.cloudfront.send(
          new GetInvalidationCommand({ DistributionId: this.distributionId, Id: id }),
        );
        status = out.Invalidation?.Status;
      } catch (error) {
        throw new Error(
          `CloudFront GetInvalidation ${id} on ${where} failed (last status: ${status ?? "unknown"}): ${awsErrorText(error)}`,
          { cause: error },
        );
      }
      if (status && status !== reported) {
        progress(`cdn: invalidation ${id}: ${status}`);
        reported = status;
      }
    }
    progress(`cdn: invalidation ${id} completed in ${Math.round((this.now() - started) / 1000)}s`);
    return { invalidationId: id };
  }
}
