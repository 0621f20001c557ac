/**
 * Review: behind a trusted proxy, X-Forwarded-Host replaces req.headers.host for addressing, but
 * when any header is repeated the verifier is handed req.headersDistinct, which node builds from
 * rawHeaders and so still carries the ORIGINAL Host. The signature is then checked over one host
 * and the bucket taken from another: a request (or a shared presigned URL) signed for bucket
 * `alpha` is served from bucket `beta`.
 */
import { connect } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEWXFHKEY000001', secretAccessKey: 'xfh-secret-00000000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  for (const bucket of ['alpha', 'beta']) await moto.admin.send(new CreateBucketCommand({ Bucket: bucket }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'alpha', Key: 'doc.txt', Body: 'alpha doc' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'beta', Key: 'doc.txt', Body: 'beta doc' }));
  proxy = await startProxy(
    moto,
    credentialToml(KEY, [{ bucket: 'alpha', actions: ['get_object'] }, { bucket: 'beta', actions: ['get_object'] }]),
    'virtual_host_domains = ["s3.test"]\ntrusted_proxies = ["127.0.0.1/32", "::1/128"]',
  );
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

function rawRequest(head: string): Promise<string> {
  const port = Number(new URL(proxy.url).port);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.write(head);
  });
}

describe('review: X-Forwarded-Host and the host the signature covers', () => {
  it('control: without a repeated header the forged X-Forwarded-Host is caught by the signature', async () => {
    const signed = await signRaw(KEY, { method: 'GET', host: 'alpha.s3.test', path: '/doc.txt' });
    const headers = Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const out = await rawRequest(`GET ${signed.path} HTTP/1.1\r\n${headers}x-forwarded-host: beta.s3.test\r\nconnection: close\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 403/);
    expect(out).not.toContain('beta doc');
  });

  it('a request signed for alpha.s3.test is not served from beta when a header is repeated', async () => {
    const signed = await signRaw(KEY, { method: 'GET', host: 'alpha.s3.test', path: '/doc.txt' });
    const headers = Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    // Two Accept lines (unsigned, harmless) switch the verifier to headersDistinct.
    const out = await rawRequest(
      `GET ${signed.path} HTTP/1.1\r\n${headers}x-forwarded-host: beta.s3.test\r\naccept: */*\r\naccept: text/plain\r\nconnection: close\r\n\r\n`,
    );
    expect(out).not.toContain('beta doc');
    expect(out).toMatch(/^HTTP\/1\.1 403/);
  });
});
