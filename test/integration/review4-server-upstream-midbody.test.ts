/**
 * Review 4: when the upstream failed in the middle of a response body (connection reset, or
 * silent for upstream_body_timeout_ms), the client's connection is cut as it must be, but the
 * log line and the audit event said errorCode "ClientClosedRequest": the upstream's failure
 * was blamed on the client. They must name the upstream failure.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEW4MIDBODY0001', secretAccessKey: 'midbody-secret-0000000000000000000000' };

let upstream: Server;
let proxy: TestProxy;

beforeAll(async () => {
  upstream = createServer((socket: Socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const key = /^[A-Z]+ \/[^/]+\/([^ ?]+)/.exec(head)?.[1] ?? '';
      head = '';
      // 5 bytes of 100, then a reset or silence.
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhello');
      if (key === 'reset') setTimeout(() => socket.resetAndDestroy(), 100);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const address = upstream.address() as { port: number };
  const fake = { endpoint: `http://127.0.0.1:${address.port}`, accessKeyId: 'admin', secretAccessKey: 'admin-secret' } as MotoServer;
  proxy = await startProxy(fake, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]), '\n[server.limits]\nupstream_body_timeout_ms = 500');
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

async function getRaw(key: string): Promise<string> {
  const url = new URL(proxy.url);
  const signed = await signRaw(KEY, { method: 'GET', host: url.host, path: `/alpha/${key}` });
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(out));
    socket.write(`GET ${signed.path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    setTimeout(() => socket.destroy(), 8_000);
  });
}

describe('review 4: upstream failing mid-body', () => {
  it.each([
    ['reset', 'BadGateway'],
    ['stall', 'GatewayTimeout'],
  ])('%s: the client connection is cut and the log names %s, not ClientClosedRequest', async (key, code) => {
    const answer = await getRaw(key);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.endsWith('hello')).toBe(true); // cut short: 5 of 100 bytes
    await expect.poll(() => proxy.logLines.find((l) => l.includes(`"key":"${key}"`)), { timeout: 3_000 }).toBeDefined();
    const line = proxy.logLines.find((l) => l.includes(`"key":"${key}"`)) ?? '';
    expect(line).toContain(`"errorCode":"${code}"`);
  }, 15_000);
});
