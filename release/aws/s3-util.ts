/**
 * Small helpers shared by the S3 backends: recognising S3 errors by code and status, reading an
 * object body as text, and wrapping unexpected failures in a message naming the object.
 */
import type { GetObjectCommandOutput } from "@aws-sdk/client-s3";

/** The S3 error code (`PreconditionFailed`, `NoSuchKey`, ...) and HTTP status of a failure. */
export function s3ErrorCode(error: unknown): { readonly code?: string; readonly status?: number } {
  if (typeof error !== "object" || error === null) return {};
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const code =
    typeof e.Code === "string" ? e.Code : typeof e.name === "string" ? e.name : undefined;
  const status =
    typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  return { code, status };
}

/** 412: a conditional write or delete (`If-None-Match: *`, `If-Match: <etag>`) did not hold. */
export function isPreconditionFailed(error: unknown): boolean {
  const { code, status } = s3ErrorCode(error);
  return code === "PreconditionFailed" || status === 412;
}

/** 409: another conditional request on the same key was in flight; S3 asks to retry. */
export function isConditionalConflict(error: unknown): boolean {
  const { code, status } = s3ErrorCode(error);
  return code === "ConditionalRequestConflict" || (status === 409 && code !== "BucketNotEmpty");
}

/** The key does not exist (never a missing bucket: `NoSuchBucket` is a real error). */
export function isNoSuchKey(error: unknown): boolean {
  return s3ErrorCode(error).code === "NoSuchKey";
}

/** `s3://bucket/key`, for messages. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * An error naming the operation and the object, keeping the S3 error as `cause`:
 * `S3 PutObject of s3://bucket/key failed: AccessDenied (HTTP 403): ...`.
 */
export function s3Failure(operation: string, url: string, error: unknown): Error {
  const { code, status } = s3ErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const what = [code, status === undefined ? undefined : `(HTTP ${status})`]
    .filter((part) => part !== undefined)
    .join(" ");
  return new Error(`S3 ${operation} of ${url} failed: ${what ? `${what}: ` : ""}${message}`, {
    cause: error,
  });
}

/** The body of a `GetObject` response as UTF-8 text. */
export async function bodyText(output: GetObjectCommandOutput, url: string): Promise<string> {
  if (!output.Body) throw new Error(`S3 GetObject of ${url} returned no body`);
  return output.Body.transformToString("utf-8");
}

/** Waits `ms` milliseconds (0: only yields to the event loop). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
