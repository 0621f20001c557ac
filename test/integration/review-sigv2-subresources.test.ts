/**
 * Review: SigV2 signs only the sub-resources listed in SIGV2_SUBRESOURCES
 * (src/sigv4/sigv2.ts). Sub-resources that select an operation in src/s3/operations.ts but are
 * missing from that list (`attributes`, `ownershipControls`, `policyStatus`) are NOT covered by
 * the signature, so whoever holds a SigV2 presigned URL can append one and turn the signed
 * operation into another one the signer never signed.
 */
import { createHmac } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';

const KEY = { accessKeyId: 'SGREVIEWSIGV2KEY0001', secretAccessKey: 'sigv2-secret-000000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'alpha' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'a.txt', Body: 'A' }));
  proxy = await startProxy(moto, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

/** A SigV2 presigned GET URL for `resource` (the canonical resource, e.g. `/alpha/a.txt`). */
function presignV2(resource: string): string {
  const expires = String(Math.floor(Date.now() / 1000) + 300);
  const signature = createHmac('sha1', KEY.secretAccessKey).update(`GET\n\n\n${expires}\n${resource}`).digest('base64');
  return `${proxy.url}${resource}?AWSAccessKeyId=${KEY.accessKeyId}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
}

describe('review: SigV2 presigned URLs and unsigned sub-resources', () => {
  it('control: the presigned URL works as signed', async () => {
    const response = await request(presignV2('/alpha/a.txt'));
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('A');
  });

  it.each(['ownershipControls', 'policyStatus'])('a ListObjects URL cannot be turned into ?%s', async (sub) => {
    const before = moto.requests.length;
    const response = await request(`${presignV2('/alpha')}&${sub}`);
    const body = await response.body.text();
    expect(response.statusCode, body).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    expect(moto.requests.slice(before).some((line) => line.includes(sub))).toBe(false);
  });

  it('a GetObject URL cannot be turned into GetObjectAttributes (?attributes)', async () => {
    const before = moto.requests.length;
    const response = await request(`${presignV2('/alpha/a.txt')}&attributes`);
    const body = await response.body.text();
    expect(response.statusCode, body).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    expect(moto.requests.slice(before).some((line) => line.includes('attributes'))).toBe(false);
  });
});
