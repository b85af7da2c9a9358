/**
 * The normal-mode release backends of one environment and app (DESIGN.md section 5): lock and
 * journal in the environment's state bucket, the deployed state from the workloads stack's S3
 * state, the EKS API server with deploy-role credentials, and the ALB (ELBv2) to verify traffic.
 */
import type { EnvironmentConfig } from "../../config/schema";
import type { KubernetesAccess, ReleaseBackends } from "../types";
import { releaseAwsClients, type ReleaseAwsClients } from "./clients";
import { eksKubernetesAccess } from "./eks";
import { S3Journal } from "./s3-journal";
import { S3ReleaseLock } from "./s3-lock";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { RDSClient } from "@aws-sdk/client-rds";
import { RdsDatabaseBackup } from "./backup";
import { CloudFrontInvalidation } from "./invalidation";
import { S3DeployedState, S3StackOutputs } from "./s3-state";
import { ElbTrafficVerifier } from "./traffic";

/** The environment fields the AWS backends use. */
export type AwsBackendEnvironment = Pick<
  EnvironmentConfig,
  "name" | "region" | "account" | "deployRoleArn" | "state" | "cluster"
>;

/**
 * Lock (`release/locks/<env>/<app>.json`), journal (`release/journal/<env>/<app>/`) and deployed
 * state (`<env>-workloads.tfstate`) in `env.state.bucket`, and the EKS cluster, resolved once on
 * the first `kubernetes()` call (a failed resolution is retried on the next call); traffic
 * verification reads the app's TargetGroupBindings through that API and its ALB through ELBv2.
 *
 * @param clients the AWS clients; built from the environment (default credential chain, plus
 *   `deployRoleArn` when set) unless given, e.g. by tests
 */
export function awsReleaseBackends(
  env: AwsBackendEnvironment,
  app: string,
  clients: ReleaseAwsClients = releaseAwsClients(env),
): ReleaseBackends {
  let access: Promise<KubernetesAccess> | undefined;
  const kubernetes = () => {
    access ??= eksKubernetesAccess(env, clients.eks, clients.credentials).catch(
      (error: unknown) => {
        access = undefined;
        throw error;
      },
    );
    return access;
  };
  const infrastructure = new S3StackOutputs(
    clients.s3,
    env.state.bucket,
    `${env.name}-infrastructure`,
  );
  /** An output of the infrastructure stack the release needs (a clear error when missing). */
  const output = async (name: string): Promise<string> => {
    const value = (await infrastructure.read())[name];
    if (typeof value !== "string" || value === "") {
      throw new Error(
        `${infrastructure.location} has no ${name} output: deploy ${env.name}-infrastructure first`,
      );
    }
    return value;
  };
  const credentials = clients.credentials;
  return {
    lock: new S3ReleaseLock(clients.s3, env.state.bucket, env.name, app),
    journal: new S3Journal(clients.s3, env.state.bucket, env.name, app),
    deployedState: new S3DeployedState(clients.s3, env.state.bucket, env.name),
    infrastructure,
    kubernetes,
    traffic: new ElbTrafficVerifier(clients.elbv2, kubernetes),
    backup: {
      async snapshot(request, progress) {
        const rds = clients.rds ?? new RDSClient({ region: env.region, credentials });
        const identifier = await output("database_identifier");
        return new RdsDatabaseBackup(rds, identifier, env.name).snapshot(request, progress);
      },
    },
    cdn: {
      async invalidate(paths, reference, progress) {
        const cloudfront =
          clients.cloudfront ?? new CloudFrontClient({ region: "us-east-1", credentials });
        const distribution = await output("distribution_id");
        return new CloudFrontInvalidation(cloudfront, distribution).invalidate(
          paths,
          reference,
          progress,
        );
      },
    },
  };
}
