/**
 * Review 4: an upstream that answers with something that is not HTTP (a bad status line) or
 * with headers larger than undici accepts made s3gate answer 500 InternalError and log an
 * "internal error on the S3 path" with a stack: the fault is the upstream's, and the gateway's
 * answer for an invalid upstream response is 502 BadGateway (with the request id).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW4MALFORMED01', secretAccessKey: 'malformed-secret-00000000000000000000' };

const ANSWERS: Record<string, string> = {
  'bad-status': 'HTTP/1.1 2OO OK\r\nfoo\r\n\r\n',
  'huge-headers': `HTTP/1.1 200 OK\r\nx-junk: ${'a'.repeat(100_000)}\r\ncontent-length: 0\r\n\r\n`,
};

let upstream: Server;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = createServer((socket: Socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /^[A-Z]+ \/[^/]+\/([^ ?]+)/.exec(head)?.[1] ?? '';
      head = '';
      socket.write(ANSWERS[key] ?? 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `http://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('review 4: malformed upstream responses', () => {
  it.each(['bad-status', 'huge-headers'])('%s: 502 BadGateway with the request id, not 500 InternalError', async (key) => {
    const url = new URL(proxy.url);
    const signed = await signRaw(KEY, { method: 'GET', host: url.host, path: `/alpha/${key}` });
    const res = await fetch(`${proxy.url}${signed.path}`, { headers: signed.headers });
    const body = await res.text();
    expect(res.status).toBe(502);
    expect(body).toContain('<Code>BadGateway</Code>');
    const requestId = res.headers.get('x-amz-request-id');
    expect(requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
    expect(proxy.logLines.some((l) => l.includes(requestId ?? '?') && l.includes('internal error'))).toBe(false);
  });
});
