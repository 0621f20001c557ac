/**
 * Review: the query map handed to the classifier was a plain object, so a parameter named
 * `__proto__` was swallowed by the prototype setter: the classifier never saw it (an unknown
 * parameter must make the request unclassifiable) while it still went upstream.
 */
import { createHash, createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';

const KEY = { accessKeyId: 'SGREVIEW3PROTOKEY001', secretAccessKey: 'proto-secret-0000000000000000000000000' };

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

const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();

/** SigV4 by hand (smithy's signer drops a `__proto__` query name): GET /alpha/a.txt?<rawQuery>. */
async function signedGet(rawQuery: string): Promise<string> {
  const host = new URL(proxy.url).host;
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const canonical = `GET\n/alpha/a.txt\n${rawQuery}\nhost:${host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${amzDate}\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD`;
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${KEY.secretAccessKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const authorization = `AWS4-HMAC-SHA256 Credential=${KEY.accessKeyId}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}`;
  const head = `GET /alpha/a.txt${rawQuery === '' ? '' : `?${rawQuery}`} HTTP/1.1\r\nhost: ${host}\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nx-amz-date: ${amzDate}\r\nauthorization: ${authorization}\r\nconnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.write(head);
  });
}

describe('review: every query parameter reaches the classifier', () => {
  it('control: a plain GetObject works', async () => {
    expect(await signedGet('')).toMatch(/^HTTP\/1\.1 200/);
  });

  it('an unknown __proto__ parameter is refused like any unknown parameter, not forwarded', async () => {
    const before = moto.requests.length;
    expect(await signedGet('unknown=x')).toMatch(/^HTTP\/1\.1 501/);
    const proto = await signedGet('__proto__=x');
    expect(proto).toMatch(/^HTTP\/1\.1 501/);
    await new Promise((r) => setTimeout(r, 200));
    expect(moto.requests.slice(before).some((line) => line.includes('__proto__'))).toBe(false);
  });
});
