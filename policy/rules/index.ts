/**
 * The policy pack: every rule, one per file in this folder, in a stable order (ids are public API:
 * suppressions and reports name them).
 */
import type { PolicyRule } from "../rule";
import { cloudfrontAccessLogs } from "./cloudfront-access-logs";
import { cloudfrontCustomCertificate } from "./cloudfront-custom-certificate";
import { cloudfrontHttpsOnly } from "./cloudfront-https-only";
import { cloudfrontOriginTls } from "./cloudfront-origin-tls";
import { cloudfrontS3OriginAccessControl } from "./cloudfront-s3-origin-access-control";
import { cloudfrontViewerTls } from "./cloudfront-viewer-tls";
import { defaultSecurityGroupClosed } from "./default-security-group-closed";
import { ebsVolumesEncrypted } from "./ebs-volumes-encrypted";
import { ecrImmutableTags } from "./ecr-immutable-tags";
import { ecrLifecyclePolicy } from "./ecr-lifecycle-policy";
import { ecrRepositoryKmsEncryption } from "./ecr-repository-kms-encryption";
import { ecrScanOnPush } from "./ecr-scan-on-push";
import { eksControlPlaneLogs } from "./eks-control-plane-logs";
import { eksEndpointNotPublic } from "./eks-endpoint-not-public";
import { eksEndpointPrivateInProduction } from "./eks-endpoint-private-in-production";
import { eksNodeGroupLaunchTemplate } from "./eks-node-group-launch-template";
import { eksSecretsEncryption } from "./eks-secrets-encryption";
import { helmChartPinned } from "./helm-chart-pinned";
import { iamNoAdminManagedPolicy } from "./iam-no-admin-managed-policy";
import { iamNoUserPermissions } from "./iam-no-user-permissions";
import { iamNoWildcardAction } from "./iam-no-wildcard-action";
import { iamNoWildcardResource } from "./iam-no-wildcard-resource";
import { iamOidcTrustConditions } from "./iam-oidc-trust-conditions";
import { iamTrustNoWildcardPrincipal } from "./iam-trust-no-wildcard-principal";
import { ingressAlbTls } from "./ingress-alb-tls";
import { instanceImdsv2 } from "./instance-imdsv2";
import { k8sHpaInProduction } from "./k8s-hpa-in-production";
import { k8sImageTagPinned } from "./k8s-image-tag-pinned";
import { k8sNamespaceDefaultDeny } from "./k8s-namespace-default-deny";
import { k8sNamespacePodSecurity } from "./k8s-namespace-pod-security";
import { k8sNoDefaultNamespace } from "./k8s-no-default-namespace";
import { k8sNoHostNamespaces } from "./k8s-no-host-namespaces";
import { k8sNoPrivileged } from "./k8s-no-privileged";
import { k8sPdbInProduction } from "./k8s-pdb-in-production";
import { k8sResourceRequests } from "./k8s-resource-requests";
import { k8sStorageClassEncrypted } from "./k8s-storage-class-encrypted";
import { kmsKeyRotation } from "./kms-key-rotation";
import { loadBalancerTls } from "./load-balancer-tls";
import { logGroupKmsEncryption } from "./log-group-kms-encryption";
import { logGroupRetention } from "./log-group-retention";
import { rdsAutoMinorVersionUpgrade } from "./rds-auto-minor-version-upgrade";
import { rdsBackupRetention } from "./rds-backup-retention";
import { rdsDeletionProtection } from "./rds-deletion-protection";
import { rdsFinalSnapshot } from "./rds-final-snapshot";
import { rdsForceTls } from "./rds-force-tls";
import { rdsIamAuthentication } from "./rds-iam-authentication";
import { opensearchDomainSecure } from "./opensearch-domain-secure";
import { rdsLogExports } from "./rds-log-exports";
import { rdsManagedMasterPassword } from "./rds-managed-master-password";
import { rdsMultiAz } from "./rds-multi-az";
import { rdsNotPubliclyAccessible } from "./rds-not-publicly-accessible";
import { rdsStorageEncrypted } from "./rds-storage-encrypted";
import { resourcePolicyNoPublicPrincipal } from "./resource-policy-no-public-principal";
import { s3BucketKmsEncryption } from "./s3-bucket-kms-encryption";
import { s3BucketOwnerEnforced } from "./s3-bucket-owner-enforced";
import { s3BucketTlsOnly } from "./s3-bucket-tls-only";
import { s3BucketVersioning } from "./s3-bucket-versioning";
import { s3PublicAccessBlock } from "./s3-public-access-block";
import { securityGroupNoWorldIngress } from "./security-group-no-world-ingress";
import { snsTopicKmsEncryption } from "./sns-topic-kms-encryption";
import { snsTopicTlsOnly } from "./sns-topic-tls-only";
import { statefulPreventDestroy } from "./stateful-prevent-destroy";
import { subnetNoAutoPublicIp } from "./subnet-no-auto-public-ip";
import { vpcFlowLogs } from "./vpc-flow-logs";

/** Every rule of the pack. */
export const RULES: readonly PolicyRule[] = [
  cloudfrontAccessLogs,
  cloudfrontCustomCertificate,
  cloudfrontHttpsOnly,
  cloudfrontOriginTls,
  cloudfrontS3OriginAccessControl,
  cloudfrontViewerTls,
  defaultSecurityGroupClosed,
  ebsVolumesEncrypted,
  ecrImmutableTags,
  ecrLifecyclePolicy,
  ecrRepositoryKmsEncryption,
  ecrScanOnPush,
  eksControlPlaneLogs,
  eksEndpointNotPublic,
  eksEndpointPrivateInProduction,
  eksNodeGroupLaunchTemplate,
  eksSecretsEncryption,
  helmChartPinned,
  iamNoAdminManagedPolicy,
  iamNoUserPermissions,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamOidcTrustConditions,
  iamTrustNoWildcardPrincipal,
  ingressAlbTls,
  instanceImdsv2,
  k8sHpaInProduction,
  k8sImageTagPinned,
  k8sNamespaceDefaultDeny,
  k8sNamespacePodSecurity,
  k8sNoDefaultNamespace,
  k8sNoHostNamespaces,
  k8sNoPrivileged,
  k8sPdbInProduction,
  k8sResourceRequests,
  k8sStorageClassEncrypted,
  kmsKeyRotation,
  loadBalancerTls,
  logGroupKmsEncryption,
  logGroupRetention,
  opensearchDomainSecure,
  rdsAutoMinorVersionUpgrade,
  rdsBackupRetention,
  rdsDeletionProtection,
  rdsFinalSnapshot,
  rdsForceTls,
  rdsIamAuthentication,
  rdsLogExports,
  rdsManagedMasterPassword,
  rdsMultiAz,
  rdsNotPubliclyAccessible,
  rdsStorageEncrypted,
  resourcePolicyNoPublicPrincipal,
  s3BucketKmsEncryption,
  s3BucketOwnerEnforced,
  s3BucketTlsOnly,
  s3BucketVersioning,
  s3PublicAccessBlock,
  securityGroupNoWorldIngress,
  snsTopicKmsEncryption,
  snsTopicTlsOnly,
  statefulPreventDestroy,
  subnetNoAutoPublicIp,
  vpcFlowLogs,
];
