/**
 * Review 4: a CONNECT request (a client mistaking s3gate for a forward proxy) reached node's
 * 'connect' event, which had no listener: node destroyed the socket without a byte, so the
 * client got no S3 error and no request id. It must get an S3-shaped 405.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

let proxy: TestProxy;

beforeAll(async () => {
  // Nothing reaches the upstream here: any endpoint will do.
  const upstream = { endpoint: 'http://127.0.0.1:9', accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(upstream, '');
});

afterAll(async () => {
  await proxy?.stop();
});

function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(out));
    socket.write(request);
    setTimeout(() => socket.destroy(), 5_000);
  });
}

describe('review 4: CONNECT on the S3 listener', () => {
  it('answers CONNECT with an S3 XML 405 carrying a request id, and closes', async () => {
    const port = Number(new URL(proxy.url).port);
    const answer = await rawExchange(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/i);
    expect(answer).toContain('<Code>MethodNotAllowed</Code>');
    expect(answer).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId>/);
  });

  it('keeps serving afterwards', async () => {
    const port = Number(new URL(proxy.url).port);
    const answer = await rawExchange(port, 'GET /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(answer).toContain('<Code>AccessDenied</Code>');
  });
});
