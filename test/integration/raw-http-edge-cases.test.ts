/**
 * Review 4: requests on the S3 listener that node's HTTP server used to answer (or drop) by
 * itself, without S3 XML or an x-amz-request-id. Each is sent as raw bytes, since clients would
 * not send them; each must now get the S3 pipeline's answer with a request id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { startProxy, type TestProxy } from '../support/proxy.js';
import { rawExchange } from '../support/raw-request.js';

// Nothing reaches the upstream here: any endpoint will do.
const fakeUpstream = { endpoint: 'http://127.0.0.1:9', accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;

let proxy: TestProxy;
let port: number;

beforeAll(async () => {
  proxy = await startProxy(fakeUpstream, '');
  port = Number(new URL(proxy.url).port);
});

afterAll(async () => {
  await proxy?.stop();
});

/**
 * A CONNECT (a client mistaking s3gate for a forward proxy) reached node's unhandled 'connect'
 * event and the socket was destroyed without a byte: it must get an S3-shaped 405.
 */
describe('review 4: CONNECT on the S3 listener', () => {
  it('answers CONNECT with an S3 XML 405 carrying a request id, and closes', async () => {
    const answer = await rawExchange(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/i);
    expect(answer).toContain('<Code>MethodNotAllowed</Code>');
    expect(answer).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId>/);
  });

  it('keeps serving afterwards', async () => {
    const answer = await rawExchange(port, 'GET /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(answer).toContain('<Code>AccessDenied</Code>');
  });
});

/**
 * An Expect other than 100-continue hit node's unhandled 'checkExpectation' event: a bare 417,
 * no S3 pipeline. RFC 9110 lets a server ignore an unknown expectation: handle it like any other.
 */
describe('review 4: an unknown Expect value', () => {
  it('gets the S3 pipeline and its XML answer with a request id, not a bare 417', async () => {
    const answer = await rawExchange(port, 'GET /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/);
    expect(answer).toContain('<Code>AccessDenied</Code>');
  });
});

/**
 * HTTP/1.1 without Host was refused by node itself (requireHostHeader) with a bare 400, while
 * the same request in HTTP/1.0 got the S3 pipeline's answer: HTTP/1.1 must get it too.
 */
describe('review 4: HTTP/1.1 without Host', () => {
  it('gets an S3 XML error with a request id, not a bare 400', async () => {
    const answer = await rawExchange(port, 'GET /alpha/key HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
    const requestId = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\n/i.exec(answer)?.[1];
    expect(requestId).toBeDefined();
    expect(answer).toContain(`<RequestId>${requestId}</RequestId>`);
  });
});

/**
 * An OPTIONS without Origin or Access-Control-Request-Method (including `OPTIONS *`) got a
 * text/plain 400, unlike every other error on the S3 listener: it must be S3 XML too.
 */
describe('review 4: incomplete CORS preflight', () => {
  it.each([
    ['OPTIONS /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
    ['OPTIONS /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://example.com\r\nConnection: close\r\n\r\n'],
    ['OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
  ])('%j: an S3 XML 400 with the request id', async (request) => {
    const answer = await rawExchange(port, request);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/\r\ncontent-type: application\/xml\r\n/i);
    const requestId = /\r\nx-amz-request-id: ([0-9A-F]{16})\r\n/i.exec(answer)?.[1];
    expect(requestId).toBeDefined();
    expect(answer).toContain('<Message>Insufficient information. Origin request header needed.</Message>');
    expect(answer).toContain(`<RequestId>${requestId}</RequestId>`);
  });
});

/**
 * Headers not complete within request_timeout_ms got "400 InvalidRequest … could not be parsed",
 * as if malformed: S3 answers a stalled connection 400 RequestTimeout, which SDKs retry.
 * Needs its own proxy with a short request_timeout_ms.
 */
describe('review 4: headers that never finish', () => {
  let slowProxy: TestProxy;

  beforeAll(async () => {
    slowProxy = await startProxy(fakeUpstream, '', '\n[server.limits]\nrequest_timeout_ms = 1000');
  });

  afterAll(async () => {
    await slowProxy?.stop();
  });

  it('are answered with an S3 RequestTimeout and a request id', async () => {
    const answer = await rawExchange(Number(new URL(slowProxy.url).port), 'GET /alpha/key HTTP/1.1\r\nHost: 127.0.0.1\r\nx-slow: ', 10_000);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('<Code>RequestTimeout</Code>');
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/);
  }, 15_000);
});
