/**
 * Streams a re-signed request to the upstream with undici and the upstream's answer back
 * to the client, unbuffered. Errors before the first response byte become S3Errors; after
 * that the client connection is destroyed (the only honest signal mid-body).
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { errors as undiciErrors } from 'undici';
import { recordBytesOut } from '../core/response-bytes.js';
import { S3Error, isS3Error } from '../s3/s3-error.js';
import type { Backend } from './backend.js';
import type { UpstreamRequest } from './resign-request.js';

/**
 * Response headers never passed back: hop-by-hop ones, and the upstream's request ids (ours is
 * set instead; the upstream's travels as x-s3gate-upstream-request-id for correlation).
 */
const DROP_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'trailer', 'te', 'x-amz-request-id', 'x-amzn-requestid']);

export interface ForwardResult {
  readonly status: number;
  readonly upstreamRequestId: string | undefined;
}

export async function forwardRequest(
  backend: Backend,
  request: UpstreamRequest,
  body: Readable | AsyncIterable<Buffer> | undefined,
  res: ServerResponse,
  extraResponseHeaders: Record<string, string>,
  /** True when the client's body is still unread as the answer starts (the upstream answered early). */
  bodyUnread: () => boolean = () => false,
): Promise<ForwardResult> {
  let status = 0;
  let upstreamRequestId: string | undefined;
  // undici streams async iterables too (Dispatcher docs: body may be an AsyncIterable); its
  // typings for stream() only list Readable.
  const requestBody = (body ?? null) as Readable | null;
  // A client gone before the answer is complete aborts the upstream request: without this, one
  // still waiting for response headers held its pool connection until the upstream answered or
  // upstream_headers_timeout_ms passed. A body still being read fails by itself (IncompleteBody)
  // and aborts the request with that error. (An EventEmitter is a signal undici accepts, and is
  // cheaper than an AbortController.)
  const clientGone = new EventEmitter();
  const onClose = (): void => {
    if (!res.writableFinished && !bodyUnread()) clientGone.emit('abort');
  };
  res.once('close', onClose);
  try {
    await backend.pool.stream(
      { path: request.path, method: request.method as 'GET', headers: request.headers, body: requestBody, signal: clientGone },
      ({ statusCode, headers }) => {
        status = statusCode;
        const out: Record<string, string | string[]> = {};
        for (const name in headers) {
          const value = headers[name];
          if (value === undefined) continue;
          if (name === 'x-amz-request-id') upstreamRequestId = Array.isArray(value) ? value[0] : value;
          if (DROP_RESPONSE_HEADERS.has(name)) continue;
          out[name] = value;
        }
        if (upstreamRequestId !== undefined) out['x-s3gate-upstream-request-id'] = upstreamRequestId;
        Object.assign(out, extraResponseHeaders);
        if (bodyUnread()) {
          // The rest of the client's body will never be read: close after this answer rather
          // than leave the connection waiting on it.
          out.connection = 'close';
          res.shouldKeepAlive = false;
        }
        recordBytesOut(res, headers['content-length']);
        res.writeHead(statusCode, out);
        return res;
      },
    );
  } catch (err) {
    // An upstream failure mid-body (reset, body timeout) reaches undici's handler, which destroys
    // the response with it; the promise itself only sees the response's premature close, which
    // would blame the client.
    throw toUpstreamError(res.headersSent && res.errored !== null ? res.errored : err, body);
  } finally {
    res.off('close', onClose);
  }
  return { status, upstreamRequestId };
}

/** node's TLS handshake and certificate verification error codes (tls.connect, OpenSSL X509_V_ERR_*). */
const TLS_ERROR_CODE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;

/** Maps a failure while talking to the upstream to the error the client should see. */
export function toUpstreamError(err: unknown, body?: Readable | AsyncIterable<Buffer>): unknown {
  // A body verifier that failed (bad chunk signature, hash mismatch) aborts the upstream
  // request: report the verifier's error, not the abort.
  const bodyError = (body as { errored?: unknown } | undefined)?.errored;
  if (isS3Error(bodyError)) return bodyError;
  if (isS3Error(err)) return err;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (isS3Error(cause)) return cause;
  if (err instanceof undiciErrors.ConnectTimeoutError) return new S3Error('ServiceUnavailable', 'The upstream storage did not accept a connection in time.');
  if (err instanceof undiciErrors.HeadersTimeoutError) return new S3Error('GatewayTimeout', 'The upstream storage did not answer in time.');
  if (err instanceof undiciErrors.BodyTimeoutError) return new S3Error('GatewayTimeout', 'The upstream storage stopped sending the response body.');
  if (err instanceof undiciErrors.RequestContentLengthMismatchError) return new S3Error('IncompleteBody');
  // The backend's pool was closed by a reload after this request took the old runtime (a
  // DeleteObjects still reading its body): nothing was sent, a retry goes to the new pool.
  if (err instanceof undiciErrors.ClientClosedError || err instanceof undiciErrors.ClientDestroyedError) {
    return new S3Error('ServiceUnavailable', 'The upstream connection was replaced by a configuration reload; retry the request.');
  }
  // Not HTTP, or headers past undici's limit: the upstream's fault, not an internal error.
  if (err instanceof undiciErrors.HTTPParserError || err instanceof undiciErrors.HeadersOverflowError) {
    return new S3Error('BadGateway', 'The upstream storage sent an invalid response.');
  }
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') {
    return new S3Error('ServiceUnavailable', 'The upstream storage could not be reached.');
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return new S3Error('BadGateway', 'The upstream storage closed the connection.');
  }
  // An https backend whose certificate does not verify, or that does not speak TLS.
  if (code !== undefined && TLS_ERROR_CODE.test(code)) {
    return new S3Error('BadGateway', 'The TLS connection to the upstream storage could not be established or verified.');
  }
  return err;
}

/** A small request whose answer the proxy reads itself (ListBuckets for glob scopes, bucket probes). */
export async function fetchUpstream(
  backend: Backend,
  request: UpstreamRequest,
  body?: Buffer,
  maxBytes = 8 * 1024 * 1024,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  try {
    const response = await backend.pool.request({ path: request.path, method: request.method as 'GET', headers: request.headers, body: body ?? null });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new S3Error('BadGateway', 'The upstream storage sent a larger answer than expected.');
      }
      chunks.push(chunk as Buffer);
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
  } catch (err) {
    throw toUpstreamError(err);
  }
}
