/**
 * Review 4: the S3 listener's last resort (handleS3Request rejected before answering) sent
 * its InternalError without the x-amz-request-id header, although the body carried a
 * request id: every S3 response must carry the header, and it must match the body's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createS3Listener } from '../../../src/http/s3-listener.js';
import type { S3RequestContext } from '../../../src/proxy/handle-s3-request.js';
import type { RuntimeRef } from '../../../src/proxy/proxy-runtime.js';
import { SigningKeyCache } from '../../../src/sigv4/signing-key.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

describe('review 4: the listener answers a request its handler could not', () => {
  it('sends InternalError with an x-amz-request-id header matching the body', async () => {
    // A broken runtime: the handler fails, and fails again while describing the failure.
    const runtime = {
      get current(): never {
        throw new Error('runtime unavailable');
      },
    } as unknown as RuntimeRef;
    const log = { error: () => {} } as unknown as Logger;
    const ctx: S3RequestContext = { runtime, log, requestLog: { info: () => {} }, clock: () => Date.now(), signingKeys: new SigningKeyCache() };
    server = createServer(createS3Listener(ctx, { closing: false, onSettledWhileClosing: () => {} }));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/alpha/key`);
    const body = await res.text();
    expect(res.status).toBe(500);
    expect(body).toContain('<Code>InternalError</Code>');
    const requestId = res.headers.get('x-amz-request-id');
    expect(requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
  });
});
