/**
 * The audit writer thread (started by ThreadedAuditSink): a SqliteAuditSink on a connection of
 * its own, fed with batches of records by the main thread, so SQLite inserts, WAL checkpoints
 * and retention deletes never run on the event loop that serves requests.
 *
 * Messages in:  { type: 'rows', rows }  → queued; the sink writes them when 1000 wait (one
 *                                         transaction each) or at its next flush tick
 *               { type: 'flush', seq }  → everything written, then state[ACK] = seq
 *               { type: 'close', seq }  → the sink closed (its full busy timeout), the database
 *                                         closed, then state[ACK] = seq; the thread ends
 * Messages out: { type: 'log', level, obj, msg } → logged by the main thread's logger
 * Shared state: state[DONE] = rows received and no longer queued (written, refused or shed),
 * as a wrapping 32-bit count; the main thread derives its backlog from it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditLog } from './audit-record.js';
import { SqliteAuditSink } from './sqlite-audit-sink.js';
import { openDatabase } from '../db/open-database.js';
import { markWriterFailed, toAuditRecord, type WriterData, type WriterMessage, type WriterLogMessage, STATE_ACK, STATE_DONE } from './audit-writer-protocol.js';

const port = parentPort;
if (port === null) throw new Error('audit-writer-worker.ts runs as a worker thread (see ThreadedAuditSink)');
const data = workerData as WriterData;
const state = new Int32Array(data.state);

const send = (level: WriterLogMessage['level'], obj: Record<string, unknown>, msg: string): void => {
  port.postMessage({ type: 'log', level, obj: cloneable(obj), msg } satisfies WriterLogMessage);
};
const log: AuditLog = {
  info: (obj, msg) => send('info', obj, msg),
  warn: (obj, msg) => send('warn', obj, msg),
  error: (obj, msg) => send('error', obj, msg),
};

// A thread that ends other than by a close (an uncaught error, process.exit, out of memory)
// says so where a main thread blocked in flush() or close() sees it.
let closing = false;
process.on('uncaughtExceptionMonitor', () => markWriterFailed(state));
process.on('exit', () => {
  if (!closing) markWriterFailed(state);
});
const db = openDatabase({ file: data.file });
const sink = new SqliteAuditSink({ db, flushIntervalMs: data.flushIntervalMs, retentionDays: data.retentionDays, log });
let received = 0;

const publish = (): void => {
  Atomics.store(state, STATE_DONE, (received - sink.pending) | 0);
};
const acknowledge = (seq: number): void => {
  publish();
  Atomics.store(state, STATE_ACK, seq);
  Atomics.notify(state, STATE_ACK);
};
// Rows kept after a failed write (another process held the lock) are retried by the sink's
// own timer: the count the main thread sees follows.
const publisher = setInterval(publish, data.flushIntervalMs);
publisher.unref();

port.on('message', (m: WriterMessage) => {
  switch (m.type) {
    case 'rows':
      // No flush per message: the sink commits when maxBatch rows wait or on its timer, so a
      // busy server pays one COMMIT (WAL frames, an occasional checkpoint) per 1000 rows, not
      // per posted batch of 256 — the commit was a quarter of the writer's time.
      for (const r of m.rows) sink.record(toAuditRecord(r));
      received = (received + m.rows.length) | 0;
      publish();
      break;
    case 'flush':
      sink.flush();
      acknowledge(m.seq);
      break;
    case 'close':
      closing = true;
      clearInterval(publisher);
      sink.close();
      db.close();
      acknowledge(m.seq);
      port.close();
      break;
  }
});

/** Error objects lose their own properties when cloned: keep what a log reader needs. */
function cloneable(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k] = v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code, name: v.name } : v;
  }
  return out;
}
