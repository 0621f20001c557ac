/**
 * The S3 surface as a plain node:http request listener: every request (and every
 * "Expect: 100-continue" request, answered by the handler only once it is authorised) goes
 * straight to handleS3Request, body unread, so it can be verified while it streams. No router,
 * no framework request/reply objects, no hooks (docs/decisions/0010).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequestId } from '../core/request-id.js';
import { handleS3Request, type S3RequestContext } from '../proxy/handle-s3-request.js';
import { sendS3Error } from '../proxy/respond.js';
import { S3Error } from '../s3/s3-error.js';

export type S3Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** What the server's shutdown needs to know. */
export interface ListenerState {
  /** True once the server is closing: a request that still arrives is refused with 503. */
  closing: boolean;
  /** Called when a request finishes while closing (its connection may be idle now). */
  onSettledWhileClosing(): void;
}

/**
 * No per-request bookkeeping beyond the handler's promise: an earlier version kept each
 * ServerResponse in a Set to find the requests in flight at close, and interleaved runs of
 * the 1 KiB GET suggested a few µs of CPU a request for it (the machine is too noisy to say
 * how many). Responses learn about a close through their class instead (see createApp).
 */
export function createS3Listener(ctx: S3RequestContext, state: ListenerState): S3Listener {
  const settled = (): void => {
    if (state.closing) state.onSettledWhileClosing();
  };
  return (req, res) => {
    if (state.closing) {
      refuseWhileClosing(req, res);
      return;
    }
    handleS3Request(req, res, ctx).then(settled, (err: unknown) => {
      // handleS3Request answers every failure itself; only its finally (the log line, the
      // completion hook) can still throw. Never leave the client waiting.
      ctx.log.error({ err }, 'unhandled error after an S3 request');
      if (!res.headersSent) {
        const requestId = createRequestId();
        sendS3Error(res, new S3Error('InternalError'), { method: req.method ?? 'GET', resource: '', requestId, headers: { 'x-amz-request-id': requestId }, closeConnection: true });
      } else if (!res.writableEnded) {
        res.destroy();
      }
      settled();
    });
  };
}

function refuseWhileClosing(req: IncomingMessage, res: ServerResponse): void {
  const requestId = createRequestId();
  sendS3Error(res, new S3Error('ServiceUnavailable', 'The server is shutting down; retry the request.'), {
    method: req.method ?? 'GET',
    resource: (req.url ?? '/').split('?', 1)[0] ?? '/',
    requestId,
    headers: { 'x-amz-request-id': requestId },
    closeConnection: true,
  });
}
