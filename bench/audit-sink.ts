/**
 * Micro-benchmark of the audit trail: what the S3 audit hook + SqliteAuditSink.record() cost on
 * the request path, how fast batches reach SQLite (rows/s, and how long one batch holds the
 * event loop), and what a page of queryAudit costs on a large table.
 * Run: `npx tsx bench/audit-sink.ts` (pin with `taskset -c 1` for steadier figures).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryAudit } from '../src/audit/audit-query.js';
import type { AuditRecord } from '../src/audit/audit-record.js';
import { SqliteAuditSink } from '../src/audit/sqlite-audit-sink.js';
import Database from 'better-sqlite3';
import { migrateDatabase } from '../src/db/migrations.js';
import { openDatabase } from '../src/db/open-database.js';
import { buildS3AuditRecord } from '../src/audit/s3-audit-row.js';
import { createS3AuditHook } from '../src/proxy/audit-s3-request.js';
import type { S3RequestEvent } from '../src/proxy/handle-s3-request.js';

const dir = mkdtempSync(join(tmpdir(), 's3gate-bench-audit-'));
const db = openDatabase({ file: join(dir, 's3gate.db') });

function event(i: number, method: string): S3RequestEvent {
  return {
    requestId: `01JBENCH${i.toString(36).padStart(10, '0')}`,
    method,
    accessKeyId: `AKIABENCH${i % 50}`,
    principal: `user-${i % 20}`,
    operation: method === 'PUT' ? 'PutObject' : 'GetObject',
    action: method === 'PUT' ? 'put_object' : 'get_object',
    bucket: 'bench-bucket',
    key: `some/prefix/object-${i}.bin`,
    status: 200,
    errorCode: undefined,
    bytesIn: method === 'PUT' ? 65_536 : 0,
    bytesOut: method === 'PUT' ? 0 : 65_536,
    latencyMs: 1.234,
    clientAddress: '198.51.100.7',
    forwarded: true,
  };
}

/**
 * ns per call of fn, timed in chunks of `chunk` calls with `between` (untimed) after each: the
 * sink's queue stays as short as it is in service (a flush every 200 ms), so the figure is not
 * inflated by the garbage collector walking a long queue.
 */
function nsPer(n: number, chunk: number, fn: (i: number) => void, between: () => void): number {
  let total = 0n;
  for (let done = 0; done < n; done += chunk) {
    const started = process.hrtime.bigint();
    for (let i = done; i < done + chunk; i++) fn(i);
    total += process.hrtime.bigint() - started;
    between();
  }
  return Number(total) / n;
}

const N = 100_000;
const putEvents = Array.from({ length: N }, (_, i) => event(i, 'PUT'));
const getEvents = Array.from({ length: N }, (_, i) => event(i, 'GET'));

// 1. Request-path cost. The sink's timers never fire inside a synchronous loop, so this is
//    record() alone (queue push); the flushes between runs go to an in-memory database, the
//    file's are measured below.
{
  const scratch = new Database(':memory:');
  migrateDatabase(scratch);
  const sink = new SqliteAuditSink({ db: scratch, flushIntervalMs: 10_000, maxQueued: 10 * N });
  const hook0 = createS3AuditHook({ sink, readSampleRate: 0 });
  const hook1 = createS3AuditHook({ sink, readSampleRate: 0.01 });
  const hookPut = createS3AuditHook({ sink, readSampleRate: 0 });
  for (let i = 0; i < 20_000; i++) hookPut(putEvents[i]!); // warm-up
  const records: AuditRecord[] = putEvents.map((e) => buildS3AuditRecord(e, Date.now(), false));
  console.log('request path (ns per request, median of 5 runs of %d, flushed every 1000):', N);
  const rows: [string, (i: number) => void][] = [
    ['sink.record(prebuilt record)', (i) => sink.record(records[i]!)],
    ['hook: PUT (build record + record)', (i) => hookPut(putEvents[i]!)],
    ['hook: GET, rate 0 (no row)', (i) => hook0(getEvents[i]!)],
    ['hook: GET, rate 0.01', (i) => hook1(getEvents[i]!)],
  ];
  for (const [name, fn] of rows) {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) runs.push(nsPer(N, 1000, fn, () => sink.flush()));
    runs.sort((a, b) => a - b);
    console.log(`  ${name.padEnd(38)} ${runs[2]!.toFixed(0).padStart(6)} ns`);
  }
  sink.close();
  scratch.close();
}

// 2. Flush throughput: rows/s written by flush() (transactions of maxBatch rows), and the
//    event-loop stall of one timer/setImmediate batch.
{
  db.exec('DELETE FROM audit');
  for (const maxBatch of [100, 1000, 10_000]) {
    const sink = new SqliteAuditSink({ db, flushIntervalMs: 10_000, maxBatch, maxQueued: 10 * N });
    for (let i = 0; i < N; i++) sink.record(buildS3AuditRecord(putEvents[i]!, Date.now(), false));
    const started = process.hrtime.bigint();
    sink.flush();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(
      `flush ${N} rows, maxBatch ${String(maxBatch).padStart(5)}: ${ms.toFixed(0)} ms → ${Math.round(N / (ms / 1000)).toLocaleString('en')} rows/s, ≈ ${((ms / N) * maxBatch).toFixed(2)} ms per batch`,
    );
    sink.close();
  }
  // Baseline on the same machine and moment: the bare prepared INSERT of the same row with its
  // detail already serialised, one transaction: the difference is the sink's own work.
  const detail = JSON.stringify(buildS3AuditRecord(putEvents[0]!, 0, false).detail);
  const insert = db.prepare(
    "INSERT INTO audit (time, request_id, action, outcome, status, principal, access_key_id, bucket, key, bytes, client_address, detail) VALUES (?, ?, 's3.proxy.PutObject', 'success', 200, ?, ?, 'bench-bucket', ?, 65536, '198.51.100.7', ?)",
  );
  const started = process.hrtime.bigint();
  db.transaction(() => {
    for (let i = 0; i < N; i++) insert.run(Date.now(), putEvents[i]!.requestId, `user-${i % 20}`, `AKIABENCH${i % 50}`, putEvents[i]!.key, detail);
  })();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(`baseline: bare INSERT of ${N} rows in one transaction: ${ms.toFixed(0)} ms → ${Math.round(N / (ms / 1000)).toLocaleString('en')} rows/s`);
}

// 3. Sustained: PUTs (every one recorded) offered through the hook with the timers running, for
//    2 s; how far behind the sink falls and the worst event-loop delay a 5 ms timer sees.
for (const rate of [2_000, 10_000, 40_000]) {
  const sink = new SqliteAuditSink({ db, flushIntervalMs: 200 });
  const hook = createS3AuditHook({ sink, readSampleRate: 0 });
  const tickMs = 5;
  let sent = 0;
  let worstLagMs = 0;
  let maxPending = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let expectedAt = performance.now() + tickMs;
    const step = (): void => {
      const now = performance.now();
      worstLagMs = Math.max(worstLagMs, now - expectedAt);
      const due = Math.min(N, Math.floor(((now - started) / 1000) * rate));
      while (sent < due) hook(putEvents[sent++]!);
      maxPending = Math.max(maxPending, sink.pending);
      if (now - started >= 2000 || sent >= N) {
        resolve();
        return;
      }
      expectedAt = now + tickMs;
      setTimeout(step, tickMs);
    };
    setTimeout(step, tickMs);
  });
  const closeStarted = performance.now();
  sink.close();
  console.log(
    `sustained ${rate}/s PUTs for 2 s: ${sent} rows, max pending ${maxPending}, worst timer lag ${worstLagMs.toFixed(1)} ms, close() flushed the rest in ${(performance.now() - closeStarted).toFixed(1)} ms`,
  );
}

// 4. queryAudit, first page of 100, on 1M rows (99 % s3.proxy.*, 1 % admin.*), no ANALYZE.
{
  db.exec('DELETE FROM audit');
  const insert = db.prepare("INSERT INTO audit (time, request_id, action, outcome, access_key_id, principal, detail) VALUES (?, ?, ?, 'success', ?, ?, '{}')");
  const ops = ['GetObject', 'PutObject', 'DeleteObject', 'ListObjectsV2', 'HeadObject', 'UploadPart'];
  db.transaction(() => {
    for (let i = 0; i < 1_000_000; i++) {
      insert.run(1.7e12 + i, `r${i}`, i % 100 === 0 ? 'admin.credential.create' : `s3.proxy.${ops[i % 6]}`, `AK${i % 50}`, `user-${i % 20}`);
    }
  })();
  console.log('queryAudit, 1M rows, first page of 100 / page 50 via cursor (ms):');
  for (const [name, filter] of [
    ['no filter', {}],
    ['prefix s3.proxy.', { actionPrefix: 's3.proxy.' }],
    ['prefix s3.proxy.PutObject', { actionPrefix: 's3.proxy.PutObject' }],
    ['prefix admin.', { actionPrefix: 'admin.' }],
    ['prefix nothing.', { actionPrefix: 'nothing.' }],
    ['access key', { accessKeyId: 'AK7' }],
    ['outcome denied (no match)', { outcome: 'denied' as const }],
  ] as const) {
    queryAudit(db, filter, { limit: 100 });
    let t = performance.now();
    let page = queryAudit(db, filter, { limit: 100 });
    const first = performance.now() - t;
    for (let p = 0; p < 48 && page.nextCursor !== undefined; p++) page = queryAudit(db, filter, { limit: 100, cursor: page.nextCursor });
    t = performance.now();
    if (page.nextCursor !== undefined) queryAudit(db, filter, { limit: 100, cursor: page.nextCursor });
    console.log(`  ${name.padEnd(28)} ${first.toFixed(2).padStart(8)} ${(performance.now() - t).toFixed(2).padStart(8)}`);
  }
}

db.close();
rmSync(dir, { recursive: true, force: true });
