/**
 * Keys minted through the admin API, used by the real clients: aws-cli v1 (`aws` program)
 * and boto3 (test/e2e/clients/boto3_ops.py, default checksum behaviour), against s3gate with
 * the SQLite store in front of moto (signature checks on). The "Done when": within
 * its scopes a minted key works, outside them it gets AccessDenied; revoked → the very next
 * request is InvalidAccessKeyId; rotated → the old secret is SignatureDoesNotMatch and the
 * new one works; expired → refused; its IAM user deactivated → refused; a Reader's key
 * cannot upload, a Writer's can. Every success is checked against what the upstream holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminClient, eventually, startStoreProxy, type StoreProxy } from '../support/admin.js';
import {
  type ClientResult,
  randomFile,
  RequestRecorder,
  runClient,
  sealedEnv,
  tempDir,
  upstreamExists,
  upstreamKeys,
  upstreamObject,
  upstreamSawBucket,
} from '../support/e2e-env.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import type { TestKey } from '../support/proxy.js';

const BOTO3_SCRIPT = fileURLToPath(new URL('./clients/boto3_ops.py', import.meta.url));

/** What a prefix-scoped key may do: read, write and delete objects, and list. */
const OBJECT_ACTIONS = ['get_object', 'head_object', 'put_object', 'list_bucket', 'delete_object', 'create_multipart_upload', 'upload_part', 'complete_multipart_upload', 'abort_multipart_upload'];

type Json = Record<string, unknown>;
interface BotoResult {
  readonly code: number;
  readonly result: Json;
  readonly error: { code: string; status: number; message: string; operation: string } | undefined;
  readonly stderr: string;
}

let moto: MotoServer;
let proxy: StoreProxy;
let admin: AdminClient;
let work: string;
let proxyPort: number;
const recorder = new RequestRecorder();

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['alpha', 'beta']) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
  proxy = await startStoreProxy(moto);
  proxyPort = Number(new URL(proxy.url).port);
  admin = await proxy.admin.login();
  work = tempDir('minted');
}, 120_000);

afterAll(async () => {
  recorder.close();
  await proxy?.stop();
  await moto?.stop();
});

function aws(key: TestKey, args: readonly string[]): Promise<ClientResult> {
  const env = sealedEnv({ AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey });
  return runClient('aws', ['--endpoint-url', proxy.url, ...args], env);
}

async function awsOk(key: TestKey, args: readonly string[]): Promise<ClientResult> {
  const result = await aws(key, args);
  expect(result.code, `aws ${args.join(' ')} failed:\n${result.stderr}`).toBe(0);
  return result;
}

/** Runs the aws CLI and expects it to fail with `code` (as printed: "An error occurred (<code>)"). */
async function awsRefused(key: TestKey, args: readonly string[], code: string): Promise<void> {
  const result = await aws(key, args);
  expect(result.code, `aws ${args.join(' ')} succeeded, expected ${code}`).not.toBe(0);
  expect(result.stderr, `aws ${args.join(' ')}`).toContain(`(${code})`);
}

async function boto(key: TestKey, op: string, args: Json = {}): Promise<BotoResult> {
  const env = sealedEnv({ S3GATE_ENDPOINT: proxy.url, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey });
  const run = await runClient('python3', [BOTO3_SCRIPT, op, JSON.stringify(args)], env);
  if (run.code !== 0 && run.code !== 2) throw new Error(`boto3 ${op} crashed (${run.code}):\n${run.stderr}`);
  const parsed = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Json;
  return { code: run.code, result: parsed, error: parsed.error as BotoResult['error'], stderr: run.stderr };
}

async function botoOk(key: TestKey, op: string, args: Json = {}): Promise<Json> {
  const r = await boto(key, op, args);
  expect(r.error, `boto3 ${op} failed: ${JSON.stringify(r.error)}\n${r.stderr}`).toBeUndefined();
  return r.result;
}

async function botoRefused(key: TestKey, op: string, args: Json, code: string): Promise<void> {
  const r = await boto(key, op, args);
  expect(r.code, `boto3 ${op} succeeded, expected ${code}`).toBe(2);
  expect(r.error?.code, `boto3 ${op}: ${JSON.stringify(r.error)}`).toBe(code);
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

function keyOf(body: Json): TestKey {
  expect(body.access_key_id).toMatch(/^SGAK/);
  expect(typeof body.secret_access_key).toBe('string');
  return { accessKeyId: String(body.access_key_id), secretAccessKey: String(body.secret_access_key) };
}

async function mint(description: string, scopes: readonly Json[], expiresAt?: string): Promise<TestKey> {
  const res = await admin.post('/credentials', { description, scopes, ...(expiresAt === undefined ? {} : { expires_at: expiresAt }) });
  expect(res.status, res.text).toBe(201);
  return keyOf(res.body);
}

let userCount = 0;
/** An IAM user with a role and scopes, and the one key pair issued to them. */
async function userWithKey(role: 'Reader' | 'Writer', scopes: readonly Json[]): Promise<{ id: string; key: TestKey }> {
  userCount++;
  const created = await admin.post('/users', { username: `e2e-${role.toLowerCase()}-${userCount}`, password: 'a long e2e password', role, scopes });
  expect(created.status, created.text).toBe(201);
  const id = String(created.body.id);
  const issued = await admin.post(`/users/${id}/credentials`);
  expect(issued.status, issued.text).toBe(201);
  return { id, key: keyOf(issued.body) };
}

interface AuditItem {
  action: string;
  outcome: string;
  error_code: string | null;
  access_key_id: string | null;
  bucket: string | null;
  key: string | null;
}

async function auditFor(accessKeyId: string): Promise<AuditItem[]> {
  const res = await admin.get<{ items: AuditItem[] }>(`/audit?access_key_id=${accessKeyId}&action=s3.proxy.&limit=1000`);
  expect(res.status, res.text).toBe(200);
  return res.body.items;
}

/** The denied s3.proxy rows since `sinceIso` with this error code (whatever access key they name). */
async function deniedSince(sinceIso: string, errorCode: string): Promise<AuditItem[]> {
  const res = await admin.get<{ items: AuditItem[] }>(`/audit?action=s3.proxy.&outcome=denied&since=${encodeURIComponent(sinceIso)}&limit=1000`);
  expect(res.status, res.text).toBe(200);
  return res.body.items.filter((i) => i.error_code === errorCode);
}

/** Refusals of keys whose signature verified (expired, user deactivated), for the audit check below. */
const verifiedRefusals: { accessKeyId: string; rows: AuditItem[] }[] = [];

describe('a key minted through the admin API', () => {
  it('aws CLI: s3 cp/ls/rm and s3api put-object work inside its scope; another bucket or prefix is AccessDenied', async () => {
    const key = await mint('aws-cli scoped key', [{ bucket: 'alpha', prefixes: ['data'], actions: OBJECT_ACTIONS }]);
    const file = randomFile(work, 'cli.bin', 5_000);
    await awsOk(key, ['s3', 'cp', file.path, 's3://alpha/data/cli/a.bin']);
    expect((await upstreamObject(moto, 'alpha', 'data/cli/a.bin'))?.equals(file.bytes)).toBe(true);
    await awsOk(key, ['s3api', 'put-object', '--bucket', 'alpha', '--key', 'data/cli/b.bin', '--body', file.path]);
    expect((await upstreamObject(moto, 'alpha', 'data/cli/b.bin'))?.equals(file.bytes)).toBe(true);
    const listed = await awsOk(key, ['s3', 'ls', 's3://alpha/data/cli/']);
    expect(listed.stdout).toContain('a.bin');
    expect(listed.stdout).toContain('b.bin');
    const back = join(work, 'cli.back');
    await awsOk(key, ['s3', 'cp', 's3://alpha/data/cli/a.bin', back]);
    expect(readFileSync(back).equals(file.bytes)).toBe(true);
    await awsOk(key, ['s3', 'rm', 's3://alpha/data/cli/a.bin']);
    expect(await upstreamKeys(moto, 'alpha', 'data/cli/')).toEqual(['data/cli/b.bin']);
    // ListBuckets is answered by s3gate from the key's scopes.
    const buckets = await awsOk(key, ['s3', 'ls']);
    expect(buckets.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).at(-1))).toEqual(['alpha']);

    const since = moto.requests.length;
    await awsRefused(key, ['s3', 'cp', file.path, 's3://beta/data/cli/a.bin'], 'AccessDenied');
    await awsRefused(key, ['s3', 'ls', 's3://beta/'], 'AccessDenied');
    expect(upstreamSawBucket(moto, 'beta', since)).toBe(false);
    await awsRefused(key, ['s3', 'cp', file.path, 's3://alpha/private/a.bin'], 'AccessDenied');
    await awsRefused(key, ['s3api', 'put-object', '--bucket', 'alpha', '--key', 'data-private/b.bin', '--body', file.path], 'AccessDenied');
    await awsRefused(key, ['s3', 'ls', 's3://alpha/'], 'AccessDenied');
    await awsRefused(key, ['s3', 'rm', 's3://alpha/private/a.bin'], 'AccessDenied');
    expect(await upstreamExists(moto, 'alpha', 'private/a.bin')).toBe(false);
    expect(await upstreamExists(moto, 'alpha', 'data-private/b.bin')).toBe(false);

    // The audit trail has the key's writes as successes and its refusals as denials.
    await eventually(async () => {
      const items = await auditFor(key.accessKeyId);
      expect(items.filter((i) => i.action === 's3.proxy.PutObject' && i.outcome === 'success').map((i) => i.key).sort()).toEqual(['data/cli/a.bin', 'data/cli/b.bin']);
      expect(items.filter((i) => i.action === 's3.proxy.DeleteObject' && i.outcome === 'success').map((i) => i.key)).toEqual(['data/cli/a.bin']);
      const denied = items.filter((i) => i.outcome === 'denied');
      expect(denied.every((i) => i.error_code === 'AccessDenied')).toBe(true);
      expect(denied.map((i) => `${i.action} ${i.bucket}/${i.key ?? ''}`).sort()).toEqual(
        [
          's3.proxy.DeleteObject alpha/private/a.bin',
          's3.proxy.ListObjectsV2 alpha/',
          's3.proxy.ListObjectsV2 beta/',
          's3.proxy.PutObject alpha/data-private/b.bin',
          's3.proxy.PutObject alpha/private/a.bin',
          's3.proxy.PutObject beta/data/cli/a.bin',
        ].sort(),
      );
    });
  }, 180_000);

  it('boto3: put/get/list/delete (default CRC32 checksum) inside its scope; another bucket or prefix is AccessDenied', async () => {
    const key = await mint('boto3 scoped key', [{ bucket: 'alpha', prefixes: ['data'], actions: OBJECT_ACTIONS }]);
    const body = randomFile(work, 'boto.bin', 70_000).bytes;
    const seenBefore = recorder.seen.length;
    const put = await botoOk(key, 'put_object', { bucket: 'alpha', key: 'data/boto/one.bin', body_b64: body.toString('base64') });
    expect(put.etag).toBeTruthy();
    expect((await upstreamObject(moto, 'alpha', 'data/boto/one.bin'))?.equals(body)).toBe(true);
    // botocore 1.43 adds a CRC32 checksum to every PutObject (header or aws-chunked trailer).
    const sent = recorder.seen.slice(seenBefore).find((r) => r.port === proxyPort && r.method === 'PUT');
    expect(sent?.trailer === 'x-amz-checksum-crc32' || sent?.checksumHeaders.includes('x-amz-checksum-crc32'), JSON.stringify(sent)).toBe(true);
    const got = await botoOk(key, 'get_object', { bucket: 'alpha', key: 'data/boto/one.bin' });
    expect(Buffer.from(got.body_b64 as string, 'base64').equals(body)).toBe(true);
    await botoOk(key, 'put_object', { bucket: 'alpha', key: 'data/boto/two.txt', body_b64: b64('two') });
    expect((await botoOk(key, 'list_objects', { bucket: 'alpha', prefix: 'data/boto/' })).keys).toEqual(['data/boto/one.bin', 'data/boto/two.txt']);
    await botoOk(key, 'delete_object', { bucket: 'alpha', key: 'data/boto/one.bin' });
    expect(await upstreamKeys(moto, 'alpha', 'data/boto/')).toEqual(['data/boto/two.txt']);

    const since = moto.requests.length;
    await botoRefused(key, 'put_object', { bucket: 'beta', key: 'data/boto/x.txt', body_b64: b64('x') }, 'AccessDenied');
    await botoRefused(key, 'list_objects', { bucket: 'beta', prefix: 'data/' }, 'AccessDenied');
    expect(upstreamSawBucket(moto, 'beta', since)).toBe(false);
    await botoRefused(key, 'put_object', { bucket: 'alpha', key: 'other/x.txt', body_b64: b64('x') }, 'AccessDenied');
    await botoRefused(key, 'get_object', { bucket: 'alpha', key: 'other/x.txt' }, 'AccessDenied');
    await botoRefused(key, 'delete_object', { bucket: 'alpha', key: 'data-other/x.txt' }, 'AccessDenied');
    await botoRefused(key, 'list_objects', { bucket: 'alpha', prefix: '' }, 'AccessDenied');
    expect(await upstreamExists(moto, 'alpha', 'other/x.txt')).toBe(false);
  }, 180_000);

  it('revoked: the very next aws CLI and boto3 request is InvalidAccessKeyId', async () => {
    const key = await mint('to be revoked', [{ bucket: 'alpha', prefixes: ['data'], actions: OBJECT_ACTIONS }]);
    await awsOk(key, ['s3', 'ls', 's3://alpha/data/']);
    await botoOk(key, 'list_objects', { bucket: 'alpha', prefix: 'data/' });
    const since = new Date().toISOString();
    const res = await admin.delete(`/credentials/${key.accessKeyId}`);
    expect(res.status, res.text).toBe(204);
    await awsRefused(key, ['s3', 'ls', 's3://alpha/data/'], 'InvalidAccessKeyId');
    await botoRefused(key, 'put_object', { bucket: 'alpha', key: 'data/revoked.txt', body_b64: b64('x') }, 'InvalidAccessKeyId');
    await awsRefused(key, ['s3api', 'put-object', '--bucket', 'alpha', '--key', 'data/revoked.txt'], 'InvalidAccessKeyId');
    expect(await upstreamExists(moto, 'alpha', 'data/revoked.txt')).toBe(false);
    // Each refusal is a denied row (the key is unknown now, so the row cannot name it).
    await eventually(async () => expect((await deniedSince(since, 'InvalidAccessKeyId')).length).toBe(3));
  }, 120_000);

  it('rotated: the old secret is SignatureDoesNotMatch, the new one works (aws CLI and boto3)', async () => {
    const old = await mint('to be rotated', [{ bucket: 'alpha', prefixes: ['data'], actions: OBJECT_ACTIONS }]);
    await awsOk(old, ['s3', 'ls', 's3://alpha/data/']);
    const res = await admin.post(`/credentials/${old.accessKeyId}/rotate`);
    expect(res.status, res.text).toBe(200);
    const fresh = keyOf(res.body);
    expect(fresh.accessKeyId).toBe(old.accessKeyId);
    expect(fresh.secretAccessKey).not.toBe(old.secretAccessKey);
    await awsRefused(old, ['s3', 'ls', 's3://alpha/data/'], 'SignatureDoesNotMatch');
    await botoRefused(old, 'put_object', { bucket: 'alpha', key: 'data/rotated/old.txt', body_b64: b64('old') }, 'SignatureDoesNotMatch');
    expect(await upstreamExists(moto, 'alpha', 'data/rotated/old.txt')).toBe(false);
    const file = randomFile(work, 'rotated.txt', 1_000);
    await awsOk(fresh, ['s3', 'cp', file.path, 's3://alpha/data/rotated/cli.txt']);
    await botoOk(fresh, 'put_object', { bucket: 'alpha', key: 'data/rotated/boto.txt', body_b64: b64('new') });
    expect(await upstreamKeys(moto, 'alpha', 'data/rotated/')).toEqual(['data/rotated/boto.txt', 'data/rotated/cli.txt']);
  }, 120_000);

  it('expired: a key whose expiry was a few seconds ahead works until then and is refused after (ExpiredToken)', async () => {
    // 10 s: room for one aws CLI and one boto3 run on a busy machine before it passes.
    const expiresAtMs = Date.now() + 10_000;
    const key = await mint('expires soon', [{ bucket: 'alpha', prefixes: ['data'], actions: OBJECT_ACTIONS }], new Date(expiresAtMs).toISOString());
    const [cli, py] = await Promise.all([aws(key, ['s3', 'ls', 's3://alpha/data/']), boto(key, 'list_objects', { bucket: 'alpha', prefix: 'data/' })]);
    expect(Date.now(), 'the clients took longer than the key lived: the check before expiry proves nothing').toBeLessThan(expiresAtMs);
    expect(cli.code, cli.stderr).toBe(0);
    expect(py.error).toBeUndefined();
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAtMs - Date.now()) + 500));
    const since = new Date().toISOString();
    await awsRefused(key, ['s3', 'ls', 's3://alpha/data/'], 'ExpiredToken');
    await botoRefused(key, 'put_object', { bucket: 'alpha', key: 'data/expired.txt', body_b64: b64('x') }, 'ExpiredToken');
    expect(await upstreamExists(moto, 'alpha', 'data/expired.txt')).toBe(false);
    const rows = await eventually(async () => {
      const found = await deniedSince(since, 'ExpiredToken');
      expect(found.length).toBe(2);
      return found;
    });
    verifiedRefusals.push({ accessKeyId: key.accessKeyId, rows });
  }, 120_000);
});

describe("an IAM user's key", () => {
  it('is refused (AccessDenied) once the user is deactivated, by the aws CLI and boto3', async () => {
    const { id, key } = await userWithKey('Writer', [{ bucket: 'alpha', prefixes: ['users'] }]);
    const file = randomFile(work, 'user.txt', 500);
    await awsOk(key, ['s3', 'cp', file.path, 's3://alpha/users/active.txt']);
    expect(await upstreamExists(moto, 'alpha', 'users/active.txt')).toBe(true);
    const since = new Date().toISOString();
    const res = await admin.patch(`/users/${id}`, { is_active: false });
    expect(res.status, res.text).toBe(200);
    await awsRefused(key, ['s3', 'cp', file.path, 's3://alpha/users/inactive.txt'], 'AccessDenied');
    await awsRefused(key, ['s3', 'ls', 's3://alpha/users/'], 'AccessDenied');
    await botoRefused(key, 'get_object', { bucket: 'alpha', key: 'users/active.txt' }, 'AccessDenied');
    await botoRefused(key, 'put_object', { bucket: 'alpha', key: 'users/inactive.txt', body_b64: b64('x') }, 'AccessDenied');
    expect(await upstreamExists(moto, 'alpha', 'users/inactive.txt')).toBe(false);
    const rows = await eventually(async () => {
      const found = await deniedSince(since, 'AccessDenied');
      expect(found.length).toBe(4);
      return found;
    });
    verifiedRefusals.push({ accessKeyId: key.accessKeyId, rows });
  }, 120_000);

  it("a Reader's key can read but not upload (AccessDenied); a Writer's can upload (aws CLI and boto3)", async () => {
    await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'roles/existing.txt', Body: 'readable' }));
    const reader = await userWithKey('Reader', [{ bucket: 'alpha', prefixes: ['roles'] }]);
    const writer = await userWithKey('Writer', [{ bucket: 'alpha', prefixes: ['roles'] }]);
    const file = randomFile(work, 'role.txt', 800);

    const listed = await awsOk(reader.key, ['s3', 'ls', 's3://alpha/roles/']);
    expect(listed.stdout).toContain('existing.txt');
    const got = await botoOk(reader.key, 'get_object', { bucket: 'alpha', key: 'roles/existing.txt' });
    expect(Buffer.from(got.body_b64 as string, 'base64').toString()).toBe('readable');
    await awsRefused(reader.key, ['s3', 'cp', file.path, 's3://alpha/roles/reader-cli.txt'], 'AccessDenied');
    await awsRefused(reader.key, ['s3api', 'put-object', '--bucket', 'alpha', '--key', 'roles/reader-api.txt', '--body', file.path], 'AccessDenied');
    await botoRefused(reader.key, 'put_object', { bucket: 'alpha', key: 'roles/reader-boto.txt', body_b64: b64('x') }, 'AccessDenied');
    await botoRefused(reader.key, 'delete_object', { bucket: 'alpha', key: 'roles/existing.txt' }, 'AccessDenied');

    await awsOk(writer.key, ['s3', 'cp', file.path, 's3://alpha/roles/writer-cli.txt']);
    await botoOk(writer.key, 'put_object', { bucket: 'alpha', key: 'roles/writer-boto.txt', body_b64: b64('written') });
    expect((await upstreamObject(moto, 'alpha', 'roles/writer-cli.txt'))?.equals(file.bytes)).toBe(true);
    expect((await upstreamObject(moto, 'alpha', 'roles/writer-boto.txt'))?.toString()).toBe('written');
    // The user's scopes bound the Writer too.
    await awsRefused(writer.key, ['s3', 'cp', file.path, 's3://alpha/elsewhere/writer.txt'], 'AccessDenied');
    await botoRefused(writer.key, 'put_object', { bucket: 'beta', key: 'roles/writer.txt', body_b64: b64('x') }, 'AccessDenied');
    expect(await upstreamKeys(moto, 'alpha', 'roles/')).toEqual(['roles/existing.txt', 'roles/writer-boto.txt', 'roles/writer-cli.txt']);
  }, 180_000);
});

describe('the audit trail of refused requests', () => {
  /**
   * A request refused because its key is expired or disabled (user deactivated) passed the
   * signature check: its row must name the key, so GET /admin/api/audit?access_key_id=<key>
   * shows the key was used after its expiry or deactivation.
   */
  it("names the access key of an expired key and of a deactivated user's key", () => {
    expect(verifiedRefusals.map((r) => r.accessKeyId)).toHaveLength(2);
    for (const { accessKeyId, rows } of verifiedRefusals) {
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(row.access_key_id, `${row.error_code} row of ${accessKeyId}`).toBe(accessKeyId);
    }
  });
});
