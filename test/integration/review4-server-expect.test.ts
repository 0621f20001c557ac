/**
 * Review 4: a request with an Expect header other than 100-continue went to node's
 * 'checkExpectation' event, which had no listener, so node answered a bare, chunked
 * "417 Expectation Failed": no S3 XML, no x-amz-request-id, and the request never reached
 * the S3 pipeline. RFC 9110 lets a server ignore an expectation it does not know (the header
 * is not forwarded upstream): the request is now handled like any other.
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

describe('review 4: an unknown Expect value', () => {
  it('gets the S3 pipeline and its XML answer with a request id, not a bare 417', async () => {
    const port = Number(new URL(proxy.url).port);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString('latin1');
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve(out));
      socket.write('GET /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n');
      setTimeout(() => socket.destroy(), 5_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/);
    expect(answer).toContain('<Code>AccessDenied</Code>');
  });
});
