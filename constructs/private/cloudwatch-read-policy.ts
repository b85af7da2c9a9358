/**
 * The IAM policy of Grafana's CloudWatch data source (its service account's IRSA role): read
 * metrics in the environment's region, nothing else. No write action, no logs (log events may
 * hold data the dashboards do not need), no other service.
 */
import { policyJson } from "./iam";
import { isToken } from "./validation";
import { AWS_REGION } from "./patterns";

/**
 * The actions granted: what Grafana's CloudWatch data source calls for metric queries
 * (`GetMetricData`) and for its metric, dimension and `dimension_values()` lookups
 * (`ListMetrics`). Neither action has a resource type (Service Authorization Reference), so
 * `Resource: "*"` is the only value; the region condition scopes them instead.
 */
export const CLOUDWATCH_READ_ACTIONS = [
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
] as const;

/** Read CloudWatch metrics of `region` only (condition `aws:RequestedRegion`). */
export function cloudWatchReadPolicy(region: string): string {
  if (!isToken(region) && !AWS_REGION.test(region)) {
    throw new Error(
      `region: received ${JSON.stringify(region)}; expected an AWS region such as eu-west-1`,
    );
  }
  return policyJson([
    {
      Sid: "ReadMetricsInTheEnvironmentsRegion",
      Effect: "Allow",
      Action: [...CLOUDWATCH_READ_ACTIONS],
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": region } },
    },
  ]);
}
