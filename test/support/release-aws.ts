/**
 * Fixtures of the normal-mode release backend tests: lock records, S3 errors as the SDK raises
 * them, and response bodies that `aws-sdk-client-mock` can return from `GetObject`.
 */
import { NoSuchKey, S3ServiceException } from "@aws-sdk/client-s3";
import type { LockInfo } from "../../release/types";

/** 2023-11-14T22:13:20.000Z: the fixed clock of the lock tests. */
export const NOW = 1_700_000_000_000;

/** A lock record of a process (`who`), valid until `expiresAt`. */
export function lockInfo(
  who: string,
  expiresAt: string = new Date(NOW + 60_000).toISOString(),
): LockInfo {
  return {
    id: `id-${who}`,
    environment: "staging",
    app: "web",
    holder: `${who}@host`,
    command: "run staging web 6.8.0",
    acquiredAt: new Date(NOW - 1_000).toISOString(),
    expiresAt,
  };
}

/** A `GetObject` body as the SDK returns it (only the method the backends call). */
export function body(text: string): any {
  return { transformToString: async () => text };
}

/** An S3 error the SDK raises for an unmodelled code, e.g. 412 `PreconditionFailed`. */
export function s3Error(name: string, status: number, message: string = name): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? "server" : "client",
    $metadata: { httpStatusCode: status },
    message,
  });
}

/** 412: `If-None-Match: *` found an object, or `If-Match` another ETag. */
export const preconditionFailed = () =>
  s3Error(
    "PreconditionFailed",
    412,
    "At least one of the pre-conditions you specified did not hold",
  );

/** 409: a concurrent conditional request on the key. */
export const conditionalConflict = () =>
  s3Error(
    "ConditionalRequestConflict",
    409,
    "A conflicting conditional operation is currently in progress against this resource.",
  );

/** 404 `NoSuchKey`, as the SDK models it. */
export const noSuchKey = () =>
  new NoSuchKey({
    $metadata: { httpStatusCode: 404 },
    message: "The specified key does not exist.",
  });
