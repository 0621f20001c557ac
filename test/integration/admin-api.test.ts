/**
 * The admin API end to end (issue 3): a real s3gate with the SQLite store and the admin
 * listener in front of a signature-checking moto, driven over real sockets — the admin API
 * with fetch, S3 with @aws-sdk/client-s3. Each test proves a key or a user change by what the
 * proxy answers on the very next S3 request.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenSigner } from '../../src/admin/admin-tokens.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, type AdminClient, type AdminResponse, eventually as eventuallyRows, startStoreProxy, type StoreProxy, TEST_MASTER_KEY } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml } from '../support/proxy.js';

const ALPHA = 'api-alpha';
const BETA = 'api-beta';
const TOML_KEY = { accessKeyId: 'SGTOMLADMINAPI000001', secretAccessKey: 'toml-secret-000000000000000000000000000' };
/** proxy.toml allows access key ids of up to 128 characters. */
const LONG_TOML_KEY = { accessKeyId: `SGLONG${'K'.repeat(122)}`, secretAccessKey: 'long-toml-secret-0000000000000000000000' };

interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

let moto: MotoServer;
let proxy: StoreProxy;
let root: AdminClient;
const clients: S3Client[] = [];

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of [ALPHA, BETA]) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
  proxy = await startStoreProxy(moto, {
    extraToml: [
      credentialToml(TOML_KEY, [{ bucket: ALPHA, actions: ['*'] }], { principal: 'toml-service' }),
      credentialToml(LONG_TOML_KEY, [{ bucket: ALPHA, actions: ['get_object'] }], { principal: 'long-id-service' }),
    ].join('\n'),
  });
  root = await proxy.admin.login();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.stop();
  await moto?.stop();
});

function s3(key: Key): S3Client {
  const client = new S3Client({ endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, credentials: key, maxAttempts: 1 });
  clients.push(client);
  return client;
}

/** The S3 error a request ended with (fails the test if it succeeded or failed otherwise). */
async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  throw new Error('expected the S3 request to be refused');
}

const put = (client: S3Client, bucket: string, key: string, body = 'x') => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
async function get(client: S3Client, bucket: string, key: string): Promise<string> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await res.Body?.transformToString()) ?? '';
}
const listKeys = async (client: S3Client, bucket: string, prefix?: string) =>
  ((await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(prefix === undefined ? {} : { Prefix: prefix }) }))).Contents ?? []).map((o) => o.Key);

function keyOf(res: AdminResponse): Key {
  expect(res.status, res.text).toBeLessThan(300);
  const accessKeyId = res.body.access_key_id;
  const secretAccessKey = res.body.secret_access_key;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string') throw new Error(`no key in ${res.text}`);
  return { accessKeyId, secretAccessKey };
}

async function mint(scopes: unknown[], extra: Record<string, unknown> = {}): Promise<Key> {
  return keyOf(await root.post('/credentials', { description: 'test key', scopes, ...extra }));
}

let userCounter = 0;
async function createUser(role: string, scopes: unknown[] = []): Promise<{ id: string; username: string; password: string }> {
  const username = `${role.toLowerCase()}-${++userCounter}`;
  const password = `pw-${username}-long-enough`;
  const res = await root.post('/users', { username, password, role, scopes });
  expect(res.status, res.text).toBe(201);
  return { id: String(res.body.id), username, password };
}

function errorOf(res: AdminResponse): { code: string; message: string; field?: string } {
  return (res.body as { error: { code: string; message: string; field?: string } }).error;
}

describe('login', () => {
  it('returns a bearer token that /me accepts; no token or a garbage token is 401', async () => {
    const res = await proxy.admin.post('/login', { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', user: { username: ADMIN_USERNAME, role: 'SuperUser', is_active: true } });
    expect(typeof res.body.token).toBe('string');
    expect(Date.parse(String(res.body.expires_at))).toBeGreaterThan(Date.now());
    const me = await proxy.admin.as(String(res.body.token)).get('/me');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(ADMIN_USERNAME);
    expect((await proxy.admin.get('/me')).status).toBe(401);
    expect((await proxy.admin.as('not-a-token').get('/me')).status).toBe(401);
  });

  it('answers an unknown user and a wrong password alike: 401 with one message', async () => {
    const unknown = await proxy.admin.post('/login', { username: 'nobody-here', password: 'whatever-password' });
    const wrong = await proxy.admin.post('/login', { username: ADMIN_USERNAME, password: 'wrong password!!' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(errorOf(unknown).code).toBe('InvalidCredentials');
    expect(errorOf(wrong).code).toBe(errorOf(unknown).code);
    expect(errorOf(wrong).message).toBe(errorOf(unknown).message);
    expect(unknown.body.token).toBeUndefined();
  });

  it('locks a username out after 5 wrong passwords: 429 with Retry-After, even for the right password', async () => {
    const user = await createUser('Reader');
    for (let i = 0; i < 5; i++) {
      const res = await proxy.admin.post('/login', { username: user.username, password: `wrong-password-${i}` });
      expect(res.status, `attempt ${i + 1}`).toBe(401);
    }
    const locked = await proxy.admin.post('/login', { username: user.username, password: user.password });
    expect(locked.status).toBe(429);
    expect(errorOf(locked).code).toBe('TooManyRequests');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(locked.body.token).toBeUndefined();
    expect((await proxy.admin.post('/login', { username: user.username, password: user.password })).status).toBe(429);
    // Only that username is locked: the administrator still logs in from the same address.
    expect((await proxy.admin.post('/login', { username: ADMIN_USERNAME, password: ADMIN_PASSWORD })).status).toBe(200);
  });
});

describe('before the body', () => {
  it('checks the token before reading the body: a caller without one gets 401, not a 400/415 about the body', async () => {
    const malformed = await proxy.admin.request('POST', '/credentials', undefined, '{"description": ');
    expect(malformed.status).toBe(401);
    const wrongType = await proxy.admin.request('POST', '/credentials', undefined, 'hello', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(401);
    expect(errorOf(wrongType).code).toBe('Unauthorized');
  });

  it('does not write a login name that is no user into the audit trail (people type passwords there)', async () => {
    const typed = 'my-secret-password-typed-here';
    expect((await proxy.admin.post('/login', { username: typed, password: 'whatever-password' })).status).toBe(401);
    const rows = await eventuallyRows(async () => {
      const res = await root.get('/audit?action=admin.session.login&principal=user:(unknown)');
      const items = (res.body.items as Array<Record<string, unknown>>) ?? [];
      if (items.length === 0) throw new Error('no row yet');
      return res;
    });
    expect(rows.text).not.toContain(typed);
  });
});

describe('minted keys', () => {
  it('work inside their scope and are refused outside it; ListBuckets shows only scoped buckets', async () => {
    const key = await mint([{ bucket: ALPHA, prefixes: ['team/'], actions: ['*'] }]);
    const client = s3(key);
    await put(client, ALPHA, 'team/a.txt', 'hello');
    expect(await get(client, ALPHA, 'team/a.txt')).toBe('hello');
    expect(await listKeys(client, ALPHA, 'team/')).toEqual(['team/a.txt']);
    expect(await s3Error(put(client, ALPHA, 'other/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(put(client, ALPHA, 'team-private/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(put(client, BETA, 'team/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(get(client, BETA, 'team/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    const buckets = (await client.send(new ListBucketsCommand({}))).Buckets ?? [];
    expect(buckets.map((b) => b.Name)).toEqual([ALPHA]);
  });

  it('lists proxy.toml keys read-only (no secret) and refuses to change them with 409 ReadOnlyCredential', async () => {
    const list = await root.get<{ credentials: Record<string, unknown>[] }>('/credentials');
    expect(list.status).toBe(200);
    const toml = list.body.credentials.find((c) => c.access_key_id === TOML_KEY.accessKeyId);
    expect(toml).toMatchObject({ source: 'toml', read_only: true, description: 'toml-service', created_by: 'proxy.toml' });
    expect(toml).not.toHaveProperty('secret_access_key');
    expect(list.text).not.toContain(TOML_KEY.secretAccessKey);
    expect((await root.get(`/credentials/${TOML_KEY.accessKeyId}`)).body).toMatchObject({ source: 'toml', read_only: true });
    const long = await root.get(`/credentials/${LONG_TOML_KEY.accessKeyId}`);
    expect(long.status, long.text).toBe(200);
    expect(long.body).toMatchObject({ access_key_id: LONG_TOML_KEY.accessKeyId, source: 'toml', read_only: true });
    expect((await root.delete(`/credentials/${LONG_TOML_KEY.accessKeyId}`)).status).toBe(409);

    const attempts = [
      await root.patch(`/credentials/${TOML_KEY.accessKeyId}`, { enabled: false }),
      await root.delete(`/credentials/${TOML_KEY.accessKeyId}`),
      await root.post(`/credentials/${TOML_KEY.accessKeyId}/rotate`),
    ];
    for (const res of attempts) {
      expect(res.status, res.text).toBe(409);
      expect(errorOf(res).code).toBe('ReadOnlyCredential');
    }
    // Still in force, unchanged.
    await put(s3(TOML_KEY), ALPHA, 'toml/still-works.txt');
  });

  it('disable → the next request is refused with AccessDenied; enable → it works again', async () => {
    const key = await mint([{ bucket: ALPHA, actions: ['*'] }]);
    const client = s3(key);
    await put(client, ALPHA, 'toggle/a.txt');
    const off = await root.patch(`/credentials/${key.accessKeyId}`, { enabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect(await s3Error(get(client, ALPHA, 'toggle/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect((await root.get(`/credentials/${key.accessKeyId}`)).body.enabled).toBe(false);
    const on = await root.patch(`/credentials/${key.accessKeyId}`, { enabled: true });
    expect(on.body.enabled).toBe(true);
    expect(await get(client, ALPHA, 'toggle/a.txt')).toBe('x');
  });

  it('revoke → the very next request is refused with InvalidAccessKeyId', async () => {
    const key = await mint([{ bucket: ALPHA, actions: ['*'] }]);
    const client = s3(key);
    await put(client, ALPHA, 'revoke/a.txt');
    expect((await root.delete(`/credentials/${key.accessKeyId}`)).status).toBe(204);
    expect(await s3Error(get(client, ALPHA, 'revoke/a.txt'))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect((await root.get(`/credentials/${key.accessKeyId}`)).status).toBe(404);
    expect((await root.delete(`/credentials/${key.accessKeyId}`)).status).toBe(404);
  });

  it('rotate → same access key id, the old secret gets SignatureDoesNotMatch, the new one works', async () => {
    const old = await mint([{ bucket: ALPHA, actions: ['*'] }]);
    await put(s3(old), ALPHA, 'rotate/a.txt', 'before');
    const rotated = keyOf(await root.post(`/credentials/${old.accessKeyId}/rotate`));
    expect(rotated.accessKeyId).toBe(old.accessKeyId);
    expect(rotated.secretAccessKey).not.toBe(old.secretAccessKey);
    expect(await s3Error(get(s3(old), ALPHA, 'rotate/a.txt'))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await get(s3(rotated), ALPHA, 'rotate/a.txt')).toBe('before');
  });

  it('expires_at a moment ahead: works until then, refused with ExpiredToken after', async () => {
    const expiresAtMs = Date.now() + 1_500;
    const key = await mint([{ bucket: ALPHA, actions: ['*'] }], { expires_at: new Date(expiresAtMs).toISOString() });
    expect((await root.get(`/credentials/${key.accessKeyId}`)).body.expires_at).toBe(new Date(expiresAtMs).toISOString());
    const client = s3(key);
    await put(client, ALPHA, 'expiring/a.txt');
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAtMs - Date.now()) + 50));
    expect(await s3Error(get(client, ALPHA, 'expiring/a.txt'))).toEqual({ name: 'ExpiredToken', status: 400 });
  });

  it('PATCH re-scopes a key and expires_at null removes its expiry, from the next request on', async () => {
    const key = await mint([{ bucket: ALPHA, prefixes: ['one/'], actions: ['*'] }], { expires_at: new Date(Date.now() + 60_000).toISOString() });
    const client = s3(key);
    await put(client, ALPHA, 'one/a.txt');
    const res = await root.patch(`/credentials/${key.accessKeyId}`, { scopes: [{ bucket: ALPHA, prefixes: ['two/'], actions: ['put_object'] }], expires_at: null, description: 'renamed' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ expires_at: null, description: 'renamed', scopes: [{ bucket: ALPHA, prefixes: ['two/'], actions: ['put_object'] }] });
    expect(await s3Error(put(client, ALPHA, 'one/b.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    await put(client, ALPHA, 'two/b.txt');
    expect(await s3Error(get(client, ALPHA, 'two/b.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('expires_at in the past → 400 naming expires_at (create and patch)', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const created = await root.post('/credentials', { description: 'late', scopes: [{ bucket: ALPHA, actions: ['*'] }], expires_at: past });
    expect(created.status).toBe(400);
    expect(errorOf(created).field).toBe('expires_at');
    const key = await mint([{ bucket: ALPHA, actions: ['*'] }]);
    const patched = await root.patch(`/credentials/${key.accessKeyId}`, { expires_at: past });
    expect(patched.status).toBe(400);
    expect(errorOf(patched).field).toBe('expires_at');
    await put(s3(key), ALPHA, 'not-expired/a.txt');
  });
});

describe('users', () => {
  it('Reader lists and downloads but cannot upload; Writer uploads and deletes; SuperUser does anything', async () => {
    await moto.admin.send(new PutObjectCommand({ Bucket: BETA, Key: 'shared/seed.txt', Body: 'seed' }));
    const reader = await createUser('Reader');
    const writer = await createUser('Writer');
    const superUser = await createUser('SuperUser');
    const readerKey = keyOf(await root.post(`/users/${reader.id}/credentials`));
    const writerKey = keyOf(await root.post(`/users/${writer.id}/credentials`));
    const superKey = keyOf(await root.post(`/users/${superUser.id}/credentials`));

    const r = s3(readerKey);
    expect(await get(r, BETA, 'shared/seed.txt')).toBe('seed');
    expect(await listKeys(r, BETA, 'shared/')).toContain('shared/seed.txt');
    expect(await s3Error(put(r, BETA, 'shared/by-reader.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(r.send(new DeleteObjectCommand({ Bucket: BETA, Key: 'shared/seed.txt' })))).toEqual({ name: 'AccessDenied', status: 403 });

    const w = s3(writerKey);
    await put(w, BETA, 'shared/by-writer.txt', 'w');
    expect(await get(w, BETA, 'shared/by-writer.txt')).toBe('w');
    await w.send(new DeleteObjectCommand({ Bucket: BETA, Key: 'shared/by-writer.txt' }));
    expect(await listKeys(r, BETA, 'shared/')).toEqual(['shared/seed.txt']);
    await put(s3(superKey), ALPHA, 'super/a.txt');
  });

  it("a Reader's and a Writer's admin token: 403 on /users, /credentials and /audit, 200 on /me", async () => {
    for (const role of ['Reader', 'Writer']) {
      const user = await createUser(role);
      const client = await proxy.admin.login(user.username, user.password);
      const me = await client.get('/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ username: user.username, role });
      for (const res of [
        await client.get('/users'),
        await client.get('/credentials'),
        await client.get('/audit'),
        await client.post('/credentials', { description: 'sneaky', scopes: [{ bucket: ALPHA, actions: ['*'] }] }),
        await client.post(`/users/${user.id}/credentials`),
        await client.patch(`/users/${user.id}`, { role: 'SuperUser' }),
      ]) {
        expect(res.status, `${role}: ${res.text}`).toBe(403);
        expect(errorOf(res).code).toBe('AccessDenied');
      }
      expect((await root.get(`/users/${user.id}`)).body.role).toBe(role);
    }
  });

  it("re-issuing a user's key: the old key is refused, the new one works, the user has exactly one key", async () => {
    const user = await createUser('Writer');
    const first = keyOf(await root.post(`/users/${user.id}/credentials`));
    await put(s3(first), ALPHA, 'reissue/a.txt');
    const second = keyOf(await root.post(`/users/${user.id}/credentials`));
    expect(second.accessKeyId).not.toBe(first.accessKeyId);
    expect(await s3Error(get(s3(first), ALPHA, 'reissue/a.txt'))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect(await get(s3(second), ALPHA, 'reissue/a.txt')).toBe('x');
    const own = await root.get(`/users/${user.id}/credentials`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ access_key_id: second.accessKeyId, user_id: user.id });
    const all = await root.get<{ credentials: { user_id: string | null; access_key_id: string }[] }>('/credentials');
    expect(all.body.credentials.filter((c) => c.user_id === user.id).map((c) => c.access_key_id)).toEqual([second.accessKeyId]);
    expect((await root.get(`/users/${user.id}`)).body.access_key_id).toBe(second.accessKeyId);
  });

  it("deactivating a user refuses their key and their token at once; reactivating lets them back", async () => {
    const user = await createUser('Writer');
    const key = keyOf(await root.post(`/users/${user.id}/credentials`));
    const client = s3(key);
    const token = await proxy.admin.login(user.username, user.password);
    await put(client, ALPHA, 'deactivate/a.txt');

    const off = await root.patch(`/users/${user.id}`, { is_active: false });
    expect(off.status, off.text).toBe(200);
    expect(off.body.is_active).toBe(false);
    expect(await s3Error(get(client, ALPHA, 'deactivate/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect((await token.get('/me')).status).toBe(401);
    const login = await proxy.admin.post('/login', { username: user.username, password: user.password });
    expect(login.status).toBe(401);

    expect((await root.patch(`/users/${user.id}`, { is_active: true })).status).toBe(200);
    expect(await get(client, ALPHA, 'deactivate/a.txt')).toBe('x');
    const again = await proxy.admin.login(user.username, user.password);
    expect((await again.get('/me')).status).toBe(200);
  });

  it("a user's scopes narrow the role: a Writer on api-alpha/p/ writes nowhere else", async () => {
    const user = await createUser('Writer', [{ bucket: ALPHA, prefixes: ['p/'] }]);
    const client = s3(keyOf(await root.post(`/users/${user.id}/credentials`)));
    await put(client, ALPHA, 'p/a.txt');
    expect(await get(client, ALPHA, 'p/a.txt')).toBe('x');
    expect(await s3Error(put(client, ALPHA, 'q/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(put(client, ALPHA, 'p-other/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await s3Error(put(client, BETA, 'p/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(((await client.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name)).toEqual([ALPHA]);

    // Narrowing further takes effect on the next request.
    expect((await root.patch(`/users/${user.id}`, { scopes: [{ bucket: ALPHA, prefixes: ['p/inner/'] }] })).status).toBe(200);
    expect(await s3Error(put(client, ALPHA, 'p/a.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
    await put(client, ALPHA, 'p/inner/a.txt');
  });

  it("a password change refuses the user's earlier tokens and the old password", async () => {
    const user = await createUser('Reader');
    const before = await proxy.admin.login(user.username, user.password);
    const changed = await root.patch(`/users/${user.id}`, { password: 'a brand new password' });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.text).not.toContain('a brand new password');
    expect((await before.get('/me')).status).toBe(401);
    expect((await proxy.admin.post('/login', { username: user.username, password: user.password })).status).toBe(401);
    expect((await (await proxy.admin.login(user.username, 'a brand new password')).get('/me')).status).toBe(200);
  });

  it('usernames are unique regardless of case (409 naming username)', async () => {
    const user = await createUser('Reader');
    const res = await root.post('/users', { username: user.username.toUpperCase(), password: 'long-enough-password', role: 'Writer' });
    expect(res.status, res.text).toBe(409);
    expect(errorOf(res)).toMatchObject({ code: 'Conflict', field: 'username' });
  });

  it("revoking a user's key or deleting the user refuses the key on the next request", async () => {
    const a = await createUser('Writer');
    const b = await createUser('Writer');
    const aKey = s3(keyOf(await root.post(`/users/${a.id}/credentials`)));
    const bKey = s3(keyOf(await root.post(`/users/${b.id}/credentials`)));
    await put(aKey, ALPHA, 'users-gone/a.txt');
    await put(bKey, ALPHA, 'users-gone/b.txt');
    expect((await root.delete(`/users/${a.id}/credentials`)).status).toBe(204);
    expect(await s3Error(get(aKey, ALPHA, 'users-gone/a.txt'))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect((await root.get(`/users/${a.id}/credentials`)).status).toBe(404);
    expect((await root.get(`/users/${a.id}`)).body.access_key_id).toBeNull();
    expect((await root.delete(`/users/${b.id}`)).status).toBe(204);
    expect(await s3Error(get(bKey, ALPHA, 'users-gone/b.txt'))).toEqual({ name: 'InvalidAccessKeyId', status: 403 });
    expect((await root.get(`/users/${b.id}`)).status).toBe(404);
  });

  it("a user's key takes its scopes from the user: PATCH scopes on it is 400 naming scopes", async () => {
    const user = await createUser('Reader');
    const key = keyOf(await root.post(`/users/${user.id}/credentials`));
    const res = await root.patch(`/credentials/${key.accessKeyId}`, { scopes: [{ bucket: BETA, actions: ['*'] }] });
    expect(res.status, res.text).toBe(400);
    expect(errorOf(res).field).toBe('scopes');
    expect(await s3Error(put(s3(key), BETA, 'nope.txt'))).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('the last active SuperUser cannot be deactivated, demoted or deleted (409)', async () => {
    const other = await createUser('SuperUser');
    const rootId = String((await root.get('/me')).body.id);
    // While another SuperUser is active, one may go: leave root as the only active one.
    const users = await root.get<{ users: { id: string; role: string; is_active: boolean }[] }>('/users');
    const others = users.body.users.filter((u) => u.id !== rootId && u.role === 'SuperUser' && u.is_active);
    expect(others.map((u) => u.id)).toContain(other.id);
    for (const u of others) expect((await root.patch(`/users/${u.id}`, { is_active: false })).status).toBe(200);
    for (const res of [
      await root.patch(`/users/${rootId}`, { is_active: false }),
      await root.patch(`/users/${rootId}`, { role: 'Writer' }),
      await root.delete(`/users/${rootId}`),
    ]) {
      expect(res.status, res.text).toBe(409);
      expect(errorOf(res).code).toBe('Conflict');
    }
    const me = await root.get('/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'SuperUser', is_active: true });
    expect((await root.delete(`/users/${other.id}`)).status).toBe(204);
    expect((await root.get(`/users/${other.id}`)).status).toBe(404);
  });

  it('two SuperUsers deactivated at once (one also changing password): one request wins, one active SuperUser remains', async () => {
    const rootId = String((await root.get('/me')).body.id);
    const users = await root.get<{ users: { id: string; role: string; is_active: boolean }[] }>('/users');
    for (const u of users.body.users.filter((x) => x.id !== rootId && x.role === 'SuperUser' && x.is_active)) {
      expect((await root.patch(`/users/${u.id}`, { is_active: false })).status).toBe(200);
    }
    const other = await createUser('SuperUser');
    // The password change makes the first request hash (tens of ms) before it writes.
    const first = root.patch(`/users/${other.id}`, { is_active: false, password: 'another long password' });
    await new Promise((r) => setTimeout(r, 5));
    const second = root.patch(`/users/${rootId}`, { is_active: false });
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    // Whoever is left logs in and sees exactly one active SuperUser: itself. A refused
    // request changed nothing, its password change included (one transaction).
    const survivor = a.status === 409 ? await proxy.admin.login(other.username, other.password) : await proxy.admin.login();
    const users2 = (await survivor.get<{ users: { id: string; role: string; is_active: boolean }[] }>('/users')).body.users;
    expect(users2.filter((u) => u.role === 'SuperUser' && u.is_active).map((u) => u.id)).toEqual([a.status === 409 ? other.id : rootId]);
    if (a.status === 409) {
      expect((await survivor.patch(`/users/${rootId}`, { is_active: true })).status).toBe(200);
      root = await proxy.admin.login();
    }
  });

  it('logout invalidates that token only', async () => {
    const session = await proxy.admin.login();
    const other = await proxy.admin.login();
    expect((await session.get('/me')).status).toBe(200);
    expect((await session.post('/logout')).status).toBe(204);
    expect((await session.get('/me')).status).toBe(401);
    expect((await session.get('/credentials')).status).toBe(401);
    expect((await other.get('/me')).status).toBe(200);
  });

  it('an expired, forged or tampered token is refused with 401', async () => {
    const me = await root.get('/me');
    const userId = String(me.body.id);
    const version = Date.parse(String(me.body.updated_at));
    const masterKey = Buffer.from(TEST_MASTER_KEY, 'hex');
    // Control: a token this test signs with the server's key and the current time is accepted…
    const fresh = new AdminTokenSigner(masterKey, 3600, () => Date.now()).issue(userId, version).token;
    expect((await proxy.admin.as(fresh).get('/me')).status).toBe(200);
    // …so what refuses these is the expiry, the key and the MAC.
    const expired = new AdminTokenSigner(masterKey, 60, () => Date.now() - 3_600_000).issue(userId, version).token;
    const forged = new AdminTokenSigner(Buffer.alloc(32, 7), 3600, () => Date.now()).issue(userId, version).token;
    const [prefix, payload = '', mac = ''] = fresh.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = [prefix, Buffer.from(JSON.stringify({ ...claims, exp: Number(claims.exp) + 86_400 })).toString('base64url'), mac].join('.');
    const flipped = [prefix, payload, (mac.startsWith('A') ? 'B' : 'A') + mac.slice(1)].join('.');
    for (const token of [expired, forged, tampered, flipped, `${fresh}x`, `Basic ${fresh}`]) {
      const res = await proxy.admin.as(token).get('/me');
      expect(res.status, token).toBe(401);
      expect(errorOf(res).code).toBe('Unauthorized');
    }
  });
});

describe('OpenAPI', () => {
  it('serves /openapi.json: OpenAPI 3.1.0 listing the routes this test file drives', async () => {
    const res = await fetch(`${proxy.adminUrl}/admin/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = JSON.parse(await res.text()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const driven: [string, string][] = [
      ['post', '/admin/api/login'],
      ['post', '/admin/api/logout'],
      ['get', '/admin/api/me'],
      ['get', '/admin/api/credentials'],
      ['post', '/admin/api/credentials'],
      ['get', '/admin/api/credentials/{id}'],
      ['patch', '/admin/api/credentials/{id}'],
      ['delete', '/admin/api/credentials/{id}'],
      ['post', '/admin/api/credentials/{id}/rotate'],
      ['get', '/admin/api/users'],
      ['post', '/admin/api/users'],
      ['get', '/admin/api/users/{id}'],
      ['patch', '/admin/api/users/{id}'],
      ['delete', '/admin/api/users/{id}'],
      ['post', '/admin/api/users/{id}/credentials'],
      ['get', '/admin/api/users/{id}/credentials'],
      ['get', '/admin/api/audit'],
    ];
    for (const [method, path] of driven) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});

describe('bad input', () => {
  const scope = (s: Record<string, unknown>) => ({ description: 'bad', scopes: [{ bucket: ALPHA, actions: ['get_object'], ...s }] });

  const cases: { name: string; method: string; path: string; body?: unknown; raw?: string; headers?: Record<string, string>; status: number; code?: string; field?: string; message?: RegExp }[] = [
    { name: 'malformed JSON', method: 'POST', path: '/credentials', raw: '{"description": "x", ', status: 400, code: 'MalformedJSON' },
    { name: 'empty JSON body', method: 'POST', path: '/credentials', raw: '', headers: { 'content-type': 'application/json' }, status: 400, code: 'MalformedJSON' },
    { name: 'an array body', method: 'POST', path: '/credentials', body: [scope({})], status: 400, code: 'InvalidRequest', field: '(body)' },
    { name: 'a string body', method: 'POST', path: '/credentials', raw: '"hello"', status: 400, code: 'InvalidRequest', field: '(body)' },
    { name: 'unknown top-level field', method: 'POST', path: '/credentials', body: { ...scope({}), colour: 'red' }, status: 400, code: 'InvalidRequest', field: 'colour' },
    { name: 'unknown field in scopes[0]', method: 'POST', path: '/credentials', body: scope({ region: 'eu' }), status: 400, code: 'InvalidRequest', field: 'scopes[0].region' },
    ...['ab', 'Bad_Bucket', '-x-', 'a..b', '192.168.1.1'].map((bucket) => ({
      name: `bucket "${bucket}"`,
      method: 'POST',
      path: '/credentials',
      body: scope({ bucket }),
      status: 400,
      code: 'InvalidRequest',
      field: 'scopes[0].bucket',
    })),
    { name: 'unknown action', method: 'POST', path: '/credentials', body: scope({ actions: ['get_objects'] }), status: 400, code: 'InvalidRequest', field: 'scopes[0].actions[0]', message: /did you mean "get_object"/ },
    { name: 'prefix with a leading /', method: 'POST', path: '/credentials', body: scope({ prefixes: ['/data/'] }), status: 400, code: 'InvalidRequest', field: 'scopes[0].prefixes[0]' },
    { name: 'empty scopes', method: 'POST', path: '/credentials', body: { description: 'x', scopes: [] }, status: 400, code: 'InvalidRequest', field: 'scopes' },
    { name: 'missing description', method: 'POST', path: '/credentials', body: { scopes: [{ bucket: ALPHA, actions: ['*'] }] }, status: 400, code: 'InvalidRequest', field: 'description' },
    { name: 'empty patch', method: 'PATCH', path: `/credentials/${TOML_KEY.accessKeyId}`, body: {}, status: 400, code: 'InvalidRequest' },
    { name: 'short password', method: 'POST', path: '/users', body: { username: 'shorty', password: 'short', role: 'Reader' }, status: 400, code: 'InvalidRequest', field: 'password' },
    { name: 'unknown role', method: 'POST', path: '/users', body: { username: 'roley', password: 'long-enough-password', role: 'Admin' }, status: 400, code: 'InvalidRequest', field: 'role' },
    { name: 'username with spaces', method: 'POST', path: '/users', body: { username: 'bad name', password: 'long-enough-password', role: 'Reader' }, status: 400, code: 'InvalidRequest', field: 'username' },
    { name: 'text/plain body', method: 'POST', path: '/credentials', raw: JSON.stringify(scope({})), headers: { 'content-type': 'text/plain' }, status: 415, code: 'UnsupportedMediaType' },
    { name: 'form body', method: 'POST', path: '/credentials', raw: 'description=x', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'UnsupportedMediaType' },
    { name: 'body over 1 MiB', method: 'POST', path: '/credentials', body: { description: 'x', scopes: [], padding: 'p'.repeat(1024 * 1024 + 10) }, status: 413 },
    { name: 'expires_at without a time zone', method: 'POST', path: '/credentials', body: { ...scope({}), expires_at: '2099-01-01T00:00:00' }, status: 400, code: 'InvalidRequest', field: 'expires_at' },
    { name: 'no actions', method: 'POST', path: '/credentials', body: scope({ actions: [] }), status: 400, code: 'InvalidRequest', field: 'scopes[0].actions' },
    { name: 'scopes not an array', method: 'POST', path: '/credentials', body: { description: 'x', scopes: 'alpha' }, status: 400, code: 'InvalidRequest', field: 'scopes' },
    { name: 'enabled not a boolean', method: 'PATCH', path: '/credentials/SGAKDOESNOTEXIST0000', body: { enabled: 'no' }, status: 400, code: 'InvalidRequest', field: 'enabled' },
    { name: 'login with no password', method: 'POST', path: '/login', body: { username: 'root' }, status: 400, code: 'InvalidRequest', field: 'password' },
    { name: 'null body', method: 'POST', path: '/users', raw: 'null', status: 400, code: 'InvalidRequest', field: '(body)' },
    { name: 'unknown route', method: 'GET', path: '/nope', status: 404, code: 'NotFound' },
    { name: 'unknown method on a route', method: 'PUT', path: '/credentials', body: {}, status: 404, code: 'NotFound' },
    { name: 'unknown credential', method: 'GET', path: '/credentials/SGAKDOESNOTEXIST0000', status: 404, code: 'NotFound' },
    { name: 'unknown credential (patch)', method: 'PATCH', path: '/credentials/SGAKDOESNOTEXIST0000', body: { enabled: false }, status: 404, code: 'NotFound' },
    { name: 'unknown credential (delete)', method: 'DELETE', path: '/credentials/SGAKDOESNOTEXIST0000', status: 404, code: 'NotFound' },
    { name: 'unknown credential (rotate)', method: 'POST', path: '/credentials/SGAKDOESNOTEXIST0000/rotate', status: 404, code: 'NotFound' },
    { name: 'malformed credential id', method: 'GET', path: '/credentials/%00%2F..', status: 404, code: 'NotFound' },
    { name: 'credential id longer than any key id', method: 'GET', path: `/credentials/${'A'.repeat(300)}`, status: 404, code: 'NotFound' },
    { name: 'malformed percent-encoding in the path', method: 'GET', path: '/credentials/%E0%A4%A', status: 400, code: 'InvalidRequest' },
    { name: 'unknown user', method: 'GET', path: '/users/usr_aaaaaaaaaaaaaaaaaaaa', status: 404, code: 'NotFound' },
    { name: 'unknown user (issue key)', method: 'POST', path: '/users/usr_aaaaaaaaaaaaaaaaaaaa/credentials', status: 404, code: 'NotFound' },
    { name: 'malformed user id', method: 'PATCH', path: '/users/..%2F..', body: { role: 'Reader' }, status: 404, code: 'NotFound' },
    { name: 'unknown audit parameter', method: 'GET', path: '/audit?colour=red', status: 400, code: 'InvalidRequest', field: 'colour' },
  ];

  it.each(cases)('$name → $status', async (c) => {
    const res = await root.request(c.method, c.path, c.body, c.raw, c.headers);
    expect(res.status, res.text).toBe(c.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toMatch(/^[A-Z0-9]{8,}$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const error = errorOf(res);
    expect(typeof error.code).toBe('string');
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(0);
    if (c.code !== undefined) expect(error.code).toBe(c.code);
    if (c.field !== undefined) expect(error.field).toBe(c.field);
    if (c.message !== undefined) expect(error.message).toMatch(c.message);
  });

  it('routes without a body accept an empty one sent as application/json (as many clients send it)', async () => {
    const json = { 'content-type': 'application/json' };
    const key = await mint([{ bucket: ALPHA, actions: ['get_object'] }]);
    const rotated = await root.request('POST', `/credentials/${key.accessKeyId}/rotate`, undefined, '', json);
    expect(rotated.status, rotated.text).toBe(200);
    const user = await createUser('Reader');
    const issued = await root.request('POST', `/users/${user.id}/credentials`, undefined, '', json);
    expect(issued.status, issued.text).toBe(201);
    const revoked = await root.request('DELETE', `/credentials/${key.accessKeyId}`, undefined, '', json);
    expect(revoked.status, revoked.text).toBe(204);
    const session = await proxy.admin.login();
    const out = await session.request('POST', '/logout', undefined, '', json);
    expect(out.status, out.text).toBe(204);
    // A body-taking route still says the body is empty, and JSON poisoning is still refused.
    expect(errorOf(await root.request('POST', '/users', undefined, '', json))).toMatchObject({ code: 'MalformedJSON', field: '(body)' });
    const poisoned = await root.request('POST', '/login', undefined, '{"username":"root","password":"x","__proto__":{"isAdmin":true}}');
    expect(poisoned.status).toBe(400);
  });

  it('an unknown route outside /admin/api is a JSON 404 too', async () => {
    const res = await fetch(`${proxy.adminUrl}/some/where`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NotFound');
    expect(res.headers.get('x-request-id')).not.toBeNull();
  });

  it('no bad input reached an internal error', () => {
    expect(proxy.logLines.filter((l) => l.includes('admin API internal error'))).toEqual([]);
  });
});
