/**
 * Verifies an incoming S3 request's authentication: classify the auth kind, parse it, check
 * time, scope, region and signed headers, look the credential up, recompute the signature with a
 * cached signing key and compare in constant time. Pure: the clock comes in the context.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html (SigV2)
 */
import type { Credential, CredentialLookup } from '../policy/credential.js';
import { S3Error, type S3ErrorCode } from '../s3/s3-error.js';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './amz-date.js';
import { isSigV4aAuthorization, parseAuthorizationHeaderV4, SIGV4A_NOT_SUPPORTED } from './authorization-header.js';
import {
  buildCanonicalHeaders,
  buildCanonicalQuery,
  buildCanonicalRequest,
  buildCanonicalUri,
  parseQuery,
  type QueryParam,
} from './canonical-request.js';
import { checkCredentialUsable, lookupCredential } from './check-credential.js';
import { bytesEqual, hexSignatureMatches } from './constant-time.js';
import type { ParsedCredentialScope } from './credential-scope.js';
import { errorPrefix } from './credential-scope.js';
import { parsePayloadMode, UNSIGNED_PAYLOAD } from './payload-mode.js';
import { parsePresignedQueryV4, verifyPresignedTimeV4 } from './presigned-query.js';
import type { AuthKind, PayloadMode, SignableRequest, VerifiedRequest } from './signable-request.js';
import { computeSignatureHex, type SigningKeyCache } from './signing-key.js';
import { buildStringToSign } from './string-to-sign.js';
import {
  buildCanonicalAmzHeadersV2,
  buildCanonicalResourceV2,
  buildStringToSignV2,
  computeSignatureV2,
  parseAuthorizationHeaderV2,
  parsePresignedQueryV2,
} from './sigv2.js';

export const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;

export interface VerifyContext {
  readonly credentials: CredentialLookup;
  readonly nowMs: number;
  /** Regions a SigV4 scope may name; undefined accepts any. */
  readonly allowedRegions?: readonly string[] | undefined;
  readonly signingKeys: SigningKeyCache;
  /** Allowed clock difference for header auth (and presigned dates in the future); 15 min by default. */
  readonly maxSkewMs?: number | undefined;
}

type Headers = SignableRequest['headers'];

const SERVICE = 's3';
const UNSIGNED: PayloadMode = Object.freeze({ kind: 'unsigned' });
const NO_DATE_MESSAGE = 'AWS authentication requires a valid Date or x-amz-date header';

/** One header value as a string; repeated values joined with `,`. */
function headerValue(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined || typeof v === 'string') return v;
  return v.join(',');
}

/** First value of a parameter whose name equals `lowerName` ignoring case. */
function findParamIgnoreCase(params: readonly QueryParam[], lowerName: string): string | undefined {
  for (const p of params) if (p.name.length === lowerName.length && p.name.toLowerCase() === lowerName) return p.value;
  return undefined;
}

function hasParam(params: readonly QueryParam[], name: string): boolean {
  for (const p of params) if (p.name === name) return true;
  return false;
}

/**
 * Which authentication the request uses. More than one mechanism at once is an error, as is a
 * SigV4A request.
 */
export function classifyAuthKind(req: SignableRequest, params: readonly QueryParam[]): AuthKind {
  const authorization = headerValue(req.headers, 'authorization');
  const v4Query = hasParam(params, 'X-Amz-Algorithm') || hasParam(params, 'X-Amz-Credential') || hasParam(params, 'X-Amz-Signature');
  const v2Query = hasParam(params, 'AWSAccessKeyId') || hasParam(params, 'Signature');
  const mechanisms = (authorization !== undefined ? 1 : 0) + (v4Query ? 1 : 0) + (v2Query ? 1 : 0);
  if (mechanisms > 1) {
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  if (authorization !== undefined) {
    if (authorization.startsWith('AWS4-HMAC-SHA256 ')) return 'header-v4';
    if (isSigV4aAuthorization(authorization)) throw new S3Error('NotImplemented', SIGV4A_NOT_SUPPORTED);
    if (authorization.startsWith('AWS ')) return 'header-v2';
    throw new S3Error('InvalidArgument', 'Unsupported Authorization Type');
  }
  if (v4Query) return 'presigned-v4';
  if (v2Query) return 'presigned-v2';
  return 'anonymous';
}

/** Verifies the request; throws S3Error on any failure. Anonymous requests come back as such (the caller decides). */
export function verifyRequest(req: SignableRequest, ctx: VerifyContext): VerifiedRequest {
  const params = parseQuery(req.rawQuery);
  const authKind = classifyAuthKind(req, params);
  switch (authKind) {
    case 'header-v4':
      return verifyHeaderV4(req, ctx, params);
    case 'presigned-v4':
      return verifyPresignedV4(req, ctx, params);
    case 'header-v2':
      return verifyHeaderV2(req, ctx, params);
    case 'presigned-v2':
      return verifyPresignedV2(req, ctx, params);
    case 'anonymous':
      return { authKind, credential: undefined, region: undefined, payload: UNSIGNED };
  }
}

function maxSkew(ctx: VerifyContext): number {
  return ctx.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
}

function checkSkew(requestTimeMs: number, ctx: VerifyContext): void {
  if (Math.abs(ctx.nowMs - requestTimeMs) > maxSkew(ctx)) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: new Date(requestTimeMs).toISOString(),
      ServerTime: new Date(ctx.nowMs).toISOString(),
      MaxAllowedSkewMilliseconds: String(maxSkew(ctx)),
    });
  }
}

/** Scope date = request day, service = s3, region allowed. */
function checkScope(scope: ParsedCredentialScope, amzDate: string, ctx: VerifyContext, errorCode: S3ErrorCode): void {
  const prefix = errorPrefix(errorCode);
  if (scope.shortDate !== amzDate.slice(0, 8)) {
    throw new S3Error(errorCode, `${prefix} Invalid credential date "${scope.shortDate}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (scope.service !== SERVICE) {
    throw new S3Error(errorCode, `${prefix} incorrect service "${scope.service}". This endpoint belongs to "s3".`);
  }
  const allowed = ctx.allowedRegions;
  if (allowed !== undefined && !allowed.includes(scope.region)) {
    const expected = allowed.length === 1 ? `'${allowed[0] ?? ''}'` : `one of ${allowed.map((r) => `'${r}'`).join(', ')}`;
    throw new S3Error(errorCode, `${prefix} the region '${scope.region}' is wrong; expecting ${expected}`, { Region: allowed[0] ?? '' });
  }
}

/** `host` must be signed, and so must every x-amz-* header present (Garage, S3). */
export function checkSignedHeaders(headers: Headers, signedHeaders: readonly string[], extraRequired?: string): void {
  const missing: string[] = [];
  if (!signedHeaders.includes('host')) missing.push('host');
  if (extraRequired !== undefined && !signedHeaders.includes(extraRequired)) missing.push(extraRequired);
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-amz-') && headers[name] !== undefined && !signedHeaders.includes(name)) missing.push(name);
  }
  if (missing.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: missing.join(', '),
    });
  }
}

interface V4Input {
  readonly authKind: 'header-v4' | 'presigned-v4';
  readonly scope: ParsedCredentialScope;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signedHeadersText: string;
  readonly signature: string;
  readonly payloadHash: string;
  /** Value of x-amz-content-sha256 that decides the payload mode (undefined: unsigned). */
  readonly contentSha256: string | undefined;
  readonly presentedToken: string | undefined;
  readonly excludeParam: string | undefined;
}

function verifyV4Signature(req: SignableRequest, ctx: VerifyContext, params: readonly QueryParam[], input: V4Input): VerifiedRequest {
  const credential = lookupCredential(ctx.credentials, input.scope.accessKeyId);
  const signingKey = ctx.signingKeys.getFor(credential, credential.secretAccessKey, input.scope.shortDate, input.scope.region, input.scope.service);
  const canonicalRequest = buildCanonicalRequest({
    method: req.method,
    canonicalUri: buildCanonicalUri(req.rawPath),
    canonicalQuery: buildCanonicalQuery(params, input.excludeParam),
    canonicalHeaders: buildCanonicalHeaders(req.headers, input.signedHeaders),
    signedHeaders: input.signedHeadersText,
    payloadHash: input.payloadHash,
  });
  const stringToSign = buildStringToSign(input.amzDate, input.scope.scope, canonicalRequest);
  const expected = computeSignatureHex(signingKey, stringToSign);
  if (!hexSignatureMatches(expected, input.signature)) {
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: input.scope.accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: input.signature,
    });
  }
  checkCredentialUsable(credential, ctx.nowMs, input.presentedToken);
  const payload = parsePayloadMode(input.contentSha256, req.headers, {
    seedSignature: input.signature,
    signingKey,
    amzDate: input.amzDate,
    credentialScope: input.scope.scope,
  });
  return { authKind: input.authKind, credential, region: input.scope.region, payload };
}

function verifyHeaderV4(req: SignableRequest, ctx: VerifyContext, params: readonly QueryParam[]): VerifiedRequest {
  const auth = parseAuthorizationHeaderV4(headerValue(req.headers, 'authorization') ?? '');
  const xAmzDate = headerValue(req.headers, 'x-amz-date');
  let amzDate: string;
  let requestTimeMs: number | undefined;
  let dateHeaderUsed = false;
  if (xAmzDate !== undefined) {
    requestTimeMs = parseAmzDate(xAmzDate.trim());
    amzDate = xAmzDate.trim();
  } else {
    // botocore may sign a Date header instead of x-amz-date; the string to sign then carries
    // that instant in the ISO 8601 basic form.
    const date = headerValue(req.headers, 'date')?.trim();
    requestTimeMs = date === undefined ? undefined : (parseHttpDate(date) ?? parseAmzDate(date));
    amzDate = requestTimeMs === undefined ? '' : formatAmzDate(requestTimeMs);
    dateHeaderUsed = true;
  }
  if (requestTimeMs === undefined) throw new S3Error('AccessDenied', NO_DATE_MESSAGE);
  checkSkew(requestTimeMs, ctx);
  checkScope(auth.credential, amzDate, ctx, 'AuthorizationHeaderMalformed');
  checkSignedHeaders(req.headers, auth.signedHeaders, dateHeaderUsed ? 'date' : undefined);
  const contentSha256 = headerValue(req.headers, 'x-amz-content-sha256');
  if (contentSha256 === undefined) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  }
  return verifyV4Signature(req, ctx, params, {
    authKind: 'header-v4',
    scope: auth.credential,
    amzDate,
    signedHeaders: auth.signedHeaders,
    signedHeadersText: auth.signedHeadersText,
    signature: auth.signature,
    payloadHash: contentSha256,
    contentSha256,
    presentedToken: headerValue(req.headers, 'x-amz-security-token'),
    excludeParam: undefined,
  });
}

function verifyPresignedV4(req: SignableRequest, ctx: VerifyContext, params: readonly QueryParam[]): VerifiedRequest {
  const parsed = parsePresignedQueryV4(params);
  verifyPresignedTimeV4(parsed, ctx.nowMs, maxSkew(ctx));
  checkScope(parsed.credential, parsed.amzDate, ctx, 'AuthorizationQueryParametersError');
  checkSignedHeaders(req.headers, parsed.signedHeaders);
  // The payload hash of a presigned URL is UNSIGNED-PAYLOAD unless the client sent (and signed)
  // x-amz-content-sha256; the AWS SDK presigner hoists it into the query as X-Amz-Content-Sha256.
  const contentSha256 = headerValue(req.headers, 'x-amz-content-sha256') ?? findParamIgnoreCase(params, 'x-amz-content-sha256');
  return verifyV4Signature(req, ctx, params, {
    authKind: 'presigned-v4',
    scope: parsed.credential,
    amzDate: parsed.amzDate,
    signedHeaders: parsed.signedHeaders,
    signedHeadersText: parsed.signedHeadersText,
    signature: parsed.signature,
    payloadHash: contentSha256 ?? UNSIGNED_PAYLOAD,
    contentSha256,
    presentedToken: parsed.securityToken ?? headerValue(req.headers, 'x-amz-security-token'),
    excludeParam: 'X-Amz-Signature',
  });
}

function verifyV2Signature(credential: Credential, stringToSign: string, provided: string, accessKeyId: string): void {
  const expected = computeSignatureV2(credential.secretAccessKey, stringToSign);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(provided) || !bytesEqual(expected, Buffer.from(provided, 'base64'))) {
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: accessKeyId,
      StringToSign: stringToSign,
      SignatureProvided: provided,
    });
  }
}

function verifyHeaderV2(req: SignableRequest, ctx: VerifyContext, params: readonly QueryParam[]): VerifiedRequest {
  const auth = parseAuthorizationHeaderV2(headerValue(req.headers, 'authorization') ?? '');
  const xAmzDate = headerValue(req.headers, 'x-amz-date')?.trim();
  const date = headerValue(req.headers, 'date')?.trim();
  const timeText = xAmzDate ?? date;
  const requestTimeMs = timeText === undefined ? undefined : (parseHttpDate(timeText) ?? parseAmzDate(timeText));
  if (requestTimeMs === undefined) throw new S3Error('AccessDenied', NO_DATE_MESSAGE);
  checkSkew(requestTimeMs, ctx);
  const credential = lookupCredential(ctx.credentials, auth.accessKeyId);
  const stringToSign = buildStringToSignV2({
    method: req.method,
    headers: req.headers,
    dateLine: xAmzDate !== undefined ? '' : (date ?? ''),
    canonicalAmzHeaders: buildCanonicalAmzHeadersV2(req.headers),
    canonicalResource: buildCanonicalResourceV2(req.rawPath, params, req.virtualHostBucket),
  });
  verifyV2Signature(credential, stringToSign, auth.signature, auth.accessKeyId);
  checkCredentialUsable(credential, ctx.nowMs, headerValue(req.headers, 'x-amz-security-token'));
  return { authKind: 'header-v2', credential, region: undefined, payload: UNSIGNED };
}

function verifyPresignedV2(req: SignableRequest, ctx: VerifyContext, params: readonly QueryParam[]): VerifiedRequest {
  const parsed = parsePresignedQueryV2(params);
  if (ctx.nowMs > parsed.expiresEpochSeconds * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      Expires: new Date(parsed.expiresEpochSeconds * 1000).toISOString(),
      ServerTime: new Date(ctx.nowMs).toISOString(),
    });
  }
  const credential = lookupCredential(ctx.credentials, parsed.accessKeyId);
  const stringToSign = buildStringToSignV2({
    method: req.method,
    headers: req.headers,
    dateLine: parsed.expiresText,
    canonicalAmzHeaders: buildCanonicalAmzHeadersV2(req.headers, params),
    canonicalResource: buildCanonicalResourceV2(req.rawPath, params, req.virtualHostBucket),
  });
  verifyV2Signature(credential, stringToSign, parsed.signature, parsed.accessKeyId);
  const token = findParamIgnoreCase(params, 'x-amz-security-token') ?? headerValue(req.headers, 'x-amz-security-token');
  checkCredentialUsable(credential, ctx.nowMs, token);
  return { authKind: 'presigned-v2', credential, region: undefined, payload: UNSIGNED };
}
