/**
 * Graceful close of the S3 listener (src/http/create-app.ts, plain node:http since
 * docs/decisions/0010): a request in flight completes (its answer says Connection: close),
 * an idle keep-alive connection is closed at once, a request that completes after close began
 * is refused with S3 XML 503, and close() resolves as soon as the last request is done
 * rather than after the 65 s keep-alive timeout.
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { type RunningServer, startServer } from '../../src/main.js';
import type { MotoServer } from '../support/moto.js';
import { buildConfigToml, credentialToml, type TestKey } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY: TestKey = { accessKeyId: 'SGCLOSETEST000000001', secretAccessKey: 'close-test-secret-0000000000000000000000' };

/** A stand-in upstream: answers every request with "ok" after `delayMs` (no signature check). */
let upstream: Server;
let delayMs = 0;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    setTimeout(() => res.end('ok'), delayMs);
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

async function startProxy(): Promise<RunningServer> {
  const endpoint = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 's3gate-close-'));
  const path = join(dir, 'proxy.toml');
  const fakeUpstream = { endpoint, accessKeyId: 'UPSTREAM', secretAccessKey: 'upstream-secret' } as MotoServer;
  writeFileSync(path, buildConfigToml(fakeUpstream, credentialToml(KEY, [{ bucket: 'bkt', actions: ['*'] }])));
  return startServer({ config: await loadConfigFile(path), logger: createLogger('silent') });
}

async function rawGet(server: RunningServer, key: string): Promise<string> {
  const host = new URL(server.url).host;
  const signed = await signRaw(KEY, { method: 'GET', host, path: `/bkt/${key}` });
  let head = `GET ${signed.path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(signed.headers)) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

function openSocket(server: RunningServer): Promise<Socket> {
  const url = new URL(server.url);
  const socket = connect(Number(url.port), url.hostname);
  return once(socket, 'connect').then(() => socket);
}

/** Everything the server sends until it closes the connection. */
function readToEnd(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  return new Promise((resolve) => socket.once('close', () => resolve(text)));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('closing the S3 listener', () => {
  it('finishes the request in flight, closes idle keep-alive connections at once, and resolves when done', async () => {
    const server = await startProxy();
    // An idle keep-alive connection: one request answered, the socket left open.
    const idle = await openSocket(server);
    const idleText = readToEnd(idle);
    delayMs = 0;
    idle.write(await rawGet(server, 'first'));
    await sleep(200);
    // A request in flight: the upstream answers in 600 ms.
    delayMs = 600;
    const busy = await openSocket(server);
    const busyText = readToEnd(busy);
    busy.write(await rawGet(server, 'slow'));
    await sleep(150);

    const started = Date.now();
    const closing = server.close();
    await idleText; // closed at once, without waiting for the keep-alive timeout
    expect(Date.now() - started).toBeLessThan(400);
    const answer = await busyText;
    await closing;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer.endsWith('ok')).toBe(true);
  });

  it('refuses a request that completes after close began with an S3 503', async () => {
    const server = await startProxy();
    delayMs = 0;
    const socket = await openSocket(server);
    const text = readToEnd(socket);
    const request = await rawGet(server, 'late');
    // Half a request: the connection is busy, not idle, when close() begins.
    socket.write(request.slice(0, 20));
    await sleep(100);
    const closing = server.close();
    await sleep(100);
    socket.write(request.slice(20));
    const answer = await text;
    await closing;
    expect(answer).toMatch(/^HTTP\/1\.1 503/);
    expect(answer).toContain('<Code>ServiceUnavailable</Code>');
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toMatch(/\r\nx-amz-request-id: [0-9A-F]{16}\r\n/i);
  });
});
