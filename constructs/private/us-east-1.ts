import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { isToken, type ProblemList } from "./validation";

/** CloudFront's region: its certificates, web ACLs, metrics and log delivery live here. */
export const CLOUDFRONT_REGION = "us-east-1";

/** Adds a problem when a provider meant for CloudFront's region is set to another region. */
export function checkUsEast1Provider(problems: ProblemList, provider: AwsProvider): void {
  const region = provider.region;
  if (region !== undefined && !isToken(region)) {
    problems.check(
      region === CLOUDFRONT_REGION,
      "usEast1Provider",
      region,
      "an AwsProvider configured for region us-east-1",
    );
  }
}
