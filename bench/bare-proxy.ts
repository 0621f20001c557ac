/**
 * The floor: a bare fastify + undici pass-through with the same shape as s3gate's S3 path
 * (catch-all route, '*' content-type parser that leaves the body unread, reply.hijack(),
 * undici Pool.stream() into the raw response) but no auth, no classification, no
 * re-signing and no logging. Whatever s3gate costs beyond this is s3gate's own work.
 *
 * env: BENCH_UPSTREAM (http://127.0.0.1:PORT), BENCH_CONNECTIONS (default 64).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import Fastify from 'fastify';
import { Pool } from 'undici';
import { acceptProfilerCommands } from './child-profiler.js';
import { announceReady } from './child-ready.js';

const upstream = process.env.BENCH_UPSTREAM;
if (upstream === undefined) throw new Error('BENCH_UPSTREAM is not set');
const pool = new Pool(upstream, {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
  pipelining: 1,
  keepAliveTimeout: 30_000,
  headersTimeout: 30_000,
  bodyTimeout: 300_000,
});

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'trailer', 'te', 'expect', 'host']);

function requestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (HOP.has(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

async function passThrough(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  try {
    await pool.stream(
      { path: req.url ?? '/', method: (req.method ?? 'GET') as 'GET', headers: requestHeaders(req.headers), body: hasBody ? req : null },
      ({ statusCode, headers }) => {
        const out: Record<string, string | string[]> = {};
        for (const name in headers) {
          const value = headers[name];
          if (value === undefined || HOP.has(name)) continue;
          out[name] = value;
        }
        res.writeHead(statusCode, out);
        return res;
      },
    );
  } catch (err) {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    } else {
      res.destroy();
    }
  }
}

const app = Fastify({ logger: false, bodyLimit: Number.MAX_SAFE_INTEGER, requestTimeout: 0, keepAliveTimeout: 65_000 });
await app.register(async (scope) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
  scope.route({
    method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
    url: '*',
    handler: async (request, reply) => {
      reply.hijack();
      await passThrough(request.raw, reply.raw);
    },
  });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
acceptProfilerCommands();
announceReady({ port: typeof address === 'object' && address !== null ? address.port : 0 });
process.on('SIGTERM', () => void app.close().then(() => pool.close()).then(() => process.exit(0)));
