/** IAM policy documents as plain typed data, rendered with JSON.stringify (tokens stay `${...}`). */

export type Condition = Record<string, Record<string, string | string[]>>;

/** One IAM policy statement, as the constructs write them. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Record<string, string | string[]> | "*";
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Condition;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

/** Renders statements as a policy document JSON string. */
export function policyJson(statements: readonly PolicyStatement[]): string {
  const document: PolicyDocument = { Version: "2012-10-17", Statement: [...statements] };
  return JSON.stringify(document);
}

/**
 * Trust policy letting an AWS service assume a role, pinned to our account (confused deputy). Only
 * for services that AWS documents to send `aws:SourceAccount` when they assume the role (VPC Flow
 * Logs, RDS Enhanced Monitoring): a condition on a key the service does not send denies it. EC2
 * instance profiles (EKS nodes) do not, so the node role trusts ec2.amazonaws.com unconditioned.
 */
export function serviceTrustPolicy(service: string, account: string): string {
  return policyJson([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
  ]);
}

/** Maximum length of an IAM role name. */
export const MAX_ROLE_NAME_LENGTH = 64;
