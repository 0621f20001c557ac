/**
 * Review 4: a client that hangs up while s3gate waits for the upstream's response headers did
 * not abort the upstream request: the upstream connection stayed busy (a pool slot taken, the
 * upstream still working) until the upstream answered or upstream_headers_timeout_ms (30 s by
 * default) passed, and the request was then logged as the upstream's 504. A client that fires
 * and disconnects could keep the whole pool busy. The upstream request must be aborted at once.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW4CLIENTABORT', secretAccessKey: 'client-abort-secret-00000000000000000' };

let upstream: Server;
let proxy: TestProxy;
/** Resolved when the upstream's connection carrying a request closes. */
let upstreamClosed: Promise<number> | undefined;
let requestArrived: (() => void) | undefined;

beforeAll(async () => {
  upstream = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.on('data', () => {
      // Never answer; note when the proxy lets go of the connection.
      upstreamClosed ??= new Promise((resolve) => socket.on('close', () => resolve(Date.now())));
      requestArrived?.();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `http://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]), '\n[server.limits]\nupstream_headers_timeout_ms = 20000');
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('review 4: client gone before the upstream answers', () => {
  it('aborts the upstream request as soon as the client disconnects, and logs 499', async () => {
    const url = new URL(proxy.url);
    const signed = await signRaw(KEY, { method: 'GET', host: url.host, path: '/alpha/slow-answer' });
    const arrived = new Promise<void>((resolve) => {
      requestArrived = resolve;
    });
    const client = connect(Number(url.port), '127.0.0.1');
    client.on('error', () => {});
    client.write(`GET ${signed.path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    await arrived;
    const hungUpAt = Date.now();
    client.destroy();
    const closedAt = await Promise.race([upstreamClosed ?? Promise.resolve(Number.NaN), new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 8_000))]);
    expect(closedAt - hungUpAt).toBeLessThan(3_000);
    await expect.poll(() => proxy.logLines.find((l) => l.includes('"key":"slow-answer"')), { timeout: 3_000 }).toBeDefined();
    const line = proxy.logLines.find((l) => l.includes('"key":"slow-answer"')) ?? '';
    expect(line).toContain('"errorCode":"ClientClosedRequest"');
  }, 15_000);
});
