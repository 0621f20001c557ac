/**
 * Review: a virtual-host bucket is taken from the Host header, which node accepts with any
 * printable characters. A bucket label with a `/` (`Host: logs-a/secret.s3.test`) matched a
 * glob scope (`logs-*`) and went upstream path-style as `/logs-a/secret/<key>`: bucket `logs-a`,
 * key `secret/<key>`, outside the scope's prefix that the request's key was checked against.
 */
import { connect } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW3VHOSTKEY001', secretAccessKey: 'vhost-secret-0000000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'logs-a' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'logs-a', Key: 'public/x', Body: 'public doc' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'logs-a', Key: 'secret/public/x', Body: 'secret doc' }));
  proxy = await startProxy(
    moto,
    credentialToml(KEY, [{ bucket: 'logs-*', prefixes: ['public'], actions: ['get_object'] }]),
    'virtual_host_domains = ["s3.test"]',
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

async function signedGet(host: string, path: string): Promise<string> {
  const signed = await signRaw(KEY, { method: 'GET', host, path });
  const headers = Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return rawRequest(`GET ${signed.path} HTTP/1.1\r\n${headers}connection: close\r\n\r\n`);
}

describe('review: a virtual-host bucket must be a bucket name', () => {
  it('control: logs-a.s3.test/public/x is served', async () => {
    const out = await signedGet('logs-a.s3.test', '/public/x');
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain('public doc');
  });

  it('Host logs-a/secret.s3.test does not reach logs-a/secret/public/x', async () => {
    const out = await signedGet('logs-a/secret.s3.test', '/public/x');
    expect(out).not.toContain('secret doc');
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(out).toContain('<Code>InvalidBucketName</Code>');
  });
});
