/**
 * The S3 surface: one catch-all route whose body is left unread (so it can be verified
 * while it streams) and whose reply is hijacked: the proxy writes the raw response itself.
 */
import type { FastifyInstance } from 'fastify';
import { handleS3Request, type S3RequestContext } from '../proxy/handle-s3-request.js';

export function registerS3Routes(app: FastifyInstance, ctx: S3RequestContext): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    scope.route({
      method: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH'],
      url: '*',
      handler: async (request, reply) => {
        reply.hijack();
        await handleS3Request(request.raw, reply.raw, ctx);
      },
    });
  });
}
