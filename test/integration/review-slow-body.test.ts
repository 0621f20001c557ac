/**
 * Review: `[server.limits] request_timeout_ms` is parsed (src/config/parse-config.ts) but never
 * used: src/http/create-app.ts hard-codes `requestTimeout: 0`, and no socket idle timeout is set.
 * A key holder that sends the headers of an upload and then stops keeps the client socket, the
 * upstream connection and the upstream's request open forever (slowloris with one key).
 */
import { connect } from 'node:net';
import { CreateBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';

const KEY = { accessKeyId: 'SGREVIEWSLOWKEY00001', secretAccessKey: 'slow-secret-0000000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'alpha' }));
  proxy = await startProxy(moto, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]), '\n[server.limits]\nrequest_timeout_ms = 1000');
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe('review: request_timeout_ms', () => {
  it('closes an upload whose body stalls, once request_timeout_ms (1 s) has long passed', async () => {
    const url = new URL(proxy.url);
    const signed = await signRaw(KEY, { method: 'PUT', host: url.host, path: '/alpha/slow.bin', headers: { 'content-length': '1000' } });
    const head = `PUT ${signed.path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    const closedAfterMs = await new Promise<number>((resolve) => {
      const started = Date.now();
      const socket = connect(Number(url.port), '127.0.0.1');
      socket.on('data', () => {});
      socket.on('close', () => resolve(Date.now() - started));
      socket.on('error', () => {});
      socket.write(`${head}x`); // one byte of 1000, then nothing
      // Node checks request timeouts every 30 s (connectionsCheckingInterval); allow for that.
      setTimeout(() => {
        socket.destroy();
        resolve(Number.POSITIVE_INFINITY);
      }, 40_000);
    });
    expect(closedAfterMs).toBeLessThan(40_000);
  }, 50_000);

  it('closes a stalled upload after client_idle_timeout_ms even with no overall limit, and nothing is stored', async () => {
    const idle = await startProxy(moto, credentialToml(KEY, [{ bucket: 'alpha', actions: ['*'] }]), '\n[server.limits]\nclient_idle_timeout_ms = 1000');
    try {
      const url = new URL(idle.url);
      const signed = await signRaw(KEY, { method: 'PUT', host: url.host, path: '/alpha/idle.bin', headers: { 'content-length': '1000' } });
      const head = `PUT ${signed.path} HTTP/1.1\r\n${Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
      const closedAfterMs = await new Promise<number>((resolve) => {
        const started = Date.now();
        const socket = connect(Number(url.port), '127.0.0.1');
        socket.on('data', () => {});
        socket.on('close', () => resolve(Date.now() - started));
        socket.on('error', () => {});
        socket.write(`${head}x`);
        setTimeout(() => {
          socket.destroy();
          resolve(Number.POSITIVE_INFINITY);
        }, 10_000);
      });
      expect(closedAfterMs).toBeLessThan(5_000);
      await expect(moto.admin.send(new HeadObjectCommand({ Bucket: 'alpha', Key: 'idle.bin' }))).rejects.toThrow();
    } finally {
      await idle.stop();
    }
  }, 20_000);
});
