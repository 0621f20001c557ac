/**
 * Builds the fastify instance: HTTP or HTTPS, 100-continue answered only after the
 * signature and scope checks pass, framework errors rendered as S3 XML.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createRequestId } from '../core/request-id.js';
import { S3Error } from '../s3/s3-error.js';
import { buildErrorXml } from '../s3/xml.js';
import type { S3RequestContext } from '../proxy/handle-s3-request.js';
import { registerS3Routes } from './s3-plugin.js';

export interface AppOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly maxHeaderBytes: number;
  /** 0 = none. */
  readonly requestTimeoutMs: number;
  readonly clientIdleTimeoutMs: number;
  readonly s3: S3RequestContext;
}

export function createApp(options: AppOptions): FastifyInstance {
  const https =
    options.tls === undefined
      ? null
      : { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile), maxHeaderSize: options.maxHeaderBytes, connectionsCheckingInterval: 2_000 };
  const app = Fastify({
    logger: false,
    ...(https === null ? { http: { maxHeaderSize: options.maxHeaderBytes, connectionsCheckingInterval: 2_000 } } : { https }),
    bodyLimit: Number.MAX_SAFE_INTEGER,
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.clientIdleTimeoutMs,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    http2: false,
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 65_536 },
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => writeClientError(error, socket),
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const requestId = createRequestId();
      const s3Error = new S3Error('InvalidRequest', error.message);
      const body = request.method === 'HEAD' ? '' : buildErrorXml({ code: s3Error.code, message: s3Error.message, resource: request.url, requestId, extra: {} });
      void reply.code(s3Error.status).header('x-amz-request-id', requestId).header('content-type', 'application/xml').send(body);
    },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // Answer "Expect: 100-continue" only after the request is authorised (the handler calls
  // writeContinue), so a denied upload never sends its body.
  (app.server as Server).on('checkContinue', (req, res) => {
    (app.server as Server).emit('request', req, res);
  });
  // Node only enforces requestTimeout when headersTimeout does not exceed it.
  (app.server as Server).headersTimeout = options.requestTimeoutMs > 0 ? Math.min(60_000, options.requestTimeoutMs) : 60_000;

  registerS3Routes(app, options.s3);
  return app;
}

/**
 * Requests node's HTTP parser refuses (bad framing, duplicate Content-Length, headers too large)
 * still get an S3-shaped answer before the connection closes.
 */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const requestId = createRequestId();
  const s3Error = tooLarge
    ? new S3Error('RequestHeaderSectionTooLarge')
    : new S3Error('InvalidRequest', `The request could not be parsed as HTTP/1.1 (${error.code ?? 'bad request'}).`);
  const body = buildErrorXml({ code: s3Error.code, message: s3Error.message, resource: '', requestId, extra: {} });
  socket.end(
    `HTTP/1.1 ${s3Error.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `content-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-amz-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}
