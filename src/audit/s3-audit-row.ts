/**
 * The audit row of an S3 request: its action (`s3.proxy.<Operation>`), outcome, columns and
 * `detail`, built from the request's event. In the audit layer so that the server's writer
 * thread can build rows from a flat copy of the event (docs/decisions/0013); the proxy decides
 * which requests are recorded (src/proxy/audit-s3-request.ts).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html (what a server access
 * log records; this row is its gateway-side counterpart).
 */
import type { AuditOutcome, AuditRecord } from './audit-record.js';

/** What an S3 row is built from: the proxy's S3RequestEvent has these fields. */
export interface S3AuditEvent {
  readonly requestId: string;
  readonly method: string;
  readonly accessKeyId: string | undefined;
  readonly principal: string | undefined;
  readonly operation: string | undefined;
  readonly action: string | undefined;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly latencyMs: number;
  readonly clientAddress: string | undefined;
  readonly forwarded: boolean;
}

/**
 * Error codes that mean "not authenticated or not allowed" (outcome `denied`): the ones this
 * proxy throws (src/s3/s3-error.ts) and the ones an S3-compatible upstream may answer with.
 */
export const DENIAL_ERROR_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccountProblem',
  'AllAccessDisabled',
  'AuthorizationHeaderMalformed',
  'AuthorizationQueryParametersError',
  'ExpiredToken',
  'InvalidAccessKeyId',
  'InvalidSecurity',
  'InvalidToken',
  'MissingSecurityHeader',
  'NotSignedUp',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
  'SignatureVersionNotSupported',
]);

/**
 * The row for one request. `bytes` is the request body sent upstream when there was one
 * (PutObject, UploadPart, DeleteObjects…: `bytesIn` > 0), otherwise the response body sent to
 * the client (GetObject, listings, error documents: `bytesOut`); `detail` has both.
 */
export function buildS3AuditRecord(event: S3AuditEvent, timeMs: number, sampled: boolean): AuditRecord {
  return {
    timeMs,
    requestId: event.requestId,
    action: `s3.proxy.${event.operation ?? 'Unclassified'}`,
    outcome: classifyS3Outcome(event.status, event.errorCode),
    status: event.status,
    errorCode: event.errorCode,
    principal: event.principal,
    accessKeyId: event.accessKeyId,
    bucket: capped(event.bucket, MAX_BUCKET_CHARS),
    key: capped(event.key, MAX_KEY_CHARS),
    bytes: event.bytesIn > 0 ? event.bytesIn : event.bytesOut,
    clientAddress: event.clientAddress,
    detail: {
      access_key_id: event.accessKeyId ?? null,
      method: event.method,
      s3_action: event.action ?? null,
      bytes_in: event.bytesIn,
      bytes_out: event.bytesOut,
      latency_ms: event.latencyMs,
      forwarded: event.forwarded,
    },
    sampled,
  };
}

/**
 * An unauthenticated request chooses its path (up to the header limit): a denial row keeps at
 * most what S3 itself allows (a 63-character bucket name, a 1024-byte key), marked as cut,
 * so refused junk cannot fill the disk 16 KiB at a time.
 */
const MAX_BUCKET_CHARS = 63;
const MAX_KEY_CHARS = 1024;

function capped(value: string | undefined, max: number): string | undefined {
  return value === undefined || value.length <= max ? value : `${value.slice(0, max)}…`;
}

/**
 * An error code decides when there is one (InvalidChunkSizeError is a 403 but a malformed
 * body, not a denial; a transfer cut after a 200 is an error); otherwise the status does:
 * 401/403 from the upstream is a denial.
 */
export function classifyS3Outcome(status: number, errorCode: string | undefined): AuditOutcome {
  if (errorCode !== undefined) return DENIAL_ERROR_CODES.has(errorCode) ? 'denied' : 'error';
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'error';
}
