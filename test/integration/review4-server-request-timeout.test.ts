/**
 * Review 4: a client too slow to send its request (headers not complete within
 * request_timeout_ms, or 60 s) was told "400 InvalidRequest: The request could not be parsed
 * as HTTP/1.1 (ERR_HTTP_REQUEST_TIMEOUT)", as if it had sent malformed HTTP. S3 answers a
 * connection that stalls with 400 RequestTimeout, which SDKs know to retry.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { startProxy, type TestProxy } from '../support/proxy.js';

let proxy: TestProxy;

beforeAll(async () => {
  // Nothing reaches the upstream here: any endpoint will do.
  const fake = { endpoint: 'http://127.0.0.1:9', accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, '', '\n[server.limits]\nrequest_timeout_ms = 1000');
});

afterAll(async () => {
  await proxy?.stop();
});

describe('review 4: headers that never finish', () => {
  it('are answered with an S3 RequestTimeout and a request id', async () => {
    const port = Number(new URL(proxy.url).port);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(out));
      socket.write('GET /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nx-slow: ');
      setTimeout(() => socket.destroy(), 10_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('<Code>RequestTimeout</Code>');
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/);
  }, 15_000);
});
