/**
 * Review 4: docs/configuration.md says limit changes apply on reload (only listen, tls_cert,
 * tls_key and max_header_bytes need a restart), but client_idle_timeout_ms and
 * request_timeout_ms were set on the node server once at start: a reload that tightened them
 * was logged as "configuration reloaded" and silently ignored, so stalled connections stayed
 * open as long as before.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW4RELOADLIMIT', secretAccessKey: 'reload-limit-secret-0000000000000000' };
const CREDENTIALS = credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]);

let upstream: Server;
let proxy: TestProxy;

beforeAll(async () => {
  // An upstream that reads and waits for the rest of the body, like a real one.
  upstream = createServer((socket: Socket) => {
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `http://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, CREDENTIALS, '\n[server.limits]\nclient_idle_timeout_ms = 60000');
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

describe('review 4: reloading the client timeouts', () => {
  it('a lowered client_idle_timeout_ms applies to connections after the reload', async () => {
    await proxy.rewriteConfig(CREDENTIALS, '\n[server.limits]\nclient_idle_timeout_ms = 1000');
    const url = new URL(proxy.url);
    const signed = await signRaw(KEY, { method: 'PUT', host: url.host, path: '/alpha/stalled.bin', headers: { 'content-length': '1000' } });
    const closedAfterMs = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect(Number(url.port), '127.0.0.1');
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
      // Headers and one byte of the body, then silence.
      socket.write(`PUT ${signed.path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\nx`);
      setTimeout(() => {
        socket.destroy();
        resolve(Number.POSITIVE_INFINITY);
      }, 8_000);
    });
    expect(closedAfterMs).toBeLessThan(5_000);
  }, 20_000);

  it('a change that needs a restart (max_header_bytes) is logged as such, not silently ignored', async () => {
    await proxy.rewriteConfig(CREDENTIALS, '\n[server.limits]\nclient_idle_timeout_ms = 1000\nmax_header_bytes = 32768');
    expect(proxy.logLines.some((l) => l.includes('"level":40') && l.includes('max_header_bytes') && l.includes('restart'))).toBe(true);
  });
});
