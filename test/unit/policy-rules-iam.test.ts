/** Policy rules on IAM and resource policies: each passes a compliant policy and names what is wrong with a bad one. */
import { Fn } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { IamAccessKey } from "@cdktf/provider-aws/lib/iam-access-key";
import { IamGroupPolicy } from "@cdktf/provider-aws/lib/iam-group-policy";
import { IamGroupPolicyAttachment } from "@cdktf/provider-aws/lib/iam-group-policy-attachment";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamPolicyAttachment } from "@cdktf/provider-aws/lib/iam-policy-attachment";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { IamUserPolicy } from "@cdktf/provider-aws/lib/iam-user-policy";
import { IamUserPolicyAttachment } from "@cdktf/provider-aws/lib/iam-user-policy-attachment";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { problems } from "../support/policy";

/** A policy document as the JSON string an `aws_iam_*policy*` attribute holds. */
function policy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

const BUCKET = "arn:aws:s3:::site-content";
const EC2_TRUST = policy({
  Effect: "Allow",
  Principal: { Service: "ec2.amazonaws.com" },
  Action: "sts:AssumeRole",
});

describe("iam-no-wildcard-action", () => {
  test("passes listed actions, verb prefixes and a Deny of everything, as JSON and as a policy document", () => {
    expect(
      problems("iam-no-wildcard-action", (stack) => {
        new IamRolePolicy(stack, "json", {
          role: "app",
          policy: policy(
            { Effect: "Allow", Action: ["s3:GetObject", "s3:List*"], Resource: `${BUCKET}/*` },
            { Effect: "Deny", Action: "*", Resource: "*" },
          ),
        });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [
            { actions: ["sqs:SendMessage"], resources: ["arn:aws:sqs:eu-west-1:1:q"] },
            { effect: "Deny", notActions: ["sts:*"], resources: ["*"] },
          ],
        });
        new IamPolicy(stack, "managed", { policy: document.json });
      }),
    ).toEqual([]);
  });

  test("fails * and service:* actions in every kind of identity policy", () => {
    expect(
      problems("iam-no-wildcard-action", (stack) => {
        new IamRolePolicy(stack, "role-policy", {
          role: "app",
          policy: policy(
            { Effect: "Allow", Action: "s3:GetObject", Resource: BUCKET },
            { Sid: "Everything", Effect: "Allow", Action: ["*", "s3:*"], Resource: BUCKET },
          ),
        });
        new IamPolicy(stack, "managed", {
          policy: policy({ Effect: "Allow", Action: "ec2:*", Resource: "*" }),
        });
        new IamUserPolicy(stack, "user-policy", {
          user: "someone",
          policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }),
        });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [{ sid: "Queues", actions: ["sqs:*"], resources: ["*"] }],
        });
        new IamGroupPolicy(stack, "group-policy", { group: "ops", policy: document.json });
      }),
    ).toEqual([
      'role-policy: statement 2 (Sid "Everything") allows *, s3:*',
      "managed: statement 1 allows ec2:*",
      "user-policy: statement 1 allows *",
      'group-policy: statement 1 (Sid "Queues") allows sqs:*',
    ]);
  });

  test("fails NotAction in an Allow, as JSON and as a policy document", () => {
    expect(
      problems("iam-no-wildcard-action", (stack) => {
        new IamRolePolicy(stack, "json", {
          role: "app",
          policy: policy({
            Effect: "Allow",
            NotAction: ["iam:*", "organizations:*"],
            Resource: "*",
          }),
        });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [{ notActions: ["iam:*"], resources: ["*"] }],
        });
        new IamRolePolicy(stack, "document-policy", { role: "app", policy: document.json });
      }),
    ).toEqual([
      "document-policy: statement 1 allows everything except iam:* (NotAction)",
      "json: statement 1 allows everything except iam:*, organizations:* (NotAction)",
    ]);
  });
});

describe("iam-no-wildcard-resource", () => {
  test("passes named resources, actions without a resource type on *, a condition and a Deny", () => {
    expect(
      problems("iam-no-wildcard-resource", (stack) => {
        new IamRolePolicy(stack, "json", {
          role: "app",
          policy: policy(
            { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${BUCKET}/*` },
            {
              Effect: "Allow",
              Action: ["ec2:DescribeSubnets", "sts:GetCallerIdentity", "ecr:GetAuthorizationToken"],
              Resource: "*",
            },
            {
              Effect: "Allow",
              Action: "ec2:TerminateInstances",
              Resource: "*",
              Condition: { StringEquals: { "aws:ResourceTag/team": "platform" } },
            },
            { Effect: "Deny", Action: "s3:DeleteBucket", Resource: "*" },
          ),
        });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [
            { actions: ["autoscaling:DescribeAutoScalingGroups"], resources: ["*"] },
            {
              actions: ["autoscaling:SetDesiredCapacity"],
              resources: ["*"],
              condition: [
                {
                  test: "StringEquals",
                  variable: "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled",
                  values: ["true"],
                },
              ],
            },
          ],
        });
        new IamPolicy(stack, "managed", { policy: document.json });
      }),
    ).toEqual([]);
  });

  test('fails scopable actions on Resource "*" without a condition, naming only the scopable ones', () => {
    expect(
      problems("iam-no-wildcard-resource", (stack) => {
        new IamRolePolicy(stack, "json", {
          role: "app",
          policy: policy({
            Sid: "Instances",
            Effect: "Allow",
            Action: ["ec2:DescribeInstances", "ec2:TerminateInstances"],
            Resource: "*",
          }),
        });
        new IamPolicy(stack, "many", {
          policy: policy({
            Effect: "Allow",
            Action: [
              "s3:GetObject",
              "s3:PutObject",
              "s3:DeleteObject",
              "s3:ListBucket",
              "s3:GetBucketPolicy",
              "s3:PutBucketPolicy",
            ],
            Resource: ["*"],
          }),
        });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [
            { actions: ["ec2:DescribeSubnets"], resources: ["*"] },
            { actions: ["sqs:SendMessage"], resources: ["*"] },
          ],
        });
        new IamRolePolicy(stack, "document-policy", { role: "app", policy: document.json });
      }),
    ).toEqual([
      'document-policy: statement 2 allows sqs:SendMessage on Resource "*" without a condition',
      'json: statement 1 (Sid "Instances") allows ec2:TerminateInstances on Resource "*" without a condition',
      'many: statement 1 allows s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket and 2 more on Resource "*" without a condition',
    ]);
  });

  test("fails NotResource in an Allow, as JSON and as a policy document", () => {
    expect(
      problems("iam-no-wildcard-resource", (stack) => {
        new IamRolePolicy(stack, "json", {
          role: "app",
          policy: policy({
            Effect: "Allow",
            Action: "s3:GetObject",
            NotResource: `${BUCKET}/secret/*`,
          }),
        });
        const document = new DataAwsIamPolicyDocument(stack, "document", {
          statement: [
            { actions: ["ec2:DescribeSubnets"], notResources: ["arn:aws:ec2:*:*:subnet/x"] },
          ],
        });
        new IamRolePolicy(stack, "document-policy", { role: "app", policy: document.json });
      }),
    ).toEqual([
      "document-policy: statement 1 uses NotResource",
      "json: statement 1 uses NotResource",
    ]);
  });
});

describe("iam-no-admin-managed-policy", () => {
  test("passes narrow AWS managed policies on roles, users and groups", () => {
    expect(
      problems("iam-no-admin-managed-policy", (stack) => {
        new IamRole(stack, "role", {
          assumeRolePolicy: EC2_TRUST,
          managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"],
        });
        new IamRolePolicyAttachment(stack, "role-read-only", {
          role: "app",
          policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        });
        new IamGroupPolicyAttachment(stack, "group-billing", {
          group: "finance",
          policyArn: "arn:aws:iam::aws:policy/job-function/Billing",
        });
      }),
    ).toEqual([]);
  });

  test("fails AdministratorAccess, PowerUserAccess and IAMFullAccess however they are attached", () => {
    expect(
      problems("iam-no-admin-managed-policy", (stack) => {
        new IamRolePolicyAttachment(stack, "role-admin", {
          role: "deploy",
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        });
        new IamUserPolicyAttachment(stack, "user-power", {
          user: "someone",
          policyArn: "arn:aws:iam::aws:policy/PowerUserAccess",
        });
        new IamGroupPolicyAttachment(stack, "group-iam", {
          group: "ops",
          policyArn: "arn:aws:iam::aws:policy/IAMFullAccess",
        });
        new IamPolicyAttachment(stack, "shared-admin", {
          name: "admins",
          roles: ["ci"],
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        });
        new IamRole(stack, "role", {
          assumeRolePolicy: EC2_TRUST,
          managedPolicyArns: [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/PowerUserAccess",
          ],
        });
      }),
    ).toEqual([
      "role-admin: attaches arn:aws:iam::aws:policy/AdministratorAccess",
      "user-power: attaches arn:aws:iam::aws:policy/PowerUserAccess",
      "group-iam: attaches arn:aws:iam::aws:policy/IAMFullAccess",
      "shared-admin: attaches arn:aws:iam::aws:policy/AdministratorAccess",
      "role: attaches arn:aws:iam::aws:policy/PowerUserAccess",
    ]);
  });
});

describe("iam-no-user-permissions", () => {
  test("passes a user without policies or keys, and permissions given to roles and groups", () => {
    expect(
      problems("iam-no-user-permissions", (stack) => {
        new IamUser(stack, "break-glass", { name: "break-glass" });
        new IamRolePolicyAttachment(stack, "role-read-only", {
          role: "app",
          policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        });
        new IamPolicyAttachment(stack, "shared", {
          name: "shared",
          roles: ["app"],
          groups: ["ops"],
          policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        });
      }),
    ).toEqual([]);
  });

  test("fails inline policies, attachments and access keys of users", () => {
    expect(
      problems("iam-no-user-permissions", (stack) => {
        const user = new IamUser(stack, "ci", { name: "ci" });
        new IamUserPolicy(stack, "inline", {
          user: user.name,
          policy: policy({ Effect: "Allow", Action: "s3:GetObject", Resource: BUCKET }),
        });
        new IamUserPolicyAttachment(stack, "attached", {
          user: user.name,
          policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        });
        new IamAccessKey(stack, "key", { user: user.name });
        new IamPolicyAttachment(stack, "shared", {
          name: "shared",
          users: [user.name],
          policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
        });
      }),
    ).toEqual([
      "inline: aws_iam_user_policy gives an IAM user permissions directly",
      "attached: aws_iam_user_policy_attachment gives an IAM user permissions directly",
      "key: aws_iam_access_key gives an IAM user a long-lived access key",
      "shared: aws_iam_policy_attachment gives an IAM user permissions directly",
    ]);
  });
});

describe("iam-trust-no-wildcard-principal", () => {
  test("passes named principals, a conditioned wildcard and a Deny", () => {
    expect(
      problems("iam-trust-no-wildcard-principal", (stack) => {
        new IamRole(stack, "service", { assumeRolePolicy: EC2_TRUST });
        new IamRole(stack, "organization", {
          assumeRolePolicy: policy(
            {
              Effect: "Allow",
              Principal: { AWS: "*" },
              Action: "sts:AssumeRole",
              Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
            },
            { Effect: "Deny", Principal: "*", Action: "sts:AssumeRole" },
          ),
        });
        const document = new DataAwsIamPolicyDocument(stack, "trust", {
          statement: [
            {
              actions: ["sts:AssumeRole"],
              principals: [{ type: "AWS", identifiers: ["arn:aws:iam::123456789012:role/ci"] }],
            },
          ],
        });
        new IamRole(stack, "account", { assumeRolePolicy: document.json });
      }),
    ).toEqual([]);
  });

  test('fails Principal "*" and AWS "*" without a condition, as JSON and as a policy document', () => {
    expect(
      problems("iam-trust-no-wildcard-principal", (stack) => {
        new IamRole(stack, "star", {
          assumeRolePolicy: policy({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }),
        });
        new IamRole(stack, "aws-star", {
          assumeRolePolicy: policy(
            {
              Effect: "Allow",
              Principal: { Service: "ec2.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
            { Sid: "Anyone", Effect: "Allow", Principal: { AWS: ["*"] }, Action: "sts:AssumeRole" },
          ),
        });
        const document = new DataAwsIamPolicyDocument(stack, "trust", {
          statement: [
            { actions: ["sts:AssumeRole"], principals: [{ type: "*", identifiers: ["*"] }] },
            { actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: ["*"] }] },
          ],
        });
        new IamRole(stack, "document-role", { assumeRolePolicy: document.json });
      }),
    ).toEqual([
      'aws-star: statement 2 (Sid "Anyone") trusts Principal "*" without a condition',
      'document-role: statement 1 trusts Principal "*" without a condition',
      'document-role: statement 2 trusts Principal "*" without a condition',
      'star: statement 1 trusts Principal "*" without a condition',
    ]);
  });
});

describe("iam-oidc-trust-conditions", () => {
  test("passes IRSA and GitHub trust policies pinning audience and subject", () => {
    expect(
      problems("iam-oidc-trust-conditions", (stack) => {
        const oidc = new IamOpenidConnectProvider(stack, "oidc", {
          url: "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
          clientIdList: ["sts.amazonaws.com"],
        });
        const issuer = Fn.replace(oidc.url, "https://", "");
        new IamRole(stack, "irsa", {
          assumeRolePolicy: policy({
            Effect: "Allow",
            Principal: { Federated: oidc.arn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                [`${issuer}:aud`]: "sts.amazonaws.com",
                [`${issuer}:sub`]: "system:serviceaccount:kube-system:external-dns",
              },
            },
          }),
        });
        const github = new DataAwsIamPolicyDocument(stack, "github-trust", {
          statement: [
            {
              actions: ["sts:AssumeRoleWithWebIdentity"],
              principals: [
                {
                  type: "Federated",
                  identifiers: [
                    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
                  ],
                },
              ],
              condition: [
                {
                  test: "StringEquals",
                  variable: "token.actions.githubusercontent.com:aud",
                  values: ["sts.amazonaws.com"],
                },
                {
                  test: "StringLike",
                  variable: "token.actions.githubusercontent.com:sub",
                  values: ["repo:acme/platform:environment:production"],
                },
              ],
            },
          ],
        });
        new IamRole(stack, "github", { assumeRolePolicy: github.json });
        new IamRole(stack, "service", { assumeRolePolicy: EC2_TRUST });
      }),
    ).toEqual([]);
  });

  test("fails web identity trust without :aud or :sub conditions", () => {
    const federated = {
      Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    };
    expect(
      problems("iam-oidc-trust-conditions", (stack) => {
        new IamRole(stack, "none", {
          assumeRolePolicy: policy({
            Effect: "Allow",
            Principal: federated,
            Action: "sts:AssumeRoleWithWebIdentity",
          }),
        });
        new IamRole(stack, "audience-only", {
          assumeRolePolicy: policy({
            Sid: "GitHub",
            Effect: "Allow",
            Principal: federated,
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
            },
          }),
        });
        const subjectOnly = new DataAwsIamPolicyDocument(stack, "subject-only-trust", {
          statement: [
            {
              actions: ["sts:AssumeRoleWithWebIdentity"],
              principals: [{ type: "Federated", identifiers: [federated.Federated] }],
              condition: [
                {
                  test: "StringEquals",
                  variable: "token.actions.githubusercontent.com:sub",
                  values: ["repo:acme/platform:ref:refs/heads/main"],
                },
              ],
            },
          ],
        });
        new IamRole(stack, "subject-only", { assumeRolePolicy: subjectOnly.json });
        const oidc = new IamOpenidConnectProvider(stack, "oidc", {
          url: "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE",
          clientIdList: ["sts.amazonaws.com"],
        });
        new IamRole(stack, "irsa", {
          assumeRolePolicy: policy({
            Effect: "Allow",
            Principal: { Federated: oidc.arn },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                [`${Fn.replace(oidc.url, "https://", "")}:sub`]:
                  "system:serviceaccount:kube-system:external-dns",
              },
            },
          }),
        });
      }),
    ).toEqual([
      'audience-only: statement 1 (Sid "GitHub") has no :sub condition',
      "irsa: statement 1 has no :aud condition",
      "none: statement 1 has no :aud condition",
      "none: statement 1 has no :sub condition",
      "subject-only: statement 1 has no :aud condition",
    ]);
  });

  test("fails subjects that match any repository or service account", () => {
    const trust = (sub: string | string[]) =>
      policy({
        Effect: "Allow",
        Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/issuer" },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { "issuer:aud": "sts.amazonaws.com" },
          StringLike: { "issuer:sub": sub },
        },
      });
    expect(
      problems("iam-oidc-trust-conditions", (stack) => {
        new IamRole(stack, "any", { assumeRolePolicy: trust("*") });
        new IamRole(stack, "any-repo", { assumeRolePolicy: trust("repo:*") });
        new IamRole(stack, "any-repo-of-owner", {
          assumeRolePolicy: trust(["repo:acme/platform:environment:production", "repo:acme/*"]),
        });
        new IamRole(stack, "any-service-account", {
          assumeRolePolicy: trust("system:serviceaccount:*"),
        });
        new IamRole(stack, "one-namespace", {
          assumeRolePolicy: trust("system:serviceaccount:monitoring:*"),
        });
      }),
    ).toEqual([
      "any: statement 1 allows any subject matching *",
      "any-repo: statement 1 allows any subject matching repo:*",
      "any-repo-of-owner: statement 1 allows any subject matching repo:acme/*",
      "any-service-account: statement 1 allows any subject matching system:serviceaccount:*",
    ]);
  });
});

describe("resource-policy-no-public-principal", () => {
  test("passes named principals, conditioned wildcards and a Deny for everyone", () => {
    expect(
      problems("resource-policy-no-public-principal", (stack) => {
        new S3BucketPolicy(stack, "bucket-policy", {
          bucket: "site-content",
          policy: policy(
            {
              Effect: "Allow",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Action: "s3:GetObject",
              Resource: `${BUCKET}/*`,
              Condition: {
                StringEquals: {
                  "aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/E1",
                },
              },
            },
            {
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [BUCKET, `${BUCKET}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ),
        });
        const topic = new DataAwsIamPolicyDocument(stack, "topic-document", {
          statement: [
            {
              actions: ["sns:Publish"],
              resources: ["arn:aws:sns:eu-west-1:123456789012:alarms"],
              principals: [{ type: "AWS", identifiers: ["*"] }],
              condition: [
                { test: "StringEquals", variable: "aws:PrincipalOrgID", values: ["o-abc123"] },
              ],
            },
          ],
        });
        new SnsTopicPolicy(stack, "topic-policy", {
          arn: "arn:aws:sns:eu-west-1:123456789012:alarms",
          policy: topic.json,
        });
        new KmsKey(stack, "key", {
          policy: policy({
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::123456789012:root" },
            Action: "kms:*",
            Resource: "*",
          }),
        });
      }),
    ).toEqual([]);
  });

  test('fails Principal "*" without a condition on every kind of resource policy', () => {
    const open = (action: string) =>
      policy({ Sid: "Public", Effect: "Allow", Principal: "*", Action: action, Resource: "*" });
    expect(
      problems("resource-policy-no-public-principal", (stack) => {
        new S3BucketPolicy(stack, "bucket-policy", {
          bucket: "site-content",
          policy: policy({
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "s3:GetObject",
            Resource: `${BUCKET}/*`,
          }),
        });
        const topic = new DataAwsIamPolicyDocument(stack, "topic-document", {
          statement: [
            {
              actions: ["sns:Publish"],
              resources: ["*"],
              principals: [{ type: "*", identifiers: ["*"] }],
            },
          ],
        });
        new SnsTopicPolicy(stack, "topic-policy", {
          arn: "arn:aws:sns:eu-west-1:123456789012:alarms",
          policy: topic.json,
        });
        new KmsKey(stack, "key", { policy: open("kms:Decrypt") });
        new SqsQueuePolicy(stack, "queue-policy", {
          queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
          policy: open("sqs:SendMessage"),
        });
        new EcrRepositoryPolicy(stack, "repository-policy", {
          repository: "app",
          policy: open("ecr:BatchGetImage"),
        });
      }),
    ).toEqual([
      'bucket-policy: statement 1 allows Principal "*" without a condition',
      'topic-policy: statement 1 allows Principal "*" without a condition',
      'key: statement 1 (Sid "Public") allows Principal "*" without a condition',
      'queue-policy: statement 1 (Sid "Public") allows Principal "*" without a condition',
      'repository-policy: statement 1 (Sid "Public") allows Principal "*" without a condition',
    ]);
  });
});

describe("policies given inline on the resource", () => {
  test("iam-no-wildcard-action reads a role's inline_policy blocks", () => {
    expect(
      problems("iam-no-wildcard-action", (stack) => {
        new IamRole(stack, "inline", {
          assumeRolePolicy: EC2_TRUST,
          inlinePolicy: [
            {
              name: "ok",
              policy: policy({ Effect: "Allow", Action: "s3:GetObject", Resource: BUCKET }),
            },
            { name: "admin", policy: policy({ Effect: "Allow", Action: "*", Resource: "*" }) },
          ],
        });
      }),
    ).toEqual(["inline: statement 2 allows *"]);
  });

  test("resource-policy-no-public-principal reads bucket, topic and queue policies given inline, and NotPrincipal", () => {
    const open = policy({
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `${BUCKET}/*`,
    });
    expect(
      problems("resource-policy-no-public-principal", (stack) => {
        new S3Bucket(stack, "bucket", { bucket: "site-content", policy: open });
        new SnsTopic(stack, "topic", { name: "alarms", policy: open });
        new SqsQueue(stack, "queue", { name: "q", policy: open });
        new S3BucketPolicy(stack, "not-principal", {
          bucket: "site-content",
          policy: policy({
            Effect: "Allow",
            NotPrincipal: { AWS: "arn:aws:iam::123456789012:role/auditor" },
            Action: "s3:GetObject",
            Resource: `${BUCKET}/*`,
          }),
        });
      }),
    ).toEqual([
      "not-principal: statement 1 allows NotPrincipal (everyone but arn:aws:iam::123456789012:role/auditor) without a condition",
      'bucket: statement 1 allows Principal "*" without a condition',
      'topic: statement 1 allows Principal "*" without a condition',
      'queue: statement 1 allows Principal "*" without a condition',
    ]);
  });

  test("iam-trust-no-wildcard-principal fails an Allow with NotPrincipal", () => {
    expect(
      problems("iam-trust-no-wildcard-principal", (stack) => {
        new IamRole(stack, "not-principal", {
          assumeRolePolicy: policy({
            Effect: "Allow",
            NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" },
            Action: "sts:AssumeRole",
          }),
        });
      }),
    ).toEqual([
      "not-principal: statement 1 trusts NotPrincipal (everyone but arn:aws:iam::123456789012:root) without a condition",
    ]);
  });
});
