/**
 * ThreadedAuditSink against a real SQLite file and a real writer thread: rows written off the
 * event loop, flush()/close() synchronous, nothing lost at close, backpressure dropping only
 * sampled reads, the event loop free while the writer waits on another process's lock, and a
 * writer that cannot start falling back to the main thread without a hang.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditRecord } from '../../../src/audit/audit-record.js';
import { buildS3AuditRecord } from '../../../src/audit/s3-audit-row.js';
import { ThreadedAuditSink } from '../../../src/audit/threaded-audit-sink.js';
import { captureLog } from '../../support/capture-log.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';

function rec(n: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return { timeMs: 1_700_000_000_000 + n, requestId: `req-${n}`, action: 's3.proxy.PutObject', outcome: 'success', status: 200, accessKeyId: 'AKIDEXAMPLE', detail: { access_key_id: 'AKIDEXAMPLE', n }, ...overrides };
}


describe('ThreadedAuditSink', () => {
  let dir: string;
  let file: string;
  let db: SqliteDatabase;
  const sinks: ThreadedAuditSink[] = [];
  const count = (where = '1'): number => (db.prepare(`SELECT count(*) AS n FROM audit WHERE ${where}`).get() as { n: number }).n;

  function sink(options: Partial<ConstructorParameters<typeof ThreadedAuditSink>[0]> = {}): ThreadedAuditSink {
    const s = new ThreadedAuditSink({ file, ...options });
    sinks.push(s);
    return s;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 's3gate-threaded-sink-'));
    file = join(dir, 's3gate.db');
    db = openDatabase({ file });
  });
  afterEach(() => {
    for (const s of sinks.splice(0)) s.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the rows on its thread soon after record(), each column as given', async () => {
    const s = sink({ flushIntervalMs: 20 });
    s.record(rec(1, { bucket: 'b', key: 'k/ü', bytes: 42, clientAddress: '192.0.2.1', errorCode: undefined }));
    expect(count()).toBe(0);
    await vi.waitFor(() => expect(count()).toBe(1), { timeout: 5000, interval: 10 });
    expect(db.prepare('SELECT request_id, action, bucket, key, bytes, client_address, detail FROM audit').get()).toEqual({
      request_id: 'req-1',
      action: 's3.proxy.PutObject',
      bucket: 'b',
      key: 'k/ü',
      bytes: 42,
      client_address: '192.0.2.1',
      detail: '{"access_key_id":"AKIDEXAMPLE","n":1}',
    });
  });

  it('recordS3: an S3 request posted as a flat row becomes the same row buildS3AuditRecord makes', () => {
    const s = sink({ flushIntervalMs: 60_000 });
    const event = { requestId: 'REQS3', method: 'GET', accessKeyId: 'SGAKEXAMPLE', principal: 'alice', operation: 'GetObject', action: 'get_object', bucket: 'b', key: 'k', status: 200, errorCode: undefined, bytesIn: 0, bytesOut: 1024, latencyMs: 1.5, clientAddress: '192.0.2.9', forwarded: true };
    s.recordS3(event, 1_700_000_000_123, true);
    s.flush();
    expect(db.prepare("SELECT time, action, outcome, status, error_code, principal, access_key_id, bucket, key, bytes, client_address, detail FROM audit WHERE request_id = 'REQS3'").get()).toEqual({
      time: 1_700_000_000_123,
      action: 's3.proxy.GetObject',
      outcome: 'success',
      status: 200,
      error_code: null,
      principal: 'alice',
      access_key_id: 'SGAKEXAMPLE',
      bucket: 'b',
      key: 'k',
      bytes: 1024,
      client_address: '192.0.2.9',
      detail: JSON.stringify(buildS3AuditRecord(event, 0, true).detail),
    });
  });

  it('flush() returns once every recorded row is in the table; close() likewise, for 10 000 rows', () => {
    const s = sink({ flushIntervalMs: 60_000 });
    for (let i = 0; i < 3; i++) s.record(rec(i));
    s.flush();
    expect(count()).toBe(3);
    for (let i = 3; i < 10_000; i++) s.record(rec(i));
    s.close();
    expect(count()).toBe(10_000);
    expect(s.pending).toBe(0);
  });

  it('does not block the event loop while another process holds the write lock; the rows land once it is released', async () => {
    const other = openDatabase({ file });
    try {
      other.exec('BEGIN IMMEDIATE');
      const s = sink({ flushIntervalMs: 20 });
      for (let i = 0; i < 10; i++) s.record(rec(i));
      // The event loop keeps ticking every few ms while the writer retries.
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(ticker);
      expect(ticks).toBeGreaterThan(20);
      expect(count()).toBe(0);
      expect(s.pending).toBe(10);
      other.exec('COMMIT');
      await vi.waitFor(() => expect(count()).toBe(10), { timeout: 5000, interval: 10 });
      await vi.waitFor(() => expect(s.pending).toBe(0), { timeout: 5000, interval: 10 });
    } finally {
      other.close();
    }
  });

  it('when the writer is behind, drops sampled reads only, and says so', async () => {
    const other = openDatabase({ file });
    const { log, lines } = captureLog();
    try {
      other.exec('BEGIN IMMEDIATE');
      const s = sink({ flushIntervalMs: 20, maxBatch: 5, maxQueued: 20, log });
      for (let i = 0; i < 20; i++) s.record(rec(i));
      await vi.waitFor(() => expect(s.pending).toBe(20), { timeout: 5000, interval: 10 });
      for (let i = 20; i < 25; i++) s.record(rec(i, { action: 's3.proxy.GetObject', sampled: true }));
      const get = { method: 'GET', accessKeyId: 'AKIDEXAMPLE', principal: undefined, operation: 'GetObject', action: 'get_object', bucket: 'b', key: 'k', status: 200, errorCode: undefined, bytesIn: 0, bytesOut: 1, latencyMs: 1, clientAddress: undefined, forwarded: true };
      for (let i = 25; i < 30; i++) s.recordS3({ ...get, requestId: `req-${i}` }, Date.now(), true);
      s.record(rec(30, { action: 's3.proxy.DeleteObject' }));
      expect(s.dropped).toBe(10);
      other.exec('COMMIT');
      s.close();
      expect(count("action = 's3.proxy.GetObject'")).toBe(0);
      expect(count()).toBe(21);
      expect(lines.some((l) => l.msg === 'audit: writer behind, sampled reads dropped' && l.dropped === 10)).toBe(true);
    } finally {
      other.close();
    }
  });

  it('a writer that cannot open the database: logged, no hang, flush and close return', () => {
    const { log, lines } = captureLog();
    // A directory where the database file should be: neither thread can open it.
    const s = new ThreadedAuditSink({ file: dir, log, closeTimeoutMs: 10_000 });
    s.record(rec(1));
    const started = performance.now();
    s.flush();
    s.close();
    expect(performance.now() - started).toBeLessThan(5000);
    expect(lines.some((l) => l.msg.startsWith('audit: the writer thread failed'))).toBe(true);
    expect(lines.some((l) => l.msg === 'audit: the database cannot be opened for audit writes')).toBe(true);
  });

  it('logs a row recorded after close instead of writing it', () => {
    const { log, lines } = captureLog();
    const s = sink({ log });
    s.close();
    s.record(rec(7));
    expect(count()).toBe(0);
    expect(lines.some((l) => l.msg === 'audit: row arriving after the audit trail closed was not written' && l.requestId === 'req-7')).toBe(true);
  });
});

describe('ThreadedAuditSink, compiled (as the Docker image and `npm run build` run it)', () => {
  it('starts the compiled .js writer and writes through it', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    // Inside the repository (as dist/ is), so the compiled files resolve better-sqlite3 and
    // are ES modules by package.json's "type".
    const out = mkdtempSync(join(root, 'test', '.compiled-'));
    const dir = mkdtempSync(join(tmpdir(), 's3gate-compiled-sink-db-'));
    try {
      const entryPoints = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(root, 'src', f));
      await build({ entryPoints, outdir: join(out, 'src'), outbase: join(root, 'src'), format: 'esm', platform: 'node', target: 'node20', bundle: false, logLevel: 'error' });
      const file = join(dir, 's3gate.db');
      const script = `
        import { ThreadedAuditSink } from ${JSON.stringify(pathToFileURL(join(out, 'src/audit/threaded-audit-sink.js')).href)};
        const log = { info: (o, m) => console.error('info', m), warn: (o, m) => console.error('warn', m), error: (o, m) => console.error('error', m, JSON.stringify(o)) };
        const sink = new ThreadedAuditSink({ file: ${JSON.stringify(file)}, log, flushIntervalMs: 20 });
        for (let i = 0; i < 1000; i++) sink.record({ timeMs: Date.now(), requestId: 'r' + i, action: 's3.proxy.PutObject', outcome: 'success', detail: { i, f: i === 7 ? () => 1 : null } });
        sink.close();`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const check = openDatabase({ file });
      try {
        expect(check.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 1000 });
        // A detail structured clone refuses keeps its row, without that detail.
        expect(check.prepare("SELECT detail FROM audit WHERE request_id = 'r7'").get()).toEqual({ detail: '{"detail_error":"not serialisable"}' });
      } finally {
        check.close();
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
