/**
 * Reading the audit trail: filters (action prefix, access key id, principal, outcome, time
 * range), newest first by (time, id), keyset pagination with an opaque cursor. An action prefix
 * is a range (`action >= p AND action < successor(p)`), not a LIKE, so `%` and `_` in it are
 * plain characters. One prepared statement per filter shape, kept.
 *
 * Without ANALYZE statistics SQLite always serves a prefix range from the (action, time) index
 * and sorts every match: fast for `admin.`, but O(table) per page for `s3.proxy.`, which
 * matches nearly every row. So when the prefix is the only indexed filter, a bounded count on
 * that index (at most ~√(limit·rows/10) entries) picks the plan: few matches → the action
 * index; many → walk the time index newest first and filter (`+action` keeps SQLite off the
 * action index), which stops after `limit` matches.
 * https://www.sqlite.org/rowvalue.html#scrolling_window_queries
 */
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from '../db/open-database.js';
import type { AuditOutcome } from './audit-record.js';

export interface AuditFilter {
  /** e.g. `s3.proxy.` or `admin.credential.`; matched literally. */
  readonly actionPrefix?: string | undefined;
  readonly accessKeyId?: string | undefined;
  readonly principal?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  /** Inclusive, epoch ms. */
  readonly sinceMs?: number | undefined;
  /** Exclusive, epoch ms. */
  readonly untilMs?: number | undefined;
}

export interface AuditPageRequest {
  /** 1..1000, default 100. */
  readonly limit?: number | undefined;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string | undefined;
}

export interface AuditRow {
  readonly id: number;
  readonly timeMs: number;
  readonly requestId: string;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly principal: string | undefined;
  readonly accessKeyId: string | undefined;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly bytes: number | undefined;
  readonly clientAddress: string | undefined;
  readonly detail: Record<string, unknown>;
}

export interface AuditPage {
  readonly items: AuditRow[];
  /** Absent on the last page. */
  readonly nextCursor: string | undefined;
}

/** A filter or page parameter that cannot be used (an admin API answers 400). */
export class AuditQueryError extends Error {
  readonly code: 'InvalidLimit' | 'InvalidCursor' | 'InvalidOutcome' | 'InvalidTimeRange';

  constructor(code: AuditQueryError['code'], message: string) {
    super(message);
    this.name = 'AuditQueryError';
    this.code = code;
  }
}

export const DEFAULT_AUDIT_PAGE_LIMIT = 100;
export const MAX_AUDIT_PAGE_LIMIT = 1000;

const OUTCOMES: ReadonlySet<string> = new Set(['success', 'denied', 'error']);
const COLUMNS = 'id, time, request_id, action, outcome, status, error_code, principal, access_key_id, bucket, key, bytes, client_address, detail';

interface DbRow {
  id: number;
  time: number;
  request_id: string;
  action: string;
  outcome: AuditOutcome;
  status: number | null;
  error_code: string | null;
  principal: string | null;
  access_key_id: string | null;
  bucket: string | null;
  key: string | null;
  bytes: number | null;
  client_address: string | null;
  detail: string;
}

const statements = new WeakMap<SqliteDatabase, Map<number, Statement<unknown[], DbRow>>>();

export function queryAudit(db: SqliteDatabase, filter: AuditFilter = {}, page: AuditPageRequest = {}): AuditPage {
  const limit = page.limit ?? DEFAULT_AUDIT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE_LIMIT) {
    throw new AuditQueryError('InvalidLimit', `limit must be an integer from 1 to ${MAX_AUDIT_PAGE_LIMIT}`);
  }
  if (filter.outcome !== undefined && !OUTCOMES.has(filter.outcome)) {
    throw new AuditQueryError('InvalidOutcome', 'outcome must be success, denied or error');
  }
  for (const [name, value] of [['sinceMs', filter.sinceMs], ['untilMs', filter.untilMs]] as const) {
    if (value !== undefined && !Number.isFinite(value)) throw new AuditQueryError('InvalidTimeRange', `${name} must be a number of epoch milliseconds`);
  }

  // The shape: one bit per condition present; its statement is prepared once per database.
  let shape = 0;
  const params: (string | number)[] = [];
  const prefix = filter.actionPrefix ?? '';
  if (prefix !== '') {
    shape |= 1;
    params.push(prefix);
    const upper = successorOf(prefix);
    if (upper !== undefined) {
      shape |= 2;
      params.push(upper);
    }
    const otherIndexed = filter.accessKeyId !== undefined || filter.principal !== undefined || filter.sinceMs !== undefined || filter.untilMs !== undefined;
    if (!otherIndexed && prefixIsBroad(db, prefix, upper, limit)) shape |= 256;
  }
  if (filter.accessKeyId !== undefined) {
    shape |= 4;
    params.push(filter.accessKeyId);
  }
  if (filter.principal !== undefined) {
    shape |= 8;
    params.push(filter.principal);
  }
  if (filter.outcome !== undefined) {
    shape |= 16;
    params.push(filter.outcome);
  }
  if (filter.sinceMs !== undefined) {
    shape |= 32;
    params.push(filter.sinceMs);
  }
  if (filter.untilMs !== undefined) {
    shape |= 64;
    params.push(filter.untilMs);
  }
  if (page.cursor !== undefined) {
    shape |= 128;
    const [timeMs, id] = decodeCursor(page.cursor);
    params.push(timeMs, id);
  }
  params.push(limit + 1);

  const rows = statementFor(db, shape).all(params);
  const more = rows.length > limit;
  if (more) rows.length = limit;
  const items = rows.map(toAuditRow);
  const last = items[items.length - 1];
  return { items, nextCursor: more && last !== undefined ? encodeCursor(last.timeMs, last.id) : undefined };
}

function statementFor(db: SqliteDatabase, shape: number): Statement<unknown[], DbRow> {
  let byShape = statements.get(db);
  if (byShape === undefined) {
    byShape = new Map();
    statements.set(db, byShape);
  }
  let statement = byShape.get(shape);
  if (statement === undefined) {
    const where: string[] = [];
    const action = shape & 256 ? '+action' : 'action';
    if (shape & 1) where.push(`${action} >= ?`);
    if (shape & 2) where.push(`${action} < ?`);
    if (shape & 4) where.push('access_key_id = ?');
    if (shape & 8) where.push('principal = ?');
    if (shape & 16) where.push('outcome = ?');
    if (shape & 32) where.push('time >= ?');
    if (shape & 64) where.push('time < ?');
    if (shape & 128) where.push('(time, id) < (?, ?)');
    const sql = `SELECT ${COLUMNS} FROM audit${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, id DESC LIMIT ?`;
    statement = db.prepare<unknown[], DbRow>(sql);
    byShape.set(shape, statement);
  }
  return statement;
}

/** Fewest prefix matches for which walking the time index beats sorting the matches. */
const MIN_BROAD_MATCHES = 100;
const MAX_BROAD_MATCHES = 100_000;

/**
 * Whether the prefix matches so many rows that a newest-first walk of the time index finds a
 * page sooner than sorting the matches. Sorting costs ≈ 3 µs a match, walking ≈ 0.3 µs a row
 * read (about limit·rows/matches of them), so the break-even is √(limit·rows/10) matches.
 */
function prefixIsBroad(db: SqliteDatabase, prefix: string, upper: string | undefined, limit: number): boolean {
  const probes = probesFor(db);
  const rows = (probes.size.get() as { n: number }).n;
  const threshold = Math.min(MAX_BROAD_MATCHES, Math.max(MIN_BROAD_MATCHES, Math.ceil(Math.sqrt((limit * rows) / 10))));
  const matches = upper === undefined ? probes.countOpen.get(prefix, threshold) : probes.count.get(prefix, upper, threshold);
  return (matches as { n: number }).n >= threshold;
}

interface Probes {
  readonly size: Statement<unknown[]>;
  readonly count: Statement<unknown[]>;
  readonly countOpen: Statement<unknown[]>;
}

const probeStatements = new WeakMap<SqliteDatabase, Probes>();

function probesFor(db: SqliteDatabase): Probes {
  let probes = probeStatements.get(db);
  if (probes === undefined) {
    probes = {
      // Two index seeks: the id span approximates the row count (ids only grow; pruning takes the oldest).
      size: db.prepare('SELECT coalesce((SELECT max(id) FROM audit) - (SELECT min(id) FROM audit) + 1, 0) AS n'),
      count: db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM audit WHERE action >= ? AND action < ? LIMIT ?)'),
      countOpen: db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM audit WHERE action >= ? LIMIT ?)'),
    };
    probeStatements.set(db, probes);
  }
  return probes;
}

/**
 * The smallest string greater than every string starting with `prefix`, in SQLite's BINARY
 * order (UTF-8 bytes = code point order): the last code point plus one. undefined when there
 * is none (the prefix is all U+10FFFF).
 */
export function successorOf(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Surrogates are not scalar values (not encodable in UTF-8): skip over them.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

export function encodeCursor(timeMs: number, id: number): string {
  return Buffer.from(`${timeMs}:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): [timeMs: number, id: number] {
  const match = /^(-?\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const timeMs = Number(match?.[1]);
  const id = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(timeMs) || !Number.isSafeInteger(id)) {
    throw new AuditQueryError('InvalidCursor', 'cursor is not one this server returned');
  }
  return [timeMs, id];
}

function toAuditRow(row: DbRow): AuditRow {
  return {
    id: row.id,
    timeMs: row.time,
    requestId: row.request_id,
    action: row.action,
    outcome: row.outcome,
    status: row.status ?? undefined,
    errorCode: row.error_code ?? undefined,
    principal: row.principal ?? undefined,
    accessKeyId: row.access_key_id ?? undefined,
    bucket: row.bucket ?? undefined,
    key: row.key ?? undefined,
    bytes: row.bytes ?? undefined,
    clientAddress: row.client_address ?? undefined,
    detail: parseDetail(row.detail),
  };
}

function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through: a row written by hand, not by the sink
  }
  return { unparsed: text };
}
