/** Input patterns shared by the constructs' validators (one definition each). */

/** An AWS region such as eu-west-1. */
export const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** An IAM role ARN. */
export const IAM_ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** An SNS topic ARN; group 2 is the region. */
export const SNS_TOPIC_ARN =
  /^arn:aws(-cn|-us-gov)?:sns:([a-z]{2}(-gov)?-[a-z]+-\d):\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** An ACM certificate ARN; group 2 is the region. */
export const ACM_CERTIFICATE_ARN =
  /^arn:aws(-cn|-us-gov)?:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]+$/;
/** A DNS-1123 label (namespace names). */
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain (Secret and StorageClass names). */
export const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A lowercase fully qualified host name such as app.example.com. */
export const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A host name that may start with a `*.` wildcard (CloudFront aliases, certificates). */
export const WILDCARD_HOST_NAME =
  /^(\*\.)?(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** A Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without the `/hostedzone/` prefix). */
export const ROUTE53_ZONE_ID = /^Z[0-9A-Z]{1,31}$/;
/** An EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit. */
export const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
/** What {@link EKS_CLUSTER_NAME} accepts, in words (the expected part of a problem). */
export const EKS_CLUSTER_NAME_EXPECTED =
  "an EKS cluster name: 1-100 letters, digits, '-' and '_', starting with a letter or digit";
