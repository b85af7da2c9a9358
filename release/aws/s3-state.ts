/**
 * The deployed state of normal mode: the workloads stack's Terraform state in the environment's
 * state bucket, under the key the S3 backend uses (`<stack>.tfstate`, see `stacks/settings.ts`).
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { deployedAppFromState, stackOutputsFromState } from "../deployed-state";
import type { DeployedStateResult, DeployedStateSource, StackOutputsSource } from "../types";
import { bodyText, isNoSuchKey, s3Failure, s3Url } from "./s3-util";

/** The state key of the workloads stack of an environment: `<env>-workloads.tfstate`. */
export function workloadsStateKey(environment: string): string {
  return `${environment}-workloads.tfstate`;
}

/** Reads the `app_<name>` output from the workloads state object. */
export class S3DeployedState implements DeployedStateSource {
  /** Object key of the state. */
  readonly key: string;
  /** `s3://bucket/<env>-workloads.tfstate`. */
  readonly location: string;

  /**
   * @param s3 client for the state bucket's region
   * @param bucket the environment's state bucket (`state.bucket`)
   */
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly environment: string,
  ) {
    this.key = workloadsStateKey(environment);
    this.location = s3Url(bucket, this.key);
  }

  /** {@inheritDoc DeployedStateSource.read} */
  async read(app: string): Promise<DeployedStateResult> {
    let text: string;
    try {
      const output = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key }),
      );
      text = await bodyText(output, this.location);
    } catch (error) {
      if (isNoSuchKey(error)) {
        return {
          found: false,
          location: this.location,
          reason: "no state yet: the workloads stack was never deployed",
        };
      }
      throw s3Failure("GetObject", this.location, error);
    }
    return deployedAppFromState(text, app, this.location);
  }
}

/** The outputs of a stack from its state object (`<stack>.tfstate`) in the state bucket. */
export class S3StackOutputs implements StackOutputsSource {
  /** `s3://bucket/<stack>.tfstate`. */
  readonly location: string;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly stack: string,
  ) {
    this.location = s3Url(bucket, `${stack}.tfstate`);
  }

  /** {@inheritDoc StackOutputsSource.read} */
  async read(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      const output = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: `${this.stack}.tfstate` }),
      );
      text = await bodyText(output, this.location);
    } catch (error) {
      if (isNoSuchKey(error))
        throw new Error(`${this.location}: no state yet (is ${this.stack} deployed?)`);
      throw s3Failure("GetObject", this.location, error);
    }
    return stackOutputsFromState(text, this.location);
  }
}
