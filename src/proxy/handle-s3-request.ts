/**
 * The S3 request pipeline as named steps:
 * addressing → verify signature → classify operation → evaluate scopes → answer locally
 * (ListBuckets, errors, bucket probes) or re-sign and stream to the upstream.
 * Nothing reaches the upstream before the signature and scope checks pass.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { RequestLogger } from '../core/logger.js';
import { createRequestId } from '../core/request-id.js';
import { uriEncode } from '../sigv4/uri-encode.js';
import { bytesOut } from '../core/response-bytes.js';
import { parseAddressing } from '../s3/addressing.js';
import { classifyOperation, type ClassifiedOperation } from '../s3/classify-operation.js';
import { S3Error, isS3Error } from '../s3/s3-error.js';
import { evaluateRequest } from '../policy/evaluate-access.js';
import { verifyRequest } from '../sigv4/verify-request.js';
import { findClaimedAccessKeyId } from '../sigv4/claimed-access-key.js';
import type { CredentialLookup } from '../policy/credential.js';
import { createPayloadVerifier } from '../sigv4/payload-verifier.js';
import { ChecksumGuard, findHeaderChecksum, type HeaderChecksum } from '../sigv4/checksum-guard.js';
import { checksumBodyCheck, sha256BodyCheck } from '../sigv4/body-check.js';
import type { SigningKeyCache } from '../sigv4/signing-key.js';
import type { PayloadMode, SignableRequest, VerifiedRequest } from '../sigv4/signable-request.js';
import { buildUpstreamRequest, EMPTY_SHA256 } from '../upstream/resign-request.js';
import { forwardRequest } from '../upstream/forward-request.js';
import { buildForwardHeaders } from './forward-headers.js';
import { asS3Error, sendS3Error } from './respond.js';
import { answerListBuckets } from './list-buckets.js';
import { handleDeleteObjects } from './delete-objects.js';
import { answerCreateBucketProbe } from './create-bucket.js';
import { parseQuery, isAuthQueryParam, type QueryPair } from './query.js';
import { addCorsHeaders, answerPreflight } from './cors.js';
import { resolveForwarded } from './client-address.js';
import { chainBody, checkedBody } from './body-chain.js';
import { assertSigV2CoversQuery } from './sigv2-coverage.js';
import { formatRequestEvent } from './request-log-line.js';
import type { ProxyRuntime, RuntimeRef } from './proxy-runtime.js';

export interface S3RequestContext {
  readonly runtime: RuntimeRef;
  readonly log: Logger;
  /** The per-request line: only the S3RequestEvent fields (no headers, no secrets). */
  readonly requestLog: RequestLogger;
  readonly clock: Clock;
  readonly signingKeys: SigningKeyCache;
  /** Called once per request when it is finished (audit hooks in here). */
  readonly onComplete?: ((event: S3RequestEvent) => void) | undefined;
}

/** What happened to one request: the log line and the audit row are built from this. */
export interface S3RequestEvent {
  requestId: string;
  method: string;
  accessKeyId: string | undefined;
  principal: string | undefined;
  operation: string | undefined;
  action: string | undefined;
  bucket: string | undefined;
  key: string | undefined;
  status: number;
  errorCode: string | undefined;
  bytesIn: number;
  bytesOut: number;
  latencyMs: number;
  clientAddress: string | undefined;
  forwarded: boolean;
}

/** Everything a step needs about the request being handled. */
export interface S3Call {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly runtime: ProxyRuntime;
  readonly verified: VerifiedRequest;
  readonly op: ClassifiedOperation;
  readonly query: readonly QueryPair[];
  readonly responseHeaders: Record<string, string>;
  readonly now: Date;
}

export async function handleS3Request(req: IncomingMessage, res: ServerResponse, ctx: S3RequestContext): Promise<void> {
  const started = performance.now();
  const requestId = createRequestId();
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  const responseHeaders: Record<string, string> = { 'x-amz-request-id': requestId };
  addCorsHeaders(req, responseHeaders);
  const event: S3RequestEvent = {
    requestId,
    method,
    accessKeyId: undefined,
    principal: undefined,
    operation: undefined,
    action: undefined,
    bucket: undefined,
    key: undefined,
    status: 0,
    errorCode: undefined,
    bytesIn: 0,
    bytesOut: 0,
    latencyMs: 0,
    clientAddress: undefined,
    forwarded: false,
  };

  try {
    const runtime = ctx.runtime.current;
    const { settings } = runtime;
    const forwarded = resolveForwarded(req, settings.trustedProxies);
    event.clientAddress = forwarded.clientAddress;
    if (method === 'OPTIONS') {
      event.operation = 'PreflightRequest';
      answerPreflight(req, res, responseHeaders);
      return;
    }
    const address = parseAddressing({ host: forwarded.host, rawPath, virtualHostDomains: settings.virtualHostDomains });
    event.bucket = address.bucket;
    event.key = address.key;

    const nowMs = ctx.clock();
    const verified = verifyRequest(
      { method, rawPath, rawQuery, headers: signableHeaders(req, forwarded.host), virtualHostBucket: address.style === 'virtual-host' ? address.bucket : undefined },
      { credentials: runtime.credentials, nowMs, allowedRegions: settings.regions, signingKeys: ctx.signingKeys, maxSkewMs: settings.maxSkewMs },
    );
    const credential = verified.credential;
    if (credential === undefined) {
      throw new S3Error('AccessDenied', 'Anonymous access is not allowed: sign the request with an s3gate access key.');
    }
    event.accessKeyId = credential.accessKeyId;
    event.principal = credential.principalName;

    const query = parseQuery(rawQuery);
    if (verified.authKind === 'header-v2' || verified.authKind === 'presigned-v2') assertSigV2CoversQuery(query, verified.authKind === 'presigned-v2');
    const op = classifyOperation({ method, bucket: address.bucket, key: address.key, query: queryMap(query), headers: req.headers });
    if (op === undefined) {
      throw new S3Error('NotImplemented', `s3gate does not support ${method} on this resource; the request was not forwarded.`);
    }
    event.operation = op.operation;
    event.action = op.action;

    const call: S3Call = { req, res, requestId, runtime, verified, op, query, responseHeaders, now: new Date(nowMs) };
    const decision = evaluateRequest(credential.scopes, op);
    if (!decision.allowed) {
      // rclone and friends probe with CreateBucket: an existing bucket in scope is "already yours".
      if (op.operation === 'CreateBucket' && evaluateRequest(credential.scopes, { ...op, operation: 'HeadBucket', action: 'head_bucket' }).allowed) {
        await answerCreateBucketProbe(call);
      }
      throw new S3Error('AccessDenied', `Access Denied: this key may not ${op.action} here.`);
    }

    if (op.operation === 'ListBuckets') {
      await answerListBuckets(call);
      event.status = res.statusCode;
      return;
    }

    event.forwarded = true;
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    if (op.operation === 'DeleteObjects') {
      const result = await handleDeleteObjects(call, settings.maxDeleteObjectsBodyBytes);
      event.bytesIn = result.bytesIn;
      event.status = res.statusCode;
      return;
    }
    const result = await forwardToUpstream(call, settings.maxChunkSizeBytes);
    event.bytesIn = result.bytesIn;
    event.status = result.status;
  } catch (err) {
    if (!isS3Error(err) && clientGone(req, res)) {
      // The client hung up (an aborted download, a client timeout): nothing to answer and
      // nothing wrong here. Logged like nginx's 499, never as an internal error.
      event.errorCode = CLIENT_CLOSED_REQUEST;
      event.status = res.headersSent ? res.statusCode : 499;
      res.destroy();
      return;
    }
    const error = asS3Error(err);
    if (event.accessKeyId === undefined) describeRefusedCaller(event, req, rawQuery, ctx.runtime.current.credentials);
    if (error.code === 'InternalError') ctx.log.error({ err, requestId }, 'internal error on the S3 path');
    event.errorCode = error.code;
    event.status = res.headersSent ? res.statusCode : error.status;
    // A body left unread (denied upload, failed verification) is not drained: the connection
    // closes after the error instead.
    sendS3Error(res, error, { method, resource: rawPath, requestId, headers: responseHeaders, closeConnection: !req.complete });
  } finally {
    event.latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    event.bytesOut = method === 'HEAD' ? 0 : bytesOut(res);
    if (event.status === 0) event.status = res.statusCode;
    ctx.requestLog.info(formatRequestEvent(event), 's3 request');
    ctx.onComplete?.(event);
  }
}

/** The error code logged and audited for a request whose client went away before its answer was complete. */
export const CLIENT_CLOSED_REQUEST = 'ClientClosedRequest';

function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  return !res.writableFinished && (res.destroyed || req.socket.destroyed);
}

/**
 * A request refused before its signature verified (unknown, revoked, disabled or expired key,
 * wrong secret): the log line and the audit row still name the key it claimed and, when the
 * table knows it, the operation. Error path only; never used for a decision.
 */
function describeRefusedCaller(event: S3RequestEvent, req: IncomingMessage, rawQuery: string, credentials: CredentialLookup): void {
  const authorization = req.headers.authorization;
  const claimed = findClaimedAccessKeyId(typeof authorization === 'string' ? authorization : undefined, rawQuery);
  if (claimed === undefined) return;
  event.accessKeyId = claimed;
  event.principal = credentials.get(claimed)?.principalName;
  if (event.operation !== undefined || event.method === 'OPTIONS') return;
  try {
    const op = classifyOperation({ method: event.method, bucket: event.bucket, key: event.key, query: queryMap(parseQuery(rawQuery)), headers: req.headers });
    event.operation = op?.operation;
    event.action = op?.action;
  } catch {
    // Unclassifiable: the row says Unclassified.
  }
}

/**
 * Node joins a repeated header with ", " but SigV4 joins the values with ","; only when the
 * request repeats a header are the distinct values handed to the verifier (the common case
 * costs one key count).
 */
function signableHeaders(req: IncomingMessage, host: string): SignableRequest['headers'] {
  let names = 0;
  for (const _ in req.headers) names++;
  const headers = names * 2 === req.rawHeaders.length ? req.headers : req.headersDistinct;
  // The host verified must be the host addressed (X-Forwarded-Host behind a trusted proxy).
  return headers.host === host || (Array.isArray(headers.host) && headers.host[0] === host) ? headers : { ...headers, host };
}

function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Repeated parameters stay visible (as arrays) so the classifier can refuse them. No prototype:
 * `__proto__` (or `constructor`) is a parameter name like any other.
 */
function queryMap(query: readonly QueryPair[]): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of query) {
    const prev = map[name];
    map[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return map;
}

/**
 * Query parameters that go upstream: the client's auth parameters and SDK noise stay here,
 * and x-amz-* parameters (a presigned URL's way of carrying headers) travel as headers, where
 * the checks below apply to them like to any header.
 */
export function forwardedQuery(query: readonly QueryPair[]): QueryPair[] {
  return query.filter(([name]) => !isAuthQueryParam(name) && name !== 'x-id' && !name.toLowerCase().startsWith('x-amz-'));
}

/**
 * The upstream headers for an authorised operation: x-amz-* query parameters become headers,
 * and the copy source is rebuilt from the bucket/key/versionId the policy checked, so the
 * upstream cannot read a different source than the one authorised.
 */
function applyCheckedHeaders(headers: Record<string, string>, query: readonly QueryPair[], op: ClassifiedOperation): void {
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-') && !isAuthQueryParam(lower) && headers[lower] === undefined) headers[lower] = value;
  }
  if (op.copySource !== undefined) {
    const { bucket, key, versionId } = op.copySource;
    headers['x-amz-copy-source'] = `/${bucket}/${uriEncode(key, true)}${versionId === undefined ? '' : `?versionId=${uriEncode(versionId)}`}`;
  } else {
    delete headers['x-amz-copy-source'];
  }
}

/** The number of decoded body bytes the upstream will receive (0 when there is no body). */
function upstreamContentLength(req: IncomingMessage, payload: PayloadMode): number {
  if (payload.kind === 'streaming-signed' || payload.kind === 'streaming-unsigned-trailer') return payload.decodedLength;
  const header = req.headers['content-length'];
  if (header === undefined) {
    if (req.headers['transfer-encoding'] !== undefined) throw new S3Error('MissingContentLength');
    return 0;
  }
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) throw new S3Error('InvalidArgument', 'Content-Length is not a valid number.');
  return length;
}

function upstreamPayloadHash(payload: PayloadMode, hasBody: boolean): string {
  if (!hasBody) return EMPTY_SHA256;
  // A known digest goes upstream too, so the upstream checks the body a second time.
  return payload.kind === 'sha256' ? payload.sha256Hex : 'UNSIGNED-PAYLOAD';
}

async function forwardToUpstream(call: S3Call, maxChunkSizeBytes: number): Promise<{ status: number; bytesIn: number }> {
  const { req, res, runtime, verified, op } = call;
  const backend = runtime.backends.backendFor(op.bucket);
  // A copy runs on the destination's backend, which would read its own bucket of the source's
  // name: not the source the policy checked when that bucket is served by another backend.
  if (op.copySource !== undefined && runtime.backends.backendFor(op.copySource.bucket) !== backend) {
    throw new S3Error('NotImplemented', 'Copying between buckets served by different backends is not supported.');
  }
  const payload = verified.payload;
  const contentLength = upstreamContentLength(req, payload);
  const headers = buildForwardHeaders(req.headers, payload);
  applyCheckedHeaders(headers, call.query, op);
  // On CompleteMultipartUpload the checksum header describes the whole object, not this body.
  const checksum = op.operation === 'CompleteMultipartUpload' ? undefined : findHeaderChecksum(headers);
  let body: Readable | AsyncIterable<Buffer> | undefined;
  if (contentLength > 0) {
    // Every verifier holds back the tail until the body has verified.
    if (payload.kind === 'unsigned' || payload.kind === 'sha256') {
      const checks = [];
      if (payload.kind === 'sha256') checks.push(sha256BodyCheck(payload.sha256Hex));
      if (checksum !== undefined) checks.push(checksumBodyCheck(checksum));
      // Nothing to verify (UNSIGNED-PAYLOAD, no checksum): the request itself is the body.
      body = checks.length === 0 ? req : checkedBody(req, checks);
    } else {
      const decoder = createPayloadVerifier(payload, { maxChunkSizeBytes });
      body = chainBody(req, checksum === undefined ? [decoder] : [decoder, new ChecksumGuard(checksum)]);
    }
  } else if (hasRequestBody(req)) {
    // Nothing can be held back of an empty decoded body: verify it completely first (an
    // empty body must still hash right, an empty aws-chunked body still needs its final chunk).
    await drainVerified(req, payload, maxChunkSizeBytes, checksum);
  } else {
    verifyEmptyBody(payload, checksum);
  }
  if (body !== undefined || req.method === 'PUT' || req.method === 'POST') headers['content-length'] = String(contentLength);
  const upstream = buildUpstreamRequest(
    backend,
    { method: req.method ?? 'GET', bucket: op.bucket, key: op.key, query: forwardedQuery(call.query), headers, payloadHash: upstreamPayloadHash(payload, body !== undefined) },
    call.now,
  );
  const result = await forwardRequest(backend, upstream, body, res, call.responseHeaders, () => !req.complete);
  return { status: result.status, bytesIn: contentLength };
}

/** A request without any body (most GETs): its declared payload must describe nothing. */
function verifyEmptyBody(payload: PayloadMode, checksum: HeaderChecksum | undefined): void {
  if (payload.kind === 'sha256' && payload.sha256Hex !== EMPTY_SHA256) sha256BodyCheck(payload.sha256Hex).verify();
  if (payload.kind === 'streaming-signed' || payload.kind === 'streaming-unsigned-trailer') {
    throw new S3Error('IncompleteBody', 'An aws-chunked body needs at least its final chunk.');
  }
  // Nothing fed in: the check compares against the empty body's checksum.
  if (checksum !== undefined) checksumBodyCheck(checksum).verify();
}

async function drainVerified(req: IncomingMessage, payload: PayloadMode, maxChunkSizeBytes: number, checksum: HeaderChecksum | undefined): Promise<void> {
  const decoder = createPayloadVerifier(payload, { maxChunkSizeBytes });
  const verifier = chainBody(req, checksum === undefined ? [decoder] : [decoder, new ChecksumGuard(checksum)]);
  for await (const chunk of verifier) {
    if ((chunk as Buffer).length > 0) throw new S3Error('IncompleteBody', 'The body is longer than its declared length.');
  }
}
