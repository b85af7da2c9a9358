/**
 * Whether the tools assume an environment's `deployRoleArn` on top of the ambient credentials
 * (Terraform's provider and backend, `aws eks get-token`, the release tool). The pipeline turns it
 * off with `PLATFORM_ASSUME_DEPLOY_ROLE=0`: plan jobs run as the read-only plan role, deploy jobs
 * already hold the deploy role (chained by configure-aws-credentials), so nothing is assumed twice.
 */
export function assumeDeployRoleFromEnvironment(): boolean {
  return environmentFlag("PLATFORM_ASSUME_DEPLOY_ROLE", true);
}

/** A yes/no environment variable: 1/true/yes or 0/false/no (any case); unset or other: `fallback`. */
export function environmentFlag(name: string, fallback: boolean): boolean {
  const value = (process.env[name] ?? "").toLowerCase();
  if (["1", "true", "yes"].includes(value)) return true;
  if (["0", "false", "no"].includes(value)) return false;
  return fallback;
}
