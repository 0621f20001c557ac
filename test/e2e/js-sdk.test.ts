/**
 * The AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage Upload, s3-request-presigner)
 * with its default checksum behaviour, against s3gate over http and over https (the
 * self-signed CA passed through @smithy/node-http-handler with an https.Agent).
 */
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchUrl,
  randomFile,
  reportModes,
  RequestRecorder,
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

const FULL: TestKey = { accessKeyId: 'SGE2EJSSDKFULL000001', secretAccessKey: 'jssdk-full-secret-0000000000000000000000' };
const PREFIXED: TestKey = { accessKeyId: 'SGE2EJSSDKPREFIX0001', secretAccessKey: 'jssdk-prefix-secret-00000000000000000000' };
const TOGGLED: TestKey = { accessKeyId: 'SGE2EJSSDKTOGGLE0001', secretAccessKey: 'jssdk-toggle-secret-00000000000000000000' };

const PREFIX_ACTIONS = ['get_object', 'head_object', 'put_object', 'list_bucket', 'delete_object', 'create_multipart_upload', 'upload_part', 'complete_multipart_upload', 'abort_multipart_upload'];

function credentials(toggledEnabled: boolean): string {
  return [
    credentialToml(FULL, [{ bucket: 'alpha', actions: ['*'] }, { bucket: 'beta', actions: ['get_object', 'list_bucket'] }]),
    credentialToml(PREFIXED, [{ bucket: 'alpha', prefixes: ['data'], actions: PREFIX_ACTIONS }]),
    credentialToml(TOGGLED, [{ bucket: 'alpha', actions: ['get_object', 'list_bucket'] }], { enabled: toggledEnabled }),
  ].join('\n');
}

async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof S3ServiceException) return { name: err.name, status: err.$metadata.httpStatusCode };
    throw err;
  }
  throw new Error('expected the request to fail');
}

let moto: MotoServer;
const recorder = new RequestRecorder();
const proxies: E2EProxy[] = [];

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['alpha', 'beta', 'gamma', 'other']) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterAll(async () => {
  reportModes('@aws-sdk/client-s3', recorder, proxies);
  recorder.close();
  await moto?.stop();
});

function describeOver(scheme: 'http' | 'https'): void {
  describe(`@aws-sdk/client-s3 over ${scheme}`, () => {
    let p: E2EProxy;
    let work: string;
    const base = `${scheme}/`;

    beforeAll(async () => {
      p = await startE2EProxy(moto, credentials(true), scheme);
      proxies.push(p);
      work = tempDir(`jssdk-${scheme}`);
    });
    afterAll(async () => {
      await p?.proxy.stop();
    });

    function client(key: TestKey, extra: Partial<S3ClientConfig> = {}): S3Client {
      if (p.tls === undefined) return p.proxy.client(key, extra);
      return p.proxy.client(key, { requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: p.tls.certPem, keepAlive: true }) }), ...extra });
    }

    it('PutObject with a Buffer and with a stream body (default checksums) round-trips the bytes', async () => {
      const s3 = client(FULL);
      const body = randomFile(work, 'buf.bin', 100_000).bytes;
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}put/buffer ü+.bin`, Body: body }));
      expect((await upstreamObject(moto, 'alpha', `${base}put/buffer ü+.bin`))?.equals(body)).toBe(true);

      const before = recorder.seen.length;
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}put/stream.bin`, Body: Readable.from([body.subarray(0, 30_000), body.subarray(30_000)]), ContentLength: body.length }));
      const sent = recorder.seen.slice(before).find((r) => r.port === p.port && r.method === 'PUT');
      expect(sent?.contentSha256).toBeDefined();
      expect((await upstreamObject(moto, 'alpha', `${base}put/stream.bin`))?.equals(body)).toBe(true);

      const got = await s3.send(new GetObjectCommand({ Bucket: 'alpha', Key: `${base}put/buffer ü+.bin`, ChecksumMode: 'ENABLED' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    });

    it('lib-storage Upload sends 20 MiB as a multipart upload', async () => {
      const file = randomFile(work, 'upload.bin', 20 * 1024 * 1024 + 777);
      const key = `${base}multi/upload.bin`;
      const before = recorder.seen.length;
      await new Upload({ client: client(FULL), params: { Bucket: 'alpha', Key: key, Body: Readable.from([file.bytes]) }, partSize: 5 * 1024 * 1024, queueSize: 3 }).done();
      const seen = recorder.seen.slice(before).filter((r) => r.port === p.port);
      expect(seen.some((r) => r.method === 'POST' && r.url.includes('?uploads'))).toBe(true);
      expect(seen.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBe(5);
      const stored = await upstreamObject(moto, 'alpha', key);
      expect(stored?.length).toBe(file.bytes.length);
      expect(sha256Hex(stored!)).toBe(file.sha256);
      const got = await client(FULL).send(new GetObjectCommand({ Bucket: 'alpha', Key: key }));
      expect(sha256Hex(Buffer.from(await got.Body!.transformToByteArray()))).toBe(file.sha256);
    }, 150_000);

    it('presigned PUT and GET URLs work with fetch; a tampered URL is refused', async () => {
      const s3 = client(FULL);
      const key = `${base}presign/a b+c ü.txt`;
      const body = Buffer.from(`presigned via js-sdk over ${scheme}`);
      // With its default checksum setting the presigner bakes the CRC32 of an EMPTY body into
      // the URL (x-amz-checksum-crc32=AAAAAA==); S3 then refuses the upload with BadDigest, and
      // so does s3gate, storing nothing. AWS's advice is WHEN_REQUIRED for presigning clients.
      const defaultUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'alpha', Key: `${key}.default` }), { expiresIn: 300 });
      expect(defaultUrl).toContain('x-amz-checksum-crc32=AAAAAA%3D%3D');
      const refused = await fetchUrl(defaultUrl, { method: 'PUT', body, caPem: p.tls?.certPem });
      expect(refused.status).toBe(400);
      expect(refused.body.toString()).toContain('<Code>BadDigest</Code>');
      expect(await upstreamExists(moto, 'alpha', `${key}.default`)).toBe(false);

      const presigner = client(FULL, { requestChecksumCalculation: 'WHEN_REQUIRED' });
      const putUrl = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: 'alpha', Key: key }), { expiresIn: 300 });
      expect(putUrl).toContain('X-Amz-Signature=');
      const put = await fetchUrl(putUrl, { method: 'PUT', body, caPem: p.tls?.certPem });
      expect(put.status, put.body.toString()).toBe(200);
      expect((await upstreamObject(moto, 'alpha', key))?.equals(body)).toBe(true);

      const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'alpha', Key: key }), { expiresIn: 300 });
      const got = await fetchUrl(getUrl, { caPem: p.tls?.certPem });
      expect(got.status).toBe(200);
      expect(got.body.equals(body)).toBe(true);

      const shortLived = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'alpha', Key: key }), { expiresIn: 1 });
      await new Promise((r) => setTimeout(r, 2100));
      const expired = await fetchUrl(shortLived, { caPem: p.tls?.certPem });
      expect(expired.status).toBe(403);
      expect(expired.body.toString()).toContain('AccessDenied');

      const tampered = await fetchUrl(getUrl.replace('X-Amz-Expires=300', 'X-Amz-Expires=301'), { caPem: p.tls?.certPem });
      expect(tampered.status).toBe(403);
      const denied = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'gamma', Key: 'x' }), { expiresIn: 300 });
      expect((await fetchUrl(denied, { caPem: p.tls?.certPem })).status).toBe(403);
    });

    it('ListBuckets shows only the scoped buckets', async () => {
      expect((await client(FULL).send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['alpha', 'beta']);
      expect((await client(PREFIXED).send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['alpha']);
    });

    it('refuses a bucket outside the scopes and a key outside the prefix, upstream untouched', async () => {
      const since = moto.requests.length;
      expect(await s3Error(client(FULL).send(new PutObjectCommand({ Bucket: 'gamma', Key: 'x', Body: 'no' })))).toEqual({ name: 'AccessDenied', status: 403 });
      expect(upstreamSawBucket(moto, 'gamma', since)).toBe(false);
      expect((await s3Error(client(FULL).send(new PutObjectCommand({ Bucket: 'beta', Key: 'x', Body: 'no' })))).name).toBe('AccessDenied');
      expect(await upstreamExists(moto, 'beta', 'x')).toBe(false);
      const s3 = client(PREFIXED);
      await s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: `data/${base}ok.txt`, Body: 'ok' }));
      expect((await upstreamObject(moto, 'alpha', `data/${base}ok.txt`))?.toString()).toBe('ok');
      expect((await s3Error(s3.send(new PutObjectCommand({ Bucket: 'alpha', Key: `data-private/${base}x`, Body: 'no' })))).name).toBe('AccessDenied');
      expect(await upstreamExists(moto, 'alpha', `data-private/${base}x`)).toBe(false);
      expect((await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'alpha' })))).name).toBe('AccessDenied');
    });

    it('DeleteObjects (default checksum on the body) deletes the allowed key and reports the other per key', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `data/${base}del`, Body: '1' }));
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `secret/${base}keep`, Body: '2' }));
      const result = await client(PREFIXED).send(new DeleteObjectsCommand({ Bucket: 'alpha', Delete: { Objects: [{ Key: `data/${base}del` }, { Key: `secret/${base}keep` }] } }));
      expect(result.Deleted?.map((d) => d.Key)).toEqual([`data/${base}del`]);
      expect(result.Errors?.map((e) => [e.Key, e.Code])).toEqual([[`secret/${base}keep`, 'AccessDenied']]);
      expect(await upstreamExists(moto, 'alpha', `data/${base}del`)).toBe(false);
      expect(await upstreamExists(moto, 'alpha', `secret/${base}keep`)).toBe(true);
    });

    it('refuses a key disabled by a config reload', async () => {
      await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt`, Body: 'toggle' }));
      const get = (): Promise<string> => client(TOGGLED).send(new GetObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt` })).then((r) => r.Body!.transformToString());
      expect(await get()).toBe('toggle');
      const presigned = await getSignedUrl(client(TOGGLED), new GetObjectCommand({ Bucket: 'alpha', Key: `${base}toggle.txt` }), { expiresIn: 300 });
      expect((await fetchUrl(presigned, { caPem: p.tls?.certPem })).body.toString()).toBe('toggle');
      await p.proxy.rewriteConfig(credentials(false));
      try {
        expect((await s3Error(get())).name).toBe('AccessDenied');
        // A URL presigned before the key was disabled stops working too.
        const late = await fetchUrl(presigned, { caPem: p.tls?.certPem });
        expect(late.status).toBe(403);
        expect(late.body.toString()).toContain('AccessDenied');
      } finally {
        await p.proxy.rewriteConfig(credentials(true));
      }
      expect(await get()).toBe('toggle');
    });
  });
}

describeOver('http');
describeOver('https');
