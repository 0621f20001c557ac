/**
 * Review: with SigV2 header authentication the CanonicalizedAmzHeaders come from the headers
 * only; x-amz-* query parameters are signed only in SigV2 presigned URLs. The gateway still let
 * a header-signed request carry them and sent them upstream as headers, so whoever replays a
 * captured request (within the clock skew) could append e.g. `x-amz-copy-source` and turn a
 * signed PutObject into a CopyObject the signer never signed.
 */
import { createHmac } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';

const KEY = { accessKeyId: 'SGREVIEW3SIGV2HDR001', secretAccessKey: 'sigv2-hdr-secret-00000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'alpha' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'secret.txt', Body: 'SECRET' }));
  proxy = await startProxy(moto, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

/** A SigV2 header-signed PUT of `body` to `resource`, sent with `extraQuery` appended (unsigned). */
async function putV2(resource: string, body: string, extraQuery: string): Promise<number> {
  const date = new Date().toUTCString();
  const type = 'text/plain';
  const signature = createHmac('sha1', KEY.secretAccessKey).update(`PUT\n\n${type}\n${date}\n${resource}`).digest('base64');
  const response = await request(`${proxy.url}${resource}${extraQuery}`, {
    method: 'PUT',
    body,
    headers: { date, 'content-type': type, authorization: `AWS ${KEY.accessKeyId}:${signature}` },
  });
  await response.body.text();
  return response.statusCode;
}

async function content(key: string): Promise<string> {
  const out = await moto.admin.send(new GetObjectCommand({ Bucket: 'alpha', Key: key }));
  return (await out.Body?.transformToString()) ?? '';
}

describe('review: SigV2 header auth does not sign x-amz-* query parameters', () => {
  it('control: the signed PUT works', async () => {
    expect(await putV2('/alpha/upload.txt', 'hello', '')).toBe(200);
    expect(await content('upload.txt')).toBe('hello');
  });

  it('an appended x-amz-copy-source cannot turn the signed PutObject into a CopyObject', async () => {
    const status = await putV2('/alpha/upload2.txt', 'hello', '?x-amz-copy-source=%2Falpha%2Fsecret.txt');
    expect(status).toBe(403);
    await expect(content('upload2.txt')).rejects.toThrow();
  });
});
