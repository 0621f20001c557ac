/**
 * Review: bucket names belong to a backend ([[buckets]] mappings). CopyObject is sent to the
 * destination bucket's backend with the source bucket's name, so a source that lives on
 * ANOTHER backend was read from a same-named bucket on the destination's backend: the policy
 * checked read access on `archive-x` (the archive backend's) and the copy read a different
 * `archive-x` that the key had no scope on.
 */
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';

const KEY = { accessKeyId: 'SGREVIEW3COPYBACK001', secretAccessKey: 'copy-backend-secret-00000000000000000' };

let main: MotoServer;
let archive: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  [main, archive] = await Promise.all([startMoto(), startMoto()]);
  for (const bucket of ['work', 'archive-x']) await main.admin.send(new CreateBucketCommand({ Bucket: bucket }));
  await main.admin.send(new PutObjectCommand({ Bucket: 'archive-x', Key: 'doc.txt', Body: 'shadow secret' }));
  await archive.admin.send(new CreateBucketCommand({ Bucket: 'archive-x' }));
  await archive.admin.send(new PutObjectCommand({ Bucket: 'archive-x', Key: 'doc.txt', Body: 'archived doc' }));
  const backends = `
[[backends]]
name = "archive"
endpoint = "${archive.endpoint}"
region = "us-east-1"
access_key_id = "${archive.accessKeyId}"
secret_access_key = "${archive.secretAccessKey}"
path_style = true

[[buckets]]
name = "archive-*"
backend = "archive"
`;
  proxy = await startProxy(
    main,
    credentialToml(KEY, [
      { bucket: 'archive-x', actions: ['get_object'] },
      { bucket: 'work', actions: ['get_object', 'put_object', 'copy_object'] },
    ]),
    backends,
  );
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([main?.stop(), archive?.stop()]);
});

describe('review: CopyObject between buckets of different backends', () => {
  it('control: the archive bucket is read from the archive backend', async () => {
    const out = await proxy.client(KEY).send(new GetObjectCommand({ Bucket: 'archive-x', Key: 'doc.txt' }));
    expect(await out.Body?.transformToString()).toBe('archived doc');
  });

  it('a copy from archive-x into work never reads the main backend’s archive-x', async () => {
    const client = proxy.client(KEY);
    const attempt = client.send(new CopyObjectCommand({ Bucket: 'work', Key: 'copied.txt', CopySource: 'archive-x/doc.txt' }));
    await expect(attempt).rejects.toMatchObject({ name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
    await expect(main.admin.send(new GetObjectCommand({ Bucket: 'work', Key: 'copied.txt' }))).rejects.toThrow();
  });
});
