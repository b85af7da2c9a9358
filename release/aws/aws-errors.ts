/**
 * Describing AWS SDK v3 failures in messages (RDS, CloudFront, SNS): the error's code, HTTP status
 * and message in one line, e.g. `AccessDenied (HTTP 403): User ... is not authorized`.
 */
import { s3ErrorCode } from "./s3-util";

/** The error code (`DBSnapshotNotFoundFault`, `AccessDenied`, ...) of an SDK failure, if any. */
export function awsErrorCode(error: unknown): string | undefined {
  return s3ErrorCode(error).code;
}

/** `Code (HTTP 403): message`, or the plain message of a non-SDK error. */
export function awsErrorText(error: unknown): string {
  const { code, status } = s3ErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const what = [code, status === undefined ? undefined : `(HTTP ${status})`]
    .filter((part) => part !== undefined)
    .join(" ");
  if (!what || what === message) return message;
  return message && message !== code ? `${what}: ${message}` : what;
}
