/**
 * SqliteAuditSink against a real SQLite file: batching off the request path, nothing lost at
 * close, bounded queue dropping only sampled reads, a failed flush retried, retention.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditOutcome, AuditRecord } from '../../../src/audit/audit-record.js';
import { SqliteAuditSink } from '../../../src/audit/sqlite-audit-sink.js';
import { captureLog } from '../../support/capture-log.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';

const DAY_MS = 86_400_000;

function rec(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    timeMs: 1_700_000_000_000 + n,
    requestId: `req-${n}`,
    action: 's3.proxy.PutObject',
    outcome: 'success',
    status: 200,
    accessKeyId: 'AKIDEXAMPLE',
    detail: { access_key_id: 'AKIDEXAMPLE', n },
    ...overrides,
  };
}

function sampledRead(n: number): AuditRecord {
  return rec(n, { action: 's3.proxy.GetObject', sampled: true });
}


describe('SqliteAuditSink', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  const sinks: SqliteAuditSink[] = [];
  const others: Database.Database[] = [];

  function sink(options: Partial<ConstructorParameters<typeof SqliteAuditSink>[0]> = {}): SqliteAuditSink {
    const s = new SqliteAuditSink({ db, ...options });
    sinks.push(s);
    return s;
  }
  const count = (): number => (db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n;
  const requestIds = (): string[] => (db.prepare('SELECT request_id FROM audit ORDER BY id').all() as { request_id: string }[]).map((r) => r.request_id);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 's3gate-audit-sink-'));
    file = join(dir, 's3gate.db');
    db = openDatabase({ file });
  });
  afterEach(() => {
    for (const s of sinks.splice(0)) s.close();
    for (const o of others.splice(0)) o.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes nothing inside record(); the timer writes the rows soon after', async () => {
    const s = sink({ flushIntervalMs: 20 });
    for (let i = 0; i < 3; i++) s.record(rec(i));
    expect(count()).toBe(0);
    expect(s.pending).toBe(3);
    await vi.waitFor(() => expect(count()).toBe(3), { timeout: 2000, interval: 10 });
    expect(s.pending).toBe(0);
  });

  it('schedules a flush (setImmediate, not inline) as soon as maxBatch rows wait', async () => {
    const s = sink({ flushIntervalMs: 60_000, maxBatch: 100 });
    for (let i = 0; i < 100; i++) s.record(rec(i));
    expect(count()).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(count()).toBe(100);
  });

  it('stores every column, detail as JSON', () => {
    const s = sink();
    s.record({
      timeMs: 1234,
      requestId: 'r1',
      action: 's3.proxy.DeleteObject',
      outcome: 'denied',
      status: 403,
      errorCode: 'AccessDenied',
      principal: 'alice',
      accessKeyId: 'AK1',
      bucket: 'b',
      key: 'k/x',
      bytes: 12,
      clientAddress: '192.0.2.1',
      detail: { access_key_id: 'AK1', method: 'DELETE' },
    });
    s.record({ timeMs: 1235, requestId: 'r2', action: 'admin.credential.create', outcome: 'success', detail: {} });
    s.close();
    expect(db.prepare('SELECT * FROM audit ORDER BY id').all()).toEqual([
      { id: 1, time: 1234, request_id: 'r1', action: 's3.proxy.DeleteObject', outcome: 'denied', status: 403, error_code: 'AccessDenied', principal: 'alice', access_key_id: 'AK1', bucket: 'b', key: 'k/x', bytes: 12, client_address: '192.0.2.1', detail: '{"access_key_id":"AK1","method":"DELETE"}' },
      { id: 2, time: 1235, request_id: 'r2', action: 'admin.credential.create', outcome: 'success', status: null, error_code: null, principal: null, access_key_id: null, bucket: null, key: null, bytes: null, client_address: null, detail: '{}' },
    ]);
  });

  it('5,000 records then close(): all 5,000 rows, in order', () => {
    const s = sink({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 5000; i++) s.record(rec(i));
    s.close();
    expect(count()).toBe(5000);
    expect(requestIds()).toEqual(Array.from({ length: 5000 }, (_, i) => `req-${i}`));
    expect(s.pending).toBe(0);
  });

  it('writes a record arriving after close() at once', () => {
    const s = sink();
    s.close();
    s.record(rec(1));
    expect(count()).toBe(1);
  });

  it('past maxQueued drops the oldest sampled reads only, counts and logs them', () => {
    const { log, lines } = captureLog();
    const s = sink({ flushIntervalMs: 60_000, maxQueued: 10, log });
    s.record(rec(0)); // a write
    for (let i = 1; i <= 10; i++) s.record(sampledRead(i));
    s.record(rec(11, { action: 's3.proxy.GetObject', outcome: 'denied', status: 403, errorCode: 'AccessDenied' }));
    s.record(rec(12, { action: 'admin.user.delete' }));
    s.record(rec(13, { action: 's3.proxy.DeleteObject' }));
    expect(s.pending).toBe(10);
    expect(s.dropped).toBe(4);
    s.close();
    expect(requestIds()).toEqual(['req-0', 'req-5', 'req-6', 'req-7', 'req-8', 'req-9', 'req-10', 'req-11', 'req-12', 'req-13']);
    expect(lines.some((l) => l.level === 40 && /sampled reads dropped/.test(l.msg) && l['dropped'] === 4)).toBe(true);
  });

  it('keeps rows that must not be dropped even past maxQueued, with a warning', () => {
    const { log, lines } = captureLog();
    const s = sink({ flushIntervalMs: 60_000, maxQueued: 5, log });
    s.record(sampledRead(0));
    for (let i = 1; i <= 8; i++) s.record(rec(i));
    expect(s.dropped).toBe(1);
    expect(s.pending).toBe(8);
    s.close();
    expect(requestIds()).toEqual(['req-1', 'req-2', 'req-3', 'req-4', 'req-5', 'req-6', 'req-7', 'req-8']);
    expect(lines.filter((l) => l.level === 40 && /never dropped/.test(l.msg))).toHaveLength(1);
  });

  it('a flush that fails (database locked past busy_timeout) keeps the rows; they land on a later tick', async () => {
    const { log, lines } = captureLog();
    const s = sink({ flushIntervalMs: 20, log });
    const lock = new Database(file);
    others.push(lock);
    db.pragma('busy_timeout = 1');
    lock.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 3; i++) s.record(rec(i));
    s.flush();
    expect(s.pending).toBe(3);
    expect(count()).toBe(0);
    expect(lines.some((l) => l.level === 50 && /flush failed/.test(l.msg))).toBe(true);
    // Still locked for a few more ticks: still kept.
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(s.pending).toBe(3);
    lock.exec('COMMIT');
    await vi.waitFor(() => expect(count()).toBe(3), { timeout: 2000, interval: 10 });
    expect(requestIds()).toEqual(['req-0', 'req-1', 'req-2']);
    expect(s.pending).toBe(0);
  });

  it('rows queued while locked land in order across several batches', async () => {
    const s = sink({ flushIntervalMs: 20, maxBatch: 1000 });
    const lock = new Database(file);
    others.push(lock);
    db.pragma('busy_timeout = 1');
    lock.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 2500; i++) s.record(rec(i));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(count()).toBe(0);
    lock.exec('COMMIT');
    await vi.waitFor(() => expect(count()).toBe(2500), { timeout: 2000, interval: 10 });
    expect(requestIds()).toEqual(Array.from({ length: 2500 }, (_, i) => `req-${i}`));
  });

  it('under sustained overflow keeps every row that must be kept, in order, and accounts for each sampled read', async () => {
    const s = sink({ flushIntervalMs: 5, maxBatch: 300, maxQueued: 2000 });
    const lock = new Database(file);
    others.push(lock);
    db.pragma('busy_timeout = 1');
    const kept: string[] = [];
    let sampled = 0;
    for (let round = 0; round < 20; round++) {
      // Alternate between a locked database (the queue overflows) and a free one (partial batches).
      if (round % 4 === 0) lock.exec('BEGIN IMMEDIATE');
      for (let i = 0; i < 1000; i++) {
        const n = round * 1000 + i;
        if (n % 3 === 0) {
          s.record(rec(n));
          kept.push(`req-${n}`);
        } else {
          s.record(sampledRead(n));
          sampled++;
        }
      }
      if (round % 4 === 2) lock.exec('COMMIT');
      await new Promise((resolve) => setImmediate(resolve));
    }
    s.close();
    const ids = requestIds();
    const n = (id: string): number => Number(id.slice(4));
    expect(ids.filter((id) => n(id) % 3 === 0)).toEqual(kept);
    expect(ids.map(n)).toEqual([...ids.map(n)].sort((a, b) => a - b));
    expect(s.dropped).toBeGreaterThan(0);
    expect(ids.length - kept.length + s.dropped).toBe(sampled);
  });

  it('a row the database refuses is skipped and logged; the rest of its batch is written', () => {
    const { log, lines } = captureLog();
    const s = sink({ log });
    s.record(rec(0));
    s.record(rec(1, { outcome: 'maybe' as unknown as AuditOutcome }));
    s.record(rec(2));
    s.close();
    expect(requestIds()).toEqual(['req-0', 'req-2']);
    expect(s.rejected).toBe(1);
    expect(lines.some((l) => l.level === 50 && l['requestId'] === 'req-1')).toBe(true);
  });

  it('a detail that cannot be serialised keeps its row', () => {
    const s = sink();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    s.record(rec(0, { detail: cyclic }));
    s.record(rec(1, { detail: { big: 1n } }));
    s.close();
    expect((db.prepare('SELECT detail FROM audit').all() as { detail: string }[]).map((r) => JSON.parse(r.detail))).toEqual([
      { detail_error: 'not serialisable' },
      { detail_error: 'not serialisable' },
    ]);
  });

  it('pruneOlderThan deletes only older rows, in batches past 10k', () => {
    const s = sink();
    const insert = db.prepare("INSERT INTO audit (time, request_id, action, outcome) VALUES (?, 'r', 'a', 'success')");
    db.transaction(() => {
      for (let i = 0; i < 25_000; i++) insert.run(1000 + (i % 1000));
      for (let i = 0; i < 5; i++) insert.run(5000 + i);
    })();
    expect(s.pruneOlderThan(5000)).toBe(25_000);
    expect((db.prepare('SELECT time FROM audit ORDER BY time').all() as { time: number }[]).map((r) => r.time)).toEqual([5000, 5001, 5002, 5003, 5004]);
    expect(s.pruneOlderThan(5000)).toBe(0);
  });

  it('with retentionDays, prunes rows older than that at start', async () => {
    const now = 100 * DAY_MS;
    const insert = db.prepare("INSERT INTO audit (time, request_id, action, outcome) VALUES (?, 'r', 'a', 'success')");
    for (const day of [1, 60, 69, 71, 99]) insert.run(day * DAY_MS);
    sink({ retentionDays: 30, clock: () => now });
    await vi.waitFor(() => expect(count()).toBe(2), { timeout: 2000, interval: 10 });
    expect((db.prepare('SELECT time FROM audit ORDER BY time').all() as { time: number }[]).map((r) => r.time / DAY_MS)).toEqual([71, 99]);
  });

  it('retentionDays 0 keeps everything', async () => {
    db.prepare("INSERT INTO audit (time, request_id, action, outcome) VALUES (1, 'r', 'a', 'success')").run();
    sink({ retentionDays: 0 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(count()).toBe(1);
  });

  it('refuses nonsense options', () => {
    expect(() => sink({ maxBatch: 0 })).toThrow(RangeError);
    expect(() => sink({ flushIntervalMs: Number.NaN })).toThrow(RangeError);
    expect(() => sink({ retentionDays: -1 })).toThrow(RangeError);
  });
});
