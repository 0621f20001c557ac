/**
 * The proxy in front of a real, signature-checking upstream (moto), driven over real
 * sockets by @aws-sdk/client-s3: forwarding, re-signing, scopes, ListBuckets, errors.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';

const WRITER = { accessKeyId: 'SGTESTWRITER00000001', secretAccessKey: 'writer-secret-0000000000000000000000000' };
const READER = { accessKeyId: 'SGTESTREADER00000001', secretAccessKey: 'reader-secret-0000000000000000000000000' };
const PREFIXED = { accessKeyId: 'SGTESTPREFIX00000001', secretAccessKey: 'prefix-secret-0000000000000000000000000' };
const GLOB = { accessKeyId: 'SGTESTGLOBKEY0000001', secretAccessKey: 'glob-secret-00000000000000000000000000' };

const CREDENTIALS = [
  credentialToml(WRITER, [{ bucket: 'alpha', actions: ['*'] }, { bucket: 'beta', actions: ['get_object', 'list_bucket'] }]),
  credentialToml(READER, [{ bucket: 'alpha', actions: ['get_object', 'head_object', 'list_bucket'] }]),
  credentialToml(PREFIXED, [{ bucket: 'alpha', prefixes: ['data'], actions: ['get_object', 'put_object', 'list_bucket', 'delete_object'] }]),
  credentialToml(GLOB, [{ bucket: 'team-*', actions: ['get_object', 'list_bucket'] }]),
].join('\n');

let moto: MotoServer;
let proxy: TestProxy;

async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  throw new Error('expected the request to fail');
}

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['alpha', 'beta', 'gamma', 'team-red', 'team-blue', 'other']) {
    await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  proxy = await startProxy(moto, CREDENTIALS);
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('forwarding', () => {
  it('puts and gets an object byte for byte, keys with awkward characters included', async () => {
    const s3 = proxy.client(WRITER);
    const keys = ['plain.txt', 'with space/and+plus=equals.txt', 'unicodé/ключ/鍵.bin', 'percent%41/dot./x', 'a//double/slash'];
    for (const key of keys) {
      const body = Buffer.from(`content of ${key}`);
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: key, Body: body, Metadata: { origin: 'test' } }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      expect(got.Metadata?.origin).toBe('test');
      const upstream = await moto.admin.send(new GetObjectCommand({ Bucket: 'alpha', Key: key }));
      expect(Buffer.from(await upstream.Body!.transformToByteArray()).equals(body)).toBe(true);
    }
  });

  it('answers Range requests and HEAD with the upstream headers and our request id', async () => {
    const s3 = proxy.client(WRITER);
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'range.txt', Body: '0123456789' }));
    const part = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: 'range.txt', Range: 'bytes=2-5' }));
    expect(await part.Body!.transformToString()).toBe('2345');
    expect(part.ContentRange).toBe('bytes 2-5/10');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'range.txt' }));
    expect(head.ContentLength).toBe(10);
    expect(head.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
  });

  it('copies within scope and lists with a prefix', async () => {
    const s3 = proxy.client(WRITER);
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'src/one', Body: 'one' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'dst/one', CopySource: 'alpha/src/one' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'alpha', Prefix: 'dst/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['dst/one']);
  });

  it('passes upstream errors through unchanged (NoSuchKey)', async () => {
    const err = await s3Error(proxy.client(WRITER).send(new GetObjectCommand({ Bucket: 'alpha', Key: 'missing' })));
    expect(err).toEqual({ name: 'NoSuchKey', status: 404 });
  });
});

describe('scopes', () => {
  it('refuses a bucket outside the scopes with AccessDenied, without touching the upstream', async () => {
    const before = moto.requests.length;
    const err = await s3Error(proxy.client(WRITER).send(new GetObjectCommand({ Bucket: 'gamma', Key: 'x' })));
    expect(err).toEqual({ name: 'AccessDenied', status: 403 });
    expect(moto.requests.length).toBe(before);
  });

  it('refuses an action the scope lacks (reader cannot upload)', async () => {
    const err = await s3Error(proxy.client(READER).send(new PutObjectCommand({ Bucket: 'alpha', Key: 'r.txt', Body: 'x' })));
    expect(err.name).toBe('AccessDenied');
    await expect(moto.admin.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'r.txt' }))).rejects.toThrow();
  });

  it('matches prefixes on a path boundary', async () => {
    const s3 = proxy.client(PREFIXED);
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'data/ok.txt', Body: 'ok' }));
    expect((await s3Error(s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'data-private/x', Body: 'no' })))).name).toBe('AccessDenied');
    expect((await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'alpha' })))).name).toBe('AccessDenied');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'alpha', Prefix: 'data/' }));
    expect(listed.Contents?.map((c) => c.Key)).toContain('data/ok.txt');
  });

  it('DeleteObjects deletes allowed keys and reports denied ones per key', async () => {
    const s3 = proxy.client(PREFIXED);
    await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'data/del1', Body: '1' }));
    await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'secret/keep', Body: '2' }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: 'alpha', Delete: { Objects: [{ Key: 'data/del1' }, { Key: 'secret/keep' }] } }));
    expect(result.Deleted?.map((d) => d.Key)).toEqual(['data/del1']);
    expect(result.Errors?.map((e) => [e.Key, e.Code])).toEqual([['secret/keep', 'AccessDenied']]);
    await expect(moto.admin.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'secret/keep' }))).resolves.toBeDefined();
    await expect(moto.admin.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'data/del1' }))).rejects.toThrow();
  });

  it('CopyObject needs read access to the source', async () => {
    const s3 = proxy.client(PREFIXED);
    await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'secret/src', Body: 's' }));
    const err = await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'alpha', Key: 'data/copied', CopySource: 'alpha/secret/src' })));
    expect(err.name).toBe('AccessDenied');
  });

  it('answers bucket probes: HeadBucket and GetBucketLocation in scope, CreateBucket of an existing bucket → BucketAlreadyOwnedByYou', async () => {
    const s3 = proxy.client(READER);
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'alpha' }))).resolves.toBeDefined();
    await expect(s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }))).resolves.toBeDefined();
    expect(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'alpha' })))).toEqual({ name: 'BucketAlreadyOwnedByYou', status: 409 });
    expect((await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'gamma' })))).name).toBe('AccessDenied');
  });
});

describe('ListBuckets', () => {
  it('is synthesized from exact scopes without reaching the upstream', async () => {
    const before = moto.requests.length;
    const result = await proxy.client(WRITER).send(new ListBucketsCommand({}));
    expect(result.Buckets?.map((b) => b.Name)).toEqual(['alpha', 'beta']);
    // CreationDate of a synthesized entry is the key's created_at (credentialToml: 2025-01-01).
    expect(result.Buckets?.[0]?.CreationDate?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(moto.requests.length).toBe(before);
  });

  it('asks the upstream for glob scopes and keeps only matches', async () => {
    const result = await proxy.client(GLOB).send(new ListBucketsCommand({}));
    expect(result.Buckets?.map((b) => b.Name)).toEqual(['team-blue', 'team-red']);
  });
});

describe('authentication', () => {
  it('rejects an unknown key and a wrong secret', async () => {
    expect((await s3Error(proxy.client({ accessKeyId: 'SGUNKNOWN00000000000', secretAccessKey: 'x'.repeat(40) }).send(new ListBucketsCommand({})))).name).toBe('InvalidAccessKeyId');
    expect((await s3Error(proxy.client({ ...WRITER, secretAccessKey: 'wrong'.repeat(8) }).send(new ListBucketsCommand({})))).name).toBe('SignatureDoesNotMatch');
  });

  it('refuses a disabled key after a config reload', async () => {
    await proxy.client(READER).send(new HeadBucketCommand({ Bucket: 'alpha' }));
    await proxy.rewriteConfig(CREDENTIALS.replace(/(access_key_id = "SGTESTREADER00000001"[\s\S]*?enabled = )true/, '$1false'));
    expect((await s3Error(proxy.client(READER).send(new GetObjectCommand({ Bucket: 'alpha', Key: 'plain.txt' })))).name).toBe('AccessDenied');
    await proxy.rewriteConfig(CREDENTIALS);
    await expect(proxy.client(READER).send(new GetObjectCommand({ Bucket: 'alpha', Key: 'plain.txt' }))).resolves.toBeDefined();
  });

  it('logs one line per request without secrets or signatures', async () => {
    await proxy.client(WRITER).send(new ListBucketsCommand({}));
    const line = proxy.logLines.filter((l) => l.includes('"s3 request"')).at(-1) ?? '';
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed).toMatchObject({ accessKeyId: WRITER.accessKeyId, operation: 'ListBuckets', status: 200 });
    expect(proxy.logLines.join('\n')).not.toContain(WRITER.secretAccessKey);
    expect(proxy.logLines.join('\n')).not.toContain('Signature=');
  });
});

describe('deleting', () => {
  it('deletes an object', async () => {
    const s3 = proxy.client(WRITER);
    await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'gone.txt', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'alpha', Key: 'gone.txt' }));
    await expect(moto.admin.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'gone.txt' }))).rejects.toThrow();
  });
});
