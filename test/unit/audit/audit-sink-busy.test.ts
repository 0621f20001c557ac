import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SqliteAuditSink } from '../../../src/audit/sqlite-audit-sink.js';
import { openDatabase } from '../../../src/db/open-database.js';

it('a flush does not block the event loop while another process holds the write lock; the rows land once it is released', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 's3gate-busy-')), 's3gate.db');
  const db = openDatabase({ file });
  const other = openDatabase({ file });
  const sink = new SqliteAuditSink({ db, flushIntervalMs: 20 });
  other.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 10; i++) sink.record({ timeMs: Date.now(), requestId: `R${i}`, action: 's3.proxy.PutObject', outcome: 'success', detail: {} });
  // Ten ticks' worth of waiting: with the connection's 5 s busy timeout one tick alone would block for 5 s.
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 250));
  expect(performance.now() - started).toBeLessThan(1500);
  expect(db.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 0 });
  other.exec('COMMIT');
  await new Promise((r) => setTimeout(r, 200));
  expect(db.prepare('SELECT count(*) AS n FROM audit').get()).toEqual({ n: 10 });
  sink.close();
  // close() waits the full busy timeout for a lock.
  expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  other.close();
  db.close();
});
