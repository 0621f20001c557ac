/**
 * Which S3 requests reach the audit trail, and as what. Always recorded: anything but
 * GET/HEAD/OPTIONS (writes, deletes, POSTs), any answer ≥ 400 and any request that ended with
 * an S3 error code (a denial, a failed upload, a transfer cut after its headers). Successful
 * reads, listings, heads and preflights are sampled at `readSampleRate` (0 = none, 1 = all).
 * The row itself is built in src/audit/s3-audit-row.ts.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { AuditSink } from '../audit/audit-record.js';
import { buildS3AuditRecord } from '../audit/s3-audit-row.js';
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

export function createS3AuditHook(options: S3AuditHookOptions): (event: S3RequestEvent) => void {
  const { sink, readSampleRate } = options;
  if (!(readSampleRate >= 0)) throw new RangeError(`readSampleRate must be between 0 and 1, got ${readSampleRate}`);
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const recordAllReads = readSampleRate >= 1;

  return (event) => {
    const mustRecord = !READ_METHODS.has(event.method) || event.status >= 400 || event.errorCode !== undefined;
    if (!mustRecord && !(recordAllReads || (readSampleRate > 0 && random() < readSampleRate))) return;
    if (sink.recordS3 !== undefined) sink.recordS3(event, clock(), !mustRecord);
    else sink.record(buildS3AuditRecord(event, clock(), !mustRecord));
  };
}
