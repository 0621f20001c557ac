/**
 * Which S3 requests reach the audit trail, and as what. Always recorded: anything but
 * GET/HEAD/OPTIONS (writes, deletes, POSTs), any answer ≥ 400 and any request that ended with
 * an S3 error code (a denial, a failed upload, a transfer cut after its headers). Successful
 * reads, listings, heads and preflights are sampled at `readSampleRate` (0 = none, 1 = all).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html (what a server access
 * log records; this row is its gateway-side counterpart).
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { AuditOutcome, AuditRecord, AuditSink } from '../audit/audit-record.js';
import type { S3RequestEvent } from './handle-s3-request.js';

export interface S3AuditHookOptions {
  readonly sink: AuditSink;
  /** Fraction of successful reads recorded, 0..1. */
  readonly readSampleRate: number;
  /** Uniform in [0, 1); injected for tests. */
  readonly random?: (() => number) | undefined;
  /** Time stamped on the row (the request's completion). */
  readonly clock?: Clock | undefined;
}

/** Methods that never change anything upstream. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

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

export function createS3AuditHook(options: S3AuditHookOptions): (event: S3RequestEvent) => void {
  const { sink, readSampleRate } = options;
  if (!(readSampleRate >= 0)) throw new RangeError(`readSampleRate must be between 0 and 1, got ${readSampleRate}`);
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const recordAllReads = readSampleRate >= 1;

  return (event) => {
    const mustRecord = !READ_METHODS.has(event.method) || event.status >= 400 || event.errorCode !== undefined;
    if (!mustRecord && !(recordAllReads || (readSampleRate > 0 && random() < readSampleRate))) return;
    sink.record(buildS3AuditRecord(event, clock(), !mustRecord));
  };
}

/**
 * The row for one request. `bytes` is the request body sent upstream when there was one
 * (PutObject, UploadPart, DeleteObjects…: `bytesIn` > 0), otherwise the response body sent to
 * the client (GetObject, listings, error documents: `bytesOut`); `detail` has both.
 */
export function buildS3AuditRecord(event: S3RequestEvent, timeMs: number, sampled: boolean): AuditRecord {
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
