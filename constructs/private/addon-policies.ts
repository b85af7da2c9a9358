/**
 * IAM policies of the platform add-ons' service-account (IRSA) roles. The roles themselves are
 * created in the infrastructure stack; the add-on constructs in the workloads stack only annotate
 * their service accounts with the role ARN.
 */
import publishedLoadBalancerControllerPolicy from "../policies/aws-load-balancer-controller.json";
import { policyJson, type PolicyStatement } from "./iam";
import { isToken } from "./validation";
import { dnsSuffixOf } from "../types";
import {
  AWS_REGION,
  ROUTE53_ZONE_ID,
  SNS_TOPIC_ARN,
  EKS_CLUSTER_NAME,
  EKS_CLUSTER_NAME_EXPECTED,
} from "./patterns";

/**
 * The controller release whose published IAM policy is shipped in
 * `constructs/policies/aws-load-balancer-controller.json` (chart 1.13.3 installs this release).
 */
export const LOAD_BALANCER_CONTROLLER_POLICY_VERSION = "v2.13.3";

const KMS_KEY_ARN =
  /^arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:key\/[0-9a-f-]{36}$/;

/**
 * The AWS Load Balancer Controller's IAM policy, exactly as published upstream for
 * {@link LOAD_BALANCER_CONTROLLER_POLICY_VERSION} (`docs/install/iam_policy.json`), rendered
 * without whitespace (5.2 KB, under the 6 KB managed-policy limit).
 *
 * The published document is kept verbatim so upgrades are a file replacement that diffs cleanly
 * against upstream. It is written for the `aws` partition (ARNs start with `arn:aws:`); China and
 * GovCloud have their own upstream files. It contains no `*` or `service:*` action, but many
 * statements use `Resource: "*"`: load balancers, target groups and security groups are created
 * by the controller at run time, so the policy scopes them with `elbv2.k8s.aws/cluster` tag
 * conditions instead of ARNs, and Describe* calls cannot be scoped at all.
 */
export function loadBalancerControllerPolicy(): string {
  return JSON.stringify(publishedLoadBalancerControllerPolicy);
}

/** An SNS topic Alertmanager may publish to, and the KMS key encrypting it, if any. */
export interface SnsPublishTarget {
  /** ARN of the topic. */
  readonly topicArn: string;
  /** ARN of the topic's KMS key. @default the topic is not encrypted with a customer key */
  readonly kmsKeyArn?: string;
}

/**
 * Lets Alertmanager publish to the given SNS topics only, and use their KMS keys through SNS
 * only. Attach it to the IRSA role named in the `sns` alert receivers.
 */
export function snsPublishPolicy(targets: readonly SnsPublishTarget[]): string {
  const problems: string[] = [];
  targets.forEach(({ topicArn, kmsKeyArn }, i) => {
    if (!isToken(topicArn) && !SNS_TOPIC_ARN.test(topicArn)) {
      problems.push(
        `targets[${i}].topicArn: received ${JSON.stringify(topicArn)}; expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:alerts`,
      );
    }
    if (kmsKeyArn !== undefined && !isToken(kmsKeyArn) && !KMS_KEY_ARN.test(kmsKeyArn)) {
      problems.push(
        `targets[${i}].kmsKeyArn: received ${JSON.stringify(kmsKeyArn)}; expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias`,
      );
    }
  });
  if (targets.length === 0) problems.push("targets: received []; expected at least one SNS topic");
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const topics = [...new Set(targets.map((t) => t.topicArn))];
  const keys = [...new Set(targets.flatMap((t) => (t.kmsKeyArn ? [t.kmsKeyArn] : [])))];
  const statements: PolicyStatement[] = [
    {
      Sid: "PublishAlerts",
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: topics.length === 1 ? topics[0] : topics,
    },
  ];
  if (keys.length > 0) {
    statements.push({
      Sid: "UseTopicKeyThroughSns",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Resource: keys.length === 1 ? keys[0] : keys,
      Condition: { StringLike: { "kms:ViaService": "sns.*" } },
    });
  }
  return policyJson(statements);
}

/**
 * ExternalDNS's IAM policy (AWS provider of ExternalDNS v0.21.0, chart 1.21.1): read and change
 * records in the given hosted zones only, and list hosted zones, an action on no resource type,
 * for which AWS accepts only `Resource: "*"`. These are the only Route 53 calls ExternalDNS makes
 * here; `route53:ListTagsForResources` (in the upstream tutorial) is only called with
 * `--aws-zone-tags`, which the platform does not use.
 */
export function externalDnsPolicy(zoneIds: readonly string[], partition = "aws"): string {
  const problems: string[] = [];
  zoneIds.forEach((id, i) => {
    if (!isToken(id) && !ROUTE53_ZONE_ID.test(id)) {
      problems.push(
        `zoneIds[${i}]: received ${JSON.stringify(id)}; expected a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ`,
      );
    }
  });
  if (zoneIds.length === 0)
    problems.push("zoneIds: received []; expected at least one hosted zone id");
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const zones = [...new Set(zoneIds)].map((id) => `arn:${partition}:route53:::hostedzone/${id}`);
  return policyJson([
    {
      Sid: "ChangeRecordsInDeclaredZones",
      Effect: "Allow",
      Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
      Resource: zones,
    },
    {
      Sid: "ListHostedZones",
      Effect: "Allow",
      // ListHostedZones has no resource type: "*" is the only resource AWS accepts.
      Action: ["route53:ListHostedZones"],
      Resource: "*",
    },
  ]);
}

/** Where the cluster's node groups live, for {@link clusterAutoscalerPolicy}. */
export interface ClusterAutoscalerPolicyScope {
  /** Name of the EKS cluster (its managed node groups' ASGs carry `k8s.io/cluster-autoscaler/<name>: owned`). */
  readonly clusterName: string;
  /** AWS account id of the cluster. */
  readonly account: string;
  /** AWS region of the cluster. */
  readonly region: string;
  /** AWS partition. @default "aws" */
  readonly partition?: string;
}

/**
 * Cluster Autoscaler's IAM policy: the "full features" policy documented in kubernetes/autoscaler
 * `cluster-autoscaler/cloudprovider/aws/README.md` (identical for releases 1.32.7 to 1.35.2:
 * ASG auto-discovery and the dynamic instance type list), narrowed in two places:
 *
 * - `SetDesiredCapacity` and `TerminateInstanceInAutoScalingGroup` only on Auto Scaling groups
 *   tagged `k8s.io/cluster-autoscaler/<cluster>: owned`, the tag EKS puts on the ASG of each of
 *   the cluster's managed node groups (Auto Scaling accepts `aws:ResourceTag` conditions on both);
 * - `eks:DescribeNodegroup` only on this cluster's node groups.
 *
 * The Describe* calls of Auto Scaling and EC2 support no resource-level permissions, so they are
 * the only `Resource: "*"` statement. `autoscaling:DescribeTags` is not in the documented policy:
 * the autoscaler reads ASG tags from DescribeAutoScalingGroups.
 */
export function clusterAutoscalerPolicy(scope: ClusterAutoscalerPolicyScope): string {
  const problems: string[] = [];
  const check = (field: string, value: string, pattern: RegExp, expected: string) => {
    if (!isToken(value) && !pattern.test(value))
      problems.push(`${field}: received ${JSON.stringify(value)}; expected ${expected}`);
  };
  check("clusterName", scope.clusterName, EKS_CLUSTER_NAME, EKS_CLUSTER_NAME_EXPECTED);
  check("account", scope.account, /^\d{12}$/, "a 12-digit AWS account id");
  check("region", scope.region, AWS_REGION, "an AWS region such as eu-west-1");
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const partition = scope.partition ?? "aws";
  return policyJson([
    {
      Sid: "DescribeScalingTargets",
      Effect: "Allow",
      // Describe/Get calls without resource-level permissions: "*" is the only resource accepted.
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
      ],
      Resource: "*",
    },
    {
      Sid: "DescribeOwnNodeGroups",
      Effect: "Allow",
      Action: ["eks:DescribeNodegroup"],
      Resource: `arn:${partition}:eks:${scope.region}:${scope.account}:nodegroup/${scope.clusterName}/*`,
    },
    {
      Sid: "ScaleOwnNodeGroups",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      Condition: {
        StringEquals: {
          [`aws:ResourceTag/k8s.io/cluster-autoscaler/${scope.clusterName}`]: "owned",
        },
      },
    },
  ]);
}

/** The secrets a SecretStore's IRSA role may read, for {@link secretsReadPolicy}. */
export interface SecretsReadTarget {
  /** AWS account id of the secrets. */
  readonly account: string;
  /** AWS region of the secrets (and of Secrets Manager's use of the keys). */
  readonly region: string;
  /** AWS partition. @default "aws" */
  readonly partition?: string;
  /**
   * Secret name prefixes, each ending in `/` (e.g. `prod/web/`): every secret whose name starts
   * with one. @default none
   */
  readonly prefixes?: readonly string[];
  /** Exact secret ARNs, such as the RDS master secret's. @default none */
  readonly arns?: readonly string[];
  /** ARNs of the KMS keys the secrets are encrypted with (decrypted only through Secrets Manager). */
  readonly kmsKeyArns: readonly string[];
}

/**
 * A SecretStore's IAM policy: `secretsmanager:GetSecretValue` and `DescribeSecret` on the secrets
 * named `<prefix>*` (Secrets Manager appends `-` and 6 random characters to every ARN, so the
 * prefix's own `/` keeps `prod/web/` from matching `prod/website/...`) and on exact ARNs, and
 * `kms:Decrypt` on the given keys only when Secrets Manager calls KMS on the role's behalf
 * (`kms:ViaService` = `secretsmanager.<region>.amazonaws.com`). Nothing lists secrets.
 */
export function secretsReadPolicy(target: SecretsReadTarget): PolicyStatement[] {
  const problems: string[] = [];
  const check = (field: string, value: string, ok: boolean, expected: string) => {
    if (!isToken(value) && !ok)
      problems.push(`${field}: received ${JSON.stringify(value)}; expected ${expected}`);
  };
  check("account", target.account, /^\d{12}$/.test(target.account), "a 12-digit AWS account id");
  check("region", target.region, AWS_REGION.test(target.region), "an AWS region such as eu-west-1");
  const prefixes = target.prefixes ?? [];
  const arns = target.arns ?? [];
  prefixes.forEach((prefix, i) =>
    check(
      `prefixes[${i}]`,
      prefix,
      /^[A-Za-z0-9_+=.@-][A-Za-z0-9/_+=.@-]*\/$/.test(prefix),
      "a secret name prefix ending in '/', such as prod/web/ (no wildcard)",
    ),
  );
  arns.forEach((arn, i) =>
    check(
      `arns[${i}]`,
      arn,
      /^arn:aws(-cn|-us-gov)?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}$/.test(
        arn,
      ),
      "the exact ARN of a secret (ending in its 6-character suffix, no wildcard)",
    ),
  );
  target.kmsKeyArns.forEach((arn, i) =>
    check(
      `kmsKeyArns[${i}]`,
      arn,
      KMS_KEY_ARN.test(arn),
      "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias",
    ),
  );
  if (prefixes.length + arns.length === 0)
    problems.push("prefixes, arns: received nothing; expected at least one prefix or ARN");
  if (target.kmsKeyArns.length === 0)
    problems.push("kmsKeyArns: received []; expected the key(s) the secrets are encrypted with");
  if (problems.length > 0) throw new Error(problems.join("\n"));
  const partition = target.partition ?? "aws";
  const secrets = [
    ...prefixes.map(
      (prefix) =>
        `arn:${partition}:secretsmanager:${target.region}:${target.account}:secret:${prefix}*`,
    ),
    ...arns,
  ];
  const keys = [...new Set(target.kmsKeyArns)];
  return [
    {
      Sid: "ReadDeclaredSecrets",
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: secrets.length === 1 ? secrets[0] : secrets,
    },
    {
      Sid: "DecryptThroughSecretsManager",
      Effect: "Allow",
      Action: ["kms:Decrypt"],
      Resource: keys.length === 1 ? keys[0] : keys,
      Condition: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${target.region}.${dnsSuffixOf(target.region)}`,
        },
      },
    },
  ];
}
