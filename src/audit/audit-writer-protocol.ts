/** What ThreadedAuditSink and its writer thread (audit-writer-worker.ts) say to each other. */
import type { AuditRecord } from './audit-record.js';
import { buildS3AuditRecord, type S3AuditEvent } from './s3-audit-row.js';

/**
 * An S3 request's row as a flat array of primitives: posted to the writer thread at a third of
 * what cloning the AuditRecord (an object with a nested `detail`) costs the event loop, and the
 * record is built on the writer thread. Field order is this tuple's.
 */
export type S3Row = readonly [
  timeMs: number,
  sampled: boolean,
  requestId: string,
  method: string,
  accessKeyId: string | undefined,
  principal: string | undefined,
  operation: string | undefined,
  action: string | undefined,
  bucket: string | undefined,
  key: string | undefined,
  status: number,
  errorCode: string | undefined,
  bytesIn: number,
  bytesOut: number,
  latencyMs: number,
  clientAddress: string | undefined,
  forwarded: boolean,
];

/** What a batch holds: records, or S3 rows still to be built. */
export type QueuedRow = AuditRecord | S3Row;

export function toS3Row(e: S3AuditEvent, timeMs: number, sampled: boolean): S3Row {
  return [timeMs, sampled, e.requestId, e.method, e.accessKeyId, e.principal, e.operation, e.action, e.bucket, e.key, e.status, e.errorCode, e.bytesIn, e.bytesOut, e.latencyMs, e.clientAddress, e.forwarded];
}

export function toAuditRecord(row: QueuedRow): AuditRecord {
  if (!Array.isArray(row)) return row as AuditRecord;
  const r = row as S3Row;
  const event: S3AuditEvent = {
    requestId: r[2],
    method: r[3],
    accessKeyId: r[4],
    principal: r[5],
    operation: r[6],
    action: r[7],
    bucket: r[8],
    key: r[9],
    status: r[10],
    errorCode: r[11],
    bytesIn: r[12],
    bytesOut: r[13],
    latencyMs: r[14],
    clientAddress: r[15],
    forwarded: r[16],
  };
  return buildS3AuditRecord(event, r[0], r[1]);
}

export interface WriterData {
  readonly file: string;
  readonly flushIntervalMs: number;
  readonly retentionDays: number;
  /** STATE_SLOTS Int32 slots: STATE_ACK, STATE_DONE, STATE_FAILED. */
  readonly state: SharedArrayBuffer;
}

export type WriterMessage =
  | { readonly type: 'rows'; readonly rows: readonly QueuedRow[] }
  | { readonly type: 'flush'; readonly seq: number }
  | { readonly type: 'close'; readonly seq: number };

export interface WriterLogMessage {
  readonly type: 'log';
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** The sequence number of the last flush or close the writer completed. */
export const STATE_ACK = 0;
/** Rows the writer received and no longer holds (written, refused or shed), wrapping at 2^32. */
export const STATE_DONE = 1;
/**
 * Set to 1 by a writer that failed (it could not open the database, or threw): a main thread
 * blocked in flush() or close() cannot see the worker's 'error' or 'exit' events, but sees this.
 */
export const STATE_FAILED = 2;
export const STATE_SLOTS = 3;

/** Marks the writer failed and wakes a main thread waiting on STATE_ACK. */
export function markWriterFailed(state: Int32Array): void {
  Atomics.store(state, STATE_FAILED, 1);
  Atomics.notify(state, STATE_ACK);
}
