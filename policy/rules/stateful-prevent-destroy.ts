import { resourceRule } from "../rule";
import { block, isTrue } from "../private/values";

/** Resource types holding data that a destroy loses for good. */
export const STATEFUL_TYPES = [
  "aws_db_instance",
  "aws_rds_cluster",
  "aws_s3_bucket",
  "aws_kms_key",
  "aws_eks_cluster",
  "aws_ecr_repository",
  "aws_dynamodb_table",
  "aws_efs_file_system",
  "aws_opensearch_domain",
  "aws_elasticache_replication_group",
] as const;

export const statefulPreventDestroy = resourceRule({
  id: "stateful-prevent-destroy",
  severity: "error",
  description:
    "Production databases, buckets, keys, clusters and repositories carry lifecycle.prevent_destroy.",
  reason:
    "prevent_destroy makes Terraform refuse any plan that would destroy or replace the resource: a renamed construct or a force-new change cannot silently delete production data.",
  reference:
    "AWS Well-Architected REL09-BP01, SEC08; DESIGN.md section 7 (prevent_destroy on stateful resources)",
  fix: "Set lifecycle { prevent_destroy = true } (our constructs do for the production tier); remove it only in a reviewed change with an allowance (README, Allowing a destructive change).",
  tiers: ["production"],
  types: STATEFUL_TYPES,
  check(resource) {
    if (!isTrue(block(resource.config.lifecycle).prevent_destroy))
      return "lifecycle.prevent_destroy is not true";
    return undefined;
  },
});
