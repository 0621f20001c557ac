/**
 * A small, fast S3 stand-in for the benchmarks (run in its own process).
 *
 * - GET/HEAD on any key containing `size-<N>` answers an object of N bytes, served from a
 *   preallocated buffer, with Content-Length, ETag, Last-Modified and Content-Type.
 * - PUT drains the body and answers 200 with an ETag.
 * - Signatures are NOT checked: the point is to measure the proxy in front of it, and the
 *   same upstream serves the direct, bare and s3gate paths.
 *
 * Started by bench/run.ts; prints `{"port":N}` on its IPC channel (or stdout) when ready.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady } from './child-ready.js';

const SLICE_BYTES = 1024 * 1024;
const SLICE = Buffer.alloc(SLICE_BYTES);
for (let i = 0; i < SLICE_BYTES; i++) SLICE[i] = (i * 31 + 7) & 0xff;

const LAST_MODIFIED = new Date('2026-01-01T00:00:00Z').toUTCString();
const PUT_ETAG = '"5d41402abc4b2a76b9719d911017c592"';
const SIZE_RE = /size-(\d+)/;

function objectHeaders(size: number): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    etag: `"${size.toString(16).padStart(32, '0')}"`,
    'last-modified': LAST_MODIFIED,
    'accept-ranges': 'bytes',
    'x-amz-request-id': 'BENCHUPSTREAM0001',
  };
}

function sendObject(res: ServerResponse, size: number, withBody: boolean): void {
  res.writeHead(200, objectHeaders(size));
  if (!withBody || size === 0) {
    res.end();
    return;
  }
  if (size <= SLICE_BYTES) {
    res.end(SLICE.subarray(0, size));
    return;
  }
  let left = size;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, SLICE_BYTES);
      left -= n;
      const ok = res.write(n === SLICE_BYTES ? SLICE : SLICE.subarray(0, n));
      if (left === 0) {
        res.end();
        return;
      }
      if (!ok) {
        res.once('drain', pump);
        return;
      }
    }
  };
  res.on('close', () => {
    left = 0;
  });
  pump();
}

function notFound(res: ServerResponse): void {
  const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>bench upstream: use a key containing size-N</Message></Error>';
  res.writeHead(404, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  if (method === 'PUT' || method === 'POST') {
    req.on('data', noop);
    req.on('end', () => {
      res.writeHead(200, { etag: PUT_ETAG, 'content-length': '0', 'x-amz-request-id': 'BENCHUPSTREAM0001' });
      res.end();
    });
    return;
  }
  if (method === 'GET' || method === 'HEAD') {
    const m = SIZE_RE.exec(req.url ?? '');
    if (m === null) {
      notFound(res);
      return;
    }
    sendObject(res, Number(m[1]), method === 'GET');
    req.resume();
    return;
  }
  res.writeHead(200, { 'content-length': '0' });
  res.end();
  req.resume();
}

function noop(): void {}

async function startUpstream(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer({ keepAliveTimeout: 120_000, highWaterMark: 256 * 1024 }, handle);
  server.headersTimeout = 130_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const running = await startUpstream(Number(process.env.BENCH_PORT ?? 0));
announceReady({ port: running.port });
process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
