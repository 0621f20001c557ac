/**
 * The audit trail end to end (issue 3): S3 requests through a real s3gate in front of moto
 * and admin API calls each leave the row they should — matched by request id (the S3
 * `x-amz-request-id`, the admin `x-request-id`) — and GET /admin/api/audit filters and pages
 * over them. Rows are batched off the request path, so every check polls for at most ~1 s.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_USERNAME, type AdminClient, eventually, startStoreProxy, type StoreProxy } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const BUCKET = 'audit-trail';
/** How long a batched row may take to become visible. */
const ROW_DEADLINE_MS = 1_000;

interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

interface AuditItem {
  id: number;
  time: string;
  request_id: string;
  action: string;
  outcome: string;
  status: number | null;
  error_code: string | null;
  principal: string | null;
  access_key_id: string | null;
  bucket: string | null;
  key: string | null;
  detail: Record<string, unknown>;
}

interface AuditPage {
  items: AuditItem[];
  next_cursor: string | null;
}

let moto: MotoServer;
let sampledNone: StoreProxy;
let sampledAll: StoreProxy;
let root: AdminClient;
let rootAll: AdminClient;
const clients: S3Client[] = [];

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  [sampledNone, sampledAll] = await Promise.all([
    startStoreProxy(moto), // [audit] read_sample_rate defaults to 0
    startStoreProxy(moto, { extraToml: '[audit]\nread_sample_rate = 1\n' }),
  ]);
  root = await sampledNone.admin.login();
  rootAll = await sampledAll.admin.login();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all([sampledNone?.stop(), sampledAll?.stop()]);
  await moto?.stop();
});

function s3(proxy: StoreProxy, key: Key): S3Client {
  const client = new S3Client({ endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, credentials: key, maxAttempts: 1 });
  clients.push(client);
  return client;
}

async function mint(admin: AdminClient, scopes: unknown[]): Promise<Key> {
  const res = await admin.post('/credentials', { description: 'audited', scopes });
  expect(res.status, res.text).toBe(201);
  return { accessKeyId: String(res.body.access_key_id), secretAccessKey: String(res.body.secret_access_key) };
}

/** The S3 request id of a request, whether it succeeded or was refused. */
async function requestIdOf(promise: Promise<{ $metadata: { requestId?: string } }>): Promise<{ requestId: string; error?: string }> {
  try {
    const res = await promise;
    return { requestId: String(res.$metadata.requestId) };
  } catch (err) {
    if (err instanceof S3ServiceException) return { requestId: String(err.$metadata.requestId), error: err.name };
    throw err;
  }
}

async function auditPage(admin: AdminClient, query: string): Promise<AuditPage> {
  const res = await admin.get<AuditPage>(`/audit${query === '' ? '' : `?${query}`}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** Every row matching `query`, walking next_cursor. */
async function allRows(admin: AdminClient, query = '', limit = 1000): Promise<AuditItem[]> {
  const rows: AuditItem[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor !== null) params.set('cursor', cursor);
    const page = await auditPage(admin, params.toString());
    expect(page.items.length).toBeLessThanOrEqual(limit);
    rows.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return rows;
}

/** Waits (≤ ~1 s) until the request has exactly one row, and returns it. */
async function theRowOf(admin: AdminClient, requestId: string): Promise<AuditItem> {
  return eventually(async () => {
    const rows = (await allRows(admin)).filter((r) => r.request_id === requestId);
    expect(rows, `rows of request ${requestId}`).toHaveLength(1);
    return rows[0]!;
  }, ROW_DEADLINE_MS);
}

const put = (client: S3Client, key: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'audited body' }));
const getObject = async (client: S3Client, key: string) => {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  await res.Body?.transformToString();
  return res;
};

describe('S3 requests (read_sample_rate = 0)', () => {
  it('PutObject, DeleteObject and a denied request leave exactly one row each; a successful GetObject none', async () => {
    const key = await mint(root, [{ bucket: BUCKET, prefixes: ['in/'], actions: ['*'] }]);
    const client = s3(sampledNone, key);

    const putted = await requestIdOf(put(client, 'in/a.txt'));
    const got = await requestIdOf(getObject(client, 'in/a.txt'));
    const deleted = await requestIdOf(client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'in/a.txt' })));
    const denied = await requestIdOf(put(client, 'out/a.txt'));
    expect([putted.error, got.error, deleted.error, denied.error]).toEqual([undefined, undefined, undefined, 'AccessDenied']);

    expect(await theRowOf(root, putted.requestId)).toMatchObject({
      action: 's3.proxy.PutObject',
      outcome: 'success',
      status: 200,
      error_code: null,
      access_key_id: key.accessKeyId,
      principal: 'audited',
      bucket: BUCKET,
      key: 'in/a.txt',
      detail: { access_key_id: key.accessKeyId, method: 'PUT', s3_action: 'put_object', forwarded: true },
    });
    expect(await theRowOf(root, deleted.requestId)).toMatchObject({
      action: 's3.proxy.DeleteObject',
      outcome: 'success',
      status: 204,
      error_code: null,
      key: 'in/a.txt',
      detail: { access_key_id: key.accessKeyId, method: 'DELETE', s3_action: 'delete_object' },
    });
    expect(await theRowOf(root, denied.requestId)).toMatchObject({
      action: 's3.proxy.PutObject',
      outcome: 'denied',
      status: 403,
      error_code: 'AccessDenied',
      key: 'out/a.txt',
      detail: { access_key_id: key.accessKeyId, forwarded: false },
    });
    // The rows are flushed in order: once the later rows are visible, a GetObject row would be too.
    const rows = await allRows(root, `action=s3.proxy.&access_key_id=${key.accessKeyId}`);
    expect(rows.filter((r) => r.request_id === got.requestId)).toEqual([]);
    expect(rows.map((r) => r.action)).toEqual(['s3.proxy.PutObject', 's3.proxy.DeleteObject', 's3.proxy.PutObject']);
  });

  // A request refused while authenticating — a disabled or expired key, a wrong secret, an
  // unknown key id — is recorded against the key id it claimed and the operation it asked for.
  it('a request by a disabled key is recorded against that key and its operation', async () => {
    const key = await mint(root, [{ bucket: BUCKET, actions: ['*'] }]);
    expect((await root.patch(`/credentials/${key.accessKeyId}`, { enabled: false })).status).toBe(200);
    const refused = await requestIdOf(put(s3(sampledNone, key), 'in/disabled.txt'));
    expect(refused.error).toBe('AccessDenied');
    expect(await theRowOf(root, refused.requestId)).toMatchObject({
      action: 's3.proxy.PutObject',
      outcome: 'denied',
      error_code: 'AccessDenied',
      access_key_id: key.accessKeyId,
      detail: { access_key_id: key.accessKeyId },
    });
  });

  it('a request signed with a wrong secret is recorded against the key id it presented', async () => {
    const key = await mint(root, [{ bucket: BUCKET, actions: ['*'] }]);
    const refused = await requestIdOf(put(s3(sampledNone, { ...key, secretAccessKey: `${key.secretAccessKey.slice(1)}x` }), 'in/badsig.txt'));
    expect(refused.error).toBe('SignatureDoesNotMatch');
    expect(await theRowOf(root, refused.requestId)).toMatchObject({
      action: 's3.proxy.PutObject',
      outcome: 'denied',
      error_code: 'SignatureDoesNotMatch',
      detail: { access_key_id: key.accessKeyId },
    });
  });

  it('a request by a revoked (now unknown) key is recorded against the key id it presented', async () => {
    const key = await mint(root, [{ bucket: BUCKET, actions: ['*'] }]);
    expect((await root.delete(`/credentials/${key.accessKeyId}`)).status).toBe(204);
    const refused = await requestIdOf(getObject(s3(sampledNone, key), 'in/gone.txt'));
    expect(refused.error).toBe('InvalidAccessKeyId');
    expect(await theRowOf(root, refused.requestId)).toMatchObject({
      outcome: 'denied',
      status: 403,
      error_code: 'InvalidAccessKeyId',
      bucket: BUCKET,
      key: 'in/gone.txt',
      action: 's3.proxy.GetObject',
      access_key_id: key.accessKeyId,
      detail: { access_key_id: key.accessKeyId },
    });
  });
});

describe('S3 requests (read_sample_rate = 1)', () => {
  it('one GetObject leaves exactly one row', async () => {
    const key = await mint(rootAll, [{ bucket: BUCKET, prefixes: ['sampled/'], actions: ['*'] }]);
    const client = s3(sampledAll, key);
    await put(client, 'sampled/a.txt');
    const got = await requestIdOf(getObject(client, 'sampled/a.txt'));
    expect(got.error).toBeUndefined();
    expect(await theRowOf(rootAll, got.requestId)).toMatchObject({
      action: 's3.proxy.GetObject',
      outcome: 'success',
      status: 200,
      access_key_id: key.accessKeyId,
      key: 'sampled/a.txt',
      detail: { access_key_id: key.accessKeyId, method: 'GET', s3_action: 'get_object' },
    });
    const rows = await allRows(rootAll, `action=s3.proxy.&access_key_id=${key.accessKeyId}`);
    expect(rows.map((r) => r.action)).toEqual(['s3.proxy.GetObject', 's3.proxy.PutObject']);
  });
});

describe('admin actions', () => {
  it('create, rotate, disable, revoke, user create/deactivate, key issue and a failed login each leave their row', async () => {
    const requestIdOfAdmin = (res: { headers: Headers }) => String(res.headers.get('x-request-id'));
    const created = await root.post('/credentials', { description: 'admin-audited', scopes: [{ bucket: BUCKET, actions: ['get_object'] }] });
    const id = String(created.body.access_key_id);
    const secret = String(created.body.secret_access_key);
    const rotated = await root.post(`/credentials/${id}/rotate`);
    const disabled = await root.patch(`/credentials/${id}`, { enabled: false });
    const revoked = await root.delete(`/credentials/${id}`);
    const userCreated = await root.post('/users', { username: 'audited-user', password: 'audited-user-password', role: 'Reader' });
    const userId = String(userCreated.body.id);
    const issued = await root.post(`/users/${userId}/credentials`);
    const deactivated = await root.patch(`/users/${userId}`, { is_active: false });
    const failedLogin = await sampledNone.admin.post('/login', { username: ADMIN_USERNAME, password: 'not the password' });
    expect([created, rotated, disabled, revoked, userCreated, issued, deactivated, failedLogin].map((r) => r.status)).toEqual([201, 200, 200, 204, 201, 201, 200, 401]);

    const expected: [{ headers: Headers }, Partial<AuditItem>][] = [
      [created, { action: 'admin.credential.create', outcome: 'success', status: 201, access_key_id: id }],
      [rotated, { action: 'admin.credential.rotate', outcome: 'success', access_key_id: id }],
      [disabled, { action: 'admin.credential.disable', outcome: 'success', access_key_id: id }],
      [revoked, { action: 'admin.credential.revoke', outcome: 'success', status: 204, access_key_id: id }],
      [userCreated, { action: 'admin.user.create', outcome: 'success', status: 201 }],
      [issued, { action: 'admin.user_credential.issue', outcome: 'success', access_key_id: String(issued.body.access_key_id) }],
      [deactivated, { action: 'admin.user.deactivate', outcome: 'success' }],
      [failedLogin, { action: 'admin.session.login', outcome: 'denied', status: 401, error_code: 'InvalidCredentials', principal: `user:${ADMIN_USERNAME}` }],
    ];
    for (const [res, row] of expected) {
      const found = await theRowOf(root, requestIdOfAdmin(res));
      expect(found).toMatchObject(row);
      if (row.outcome === 'success') expect(found.principal).toBe(`user:${ADMIN_USERNAME}`);
    }
    expect((await theRowOf(root, requestIdOfAdmin(userCreated))).detail).toMatchObject({ user_id: userId, username: 'audited-user', role: 'Reader' });
    const text = JSON.stringify(await allRows(root));
    for (const s of [secret, String(rotated.body.secret_access_key), String(issued.body.secret_access_key), 'audited-user-password', 'not the password']) {
      expect(text).not.toContain(s);
    }
  });
});

describe('GET /admin/api/audit', () => {
  let all: AuditItem[];

  beforeAll(async () => {
    // A varied trail of its own on the sampled-all proxy: successes, denials, admin rows.
    const a = await mint(rootAll, [{ bucket: BUCKET, prefixes: ['filter-a/'], actions: ['*'] }]);
    const b = await mint(rootAll, [{ bucket: BUCKET, prefixes: ['filter-b/'], actions: ['get_object'] }]);
    const ca = s3(sampledAll, a);
    const cb = s3(sampledAll, b);
    for (let i = 0; i < 4; i++) {
      await put(ca, `filter-a/${i}.txt`);
      await requestIdOf(put(cb, `filter-b/${i}.txt`)); // denied
    }
    const last = await requestIdOf(getObject(ca, 'filter-a/3.txt'));
    await theRowOf(rootAll, last.requestId);
    all = await allRows(rootAll);
    expect(all.length).toBeGreaterThanOrEqual(15);
  });

  const clientSide: [string, string, (r: AuditItem) => boolean][] = [
    ['action prefix s3.proxy.', 'action=s3.proxy.', (r) => r.action.startsWith('s3.proxy.')],
    ['action prefix admin.credential.', 'action=admin.credential.', (r) => r.action.startsWith('admin.credential.')],
    ['action prefix admin.', 'action=admin.', (r) => r.action.startsWith('admin.')],
    ['outcome denied', 'outcome=denied', (r) => r.outcome === 'denied'],
    ['outcome success', 'outcome=success', (r) => r.outcome === 'success'],
    ['principal user:root', `principal=${encodeURIComponent(`user:${ADMIN_USERNAME}`)}`, (r) => r.principal === `user:${ADMIN_USERNAME}`],
    ['principal audited', 'principal=audited', (r) => r.principal === 'audited'],
  ];

  it.each(clientSide)('filter %s returns exactly the matching rows, newest first', async (_name, query, match) => {
    const expected = all.filter(match);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    const got = await allRows(rootAll, query);
    expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  });

  it('filters by access_key_id, combined with outcome and action', async () => {
    const keyed = all.filter((r) => r.access_key_id !== null && r.action.startsWith('s3.proxy.'));
    const id = keyed.find((r) => r.outcome === 'denied')!.access_key_id!;
    expect((await allRows(rootAll, `access_key_id=${id}`)).map((r) => r.id)).toEqual(all.filter((r) => r.access_key_id === id).map((r) => r.id));
    const combined = await allRows(rootAll, `access_key_id=${id}&outcome=denied&action=s3.proxy.PutObject`);
    expect(combined.length).toBe(4);
    expect(combined.every((r) => r.access_key_id === id && r.outcome === 'denied' && r.action === 's3.proxy.PutObject')).toBe(true);
  });

  it('since is inclusive and until exclusive', async () => {
    const times = [...new Set(all.map((r) => r.time))].sort();
    const since = times[Math.floor(times.length / 3)]!;
    const until = times[Math.floor((2 * times.length) / 3)]!;
    const got = await allRows(rootAll, `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`);
    const expected = all.filter((r) => r.time >= since && r.time < until);
    expect(expected.length).toBeGreaterThan(0);
    expect(got.map((r) => r.id)).toEqual(expected.map((r) => r.id));
    expect((await allRows(rootAll, `since=${encodeURIComponent(since)}`)).map((r) => r.id)).toEqual(all.filter((r) => r.time >= since).map((r) => r.id));
  });

  it('pages with limit and next_cursor visit every row exactly once, in order', async () => {
    const pages: number[] = [];
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: AuditPage = await auditPage(rootAll, `limit=4${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      pages.push(page.items.length);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor !== null && pages.length < 1000);
    // Rows written after `all` was read (these queries are not audited) would come first.
    expect(seen.slice(-all.length)).toEqual(all.map((r) => r.id));
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages.slice(0, -1).every((n) => n === 4)).toBe(true);
    expect(pages.at(-1)).toBeGreaterThan(0);
  });

  it.each([
    ['a bad cursor', 'cursor=not-a-cursor', 'cursor'],
    ['a forged cursor', `cursor=${Buffer.from('x:1').toString('base64url')}`, 'cursor'],
    ['limit 0', 'limit=0', 'limit'],
    ['limit 1001', 'limit=1001', 'limit'],
    ['a non-numeric limit', 'limit=ten', 'limit'],
    ['outcome bogus', 'outcome=bogus', 'outcome'],
    ['since not a date', 'since=yesterday', 'since'],
    ['until without a time zone', 'until=2030-01-01T00:00:00', 'until'],
    ['a repeated limit', 'limit=1&limit=2', 'limit'],
  ])('%s → 400 naming the field', async (_name, query, field) => {
    const res = await rootAll.get(`/audit?${query}`);
    expect(res.status, res.text).toBe(400);
    const error = (res.body as { error: { code: string; field: string; message: string } }).error;
    expect(error).toMatchObject({ code: 'InvalidRequest', field });
    // The message says what was wrong with what was sent (not "expected number, got number").
    expect(error.message).not.toMatch(/expected (\w+), got \1\b/);
  });

  it('a non-numeric limit is quoted back', async () => {
    const res = await rootAll.get('/audit?limit=ten');
    expect((res.body as { error: { message: string } }).error.message).toContain('"ten"');
  });
});
