/**
 * Graceful shutdown under load keeps the audit trail whole: s3gate runs as a real child
 * process (`s3gate serve --config`, with `[store]`), 16 concurrent PutObject loops drive it
 * through @aws-sdk/client-s3, and SIGTERM arrives in the middle. The client keeps every
 * PutObject it saw accepted (2xx) with the x-amz-request-id s3gate answered; after the exit
 * the SQLite database is opened read-only and each of those ids must have exactly one
 * `s3.proxy.PutObject` row with outcome success.
 *
 * Also: the process exits 0; every request in flight at SIGTERM either completed (and is
 * audited) or failed on the client; an upload whose headers were accepted before SIGTERM and
 * whose body is sent after it still completes; and a new connection during the shutdown is
 * refused.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME } from '../../src/db/open-database.js';
import { buildStoreConfigToml, eventually, TEST_MASTER_KEY } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, type TestKey } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';
import { type S3gateProcess, startS3gateProcess } from '../support/s3gate-process.js';

const BUCKET = 'load';
const KEY: TestKey = { accessKeyId: 'SGSHUTDOWNLOAD000001', secretAccessKey: 'shutdown-load-secret-000000000000000000' };
const LOOPS = 16;
/** SIGTERM once this many PutObjects were accepted: the load is in full swing by then. */
const ACCEPTED_BEFORE_SIGTERM = 200;
/** Generous: the assertion is "exits 0 in reasonable time", not a latency. */
const EXIT_WITHIN_MS = 20_000;

interface Attempt {
  readonly loop: number;
  readonly key: string;
  readonly startedAt: number;
  endedAt?: number;
  status?: number | undefined;
  requestId?: string;
  /** S3 error code, or the socket error code (ECONNREFUSED, ECONNRESET…). */
  failure?: string;
}

let moto: MotoServer;
let dataDir: string;
let configPath: string;
let proc: S3gateProcess | undefined;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const dir = mkdtempSync(join(tmpdir(), 's3gate-shutdown-'));
  dataDir = join(dir, 'data');
  configPath = join(dir, 'proxy.toml');
  // A 1 s audit flush interval: more rows wait in the queue when SIGTERM comes.
  const extra = `[audit]\nflush_interval_ms = 1000\n\n${credentialToml(KEY, [{ bucket: BUCKET, actions: ['*'] }])}`;
  writeFileSync(configPath, buildStoreConfigToml(moto, dataDir, extra));
}, 60_000);

afterAll(async () => {
  proc?.kill();
  await moto?.stop();
});

function failureCode(err: unknown): string {
  if (err instanceof S3ServiceException) return err.name;
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof e.code === 'string') return e.code;
  return `${String(e.name)}: ${String(e.message)}`;
}

/** A PUT whose headers go now and whose body waits for `finish()`; authorised once 'continue' fired. */
async function startSlowUpload(url: string, key: string, body: Buffer) {
  const { hostname, port } = new URL(url);
  const host = `${hostname}:${port}`;
  const signed = await signRaw(KEY, {
    method: 'PUT',
    host,
    path: `/${BUCKET}/${key}`,
    headers: { 'content-length': String(body.length), expect: '100-continue' },
  });
  const req = httpRequest({ host: hostname, port: Number(port), method: 'PUT', path: signed.path, headers: signed.headers, agent: false });
  const response = new Promise<{ status: number; requestId: string | undefined; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: res.headers['x-amz-request-id'] as string | undefined, body: text }));
    });
    req.on('error', reject);
  });
  // Awaited by the caller; this only keeps a failure before that from being unhandled.
  response.catch(() => undefined);
  // s3gate answers 100 Continue only after the signature and scope checks: the request is in
  // its handler, not merely queued in a socket.
  await new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    req.once('error', reject);
    req.flushHeaders();
  });
  req.write(body.subarray(0, body.length / 2));
  return {
    response,
    finish: () => {
      req.end(body.subarray(body.length / 2));
    },
  };
}

/** A signed request on a fresh connection: the status, or the socket error code. */
async function freshConnectionAttempt(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const signed = await signRaw(KEY, { method: 'GET', host: `${hostname}:${port}`, path: `/${BUCKET}`, query: { 'list-type': '2' } });
  return new Promise((resolve) => {
    const req = httpRequest({ host: hostname, port: Number(port), method: 'GET', path: signed.path, headers: signed.headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(`HTTP ${res.statusCode}`));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('SIGTERM under load', () => {
  it('every accepted PutObject is in the audit table exactly once, in-flight requests finish or fail, the exit is 0', async () => {
    const started = await startS3gateProcess({ configPath, env: { S3GATE_MASTER_KEY: TEST_MASTER_KEY } });
    proc = started;
    let exited = false;
    void started.exited.then(() => {
      exited = true;
    });

    const attempts: Attempt[] = [];
    const inFlight = new Set<Attempt>();
    const runLoop = async (loop: number): Promise<void> => {
      const s3 = new S3Client({ endpoint: started.url, region: 'us-east-1', forcePathStyle: true, credentials: KEY, maxAttempts: 1 });
      try {
        for (let i = 0; !exited; i++) {
          const attempt: Attempt = { loop, key: `w${loop}/${i}.bin`, startedAt: performance.now() };
          attempts.push(attempt);
          inFlight.add(attempt);
          try {
            const out = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: attempt.key, Body: randomBytes(1024 + ((loop * 7919 + i * 104729) % (63 * 1024))) }));
            attempt.status = out.$metadata.httpStatusCode;
            if (out.$metadata.requestId !== undefined) attempt.requestId = out.$metadata.requestId;
          } catch (err) {
            attempt.failure = failureCode(err);
            if (err instanceof S3ServiceException) {
              attempt.status = err.$metadata.httpStatusCode;
              if (err.$metadata.requestId !== undefined) attempt.requestId = err.$metadata.requestId;
            }
          } finally {
            attempt.endedAt = performance.now();
            inFlight.delete(attempt);
          }
          if (attempt.failure !== undefined) await new Promise((r) => setTimeout(r, 10));
        }
      } finally {
        s3.destroy();
      }
    };
    const accepted = (): Attempt[] => attempts.filter((a) => a.failure === undefined && a.status !== undefined && a.status >= 200 && a.status < 300);

    const loops = Array.from({ length: LOOPS }, (_, i) => runLoop(i));
    await eventually(() => expect(accepted().length).toBeGreaterThanOrEqual(ACCEPTED_BEFORE_SIGTERM), 90_000, 50);

    const slowBody = randomBytes(256 * 1024);
    const slow = await startSlowUpload(started.url, 'slow/upload.bin', slowBody);

    const sigtermAt = performance.now();
    const inFlightAtSigterm = [...inFlight];
    const acceptedBeforeSigterm = accepted().length;
    started.child.kill('SIGTERM');

    // While the slow upload holds the server open: what does a new connection get?
    await new Promise((r) => setTimeout(r, 300));
    expect(exited, 'exited while an authorised upload was still sending its body').toBe(false);
    const newConnection = await freshConnectionAttempt(started.url);
    await new Promise((r) => setTimeout(r, 300));
    expect(exited).toBe(false);
    slow.finish();
    const slowResult = await slow.response;

    let exitTimer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      started.exited,
      new Promise<'timeout'>((r) => {
        exitTimer = setTimeout(() => r('timeout'), EXIT_WITHIN_MS);
      }),
    ]);
    clearTimeout(exitTimer);
    const exitMs = performance.now() - sigtermAt;
    if (exit === 'timeout') throw new Error(`s3gate did not exit within ${EXIT_WITHIN_MS} ms of SIGTERM`);
    expect(exit).toEqual({ code: 0, signal: null });
    await Promise.all(loops);

    // --- what the client saw
    const acceptedAll = accepted();
    const failed = attempts.filter((a) => a.failure !== undefined);
    const failureKinds = new Map<string, number>();
    for (const f of failed) failureKinds.set(`${f.failure}${f.status === undefined ? '' : ` (${f.status})`}`, (failureKinds.get(`${f.failure}${f.status === undefined ? '' : ` (${f.status})`}`) ?? 0) + 1);
    const inFlightCompleted = inFlightAtSigterm.filter((a) => a.failure === undefined);
    const acceptedAfterSigterm = acceptedAll.filter((a) => (a.endedAt ?? 0) > sigtermAt).length;
    process.stderr.write(
      [
        '',
        `audit-shutdown: ${acceptedAll.length} PutObjects accepted (${acceptedBeforeSigterm} before SIGTERM, ${acceptedAfterSigterm} answered after it), ${failed.length} failed on the client`,
        `  in flight at SIGTERM: ${inFlightAtSigterm.length} (${inFlightCompleted.length} completed 2xx, ${inFlightAtSigterm.length - inFlightCompleted.length} failed)`,
        `  failures: ${[...failureKinds].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`,
        `  new connection during shutdown: ${newConnection}`,
        `  slow upload (authorised before SIGTERM, body after): HTTP ${slowResult.status}`,
        `  exit ${exit.code} ${Math.round(exitMs)} ms after SIGTERM`,
        '',
      ].join('\n'),
    );

    // Nothing failed before SIGTERM; every in-flight request settled one way or the other.
    expect(failed.filter((a) => (a.endedAt ?? 0) < sigtermAt)).toEqual([]);
    expect(inFlightAtSigterm.length).toBeGreaterThan(0);
    for (const a of inFlightAtSigterm) {
      expect(a.endedAt, `${a.key} never settled`).toBeDefined();
      expect(a.failure === undefined ? a.status : a.failure).toBeDefined();
    }
    // Failures are only the shutdown's: a 503 on an open connection, a closed or refused socket.
    for (const kind of failureKinds.keys()) expect(kind).toMatch(/^(ServiceUnavailable \(503\)|ECONNREFUSED|ECONNRESET|EPIPE|socket hang up.*)$/);
    expect(newConnection).toBe('ECONNREFUSED');
    expect(slowResult.status, slowResult.body).toBe(200);
    expect(slowResult.requestId).toMatch(/^[0-9A-F]{16}$/);

    // --- what the audit table holds
    const db = new Database(join(dataDir, DATABASE_FILE_NAME), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare(`SELECT request_id, action, outcome, status, access_key_id, bucket, key FROM audit WHERE action LIKE 's3.proxy.%'`)
        .all() as { request_id: string; action: string; outcome: string; status: number | null; access_key_id: string | null; bucket: string | null; key: string | null }[];
      const byId = new Map<string, typeof rows>();
      for (const r of rows) byId.set(r.request_id, [...(byId.get(r.request_id) ?? []), r]);
      const expected = [...acceptedAll.map((a) => ({ id: a.requestId, key: a.key })), { id: slowResult.requestId, key: 'slow/upload.bin' }];
      const missing: string[] = [];
      for (const { id, key } of expected) {
        expect(id, `accepted PutObject ${key} has no x-amz-request-id`).toMatch(/^[0-9A-F]{16}$/);
        const found = byId.get(id ?? '') ?? [];
        if (found.length === 0) {
          missing.push(`${key} (${id})`);
          continue;
        }
        expect(found, `${key} (${id})`).toEqual([{ request_id: id, action: 's3.proxy.PutObject', outcome: 'success', status: 200, access_key_id: KEY.accessKeyId, bucket: BUCKET, key }]);
      }
      expect(missing, `${missing.length} accepted PutObjects missing from the audit table`).toEqual([]);
      const successRows = rows.filter((r) => r.action === 's3.proxy.PutObject' && r.outcome === 'success').length;
      process.stderr.write(`  audit: ${rows.length} s3.proxy rows, ${successRows} successful PutObjects (${successRows - expected.length} the client did not see accepted)\n`);
    } finally {
      db.close();
    }

    // And the upstream holds every accepted object.
    const stored = new Set<string>();
    let token: string | undefined;
    do {
      const page = await moto.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
      for (const c of page.Contents ?? []) stored.add(c.Key ?? '');
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(acceptedAll.filter((a) => !stored.has(a.key)).map((a) => a.key)).toEqual([]);
  }, 240_000);
});
