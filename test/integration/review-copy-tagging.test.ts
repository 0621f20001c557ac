/**
 * Review: CopyObject copies the source's tags by default (x-amz-tagging-directive COPY). The
 * proxy only asks put_object_tagging when an x-amz-tagging header is present
 * (src/s3/classify-operation.ts deriveAdditionalActions), so a key without put_object_tagging
 * (nor get_object_tagging on the source) still creates tagged objects — tags that lifecycle rules
 * and ABAC policies act on. AWS requires s3:GetObjectTagging on the source and
 * s3:PutObjectTagging on the destination for this.
 */
import { CreateBucketCommand, GetObjectTaggingCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEWCOPYTAG00001', secretAccessKey: 'copytag-secret-0000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'alpha' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'tagged.txt', Body: 'x', Tagging: 'retention=forever' }));
  proxy = await startProxy(moto, credentialToml(KEY, [{ bucket: 'alpha', actions: ['get_object', 'copy_object', 'put_object'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('review: CopyObject and tags', () => {
  it('a key without put_object_tagging cannot create a tagged object by copying one', async () => {
    const host = new URL(proxy.url).host;
    const signed = await signRaw(KEY, { method: 'PUT', host, path: '/alpha/copy.txt', headers: { 'x-amz-copy-source': '/alpha/tagged.txt' } });
    const response = await request(`${proxy.url}${signed.path}`, { method: 'PUT', headers: signed.headers });
    await response.body.text();
    let tags: unknown[] = [];
    if (response.statusCode === 200) {
      tags = (await moto.admin.send(new GetObjectTaggingCommand({ Bucket: 'alpha', Key: 'copy.txt' }))).TagSet ?? [];
    }
    expect(tags).toEqual([]);
  });
});
