import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { EnvironmentConfig } from "../config/schema";

/** What every stack of an environment is built from. */
export interface PlatformStackProps {
  /** The validated environment file. */
  readonly environment: EnvironmentConfig;
  /**
   * Offline plan mode (DESIGN.md section 6): local backend, placeholder credentials with the skip
   * flags, no account pinning and no role, so Terraform can init/validate/plan with no cloud.
   * @default false
   */
  readonly offline?: boolean;
  /**
   * Whether the provider, the backend and the Kubernetes token assume the environment's
   * `deployRoleArn`. Off for plan jobs that run as the read-only GitHub plan role, which may not
   * assume the deploy role (README, Pipeline). @default true (PLATFORM_ASSUME_DEPLOY_ROLE=0 turns it off)
   */
  readonly assumeDeployRole?: boolean;
  /** The day (YYYY-MM-DD, UTC) support dates are checked against for warnings. @default the day of synthesis */
  readonly today?: string;
}

/** S3 backend (key `<stack>.tfstate`, encrypted, S3-native locking), or a local one offline. */
export function configureBackend(
  stack: TerraformStack,
  stackName: string,
  props: PlatformStackProps,
): void {
  const env = props.environment;
  if (props.offline) {
    // Relative to the stack's own folder, written so that a sibling stack's remote-state
    // reference (cdktf reuses this path) finds the same file: cdktf.out/stacks/<stack>/<stack>.tfstate.
    new LocalBackend(stack, { path: `../${stackName}/${stackName}.tfstate` });
    return;
  }
  new S3Backend(stack, {
    bucket: env.state.bucket,
    region: env.state.region,
    key: `${stackName}.tfstate`,
    encrypt: true,
    assumeRole: deployRoleToAssume(props) ? { roleArn: deployRoleToAssume(props)! } : undefined,
  });
  // cdktf 0.21's S3Backend has no typed field for S3-native state locking (Terraform >= 1.10).
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
}

/** The deploy role the stack's tools assume: none offline, without one, or when turned off. */
export function deployRoleToAssume(props: PlatformStackProps): string | undefined {
  if (props.offline || props.assumeDeployRole === false) return undefined;
  return props.environment.deployRoleArn;
}

/** Tags on every AWS resource of the environment. */
export function defaultTags(env: EnvironmentConfig): Record<string, string> {
  return { ...env.tags, environment: env.name, "managed-by": "cdktf-platform" };
}

/** Placeholder credentials for offline mode: never valid, never sent anywhere. */
const OFFLINE_CREDENTIALS = { accessKey: "offline-placeholder", secretKey: "offline-placeholder" };

/**
 * The AWS provider of an environment: default tags, pinned to the account, assuming the deploy
 * role when set. Offline it uses placeholder credentials and skips every call that needs AWS.
 */
export function awsProvider(
  stack: TerraformStack,
  props: PlatformStackProps,
  options: { readonly id?: string; readonly alias?: string; readonly region?: string } = {},
): AwsProvider {
  const env = props.environment;
  const common = {
    alias: options.alias,
    region: options.region ?? env.region,
    defaultTags: [{ tags: defaultTags(env) }],
  };
  if (props.offline) {
    return new AwsProvider(stack, options.id ?? "aws", {
      ...common,
      ...OFFLINE_CREDENTIALS,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: "true",
      skipRegionValidation: true,
    });
  }
  return new AwsProvider(stack, options.id ?? "aws", {
    ...common,
    allowedAccountIds: [env.account],
    assumeRole: deployRoleToAssume(props)
      ? [{ roleArn: deployRoleToAssume(props)!, sessionName: `cdktf-${env.name}` }]
      : undefined,
  });
}
