/**
 * Review: x-amz-copy-source is checked by the proxy in one parse and forwarded verbatim, so
 * the upstream re-parses it in its own way. A key scoped to a bucket glob (`team-*`) names a
 * source the proxy reads as bucket `team-a:` (matches the glob) while the upstream (moto: urlparse)
 * reads it as a URL whose path is `/other-secret-bucket/secret.txt`.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const TEAM = { accessKeyId: 'SGREVIEWTEAMKEY00001', secretAccessKey: 'team-secret-0000000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['team-a', 'other-secret-bucket']) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'other-secret-bucket', Key: 'secret.txt', Body: 'TOP SECRET' }));
  proxy = await startProxy(moto, credentialToml(TEAM, [{ bucket: 'team-*', actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

async function copy(copySource: string, destKey: string): Promise<{ status: number; body: string }> {
  const host = new URL(proxy.url).host;
  const signed = await signRaw(TEAM, { method: 'PUT', host, path: `/team-a/${destKey}`, headers: { 'x-amz-copy-source': copySource } });
  const response = await request(`${proxy.url}${signed.path}`, { method: 'PUT', headers: signed.headers });
  return { status: response.statusCode, body: await response.body.text() };
}

async function upstreamHas(bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await moto.admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body?.transformToString();
  } catch {
    return undefined;
  }
}

describe('review: x-amz-copy-source is forwarded verbatim, not as checked', () => {
  it('a copy source with a URL scheme cannot copy from a bucket outside the glob scope', async () => {
    const result = await copy('team-a://x/other-secret-bucket/secret.txt', 'stolen.txt');
    expect(await upstreamHas('team-a', 'stolen.txt')).toBeUndefined();
    expect(result.status).toBe(400);
  });

  it('a copy source bucket must be a valid bucket name (no ":")', async () => {
    const result = await copy('team-a:/secret.txt', 'x.txt');
    expect(result.status).toBe(400);
    expect(result.body).toContain('InvalidArgument');
  });
});
