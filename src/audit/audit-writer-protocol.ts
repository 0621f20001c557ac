/** What ThreadedAuditSink and its writer thread (audit-writer-worker.ts) say to each other. */
import type { AuditRecord } from './audit-record.js';

export interface WriterData {
  readonly file: string;
  readonly flushIntervalMs: number;
  readonly retentionDays: number;
  /** Int32 slots STATE_ACK and STATE_DONE. */
  readonly state: SharedArrayBuffer;
}

export type WriterMessage =
  | { readonly type: 'rows'; readonly rows: readonly AuditRecord[] }
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
