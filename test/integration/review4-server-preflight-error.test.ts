/**
 * Review 4: an OPTIONS request without Origin or Access-Control-Request-Method (including
 * `OPTIONS *`) was answered 400 with a text/plain, chunked body: every other error on the S3
 * listener is S3 XML (Code, Message, RequestId). It must be one too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
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

describe('review 4: incomplete CORS preflight', () => {
  it.each([
    ['OPTIONS /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['OPTIONS /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://example.com\r\nConnection: close\r\n\r\n'],
    ['OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
  ])('%j: an S3 XML 400 with the request id', async (request) => {
    const answer = await rawExchange(Number(new URL(proxy.url).port), request);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
    const requestId = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\n/i.exec(answer)?.[1];
    expect(requestId).toBeDefined();
    expect(answer).toContain('<Message>Insufficient information. Origin request header needed.</Message>');
    expect(answer).toContain(`<RequestId>${requestId}</RequestId>`);
  });
});
