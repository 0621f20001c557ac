/**
 * The server's audit sink: records are collected on the event loop (a push per record) and
 * handed in batches to a writer thread (audit-writer-worker.ts) that owns the SQLite work —
 * inserts, WAL checkpoints, retention deletes — so none of it runs on the thread serving
 * requests (docs/decisions/0013). A batch goes when `maxBatch` records wait or every
 * `flushIntervalMs`.
 *
 * - flush() and close() are synchronous, as AuditSink promises: they post the batch and block
 *   (Atomics.wait) until the writer acknowledges, at most `closeTimeoutMs`.
 * - Backpressure: the writer publishes how many rows it no longer holds; past `maxQueued`
 *   rows posted and not written, sampled reads are dropped here (counted, logged every 10 s),
 *   never writes, denials, errors or admin actions.
 * - If the thread fails (it could not open the database, or died), the error is logged with
 *   the number of rows it held, and from then on records are written on this thread by a
 *   SqliteAuditSink: the trail goes on, at the old cost.
 * - Records arriving after close() are logged as lost (the store's connections close next).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openDatabase, type SqliteDatabase } from '../db/open-database.js';
import type { AuditLog, AuditRecord, AuditSink } from './audit-record.js';
import { type QueuedRow, STATE_ACK, STATE_DONE, STATE_FAILED, STATE_SLOTS, toAuditRecord, toS3Row, type WriterData, type WriterLogMessage, type WriterMessage } from './audit-writer-protocol.js';
import type { S3AuditEvent } from './s3-audit-row.js';
import { positiveInt, SqliteAuditSink } from './sqlite-audit-sink.js';

export interface ThreadedAuditSinkOptions {
  /** The store's database file. */
  readonly file: string;
  /** Default 200. */
  readonly flushIntervalMs?: number | undefined;
  /** Records per batch handed to the writer; default 256. */
  readonly maxBatch?: number | undefined;
  /** Rows posted and not yet written past which sampled reads are dropped; default 100 000. */
  readonly maxQueued?: number | undefined;
  /** 0 = keep forever (default). */
  readonly retentionDays?: number | undefined;
  /** How long flush() and close() wait for the writer; default 30 s (its own close waits up to 20 s for a lock). */
  readonly closeTimeoutMs?: number | undefined;
  readonly log?: AuditLog | undefined;
}

const DROP_LOG_INTERVAL_MS = 10_000;
const FALLBACK_RETRY_MS = 10_000;

export class ThreadedAuditSink implements AuditSink {
  readonly #file: string;
  readonly #flushIntervalMs: number;
  readonly #retentionDays: number;
  readonly #maxBatch: number;
  readonly #maxQueued: number;
  readonly #closeTimeoutMs: number;
  readonly #log: AuditLog | undefined;
  readonly #state: Int32Array;
  readonly #worker: Worker;
  readonly #timer: NodeJS.Timeout;
  #batch: QueuedRow[] = [];
  /** Rows posted to the writer, wrapping at 2^32 like the writer's count. */
  #posted = 0;
  #seq = 0;
  #closed = false;
  /** Set when the writer thread failed: records are written on this thread from then on. */
  #fallback: { sink: SqliteAuditSink; db: SqliteDatabase } | undefined;
  #dropped = 0;
  #droppedUnreported = 0;
  #lastDropLogMs = Number.NEGATIVE_INFINITY;
  #failureReported = false;
  #lastFallbackAttempt = Number.NEGATIVE_INFINITY;

  constructor(options: ThreadedAuditSinkOptions) {
    this.#file = options.file;
    this.#flushIntervalMs = positiveInt(options.flushIntervalMs ?? 200, 'flushIntervalMs');
    this.#retentionDays = options.retentionDays ?? 0;
    this.#maxBatch = positiveInt(options.maxBatch ?? 256, 'maxBatch');
    this.#maxQueued = positiveInt(options.maxQueued ?? 100_000, 'maxQueued');
    this.#closeTimeoutMs = positiveInt(options.closeTimeoutMs ?? 30_000, 'closeTimeoutMs');
    this.#log = options.log;
    const shared = new SharedArrayBuffer(STATE_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.#state = new Int32Array(shared);
    const data: WriterData = { file: this.#file, flushIntervalMs: this.#flushIntervalMs, retentionDays: this.#retentionDays, state: shared };
    this.#worker = new Worker(writerBootstrap(), { workerData: data, eval: true });
    // The thread never keeps the process alive: close() is what ends it.
    this.#worker.unref();
    this.#worker.on('message', (m: WriterLogMessage) => {
      if (m.type === 'log') this.#log?.[m.level](m.obj, m.msg);
    });
    this.#worker.on('error', (err) => this.#writerFailed(err));
    this.#worker.on('exit', (code) => {
      if (!this.#closed) this.#writerFailed(new Error(`the audit writer thread exited (code ${code})`));
    });
    this.#timer = setInterval(() => {
      this.#post();
      this.#reportDrops();
    }, this.#flushIntervalMs);
    this.#timer.unref();
  }

  /** Sampled reads dropped because the writer was too far behind (since start). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Records not yet written (waiting here or held by the writer). */
  get pending(): number {
    if (this.#fallback !== undefined) return this.#fallback.sink.pending;
    return this.#batch.length + this.#backlog();
  }

  record(r: AuditRecord): void {
    this.#queue(r, r.sampled === true);
  }

  /** An S3 request's row, posted as a flat array; the record is built on the writer thread. */
  recordS3(event: S3AuditEvent, timeMs: number, sampled: boolean): void {
    this.#queue(toS3Row(event, timeMs, sampled), sampled);
  }

  #queue(r: QueuedRow, sampled: boolean): void {
    if (this.#closed) {
      const { requestId, action } = toAuditRecord(r);
      this.#log?.error({ requestId, action }, 'audit: row arriving after the audit trail closed was not written');
      return;
    }
    if (this.#fallback !== undefined) {
      this.#fallback.sink.record(toAuditRecord(r));
      return;
    }
    const held = this.#backlog() + this.#batch.length;
    if (held >= this.#maxQueued && (sampled || this.#batch.length >= this.#maxQueued)) {
      // Sampled reads go first; anything else only when nothing can be written at all (the
      // writer is gone and the database cannot be opened), so memory stays bounded.
      this.#dropped++;
      this.#droppedUnreported++;
      return;
    }
    this.#batch.push(r);
    if (this.#batch.length >= this.#maxBatch) this.#post();
  }

  flush(): void {
    if (this.#fallback === undefined) {
      this.#post();
      if (this.#request('flush')) {
        const left = this.#backlog();
        if (left !== 0) this.#log?.error({ pending: left }, 'audit: rows not written at flush (the database is locked or failing); kept for the next attempt');
        return;
      }
      if (!this.#writerGone()) {
        this.#log?.error({ pending: this.pending }, 'audit: the writer thread did not answer a flush in time');
        return;
      }
      this.#writerFailed(new Error('the audit writer thread is gone'), true);
    }
    this.#fallback?.sink.flush();
  }

  close(): void {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#reportDrops(true);
    let finished = this.#fallback !== undefined;
    if (!finished && !this.#writerGone()) {
      this.#post();
      if (this.#fallback === undefined) {
        if (this.#request('close')) {
          finished = true;
          // The writer reports rows it could not write in a log message that process.exit()
          // may never deliver: say it here too.
          const lost = this.#backlog();
          if (lost !== 0) this.#log?.error({ lost }, 'audit: rows could not be written at close and are lost');
        } else if (!this.#writerGone()) {
          finished = true;
          this.#log?.error({ lost: this.#backlog() }, 'audit: the writer thread did not finish writing at close; the rows it held are lost');
        }
      }
    }
    // The writer died: what is still here is written on this thread.
    if (!finished && this.#fallback === undefined) this.#writerFailed(new Error('the audit writer thread is gone'), true);
    this.#closed = true;
    void this.#worker.terminate();
    if (this.#fallback !== undefined) {
      this.#fallback.sink.close();
      this.#fallback.db.close();
    }
  }

  #writerGone(): boolean {
    return Atomics.load(this.#state, STATE_FAILED) !== 0 || this.#worker.threadId === -1;
  }

  #backlog(): number {
    return (this.#posted - Atomics.load(this.#state, STATE_DONE)) | 0;
  }

  #post(): void {
    if (this.#batch.length === 0 || this.#fallback !== undefined) return;
    if (this.#writerGone()) {
      // Batches posted to a dead thread would vanish: write on this thread instead.
      this.#writerFailed(new Error('the audit writer thread is gone'));
      return;
    }
    const rows = this.#batch;
    try {
      this.#worker.postMessage({ type: 'rows', rows } satisfies WriterMessage);
    } catch {
      // A detail structured clone refuses (a function, a symbol): those rows keep everything
      // but their detail, as SqliteAuditSink keeps a detail JSON refuses.
      this.#worker.postMessage({ type: 'rows', rows: rows.map(cloneableRow) } satisfies WriterMessage);
    }
    this.#batch = [];
    this.#posted = (this.#posted + rows.length) | 0;
  }

  /** Asks the writer to flush or close and waits for its answer; false if it did not come in time. */
  #request(type: 'flush' | 'close'): boolean {
    this.#seq = (this.#seq + 1) | 0;
    const seq = this.#seq;
    this.#worker.postMessage({ type, seq } satisfies WriterMessage);
    const deadline = performance.now() + this.#closeTimeoutMs;
    for (;;) {
      const acked = Atomics.load(this.#state, STATE_ACK);
      if (((acked - seq) | 0) >= 0) return true;
      // A failed writer cannot answer, and its 'error' and 'exit' events need this blocked
      // loop: it marks the shared state instead (and wakes this wait).
      if (this.#writerGone()) return false;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.#state, STATE_ACK, acked, Math.min(left, 50));
    }
  }

  #writerFailed(err: unknown, force = false): void {
    if (this.#fallback !== undefined || this.#closed) return;
    if (!this.#failureReported) {
      this.#failureReported = true;
      this.#log?.error(
        { err: err instanceof Error ? err.message : String(err), lost: this.#backlog() },
        'audit: the writer thread failed; rows it held are lost, and rows are written on the main thread from now on',
      );
    }
    // Opening the database again is tried at most every 10 s (every flush tick would flood the log).
    const now = performance.now();
    if (!force && now - this.#lastFallbackAttempt < FALLBACK_RETRY_MS) return;
    this.#lastFallbackAttempt = now;
    try {
      const db = openDatabase({ file: this.#file });
      const sink = new SqliteAuditSink({ db, flushIntervalMs: this.#flushIntervalMs, retentionDays: this.#retentionDays, log: this.#log });
      this.#fallback = { sink, db };
      for (const r of this.#batch) sink.record(toAuditRecord(r));
      this.#batch = [];
    } catch (openErr) {
      this.#log?.error({ err: openErr instanceof Error ? openErr.message : String(openErr) }, 'audit: the database cannot be opened for audit writes');
    }
  }

  #reportDrops(force = false): void {
    if (this.#droppedUnreported === 0) return;
    const now = Date.now();
    if (!force && now - this.#lastDropLogMs < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLogMs = now;
    this.#log?.warn({ dropped: this.#droppedUnreported, droppedTotal: this.#dropped, pending: this.pending }, 'audit: writer behind, sampled reads dropped');
    this.#droppedUnreported = 0;
  }
}

function cloneableRow(r: QueuedRow): QueuedRow {
  if (Array.isArray(r)) return r;
  try {
    structuredClone((r as AuditRecord).detail);
    return r;
  } catch {
    return { ...(r as AuditRecord), detail: { detail_error: 'not serialisable' } };
  }
}

/**
 * The writer thread's bootstrap: it imports the compiled .js writer next to this file or —
 * running from source (tsx, vitest; a worker's execArgv cannot carry --import on Node 20) —
 * registers tsx's loader and imports the .ts writer. A writer that fails to load marks the
 * shared state (STATE_FAILED) like any other writer failure, so a blocked flush() sees it.
 */
function writerBootstrap(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./audit-writer-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  const preload = fromSource ? `import(${JSON.stringify(tsxEsmApi())}).then((tsx) => tsx.register())` : 'Promise.resolve()';
  return [
    `${preload}.then(() => import(${JSON.stringify(entry)})).catch((err) => {`,
    `  const state = new Int32Array(require('node:worker_threads').workerData.state);`,
    `  Atomics.store(state, ${STATE_FAILED}, 1);`,
    `  Atomics.notify(state, ${STATE_ACK});`,
    '  throw err;',
    '});',
  ].join('\n');
}

/** tsx's ESM register API by its `import` condition (require.resolve would give the CommonJS build). */
function tsxEsmApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import?: { default?: string } }> }).exports;
  const entry = exports['./esm/api']?.import?.default;
  if (entry === undefined) throw new Error(`${manifest} has no ./esm/api import entry`);
  return pathToFileURL(join(dirname(manifest), entry)).href;
}
