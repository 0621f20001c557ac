/**
 * Which S3 requests become audit rows and what the row says, through a real SqliteAuditSink
 * on a SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { queryAudit } from '../../../src/audit/audit-query.js';
import type { AuditRecord, AuditSink } from '../../../src/audit/audit-record.js';
import { SqliteAuditSink } from '../../../src/audit/sqlite-audit-sink.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';
import { buildS3AuditRecord, classifyS3Outcome } from '../../../src/audit/s3-audit-row.js';
import { createS3AuditHook } from '../../../src/proxy/audit-s3-request.js';
import type { S3RequestEvent } from '../../../src/proxy/handle-s3-request.js';

const NOW = 1_750_000_000_000;

function event(overrides: Partial<S3RequestEvent> = {}): S3RequestEvent {
  return {
    requestId: 'req-1',
    method: 'GET',
    accessKeyId: 'AKIAEXAMPLE0001',
    principal: 'alice',
    operation: 'GetObject',
    action: 'get_object',
    bucket: 'photos',
    key: 'a/b.jpg',
    status: 200,
    errorCode: undefined,
    bytesIn: 0,
    bytesOut: 1024,
    latencyMs: 3.25,
    clientAddress: '198.51.100.7',
    forwarded: true,
    ...overrides,
  };
}

const PUT = event({ requestId: 'put', method: 'PUT', operation: 'PutObject', action: 'put_object', bytesIn: 5000, bytesOut: 0 });
const DELETE = event({ requestId: 'del', method: 'DELETE', operation: 'DeleteObject', action: 'delete_object', status: 204, bytesOut: 0 });
const DENIED = event({ requestId: 'deny', status: 403, errorCode: 'AccessDenied', forwarded: false, bytesOut: 243 });

function memorySink(): AuditSink & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return { records, record: (r) => records.push(r), flush: () => {}, close: () => {} };
}

describe('createS3AuditHook with a SQLite sink', () => {
  let dir: string;
  let db: SqliteDatabase;
  let sink: SqliteAuditSink;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 's3gate-audit-hook-'));
    db = openDatabase({ file: join(dir, 's3gate.db') });
    sink = new SqliteAuditSink({ db, flushIntervalMs: 60_000 });
  });
  afterEach(() => {
    sink.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => {
    sink.flush();
    return queryAudit(db, {}, { limit: 1000 }).items;
  };

  it('rate 0: a successful GET produces no row, without drawing a random number', () => {
    const random = vi.fn(() => 0);
    createS3AuditHook({ sink, readSampleRate: 0, random })(event());
    expect(rows()).toEqual([]);
    expect(random).not.toHaveBeenCalled();
  });

  it('rate 1: a successful GET produces exactly one row', () => {
    createS3AuditHook({ sink, readSampleRate: 1, clock: () => NOW })(event());
    const got = rows();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ timeMs: NOW, action: 's3.proxy.GetObject', outcome: 'success', status: 200, bytes: 1024 });
  });

  it.each([
    ['a PUT', PUT, 's3.proxy.PutObject', 'success', 5000],
    ['a DELETE', DELETE, 's3.proxy.DeleteObject', 'success', 0],
    ['a denial (403 AccessDenied)', DENIED, 's3.proxy.GetObject', 'denied', 243],
  ] as const)('rate 0: %s produces exactly one row, the access key id in detail', (_name, e, action, outcome, bytes) => {
    const random = vi.fn(() => 0);
    createS3AuditHook({ sink, readSampleRate: 0, random, clock: () => NOW })(e);
    const got = rows();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      timeMs: NOW,
      requestId: e.requestId,
      action,
      outcome,
      status: e.status,
      errorCode: e.errorCode,
      principal: 'alice',
      accessKeyId: 'AKIAEXAMPLE0001',
      bucket: 'photos',
      key: 'a/b.jpg',
      bytes,
      clientAddress: '198.51.100.7',
    });
    expect(got[0]?.detail['access_key_id']).toBe('AKIAEXAMPLE0001');
    expect(random).not.toHaveBeenCalled();
  });
});

describe('createS3AuditHook policy', () => {
  it.each([
    ['GET', 200],
    ['HEAD', 200],
    ['OPTIONS', 200],
    ['GET', 304],
  ])('a successful %s (%i) is sampled', (method, status) => {
    const sink = memorySink();
    createS3AuditHook({ sink, readSampleRate: 0.25, random: () => 0.3 })(event({ method, status }));
    createS3AuditHook({ sink, readSampleRate: 0.25, random: () => 0.2 })(event({ method, status }));
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]?.sampled).toBe(true);
  });

  it.each([
    ['PUT', 200, undefined],
    ['POST', 200, undefined],
    ['DELETE', 204, undefined],
    ['PATCH', 501, 'NotImplemented'],
    ['GET', 404, undefined],
    ['HEAD', 403, undefined],
    ['GET', 400, 'SignatureDoesNotMatch'],
    ['GET', 200, 'BadGateway'],
  ] as const)('%s %i %s is always recorded, never marked droppable', (method, status, errorCode) => {
    const sink = memorySink();
    const random = vi.fn(() => 0.99);
    createS3AuditHook({ sink, readSampleRate: 0, random })(event({ method, status, errorCode }));
    createS3AuditHook({ sink, readSampleRate: 0.5, random })(event({ method, status, errorCode }));
    expect(sink.records).toHaveLength(2);
    expect(sink.records.every((r) => r.sampled === false)).toBe(true);
    expect(random).not.toHaveBeenCalled();
  });

  it('refuses a rate below 0 or NaN', () => {
    expect(() => createS3AuditHook({ sink: memorySink(), readSampleRate: -0.1 })).toThrow(RangeError);
    expect(() => createS3AuditHook({ sink: memorySink(), readSampleRate: Number.NaN })).toThrow(RangeError);
  });

  it('samples about the configured fraction with the default random', () => {
    const sink = memorySink();
    const hook = createS3AuditHook({ sink, readSampleRate: 0.1 });
    for (let i = 0; i < 20_000; i++) hook(event());
    expect(sink.records.length).toBeGreaterThan(1600);
    expect(sink.records.length).toBeLessThan(2400);
  });
});

describe('buildS3AuditRecord', () => {
  it('names an unclassified request s3.proxy.Unclassified and keeps absent fields absent', () => {
    const r = buildS3AuditRecord(
      event({ operation: undefined, action: undefined, accessKeyId: undefined, principal: undefined, status: 403, errorCode: 'SignatureDoesNotMatch', forwarded: false }),
      NOW,
      false,
    );
    expect(r.action).toBe('s3.proxy.Unclassified');
    expect(r.outcome).toBe('denied');
    expect(r.accessKeyId).toBeUndefined();
    expect(r.detail).toEqual({ access_key_id: null, method: 'GET', s3_action: null, bytes_in: 0, bytes_out: 1024, latency_ms: 3.25, forwarded: false });
  });

  it('detail holds exactly the documented snake_case keys', () => {
    expect(buildS3AuditRecord(PUT, NOW, false).detail).toEqual({
      access_key_id: 'AKIAEXAMPLE0001',
      method: 'PUT',
      s3_action: 'put_object',
      bytes_in: 5000,
      bytes_out: 0,
      latency_ms: 3.25,
      forwarded: true,
    });
  });

  it('bytes: the body sent upstream when there was one, else the body sent back', () => {
    expect(buildS3AuditRecord(event({ method: 'PUT', bytesIn: 7, bytesOut: 300 }), NOW, false).bytes).toBe(7);
    expect(buildS3AuditRecord(event({ method: 'GET', bytesIn: 0, bytesOut: 300 }), NOW, false).bytes).toBe(300);
  });
});

describe('classifyS3Outcome', () => {
  it.each([
    [200, undefined, 'success'],
    [206, undefined, 'success'],
    [304, undefined, 'success'],
    [403, undefined, 'denied'],
    [401, undefined, 'denied'],
    [404, undefined, 'error'],
    [500, undefined, 'error'],
    [503, 'ServiceUnavailable', 'error'],
    [403, 'AccessDenied', 'denied'],
    [403, 'InvalidAccessKeyId', 'denied'],
    [403, 'SignatureDoesNotMatch', 'denied'],
    [403, 'RequestTimeTooSkewed', 'denied'],
    [400, 'ExpiredToken', 'denied'],
    [400, 'InvalidToken', 'denied'],
    [400, 'AuthorizationHeaderMalformed', 'denied'],
    [400, 'AuthorizationQueryParametersError', 'denied'],
    [400, 'MissingSecurityHeader', 'denied'],
    [403, 'InvalidChunkSizeError', 'error'],
    [400, 'XAmzContentSHA256Mismatch', 'error'],
    [200, 'BadGateway', 'error'],
  ] as const)('%i %s → %s', (status, code, outcome) => {
    expect(classifyS3Outcome(status, code)).toBe(outcome);
  });
});

describe('buildS3AuditRecord: sizes an unauthenticated client chooses', () => {
  it('keeps at most a 63-character bucket and a 1024-character key, marked as cut', () => {
    const record = buildS3AuditRecord(
      { requestId: 'R', method: 'GET', accessKeyId: undefined, principal: undefined, operation: undefined, action: undefined, bucket: 'b'.repeat(300), key: 'k'.repeat(16_000), status: 403, errorCode: 'AccessDenied', bytesIn: 0, bytesOut: 0, latencyMs: 0, clientAddress: '203.0.113.9', forwarded: false },
      0,
      false,
    );
    expect(record.bucket).toBe(`${'b'.repeat(63)}…`);
    expect(record.key).toBe(`${'k'.repeat(1024)}…`);
  });
});
