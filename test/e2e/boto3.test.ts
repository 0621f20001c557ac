/**
 * boto3 (botocore 1.43, default checksum behaviour: CRC32 on uploads, aws-chunked
 * STREAMING-UNSIGNED-PAYLOAD-TRAILER over https) driven through test/e2e/clients/boto3_ops.py,
 * one operation per run, against s3gate over http and https in front of moto.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  randomFile,
  reportModes,
  RequestRecorder,
  runClient,
  sealedEnv,
  sha256Hex,
  startE2EProxy,
  tempDir,
  upstreamExists,
  upstreamObject,
  upstreamSawBucket,
  type E2EProxy,
} from '../support/e2e-env.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, type TestKey } from '../support/proxy.js';

const SCRIPT = fileURLToPath(new URL('./clients/boto3_ops.py', import.meta.url));

const FULL: TestKey = { accessKeyId: 'SGE2EBOTO3FULL000001', secretAccessKey: 'boto3-full-secret-0000000000000000000000' };
const PREFIXED: TestKey = { accessKeyId: 'SGE2EBOTO3PREFIX0001', secretAccessKey: 'boto3-prefix-secret-00000000000000000000' };
const TOGGLED: TestKey = { accessKeyId: 'SGE2EBOTO3TOGGLE0001', secretAccessKey: 'boto3-toggle-secret-00000000000000000000' };

const PREFIX_ACTIONS = ['get_object', 'head_object', 'put_object', 'copy_object', 'list_bucket', 'delete_object', 'create_multipart_upload', 'upload_part', 'complete_multipart_upload', 'abort_multipart_upload'];

function credentials(toggledEnabled: boolean): string {
  return [
    credentialToml(FULL, [{ bucket: 'alpha', actions: ['*'] }, { bucket: 'beta', actions: ['get_object', 'list_bucket'] }]),
    credentialToml(PREFIXED, [{ bucket: 'alpha', prefixes: ['data'], actions: PREFIX_ACTIONS }]),
    credentialToml(TOGGLED, [{ bucket: 'alpha', actions: ['get_object', 'list_bucket'] }], { enabled: toggledEnabled }),
  ].join('\n');
}

type Json = Record<string, unknown>;
interface S3ErrorJson {
  code: string;
  status: number;
  message: string;
  operation: string;
}

let moto: MotoServer;
const recorder = new RequestRecorder();
const proxies: E2EProxy[] = [];

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['alpha', 'beta', 'gamma', 'other']) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  reportModes('boto3', recorder, proxies);
  recorder.close();
  await moto?.stop();
});

function describeOver(scheme: 'http' | 'https'): void {
  describe(`boto3 over ${scheme}`, () => {
    let p: E2EProxy;
    let work: string;
    const base = `${scheme}/`;

    beforeAll(async () => {
      p = await startE2EProxy(moto, credentials(true), scheme);
      proxies.push(p);
      work = tempDir(`boto3-${scheme}`);
    });
    afterAll(async () => {
      await p?.proxy.stop();
    });

    async function boto(key: TestKey, op: string, args: Json = {}): Promise<{ code: number; result: Json; error: S3ErrorJson | undefined; stderr: string }> {
      const env = sealedEnv({
        S3GATE_ENDPOINT: p.url,
        AWS_ACCESS_KEY_ID: key.accessKeyId,
        AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
        ...(p.tls === undefined ? {} : { AWS_CA_BUNDLE: p.tls.certPath }),
      });
      const run = await runClient('python3', [SCRIPT, op, JSON.stringify(args)], env);
      if (run.code !== 0 && run.code !== 2) throw new Error(`boto3 ${op} crashed (${run.code}):\n${run.stderr}`);
      const parsed = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Json;
      return { code: run.code, result: parsed, error: parsed.error as S3ErrorJson | undefined, stderr: run.stderr };
    }

    async function botoOk(key: TestKey, op: string, args: Json = {}): Promise<Json> {
      const r = await boto(key, op, args);
      expect(r.error, `boto3 ${op} failed: ${JSON.stringify(r.error)}\n${r.stderr}`).toBeUndefined();
      return r.result;
    }

    it('put_object (default CRC32 checksum) and get_object round-trip the bytes', async () => {
      const body = randomFile(work, 'small.bin', 70_000).bytes;
      const key = `${base}put/small object+1.bin`;
      const before = recorder.seen.length;
      const put = await botoOk(FULL, 'put_object', { bucket: 'alpha', key, body_b64: body.toString('base64') });
      expect(put.etag).toBeTruthy();
      expect((await upstreamObject(moto, 'alpha', key))?.equals(body)).toBe(true);
      const sent = recorder.seen.slice(before).find((r) => r.port === p.port && r.method === 'PUT');
      // botocore 1.43 always adds a CRC32 checksum to PutObject (header or trailer).
      expect(sent?.trailer === 'x-amz-checksum-crc32' || sent?.checksumHeaders.includes('x-amz-checksum-crc32')).toBe(true);
      const got = await botoOk(FULL, 'get_object', { bucket: 'alpha', key });
      expect(Buffer.from(got.body_b64 as string, 'base64').equals(body)).toBe(true);
    });

    it('upload_file sends ~20 MiB as a multipart upload; download_file gets it back', async () => {
      const file = randomFile(work, 'twenty.bin', 20 * 1024 * 1024 + 12345);
      const key = `${base}multi/twenty.bin`;
      const before = recorder.seen.length;
      await botoOk(FULL, 'upload_file', { bucket: 'alpha', key, file: file.path, threshold_mib: 5, chunk_mib: 5 });
      const seen = recorder.seen.slice(before).filter((r) => r.port === p.port);
      expect(seen.some((r) => r.method === 'POST' && r.url.includes('?uploads'))).toBe(true);
      expect(seen.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBe(5);
      const stored = await upstreamObject(moto, 'alpha', key);
      expect(stored?.length).toBe(file.bytes.length);
      expect(sha256Hex(stored!)).toBe(file.sha256);
      const back = await botoOk(FULL, 'download_file', { bucket: 'alpha', key, file: join(work, 'twenty.back') });
      expect(back.sha256).toBe(file.sha256);
    }, 150_000);

    it('copy_object copies inside the scope; the prefixed key may not copy from outside its prefix', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}copy/src.txt`, Body: 'copy me' }));
      await botoOk(FULL, 'copy_object', { bucket: 'alpha', key: `${base}copy/dst.txt`, src_bucket: 'alpha', src_key: `${base}copy/src.txt` });
      expect((await upstreamObject(moto, 'alpha', `${base}copy/dst.txt`))?.toString()).toBe('copy me');

      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `data/${base}src.txt`, Body: 'in prefix' }));
      await botoOk(PREFIXED, 'copy_object', { bucket: 'alpha', key: `data/${base}dst.txt`, src_bucket: 'alpha', src_key: `data/${base}src.txt` });
      expect((await upstreamObject(moto, 'alpha', `data/${base}dst.txt`))?.toString()).toBe('in prefix');
      const denied = await boto(PREFIXED, 'copy_object', { bucket: 'alpha', key: `data/${base}stolen.txt`, src_bucket: 'alpha', src_key: `${base}copy/src.txt` });
      expect(denied.error?.code).toBe('AccessDenied');
      expect(await upstreamExists(moto, 'alpha', `data/${base}stolen.txt`)).toBe(false);
    });

    it('delete_objects deletes the allowed key and reports the one outside the prefix as AccessDenied', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `data/${base}del.txt`, Body: '1' }));
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `secret/${base}keep.txt`, Body: '2' }));
      const result = await botoOk(PREFIXED, 'delete_objects', { bucket: 'alpha', keys: [`data/${base}del.txt`, `secret/${base}keep.txt`] });
      expect(result.deleted).toEqual([`data/${base}del.txt`]);
      expect(result.errors).toEqual([[`secret/${base}keep.txt`, 'AccessDenied']]);
      expect(await upstreamExists(moto, 'alpha', `data/${base}del.txt`)).toBe(false);
      expect(await upstreamExists(moto, 'alpha', `secret/${base}keep.txt`)).toBe(true);
    });

    it('generate_presigned_url with the default signer (SigV2 in us-east-1) is fetched by urllib', async () => {
      const body = Buffer.from(`boto3 default presign over ${scheme}`);
      const key = `${base}presign/default ü.txt`;
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: key, Body: body }));
      const r = await botoOk(FULL, 'presign_get', { bucket: 'alpha', key });
      expect(r.url as string).toContain('AWSAccessKeyId=');
      expect(r.status).toBe(200);
      expect(Buffer.from(r.body_b64 as string, 'base64').equals(body)).toBe(true);
      const tampered = await botoOk(FULL, 'presign_get', { bucket: 'alpha', key, tamper: { from: 'default', to: 'defaulx' } });
      expect(tampered.status).toBe(403);
    });

    it('generate_presigned_url with s3v4 (GET and PUT) is fetched by urllib', async () => {
      const body = Buffer.from(`boto3 s3v4 presign over ${scheme}`);
      const key = `${base}presign/v4 file.txt`;
      const put = await botoOk(FULL, 'presign_put', { bucket: 'alpha', key, body_b64: body.toString('base64'), signature_version: 's3v4' });
      expect(put.url as string).toContain('X-Amz-Signature=');
      expect(put.status, String(put.body)).toBe(200);
      expect((await upstreamObject(moto, 'alpha', key))?.equals(body)).toBe(true);
      const get = await botoOk(FULL, 'presign_get', { bucket: 'alpha', key, signature_version: 's3v4' });
      expect(get.url as string).toContain('X-Amz-Signature=');
      expect(get.status).toBe(200);
      expect(Buffer.from(get.body_b64 as string, 'base64').equals(body)).toBe(true);
      const tampered = await botoOk(FULL, 'presign_get', { bucket: 'alpha', key, signature_version: 's3v4', tamper: { from: 'X-Amz-Expires=300', to: 'X-Amz-Expires=301' } });
      expect(tampered.status).toBe(403);
    });

    it('list_buckets shows only the scoped buckets', async () => {
      expect((await botoOk(FULL, 'list_buckets')).buckets).toEqual(['alpha', 'beta']);
      expect((await botoOk(PREFIXED, 'list_buckets')).buckets).toEqual(['alpha']);
    });

    it('refuses a bucket outside the scopes and a key outside the prefix, upstream untouched', async () => {
      const since = moto.requests.length;
      const body = Buffer.from('nope').toString('base64');
      const bucket = await boto(FULL, 'put_object', { bucket: 'gamma', key: 'x.txt', body_b64: body });
      expect(bucket.code).toBe(2);
      expect(bucket.error).toMatchObject({ code: 'AccessDenied', status: 403 });
      expect(upstreamSawBucket(moto, 'gamma', since)).toBe(false);
      const readOnly = await boto(FULL, 'put_object', { bucket: 'beta', key: 'x.txt', body_b64: body });
      expect(readOnly.error?.code).toBe('AccessDenied');
      expect(await upstreamExists(moto, 'beta', 'x.txt')).toBe(false);
      const prefix = await boto(PREFIXED, 'put_object', { bucket: 'alpha', key: `data-private/${base}x.txt`, body_b64: body });
      expect(prefix.error?.code).toBe('AccessDenied');
      expect(await upstreamExists(moto, 'alpha', `data-private/${base}x.txt`)).toBe(false);
      const list = await boto(PREFIXED, 'list_objects', { bucket: 'alpha', prefix: '' });
      expect(list.error?.code).toBe('AccessDenied');
    });

    it('refuses a key disabled by a config reload', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt`, Body: 'toggle' }));
      expect((await botoOk(TOGGLED, 'get_object', { bucket: 'alpha', key: `${base}toggle.txt` })).length).toBe(6);
      await p.proxy.rewriteConfig(credentials(false));
      try {
        const refused = await boto(TOGGLED, 'get_object', { bucket: 'alpha', key: `${base}toggle.txt` });
        expect(refused.error?.code).toBe('AccessDenied');
      } finally {
        await p.proxy.rewriteConfig(credentials(true));
      }
      expect((await botoOk(TOGGLED, 'get_object', { bucket: 'alpha', key: `${base}toggle.txt` })).length).toBe(6);
    });
  });
}

describeOver('http');
describeOver('https');
