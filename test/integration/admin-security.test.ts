/**
 * What the admin API must never leak (issue 3): a secret access key is returned once — in
 * the response that created it — and a password never; neither is in the data directory's
 * files (sealed / hashed at rest), the proxy's log lines or any later API response. Bearer
 * tokens are bound to the master key, and no response may be cached.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, type AdminClient, type AdminResponse, eventually, startStoreProxy, type StoreProxy } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';

const BUCKET = 'security-bucket';

let moto: MotoServer;
let proxy: StoreProxy;
let root: AdminClient;
const clients: S3Client[] = [];

/** Every secret and password handed out or typed during the test. */
const secrets: string[] = [];
const passwords: string[] = [ADMIN_PASSWORD];
/** Responses that legitimately carried a secret (the one time it is shown). */
const issuingResponses = new Set<AdminResponse>();
const accessKeyIds: string[] = [];
const userIds: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  proxy = await startStoreProxy(moto);
  root = await proxy.admin.login();

  const issued = (res: AdminResponse): { accessKeyId: string; secretAccessKey: string } => {
    expect(res.status, res.text).toBeLessThan(300);
    issuingResponses.add(res);
    const key = { accessKeyId: String(res.body.access_key_id), secretAccessKey: String(res.body.secret_access_key) };
    expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9/+]{40}$/);
    secrets.push(key.secretAccessKey);
    if (!accessKeyIds.includes(key.accessKeyId)) accessKeyIds.push(key.accessKeyId);
    return key;
  };
  const s3 = (key: { accessKeyId: string; secretAccessKey: string }) => {
    const c = new S3Client({ endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, credentials: key, maxAttempts: 1 });
    clients.push(c);
    return c;
  };

  // Minted keys, one rotated (both its secrets count), each used for S3 so the request logs have lines.
  const minted = issued(await root.post('/credentials', { description: 'minted one', scopes: [{ bucket: BUCKET, actions: ['*'] }] }));
  const second = issued(await root.post('/credentials', { description: 'minted two', scopes: [{ bucket: BUCKET, prefixes: ['two/'], actions: ['*'] }], expires_at: new Date(Date.now() + 3_600_000).toISOString() }));
  await s3(minted).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'one.txt', Body: 'one' }));
  const rotated = issued(await root.post(`/credentials/${minted.accessKeyId}/rotate`));
  await expect(s3(minted).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'one.txt' }))).rejects.toBeInstanceOf(S3ServiceException);
  await (await s3(rotated).send(new GetObjectCommand({ Bucket: BUCKET, Key: 'one.txt' }))).Body?.transformToString();
  await expect(s3(second).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'outside.txt', Body: 'x' }))).rejects.toBeInstanceOf(S3ServiceException);

  // Users with passwords, a password change, keys issued and re-issued, logins that work and fail.
  for (const [username, role] of [['sec-reader', 'Reader'], ['sec-writer', 'Writer'], ['sec-super', 'SuperUser']] as const) {
    const password = `${username} password ${Math.random().toString(36).slice(2)}`;
    passwords.push(password);
    const res = await root.post('/users', { username, password, role });
    expect(res.status, res.text).toBe(201);
    userIds.push(String(res.body.id));
    await proxy.admin.login(username, password);
    issued(await root.post(`/users/${String(res.body.id)}/credentials`));
  }
  const newPassword = `changed password ${Math.random().toString(36).slice(2)}`;
  passwords.push(newPassword);
  expect((await root.patch(`/users/${userIds[0]}`, { password: newPassword })).status).toBe(200);
  await proxy.admin.login('sec-reader', newPassword);
  const writerKey = issued(await root.post(`/users/${userIds[1]}/credentials`));
  await s3(writerKey).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'by-writer.txt', Body: 'w' }));
  const wrongPassword = `a wrong guess ${Math.random().toString(36).slice(2)}`;
  passwords.push(wrongPassword);
  expect((await proxy.admin.post('/login', { username: 'sec-writer', password: wrongPassword })).status).toBe(401);

  // Everything above is in the audit table before the files are read.
  await eventually(async () => {
    const page = await root.get<{ items: { action: string }[] }>('/audit?action=admin.session.login&outcome=denied');
    expect(page.body.items.length).toBeGreaterThan(0);
  }, 2_000);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.stop();
  await moto?.stop();
});

/** The forms a secret could be written in by mistake: as is, base64, base64url, hex, UTF-16. */
function encodings(value: string): { name: string; bytes: Buffer }[] {
  const utf8 = Buffer.from(value, 'utf8');
  return [
    { name: 'utf8', bytes: utf8 },
    { name: 'base64', bytes: Buffer.from(utf8.toString('base64')) },
    { name: 'base64url', bytes: Buffer.from(utf8.toString('base64url')) },
    { name: 'hex', bytes: Buffer.from(utf8.toString('hex')) },
    { name: 'HEX', bytes: Buffer.from(utf8.toString('hex').toUpperCase()) },
    { name: 'utf16le', bytes: Buffer.from(value, 'utf16le') },
  ];
}

/** Which of `values` appear in `haystack`, in which encoding. */
function leaks(haystack: Buffer | string, values: readonly string[]): string[] {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  return values.flatMap((value) => encodings(value).filter((e) => bytes.includes(e.bytes)).map((e) => `${value.slice(0, 6)}… as ${e.name}`));
}

describe('a secret is shown once, a password never', () => {
  it('the test handed out secrets and passwords (the scans below are not vacuous)', () => {
    expect(secrets.length).toBe(7);
    expect(new Set(secrets).size).toBe(secrets.length);
    expect(passwords.length).toBe(6);
  });

  it('the data directory holds no secret or password in any encoding (master.key aside), live and after a restart', async () => {
    const scan = () => {
      const files = readdirSync(proxy.dir).filter((f) => f !== 'master.key');
      expect(files).toContain('s3gate.db');
      const bytes = Buffer.concat(files.map((f) => readFileSync(join(proxy.dir, f))));
      // Control: the scan reads the real rows (ids and usernames are stored in clear).
      for (const id of accessKeyIds) expect(bytes.includes(Buffer.from(id)), id).toBe(true);
      expect(bytes.includes(Buffer.from('sec-writer'))).toBe(true);
      expect(leaks(bytes, [...secrets, ...passwords])).toEqual([]);
    };
    scan(); // the database and its -wal/-shm as they are while serving
    const logLines = proxy.logLines;
    await proxy.stop(); // flushed and checkpointed: what is at rest for good
    scan();
    proxy = await startStoreProxy(moto, { dataDir: proxy.dir });
    proxy.logLines.unshift(...logLines);
    root = await proxy.admin.login();
  });

  it('no log line holds a secret or a password', () => {
    expect(proxy.logLines.length).toBeGreaterThan(0);
    expect(leaks(proxy.logLines.join('\n'), [...secrets, ...passwords])).toEqual([]);
  });

  it('every later response — keys, users, their keys, the whole audit trail — holds none', async () => {
    const responses: AdminResponse[] = [await root.get('/credentials'), await root.get('/users'), await root.get('/me')];
    const listed = (responses[0]!.body as { credentials: { access_key_id: string }[] }).credentials.map((c) => c.access_key_id);
    expect(listed.length).toBeGreaterThanOrEqual(5);
    for (const id of listed) responses.push(await root.get(`/credentials/${id}`));
    for (const id of userIds) responses.push(await root.get(`/users/${id}`), await root.get(`/users/${id}/credentials`));
    let cursor: string | null = null;
    let auditRows = 0;
    do {
      const page: AdminResponse<{ items: unknown[]; next_cursor: string | null }> = await root.get(`/audit?limit=5${cursor === null ? '' : `&cursor=${cursor}`}`);
      responses.push(page as AdminResponse);
      auditRows += page.body.items.length;
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(auditRows).toBeGreaterThan(20);
    for (const res of responses) {
      expect(res.status, res.text).toBe(200);
      expect(leaks(res.text, [...secrets, ...passwords]), res.text.slice(0, 200)).toEqual([]);
      expect(res.text).not.toContain('secret_access_key');
      expect(res.text).not.toMatch(/password_hash|scrypt/);
    }
    // The issuing responses did carry them: exactly once each.
    for (const s of secrets) expect([...issuingResponses].filter((r) => r.text.includes(s))).toHaveLength(1);
  });
});

describe('bearer tokens', () => {
  it("a token signed under one master key is refused by a server with another (same database, same user)", async () => {
    // A store with users only (no sealed secrets) can be opened under any master key.
    const a = await startStoreProxy(moto);
    const b = await startStoreProxy(moto, { dataDir: a.dir, env: { S3GATE_MASTER_KEY: 'b2'.repeat(32) } });
    try {
      const tokenA = await a.admin.login();
      const tokenB = await b.admin.login();
      expect((await tokenA.get('/me')).body.id).toBe((await tokenB.get('/me')).body.id);
      expect((await b.admin.as(tokenA.token).get('/me')).status).toBe(401);
      expect((await a.admin.as(tokenB.token).get('/me')).status).toBe(401);
      expect((await tokenA.get('/me')).status).toBe(200);
      expect((await tokenB.get('/me')).status).toBe(200);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe('caching', () => {
  it('every response says cache-control: no-store (tokens, secrets, errors)', async () => {
    const login = await proxy.admin.post('/login', { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    const responses: AdminResponse[] = [
      login,
      await root.post('/credentials', { description: 'cache check', scopes: [{ bucket: BUCKET, actions: ['get_object'] }] }),
      await root.get('/credentials'),
      await root.get('/audit?limit=1'),
      await root.get('/openapi.json'),
      await root.get('/health'),
      await proxy.admin.get('/me'),
      await root.get('/credentials/SGAKNOSUCHKEY0000000'),
      await root.get('/no/such/route'),
      await root.post('/credentials', { description: 'bad', scopes: [] }),
    ];
    issuingResponses.add(responses[1]!);
    for (const res of responses) expect(res.headers.get('cache-control'), `${res.status} ${res.text.slice(0, 80)}`).toBe('no-store');
  });
});
