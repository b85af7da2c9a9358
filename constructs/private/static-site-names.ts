/** Name and host rules used by the StaticSite construct (kept apart so they can be unit tested). */

import { WILDCARD_HOST_NAME } from "./patterns";

/** True when the value is a host name CloudFront accepts as an alias. */
export function isHostName(value: string): boolean {
  return WILDCARD_HOST_NAME.test(value);
}

/** Prefixes S3 reserves for its own bucket names. */
const RESERVED_BUCKET_PREFIXES = ["xn--", "sthree-", "amzn-s3-demo-"];
/** Suffixes S3 reserves for access points, Object Lambda, directory and table buckets. */
const RESERVED_BUCKET_SUFFIXES = ["-s3alias", "--ol-s3", "--x-s3", "--table-s3"];

/**
 * True when the value is a valid general purpose S3 bucket name that also works with virtual-hosted
 * TLS (no dots): 3-63 lowercase letters, digits and hyphens, letter or digit at both ends, none of
 * the reserved prefixes or suffixes.
 */
export function isBucketName(value: string): boolean {
  return (
    /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(value) &&
    !RESERVED_BUCKET_PREFIXES.some((p) => value.startsWith(p)) &&
    !RESERVED_BUCKET_SUFFIXES.some((s) => value.endsWith(s))
  );
}

/** The rule {@link isBucketName} checks, in words (the `expected` part of a problem). */
export const BUCKET_NAME_RULE =
  "3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, not starting with xn--, sthree- or amzn-s3-demo-";
