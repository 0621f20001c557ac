/**
 * Review 4: an https backend whose certificate s3gate cannot verify (self-signed, expired,
 * wrong name) made every forwarded request a 500 InternalError with an "internal error on the
 * S3 path" stack in the log. The upstream cannot be reached safely: that is a gateway error,
 * 502 BadGateway with the request id. The same for an https endpoint that speaks plain HTTP.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';
import { makeSelfSignedCert } from '../support/tls.js';

const KEY = { accessKeyId: 'SGREVIEW4UPSTREAMTLS', secretAccessKey: 'upstream-tls-secret-0000000000000000' };

let upstream: Server;
/** A plain-HTTP upstream the config wrongly calls https. */
let plain: ReturnType<typeof createHttpServer>;
let proxy: TestProxy;
let plainProxy: TestProxy;

beforeAll(async () => {
  const cert = makeSelfSignedCert();
  upstream = createServer({ cert: cert.certPem, key: readFileSync(cert.keyPath) }, (_req, res) => {
    res.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `https://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]));
  plain = createHttpServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainAddress = plain.address() as { port: number };
  const wrong = { endpoint: `https://127.0.0.1:${plainAddress.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  plainProxy = await startProxy(wrong, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await plainProxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
  await new Promise((resolve) => plain?.close(resolve));
});

describe('review 4: an upstream certificate that does not verify', () => {
  it.each([
    ['a self-signed certificate', () => proxy],
    ['a backend that does not speak TLS', () => plainProxy],
  ])('%s: a 502 BadGateway with the request id, not a 500 InternalError', async (_what, which) => {
    const target = which();
    const url = new URL(target.url);
    const signed = await signRaw(KEY, { method: 'GET', host: url.host, path: '/alpha/key' });
    const res = await fetch(`${target.url}${signed.path}`, { headers: signed.headers });
    const body = await res.text();
    expect(res.status).toBe(502);
    expect(body).toContain('<Code>BadGateway</Code>');
    const requestId = res.headers.get('x-amz-request-id');
    expect(body).toContain(`<RequestId>${requestId}</RequestId>`);
    expect(target.logLines.some((l) => l.includes('internal error on the S3 path'))).toBe(false);
  });
});
