/**
 * Behaviour at the edges: upstream failures, Expect: 100-continue, CORS preflight, error
 * shapes, virtual-host addressing, trusted X-Forwarded-Host, expiry, anonymous and SigV4A.
 */
import { connect, createServer, type Server } from 'node:net';
import { request as httpRequest } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3ServiceException } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { freePort, startMoto, type MotoServer } from '../support/moto.js';
import { buildConfigToml, credentialToml, startProxy, type TestProxy } from '../support/proxy.js';
import { signRaw } from '../support/raw-request.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KEY = { accessKeyId: 'SGTESTEDGEKEY0000001', secretAccessKey: 'edge-secret-00000000000000000000000000' };
const EXPIRED = { accessKeyId: 'SGTESTEXPIRED0000001', secretAccessKey: 'expired-secret-0000000000000000000000' };

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: 'edge' }));
  await moto.admin.send(new PutObjectCommand({ Bucket: 'edge', Key: 'hello.txt', Body: 'hello' }));
  proxy = await startProxy(
    moto,
    credentialToml(KEY, [{ bucket: 'edge', actions: ['*'] }]) + credentialToml(EXPIRED, [{ bucket: 'edge', actions: ['*'] }], { expiresAt: '2025-06-01T00:00:00Z' }),
    'virtual_host_domains = ["s3.test"]\ntrusted_proxies = ["10.0.0.0/8"]',
  );
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

function host(): string {
  return new URL(proxy.url).host;
}

describe('S3 error shape', () => {
  it('answers XML with Code, Message, Resource, RequestId and the x-amz-request-id header', async () => {
    const response = await request(`${proxy.url}/edge/hello.txt`);
    const text = await response.body.text();
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe('application/xml');
    const requestId = response.headers['x-amz-request-id'];
    expect(requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('<Resource>/edge/hello.txt</Resource>');
    expect(text).toContain(`<RequestId>${String(requestId)}</RequestId>`);
  });

  it('sends no body on HEAD errors', async () => {
    const response = await request(`${proxy.url}/edge/hello.txt`, { method: 'HEAD' });
    expect(response.statusCode).toBe(403);
    expect(await response.body.text()).toBe('');
  });

  it('refuses SigV4A with a clear error', async () => {
    const response = await request(`${proxy.url}/edge/hello.txt`, {
      headers: {
        authorization: 'AWS4-ECDSA-P256-SHA256 Credential=SGTESTEDGEKEY0000001/20250101/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=3045',
        'x-amz-date': '20250101T000000Z',
        'x-amz-region-set': '*',
      },
    });
    const text = await response.body.text();
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(text).toMatch(/SigV4A/);
  });

  it('answers ExpiredToken for a key past its expires_at', async () => {
    try {
      await proxy.client(EXPIRED).send(new GetObjectCommand({ Bucket: 'edge', Key: 'hello.txt' }));
      expect.unreachable();
    } catch (err) {
      expect((err as S3ServiceException).name).toBe('ExpiredToken');
    }
  });

  it('refuses a request signed 20 minutes ago with RequestTimeTooSkewed', async () => {
    const signed = await signRaw(KEY, { method: 'GET', host: host(), path: '/edge/hello.txt', signingDate: new Date(Date.now() - 20 * 60_000) });
    const response = await request(`${proxy.url}${signed.path}`, { headers: signed.headers });
    expect(response.statusCode).toBe(403);
    expect(await response.body.text()).toContain('<Code>RequestTimeTooSkewed</Code>');
  });
});

describe('addressing', () => {
  it('serves virtual-host style requests for configured domains', async () => {
    const port = new URL(proxy.url).port;
    const signed = await signRaw(KEY, { method: 'GET', host: `edge.s3.test:${port}`, path: '/hello.txt' });
    const response = await request(`${proxy.url}${signed.path}`, { headers: signed.headers });
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('hello');
  });

  it('ignores X-Forwarded-Host from an untrusted peer', async () => {
    const signed = await signRaw(KEY, { method: 'GET', host: 'edge.s3.test', path: '/hello.txt' });
    const response = await request(`${proxy.url}${signed.path}`, { headers: { ...signed.headers, host: host(), 'x-forwarded-host': 'edge.s3.test' } });
    expect(response.statusCode).toBe(403);
    await response.body.text();
  });
});

describe('Expect: 100-continue', () => {
  function putWithExpect(path: string, headers: Record<string, string>): Promise<{ status: number; sawContinue: boolean; bodySent: boolean }> {
    return new Promise((resolve, reject) => {
      const url = new URL(proxy.url);
      let sawContinue = false;
      let bodySent = false;
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'PUT', path, headers: { ...headers, expect: '100-continue', 'content-length': '5' } });
      req.on('continue', () => {
        sawContinue = true;
        bodySent = true;
        req.end('hello');
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sawContinue, bodySent }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
  }

  it('sends 100 Continue only after the request is authorised', async () => {
    const ok = await signRaw(KEY, { method: 'PUT', host: host(), path: '/edge/continue.txt', headers: { 'content-length': '5' } });
    expect(await putWithExpect(ok.path, ok.headers)).toEqual({ status: 200, sawContinue: true, bodySent: true });
    const denied = await signRaw(KEY, { method: 'PUT', host: host(), path: '/other-bucket/x.txt', headers: { 'content-length': '5' } });
    expect(await putWithExpect(denied.path, denied.headers)).toEqual({ status: 403, sawContinue: false, bodySent: false });
  });
});

describe('CORS', () => {
  it('answers a preflight locally, without a signature', async () => {
    const before = moto.requests.length;
    const response = await request(`${proxy.url}/edge/hello.txt`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-amz-date' },
    });
    await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(response.headers['access-control-allow-headers']).toBe('content-type,x-amz-date');
    expect(moto.requests.length).toBe(before);
  });
});

describe('upstream failures', () => {
  async function proxyTo(endpoint: string, limits = ''): Promise<RunningServer> {
    const dir = mkdtempSync(join(tmpdir(), 's3gate-edge-'));
    const path = join(dir, 'proxy.toml');
    const toml = buildConfigToml({ ...moto, endpoint }, credentialToml(KEY, [{ bucket: 'edge', actions: ['*'] }]), limits);
    writeFileSync(path, toml);
    return startServer({ config: await loadConfigFile(path), logger: createLogger('silent') });
  }

  async function getThrough(server: RunningServer): Promise<{ status: number; code: string | undefined; requestId: unknown }> {
    const signed = await signRaw(KEY, { method: 'GET', host: new URL(server.url).host, path: '/edge/hello.txt' });
    const response = await request(`${server.url}${signed.path}`, { headers: signed.headers });
    const text = await response.body.text();
    return { status: response.statusCode, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1], requestId: response.headers['x-amz-request-id'] };
  }

  it('answers 503 ServiceUnavailable when the upstream refuses connections', async () => {
    const server = await proxyTo(`http://127.0.0.1:${await freePort()}`);
    try {
      const result = await getThrough(server);
      expect(result).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
      expect(result.requestId).toMatch(/^[0-9A-F]{16}$/);
    } finally {
      await server.close();
    }
  });

  it('answers 504 when the upstream accepts but never answers', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const server = await proxyTo(`http://127.0.0.1:${port}`, '[server.limits]\nupstream_headers_timeout_ms = 300');
    try {
      expect(await getThrough(server)).toMatchObject({ status: 504, code: 'GatewayTimeout' });
    } finally {
      await server.close();
      silent.close();
    }
  });

  it('answers 502 when the upstream resets the connection', async () => {
    const resetter: Server = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
    const port = (resetter.address() as { port: number }).port;
    const server = await proxyTo(`http://127.0.0.1:${port}`);
    try {
      const result = await getThrough(server);
      expect([502, 503]).toContain(result.status);
      expect(result.code).toMatch(/BadGateway|ServiceUnavailable/);
    } finally {
      await server.close();
      resetter.close();
    }
  });

  it('keeps serving after a client disconnects mid-request', async () => {
    const url = new URL(proxy.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`PUT /edge/half HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 100\r\n\r\nabc`);
        socket.destroy();
        resolve();
      });
    });
    const signed = await signRaw(KEY, { method: 'GET', host: host(), path: '/edge/hello.txt' });
    const response = await request(`${proxy.url}${signed.path}`, { headers: signed.headers });
    expect(await response.body.text()).toBe('hello');
  });
});

describe('a client that goes away mid-download', () => {
  it('is logged as the client closing (info, ClientClosedRequest), not as an internal error', async () => {
    await moto.admin.send(new PutObjectCommand({ Bucket: 'edge', Key: 'big.bin', Body: Buffer.alloc(32 * 1024 * 1024, 7) }));
    const signed = await signRaw(KEY, { method: 'GET', host: host(), path: '/edge/big.bin' });
    const url = new URL(proxy.url);
    const before = proxy.logLines.length;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: signed.path, headers: signed.headers }, (res) => {
        expect(res.statusCode).toBe(200);
        // Read one chunk, then hang up with most of the 32 MiB still to come.
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.once('timeout', () => reject(new Error('timeout')));
      req.end();
    });
    const line = await eventuallyLine(() => proxy.logLines.slice(before).find((l) => l.includes('"s3 request"') && l.includes('big.bin')));
    const parsed = JSON.parse(line) as { level: number; errorCode?: string; status: number };
    expect(parsed.errorCode).toBe('ClientClosedRequest');
    expect(parsed.status).toBe(200);
    expect(proxy.logLines.slice(before).filter((l) => l.includes('internal error'))).toEqual([]);
    // The proxy keeps serving.
    const again = await signRaw(KEY, { method: 'GET', host: host(), path: '/edge/hello.txt' });
    const response = await request(`${proxy.url}${again.path}`, { headers: again.headers });
    expect(await response.body.text()).toBe('hello');
  });
});

async function eventuallyLine(find: () => string | undefined): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no such log line within 5 s');
}

describe('repeated headers', () => {
  it('verifies a signature over a header sent twice (values joined with a comma, as SigV4 does)', async () => {
    const signed = await signRaw(KEY, { method: 'GET', host: host(), path: '/edge/hello.txt', headers: { 'x-amz-meta-dup': 'a,b' } });
    const headers: string[] = [];
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name === 'x-amz-meta-dup') headers.push(name, 'a', name, 'b');
      else headers.push(name, value);
    }
    const response = await request(`${proxy.url}${signed.path}`, { headers });
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('hello');
  });
});

describe('requests the HTTP parser refuses', () => {
  function raw(text: string): Promise<string> {
    const url = new URL(proxy.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString();
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
  }

  it('answers a duplicate Content-Length with S3 XML, not a framework JSON error', async () => {
    const out = await raw(`PUT /edge/x HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na`);
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    expect(out).toContain('<Code>InvalidRequest</Code>');
    expect(out).toMatch(/x-amz-request-id: [0-9A-F]{16}/);
  });

  it('answers an oversized header section with 431 RequestHeaderSectionTooLarge', async () => {
    const out = await raw(`GET /edge/x HTTP/1.1\r\nHost: ${host()}\r\nx-amz-meta-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 431/);
    expect(out).toContain('<Code>RequestHeaderSectionTooLarge</Code>');
  });
});
