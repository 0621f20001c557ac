/**
 * queryAudit against a real SQLite file: each filter alone and combined, newest-first keyset
 * pagination, literal action prefixes, both plans for a prefix (action index, time walk).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditQueryError, type AuditFilter, type AuditRow, decodeCursor, encodeCursor, queryAudit, successorOf } from '../../../src/audit/audit-query.js';
import type { AuditOutcome, AuditRecord } from '../../../src/audit/audit-record.js';
import { SqliteAuditSink } from '../../../src/audit/sqlite-audit-sink.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';

const T0 = 1_700_000_000_000;
const ACTIONS = ['s3.proxy.GetObject', 's3.proxy.PutObject', 's3.proxy.DeleteObject', 'admin.credential.create', 's3.proxyX.Fake', 's3.proxy'];
const OUTCOMES: AuditOutcome[] = ['success', 'denied', 'error'];

/** 250 rows; times repeat (every 2 rows share one) so the id tie-break matters. */
function fixture(): AuditRecord[] {
  return Array.from({ length: 250 }, (_, i) => ({
    timeMs: T0 + Math.floor(i / 2) * 1000,
    requestId: `req-${i}`,
    action: i % 25 === 0 ? ACTIONS[3 + ((i / 25) % 3)]! : ACTIONS[i % 3]!,
    outcome: OUTCOMES[i % 3]!,
    status: 200,
    principal: `user-${i % 4}`,
    accessKeyId: `AK${i % 5}`,
    bucket: 'b',
    key: `k${i}`,
    bytes: i,
    detail: { access_key_id: `AK${i % 5}`, n: i },
  }));
}

describe('queryAudit', () => {
  let dir: string;
  let db: SqliteDatabase;
  let records: AuditRecord[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 's3gate-audit-query-'));
    db = openDatabase({ file: join(dir, 's3gate.db') });
    records = fixture();
    const sink = new SqliteAuditSink({ db });
    for (const r of records) sink.record(r);
    sink.close();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The expected answer computed in JS: ids are 1-based insertion order. */
  function expected(filter: AuditFilter): string[] {
    return records
      .map((r, i) => ({ r, id: i + 1 }))
      .filter(({ r }) => filter.actionPrefix === undefined || r.action.startsWith(filter.actionPrefix))
      .filter(({ r }) => filter.accessKeyId === undefined || r.accessKeyId === filter.accessKeyId)
      .filter(({ r }) => filter.principal === undefined || r.principal === filter.principal)
      .filter(({ r }) => filter.outcome === undefined || r.outcome === filter.outcome)
      .filter(({ r }) => filter.sinceMs === undefined || r.timeMs >= filter.sinceMs)
      .filter(({ r }) => filter.untilMs === undefined || r.timeMs < filter.untilMs)
      .sort((a, b) => b.r.timeMs - a.r.timeMs || b.id - a.id)
      .map(({ r }) => r.requestId);
  }

  function all(filter: AuditFilter, limit: number): AuditRow[] {
    const out: AuditRow[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = queryAudit(db, filter, { limit, cursor });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      out.push(...page.items);
      if (page.nextCursor === undefined) return out;
      cursor = page.nextCursor;
    }
    throw new Error('no last page');
  }

  it('pages through 250 rows with limit 100: every row once, newest first, (time, id) descending', () => {
    const sizes: number[] = [];
    let cursor: string | undefined;
    const seen: AuditRow[] = [];
    do {
      const page = queryAudit(db, {}, { limit: 100, cursor });
      sizes.push(page.items.length);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(sizes).toEqual([100, 100, 50]);
    expect(seen.map((r) => r.requestId)).toEqual(expected({}));
    expect(new Set(seen.map((r) => r.id)).size).toBe(250);
  });

  it('a page that ends exactly at the last row has no next cursor', () => {
    const first = queryAudit(db, {}, { limit: 125 });
    const second = queryAudit(db, {}, { limit: 125, cursor: first.nextCursor });
    expect(second.items).toHaveLength(125);
    expect(second.nextCursor).toBeUndefined();
  });

  it('defaults to 100 rows', () => {
    expect(queryAudit(db).items).toHaveLength(100);
  });

  it('returns the columns and detail as an object', () => {
    const [row] = queryAudit(db, { principal: 'user-1' }, { limit: 1 }).items;
    const r = records[249]!;
    expect(row).toEqual({
      id: 250,
      timeMs: r.timeMs,
      requestId: 'req-249',
      action: r.action,
      outcome: r.outcome,
      status: 200,
      errorCode: undefined,
      principal: 'user-1',
      accessKeyId: 'AK4',
      bucket: 'b',
      key: 'k249',
      bytes: 249,
      clientAddress: undefined,
      detail: { access_key_id: 'AK4', n: 249 },
    });
  });

  const SINCE = T0 + 40_000;
  const UNTIL = T0 + 90_000;
  it.each<[string, AuditFilter]>([
    ['action prefix s3.proxy.', { actionPrefix: 's3.proxy.' }],
    ['action prefix admin.', { actionPrefix: 'admin.' }],
    ['exact action as prefix', { actionPrefix: 's3.proxy.PutObject' }],
    ['access key id', { accessKeyId: 'AK2' }],
    ['principal', { principal: 'user-3' }],
    ['outcome', { outcome: 'denied' }],
    ['since', { sinceMs: SINCE }],
    ['until', { untilMs: UNTIL }],
    ['time range', { sinceMs: SINCE, untilMs: UNTIL }],
    ['prefix + key', { actionPrefix: 's3.proxy.', accessKeyId: 'AK1' }],
    ['prefix + outcome', { actionPrefix: 's3.proxy.', outcome: 'error' }],
    ['key + principal + outcome', { accessKeyId: 'AK3', principal: 'user-2', outcome: 'success' }],
    ['everything', { actionPrefix: 's3.proxy.', accessKeyId: 'AK0', principal: 'user-0', outcome: 'success', sinceMs: SINCE, untilMs: UNTIL }],
    ['nothing matches', { principal: 'nobody' }],
  ])('filter by %s, paged by 7', (_name, filter) => {
    const want = expected(filter);
    expect(want.length === 0 || want.length < 250).toBe(true);
    expect(all(filter, 7).map((r) => r.requestId)).toEqual(want);
    expect(all(filter, 1000).map((r) => r.requestId)).toEqual(want);
  });

  it('an action prefix is literal: s3.proxy. does not match s3.proxyX or s3.proxy, % and _ are plain characters', () => {
    const actions = new Set(all({ actionPrefix: 's3.proxy.' }, 1000).map((r) => r.action));
    expect([...actions].sort()).toEqual(['s3.proxy.DeleteObject', 's3.proxy.GetObject', 's3.proxy.PutObject']);
    expect(all({ actionPrefix: 's3.proxy.%' }, 100)).toEqual([]);
    expect(all({ actionPrefix: 's3_proxy.' }, 100)).toEqual([]);
    expect(all({ actionPrefix: '%' }, 100)).toEqual([]);
  });

  it('an empty prefix is no filter', () => {
    expect(all({ actionPrefix: '' }, 1000)).toHaveLength(250);
  });

  it('a broad prefix (walks the time index) and a narrow one (action index) both page correctly', () => {
    // 240 of 250 rows start with s3.proxy. (broad); 4 are admin. (narrow).
    for (const filter of [{ actionPrefix: 's3.proxy.' }, { actionPrefix: 's3.proxy.', outcome: 'denied' as const }, { actionPrefix: 'admin.' }, { actionPrefix: 's3.' }]) {
      expect(all(filter, 10).map((r) => r.requestId)).toEqual(expected(filter));
    }
  });

  it('refuses a limit outside 1..1000, a forged cursor, an unknown outcome', () => {
    for (const limit of [0, 1001, 1.5, Number.NaN]) {
      expect(() => queryAudit(db, {}, { limit })).toThrow(AuditQueryError);
    }
    for (const cursor of ['', 'xyz', Buffer.from('1:2:3').toString('base64url'), Buffer.from('a:1').toString('base64url'), Buffer.from('1:-1').toString('base64url')]) {
      expect(() => queryAudit(db, {}, { cursor })).toThrow(expect.objectContaining({ code: 'InvalidCursor' }));
    }
    expect(() => queryAudit(db, { outcome: 'meh' as AuditOutcome })).toThrow(expect.objectContaining({ code: 'InvalidOutcome' }));
    expect(() => queryAudit(db, { sinceMs: Number.NaN })).toThrow(expect.objectContaining({ code: 'InvalidTimeRange' }));
  });
});

describe('cursor', () => {
  it('round-trips and is base64url of time:id', () => {
    const c = encodeCursor(T0, 42);
    expect(Buffer.from(c, 'base64url').toString()).toBe(`${T0}:42`);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual([T0, 42]);
  });
});

describe('successorOf', () => {
  it.each([
    ['s3.proxy.', 's3.proxy/'],
    ['a', 'b'],
    ['a\u{10FFFF}', 'b'],
    ['\u{10FFFF}', undefined],
    ['x\u{D7FF}', 'x\u{E000}'],
    ['x\u{1F600}', 'x\u{1F601}'],
    ['x\u{FFFF}', 'x\u{10000}'],
  ])('%j → %j', (prefix, next) => {
    expect(successorOf(prefix)).toBe(next);
  });
});
