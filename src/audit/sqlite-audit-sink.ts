/**
 * The audit trail written to the `audit` table of the SQLite store, batched off the request
 * path: record() only queues; a timer (every `flushIntervalMs`, unref'd) or a setImmediate
 * scheduled when `maxBatch` rows wait writes them with one prepared INSERT inside one
 * transaction per batch. A failed write (SQLITE_BUSY past busy_timeout, disk full) keeps the
 * rows for the next tick. The queue is bounded: past `maxQueued`, the oldest SAMPLED reads are
 * dropped (and counted), never writes, denials, errors or admin actions. close() flushes
 * synchronously (graceful shutdown); a record arriving after it is written at once.
 * Retention: rows older than `retentionDays` are deleted at start and hourly, 10k rows per
 * statement so the write lock is never held long.
 * https://www.sqlite.org/lang_transaction.html
 */
import type { Statement } from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import { BUSY_TIMEOUT_MS, type SqliteDatabase } from '../db/open-database.js';
import type { AuditLog, AuditRecord, AuditSink } from './audit-record.js';

export interface SqliteAuditSinkOptions {
  /** A connection of the sink's own: its busy timeout is set short (see the constructor). */
  readonly db: SqliteDatabase;
  /** Default 200. */
  readonly flushIntervalMs?: number | undefined;
  /** Rows per transaction; a flush is scheduled as soon as this many wait. Default 1000. */
  readonly maxBatch?: number | undefined;
  /** Past this many queued rows, sampled reads are dropped. Default 100 000. */
  readonly maxQueued?: number | undefined;
  /** Rows older than this many days are deleted (at start, then hourly). 0 = keep forever (default). */
  readonly retentionDays?: number | undefined;
  readonly log?: AuditLog | undefined;
  readonly clock?: Clock | undefined;
}

const DAY_MS = 86_400_000;
const RETENTION_INTERVAL_MS = 3_600_000;
/** Rows deleted per statement when pruning. */
const PRUNE_BATCH = 10_000;
/** Pause between two prune statements of the background prune, so other writers get the lock. */
const PRUNE_PAUSE_MS = 10;
/** While flushes keep failing, the error is logged at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000;
/** Head slots left behind by written batches before the queue array is compacted. */
const COMPACT_AFTER = 4096;

const INSERT_SQL = `INSERT INTO audit (time, request_id, action, outcome, status, error_code, principal,
  access_key_id, bucket, key, bytes, client_address, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const ROWS_PER_STATEMENT = 32;
/** The lock wait of a background flush, in ms (the event loop is blocked meanwhile). */
const TICK_BUSY_TIMEOUT_MS = 20;
const CLOSE_ATTEMPTS = 4;
const INSERT_BLOCK_SQL = `${INSERT_SQL.slice(0, INSERT_SQL.indexOf('VALUES'))}VALUES ${Array.from({ length: ROWS_PER_STATEMENT }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`;
const PRUNE_SQL = 'DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE time < ? ORDER BY time LIMIT ?)';

type Bound = [number, string, string, string, number | null, string | null, string | null, string | null, string | null, string | null, number | null, string | null, string];

export class SqliteAuditSink implements AuditSink {
  readonly #db: SqliteDatabase;
  readonly #insert: Statement<unknown[]>;
  /** INSERT of ROWS_PER_STATEMENT rows at once: a third less time per row than one by one. */
  readonly #insertBlock: Statement<unknown[]>;
  readonly #prune: Statement<unknown[]>;
  readonly #insertMany: (rows: readonly AuditRecord[]) => void;
  readonly #maxBatch: number;
  readonly #maxQueued: number;
  readonly #retentionMs: number;
  readonly #log: AuditLog | undefined;
  readonly #clock: Clock;

  /** Queued records from #head on; a dropped sampled read leaves `undefined` in its slot. */
  #queue: (AuditRecord | undefined)[] = [];
  #head = 0;
  /** No sampled read sits before this index. */
  #sampledScan = 0;
  #live = 0;
  #sampledLive = 0;
  #dropped = 0;
  #droppedUnreported = 0;
  #rejected = 0;
  #overWarned = false;
  #failing = false;
  #lastErrorLogMs = Number.NEGATIVE_INFINITY;
  #immediateScheduled = false;
  #closed = false;
  readonly #timer: NodeJS.Timeout;
  #retentionTimer: NodeJS.Timeout | undefined;
  #pruneStep: NodeJS.Timeout | undefined;

  constructor(options: SqliteAuditSinkOptions) {
    this.#db = options.db;
    this.#maxBatch = positiveInt(options.maxBatch ?? 1000, 'maxBatch');
    this.#maxQueued = positiveInt(options.maxQueued ?? 100_000, 'maxQueued');
    const retentionDays = options.retentionDays ?? 0;
    if (!(retentionDays >= 0)) throw new RangeError(`retentionDays must be ≥ 0, got ${retentionDays}`);
    this.#retentionMs = retentionDays * DAY_MS;
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    // The sink's own connection: on the request path's thread it never waits long for another
    // process's write lock (the batch is kept and retried next tick) — close() waits longer.
    this.#db.pragma(`busy_timeout = ${TICK_BUSY_TIMEOUT_MS}`);
    this.#insert = this.#db.prepare(INSERT_SQL);
    this.#prune = this.#db.prepare(PRUNE_SQL);
    this.#insertBlock = this.#db.prepare(INSERT_BLOCK_SQL);
    this.#insertMany = this.#db.transaction((rows: readonly AuditRecord[]) => {
      let i = 0;
      const params: unknown[] = [];
      for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
        params.length = 0;
        for (let j = i; j < i + ROWS_PER_STATEMENT; j++) params.push(...bind(rows[j] as AuditRecord));
        this.#insertBlock.run(params);
      }
      for (; i < rows.length; i++) this.#insert.run(bind(rows[i] as AuditRecord));
    }).immediate;
    this.#timer = setInterval(() => this.#tick(), positiveInt(options.flushIntervalMs ?? 200, 'flushIntervalMs'));
    this.#timer.unref();
    if (this.#retentionMs > 0) {
      this.#schedulePrune(0);
      this.#retentionTimer = setInterval(() => this.#schedulePrune(0), RETENTION_INTERVAL_MS);
      this.#retentionTimer.unref();
    }
  }

  /** Sampled reads dropped because the queue was full (since start). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Records the database refused (a value it could not store); each was logged. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Records queued and not yet written. */
  get pending(): number {
    return this.#live;
  }

  record(r: AuditRecord): void {
    if (this.#closed) {
      this.#writeLate(r);
      return;
    }
    this.#queue.push(r);
    this.#live++;
    if (r.sampled === true) this.#sampledLive++;
    if (this.#live > this.#maxQueued) this.#shed();
    if (this.#live >= this.#maxBatch && !this.#immediateScheduled && !this.#failing) {
      this.#immediateScheduled = true;
      setImmediate(() => {
        this.#immediateScheduled = false;
        this.#tick();
      });
    }
  }

  /** Writes everything queued, one transaction per `maxBatch` rows. A failure is logged, never thrown. */
  flush(): void {
    this.#reportDrops();
    while (this.#live > 0 && this.#writeBatch()) {
      // next batch
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#retentionTimer !== undefined) clearInterval(this.#retentionTimer);
    if (this.#pruneStep !== undefined) clearTimeout(this.#pruneStep);
    // At close the full busy timeout applies, a few times over: a lock held by another
    // process (a CLI re-encryption, say) is waited out rather than the rows dropped.
    this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    for (let attempt = 0; attempt < CLOSE_ATTEMPTS && this.#live > 0; attempt++) this.flush();
    if (this.#live > 0) this.#log?.error({ pending: this.#live }, 'audit: rows could not be written at close and are lost');
  }

  /** Deletes the rows older than `cutoffMs`, 10k per statement; returns how many. Throws on a database error. */
  pruneOlderThan(cutoffMs: number): number {
    let total = 0;
    for (;;) {
      const n = this.#prune.run(cutoffMs, PRUNE_BATCH).changes;
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  }

  /** A timer tick (or the setImmediate after maxBatch): one batch, then the next on setImmediate. */
  #tick(): void {
    this.#reportDrops();
    if (this.#live === 0) return;
    const written = this.#writeBatch();
    if (written && this.#live > 0 && !this.#immediateScheduled && !this.#closed) {
      // The rest on the next turn of the event loop, so requests run in between.
      this.#immediateScheduled = true;
      setImmediate(() => {
        this.#immediateScheduled = false;
        this.#tick();
      });
    }
  }

  /** Drops are logged off the request path: one line per tick that has some to report. */
  #reportDrops(): void {
    if (this.#droppedUnreported === 0) return;
    this.#log?.warn({ dropped: this.#droppedUnreported, droppedTotal: this.#dropped, pending: this.#live }, 'audit: queue full, sampled reads dropped');
    this.#droppedUnreported = 0;
  }

  /** Writes up to maxBatch queued records in one transaction; false (rows kept) if it failed. */
  #writeBatch(): boolean {
    const batch: AuditRecord[] = [];
    let i = this.#head;
    while (i < this.#queue.length && batch.length < this.#maxBatch) {
      const r = this.#queue[i++];
      if (r !== undefined) batch.push(r);
    }
    if (batch.length > 0) {
      try {
        this.#insertMany(batch);
      } catch (err) {
        if (!isRowError(err)) {
          this.#flushFailed(err);
          return false;
        }
        if (!this.#writeOneByOne(batch)) return false;
      }
    }
    for (const r of batch) if (r.sampled === true) this.#sampledLive--;
    this.#live -= batch.length;
    this.#head = i;
    this.#compact();
    if (this.#failing) {
      this.#failing = false;
      this.#log?.info({ pending: this.#live }, 'audit: writing again');
    }
    if (this.#live <= this.#maxQueued) this.#overWarned = false;
    return true;
  }

  /** A batch the database refused because of a row: write the others, log and skip the bad ones. */
  #writeOneByOne(batch: readonly AuditRecord[]): boolean {
    try {
      this.#db.transaction(() => {
        for (const r of batch) {
          try {
            this.#insert.run(bind(r));
          } catch (err) {
            if (!isRowError(err)) throw err;
            this.#rejected++;
            this.#log?.error({ err, requestId: r.requestId, action: r.action }, 'audit: row refused by the database, skipped');
          }
        }
      }).immediate();
      return true;
    } catch (err) {
      this.#flushFailed(err);
      return false;
    }
  }

  #flushFailed(err: unknown): void {
    const now = this.#clock();
    if (!this.#failing || now - this.#lastErrorLogMs >= ERROR_LOG_INTERVAL_MS) {
      this.#lastErrorLogMs = now;
      this.#log?.error({ err, pending: this.#live }, 'audit: flush failed, rows kept for the next attempt');
    }
    this.#failing = true;
  }

  /** Over maxQueued: drop the oldest sampled reads; never anything else. */
  #shed(): void {
    let i = Math.max(this.#sampledScan, this.#head);
    while (this.#live > this.#maxQueued && this.#sampledLive > 0) {
      const r = this.#queue[i];
      if (r !== undefined && r.sampled === true) {
        this.#queue[i] = undefined;
        this.#live--;
        this.#sampledLive--;
        this.#dropped++;
        this.#droppedUnreported++;
      }
      i++;
    }
    this.#sampledScan = i;
    if (this.#live > this.#maxQueued && !this.#overWarned) {
      // Only rows that must be kept are queued: keep them (memory grows) rather than lose them.
      this.#overWarned = true;
      this.#log?.warn({ pending: this.#live, maxQueued: this.#maxQueued }, 'audit: queue over its bound with rows that are never dropped');
    }
  }

  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
      this.#sampledScan = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#sampledScan = Math.max(0, this.#sampledScan - this.#head);
      this.#head = 0;
    }
  }

  #writeLate(r: AuditRecord): void {
    try {
      this.#insert.run(bind(r));
    } catch (err) {
      this.#log?.error({ err, requestId: r.requestId, action: r.action }, 'audit: row arriving after close could not be written');
    }
  }

  #schedulePrune(delayMs: number): void {
    if (this.#closed || this.#pruneStep !== undefined) return;
    const cutoffMs = this.#clock() - this.#retentionMs;
    const step = (): void => {
      this.#pruneStep = undefined;
      if (this.#closed) return;
      let n: number;
      try {
        n = this.#prune.run(cutoffMs, PRUNE_BATCH).changes;
      } catch (err) {
        this.#log?.error({ err }, 'audit: retention prune failed; retried within the hour');
        return;
      }
      if (n === PRUNE_BATCH) {
        this.#pruneStep = setTimeout(step, PRUNE_PAUSE_MS);
        this.#pruneStep.unref();
      }
    };
    this.#pruneStep = setTimeout(step, delayMs);
    this.#pruneStep.unref();
  }
}

export function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** The INSERT's parameters; values the STRICT table would refuse are coerced, not thrown at flush time. */
function bind(r: AuditRecord): Bound {
  return [
    integerOr(r.timeMs, 0),
    String(r.requestId),
    String(r.action),
    r.outcome,
    optionalInteger(r.status),
    optionalText(r.errorCode),
    optionalText(r.principal),
    optionalText(r.accessKeyId),
    optionalText(r.bucket),
    optionalText(r.key),
    optionalInteger(r.bytes),
    optionalText(r.clientAddress),
    detailJson(r.detail),
  ];
}

function integerOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? Math.trunc(value) : fallback;
}

function optionalInteger(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : Math.trunc(value);
}

function optionalText(value: string | undefined): string | null {
  return value === undefined ? null : String(value);
}

function detailJson(detail: Record<string, unknown>): string {
  try {
    return JSON.stringify(detail) ?? '{}';
  } catch {
    // A cycle or a BigInt: keep the row, say why its detail is missing.
    return '{"detail_error":"not serialisable"}';
  }
}

/** Errors caused by one row's values rather than by the database being unavailable. */
function isRowError(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG');
}
