/**
 * Whether the tools assume an environment's `deployRoleArn` on top of the ambient credentials
 * (Terraform's provider and backend, `aws eks get-token`, the release tool). The pipeline turns it
 * off with `PLATFORM_ASSUME_DEPLOY_ROLE=0`: plan jobs run as the read-only plan role, deploy jobs
 * already hold the deploy role (chained by configure-aws-credentials), so nothing is assumed twice.
 */
export function assumeDeployRoleFromEnvironment(): boolean {
  return !["0", "false", "no"].includes(
    (process.env.PLATFORM_ASSUME_DEPLOY_ROLE ?? "").toLowerCase(),
  );
}
