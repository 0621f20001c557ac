/**
 * Review 4: an HTTP/1.1 request without a Host header was refused by node itself
 * (requireHostHeader) with a bare, chunked 400: no S3 XML and no x-amz-request-id. The same
 * request in HTTP/1.0 already got the S3 pipeline's answer; HTTP/1.1 now does too.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

let proxy: TestProxy;

beforeAll(async () => {
  // Nothing reaches the upstream here: any endpoint will do.
  const fake = { endpoint: 'http://127.0.0.1:9', accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, '');
});

afterAll(async () => {
  await proxy?.stop();
});

describe('review 4: HTTP/1.1 without Host', () => {
  it('gets an S3 XML error with a request id, not a bare 400', async () => {
    const port = Number(new URL(proxy.url).port);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(out));
      socket.write('GET /alpha/key HTTP/1.1\r\nConnection: close\r\n\r\n');
      setTimeout(() => socket.destroy(), 5_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
    const requestId = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\n/i.exec(answer)?.[1];
    expect(requestId).toBeDefined();
    expect(answer).toContain(`<RequestId>${requestId}</RequestId>`);
  });
});
