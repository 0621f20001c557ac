/**
 * The S3 listener: a plain node:http (or node:https) server whose request handler is the S3
 * pipeline itself (docs/decisions/0010: fastify's routing, request/reply objects and hooks
 * cost 20–30 µs a request on a path that hijacked the reply anyway). What fastify did for
 * this listener is done here: header size limit, request/headers/idle timeouts, 65 s
 * keep-alive, 100-continue answered only after the signature and scope checks pass, requests
 * the HTTP parser refuses answered as S3 XML, 503 while closing, and a graceful close that
 * waits for requests in flight while it closes idle keep-alive connections.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, IncomingMessage, type OutgoingHttpHeaders, type Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createRequestId } from '../core/request-id.js';
import type { S3RequestContext } from '../proxy/handle-s3-request.js';
import { S3Error } from '../s3/s3-error.js';
import { buildErrorXml } from '../s3/xml.js';
import { createS3Listener, type ListenerState } from './s3-listener.js';

export interface AppOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
  readonly maxHeaderBytes: number;
  /** 0 = none. */
  readonly requestTimeoutMs: number;
  readonly clientIdleTimeoutMs: number;
  readonly s3: S3RequestContext;
}

/** The S3 server, with the listen/close shape main.ts expects (the one fastify had). */
export interface S3App {
  readonly server: HttpServer | HttpsServer;
  /** Resolves with the address URL once listening. */
  listen(address: { readonly host: string; readonly port: number }): Promise<string>;
  /** Stops accepting connections, refuses new requests with 503, waits for those in flight. */
  close(): Promise<void>;
  /** New client timeouts (a config reload); connections opened from now on get the new idle timeout. */
  applyTimeouts(timeouts: ClientTimeouts): void;
}

export interface ClientTimeouts {
  /** 0 = none. */
  readonly requestTimeoutMs: number;
  readonly clientIdleTimeoutMs: number;
}

const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often node checks request and headers timeouts. */
const CONNECTIONS_CHECKING_INTERVAL_MS = 2_000;
/** While closing: how often connections left idle are looked for (a safety net, see close()). */
const CLOSE_SWEEP_INTERVAL_MS = 250;

export function createApp(options: AppOptions): S3App {
  const state: ListenerState = {
    closing: false,
    // A request done while closing leaves its keep-alive connection idle: close it now.
    onSettledWhileClosing: () => server.closeIdleConnections(),
  };
  const listener = createS3Listener(options.s3, state);
  const serverOptions = {
    maxHeaderSize: options.maxHeaderBytes,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    // node's own refusal of an HTTP/1.1 request without Host is a bare 400: the pipeline answers
    // it in S3 XML instead (as it does for HTTP/1.0, where Host is optional).
    requireHostHeader: false,
    IncomingMessage,
    ServerResponse: closingAwareResponse(state),
  };
  const server: HttpServer | HttpsServer =
    options.tls === undefined
      ? createHttpServer(serverOptions, listener)
      : createHttpsServer({ ...serverOptions, cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, listener);

  // Answer "Expect: 100-continue" only after the request is authorised (the handler calls
  // writeContinue), so a denied upload never sends its body.
  server.on('checkContinue', listener);
  // Any other expectation: without a listener node answers a bare 417; RFC 9110 lets a server
  // ignore one it does not know (Expect is not forwarded), so the request is handled as usual.
  server.on('checkExpectation', listener);
  server.on('clientError', writeClientError);
  // CONNECT (s3gate is no forward proxy): without a listener node drops the socket silently.
  server.on('connect', refuseConnect);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const applyTimeouts = (timeouts: ClientTimeouts): void => {
    server.requestTimeout = timeouts.requestTimeoutMs;
    // Node only enforces requestTimeout when headersTimeout does not exceed it.
    server.headersTimeout = timeouts.requestTimeoutMs > 0 ? Math.min(60_000, timeouts.requestTimeoutMs) : 60_000;
    // A socket without traffic for this long is destroyed (a stalled upload included).
    server.setTimeout(timeouts.clientIdleTimeoutMs);
  };
  applyTimeouts(options);

  let closed: Promise<void> | undefined;
  return {
    server,
    applyTimeouts,
    listen: ({ host, port }) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          const address = server.address();
          const scheme = options.tls === undefined ? 'http' : 'https';
          resolve(typeof address === 'string' || address === null ? String(address) : `${scheme}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
        });
      }),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        state.closing = true;
        // Responses not started yet say "Connection: close" (closingAwareResponse);
        // server.close() closes the idle keep-alive connections now; one whose request is in
        // flight is closed when that request is done; a request arriving on a connection still
        // open is refused with 503.
        const sweep = setInterval(() => server.closeIdleConnections(), CLOSE_SWEEP_INTERVAL_MS);
        server.close(() => {
          clearInterval(sweep);
          resolve();
        });
      });
      return closed;
    },
  };
}

/**
 * The server's response class: once the server is closing, a response whose head is not
 * written yet says "Connection: close", so the client does not send another request on it.
 */
function closingAwareResponse(state: { readonly closing: boolean }): typeof ServerResponse {
  return class S3ServerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
    override writeHead(statusCode: number, reasonOrHeaders?: unknown, headers?: unknown): this {
      if (state.closing) this.shouldKeepAlive = false;
      return super.writeHead(statusCode, reasonOrHeaders as string, headers as OutgoingHttpHeaders);
    }
  };
}

/**
 * Requests node's HTTP parser refuses (bad framing, duplicate Content-Length, headers too large)
 * still get an S3-shaped answer before the connection closes.
 */
function writeClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection, or one whose response has already started, can only be closed.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || error.code === 'ECONNRESET' || current?.headersSent === true) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const s3Error = tooLarge
    ? new S3Error('RequestHeaderSectionTooLarge')
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new S3Error('RequestTimeout')
      : new S3Error('InvalidRequest', `The request could not be parsed as HTTP/1.1 (${error.code ?? 'bad request'}).`);
  endWithS3Error(socket, s3Error, tooLarge ? 'Request Header Fields Too Large' : 'Bad Request');
}

/** A CONNECT request: answered as S3 does any method it does not know, then closed. */
function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  endWithS3Error(socket, new S3Error('MethodNotAllowed'), 'Method Not Allowed');
}

/** Writes an S3 XML error straight to a socket that no ServerResponse owns, and closes it. */
function endWithS3Error(socket: Duplex, s3Error: S3Error, reason: string): void {
  const requestId = createRequestId();
  const body = buildErrorXml({ code: s3Error.code, message: s3Error.message, resource: '', requestId, extra: {} });
  socket.end(
    `HTTP/1.1 ${s3Error.status} ${reason}\r\n` +
      `content-type: application/xml\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-amz-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}
