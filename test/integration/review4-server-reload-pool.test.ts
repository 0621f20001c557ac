/**
 * Review 4: a reload that changes a backend's settings closes its old undici pool at once. A
 * request that had already taken the old runtime but not yet dispatched (a DeleteObjects whose
 * body is still arriving) was then sent to a closed pool: undici's ClientClosedError became a
 * 500 InternalError with a logged stack. It must be a retryable 503 with the request id.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW4RELOADPOOL1', secretAccessKey: 'reload-pool-secret-000000000000000000' };
const CREDENTIALS = credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]);

let upstream: Server;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.on('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: 0\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `http://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, CREDENTIALS, '\n[server.limits]\nupstream_connect_timeout_ms = 5000');
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('review 4: backend pool replaced while a request is being read', () => {
  it('answers a request caught by the old, closed pool with a retryable 503, not 500', async () => {
    const url = new URL(proxy.url);
    const body = '<Delete><Object><Key>a</Key></Object></Delete>';
    const sha = createHash('sha256').update(body).digest('hex');
    const md5 = createHash('md5').update(body).digest('base64');
    const signed = await signRaw(KEY, {
      method: 'POST',
      host: url.host,
      path: '/alpha',
      query: { delete: '' },
      headers: { 'content-length': String(body.length), 'content-md5': md5 },
      payloadHash: sha,
    });
    const answer = new Promise<string>((resolve) => {
      let out = '';
      const socket = connect(Number(url.port), '127.0.0.1');
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(out));
      socket.write(`POST ${signed.path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}connection: close\r\n\r\n`);
      socket.write(body.slice(0, 10));
      // The backend's settings change (a new pool) while the body is still on its way.
      proxy
        .rewriteConfig(CREDENTIALS, '\n[server.limits]\nupstream_connect_timeout_ms = 6000')
        .then(() => socket.write(body.slice(10)), () => socket.destroy());
      setTimeout(() => socket.destroy(), 10_000);
    });
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toContain('<Code>ServiceUnavailable</Code>');
    expect(text).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/);
    expect(proxy.logLines.some((l) => l.includes('internal error on the S3 path'))).toBe(false);
  }, 15_000);
});
