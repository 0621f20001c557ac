/**
 * Builds the fastify instance: HTTP or HTTPS, 100-continue answered only after the
 * signature and scope checks pass, framework errors rendered as S3 XML.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createRequestId } from '../core/request-id.js';
import { S3Error } from '../s3/s3-error.js';
import { buildErrorXml } from '../s3/xml.js';
import type { S3RequestContext } from '../proxy/handle-s3-request.js';
import { registerS3Routes } from './s3-plugin.js';

export interface AppOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly maxHeaderBytes: number;
  readonly s3: S3RequestContext;
}

export function createApp(options: AppOptions): FastifyInstance {
  const https =
    options.tls === undefined
      ? null
      : { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile), maxHeaderSize: options.maxHeaderBytes };
  const app = Fastify({
    logger: false,
    ...(https === null ? { http: { maxHeaderSize: options.maxHeaderBytes } } : { https }),
    bodyLimit: Number.MAX_SAFE_INTEGER,
    requestTimeout: 0,
    keepAliveTimeout: 65_000,
    return503OnClosing: true,
    http2: false,
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 65_536 },
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
  (app.server as Server).headersTimeout = 60_000;

  registerS3Routes(app, options.s3);
  return app;
}
