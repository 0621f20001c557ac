/**
 * Review 4: an answer the proxy reads itself (ListBuckets for glob scopes, the CreateBucket
 * probe, DeleteObjects) larger than its 8 MiB cap became "500 InternalError" and an
 * "internal error on the S3 path" log line: the upstream misbehaved, so the gateway's answer
 * is 502 BadGateway (with the request id), and nothing past the cap is buffered.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW4HUGEANSWER1', secretAccessKey: 'huge-answer-secret-00000000000000000' };
const HUGE_BYTES = 9 * 1024 * 1024;

let upstream: Server;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: ${HUGE_BYTES}\r\n\r\n`);
      socket.end(Buffer.alloc(HUGE_BYTES, 0x20));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `http://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  // A glob scope: ListBuckets asks the upstream and reads its answer.
  proxy = await startProxy(fake, credentialToml(KEY, [{ bucket: 'team-*', actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('review 4: an upstream answer too large to read', () => {
  it('is a 502 BadGateway with the request id, not a 500 InternalError', async () => {
    const url = new URL(proxy.url);
    const signed = await signRaw(KEY, { method: 'GET', host: url.host, path: '/' });
    const res = await fetch(`${proxy.url}${signed.path}`, { headers: signed.headers });
    const body = await res.text();
    expect(res.status).toBe(502);
    expect(body).toContain('<Code>BadGateway</Code>');
    const requestId = res.headers.get('x-amz-request-id');
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
    expect(proxy.logLines.some((l) => l.includes('internal error on the S3 path'))).toBe(false);
  });
});
