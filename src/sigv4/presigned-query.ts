/**
 * SigV4 presigned URLs (query-string authentication): X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature, optional X-Amz-Security-Token.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { S3Error } from '../s3/s3-error.js';
import { parseAmzDate } from './amz-date.js';
import type { QueryParam } from './canonical-request.js';
import { parseCredentialScope, parseSignedHeaders, type ParsedCredentialScope } from './credential-scope.js';
import { SIGV4A_ALGORITHM, SIGV4_ALGORITHM } from './string-to-sign.js';
import { SIGV4A_NOT_SUPPORTED } from './authorization-header.js';

export const MAX_PRESIGNED_EXPIRES_SECONDS = 604_800;

export interface ParsedPresignedV4 {
  readonly credential: ParsedCredentialScope;
  /** X-Amz-Date as given (`YYYYMMDDTHHMMSSZ`). */
  readonly amzDate: string;
  readonly requestTimeMs: number;
  readonly expiresSeconds: number;
  readonly signedHeaders: readonly string[];
  readonly signedHeadersText: string;
  readonly signature: string;
  readonly securityToken: string | undefined;
}

const QUERY_ERROR = 'AuthorizationQueryParametersError';
const REQUIRED_MESSAGE =
  'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.';
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,7}$/;

/** Names of the SigV4 query authentication parameters (decoded, exact case as AWS sends them). */
export const PRESIGNED_V4_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
] as const;
type PresignedParamName = (typeof PRESIGNED_V4_PARAMS)[number];
const PARAM_SET: ReadonlySet<string> = new Set(PRESIGNED_V4_PARAMS);

/** Parses the authentication parameters; does not check time (see verifyPresignedTimeV4). */
export function parsePresignedQueryV4(params: readonly QueryParam[]): ParsedPresignedV4 {
  const found = new Map<PresignedParamName, string>();
  for (const p of params) {
    if (!PARAM_SET.has(p.name)) continue;
    const name = p.name as PresignedParamName;
    if (found.has(name)) throw new S3Error(QUERY_ERROR, `The query parameter ${name} appears more than once.`);
    found.set(name, p.value);
  }
  const algorithm = found.get('X-Amz-Algorithm');
  if (algorithm === SIGV4A_ALGORITHM) throw new S3Error('NotImplemented', SIGV4A_NOT_SUPPORTED);
  const credentialText = found.get('X-Amz-Credential');
  const amzDate = found.get('X-Amz-Date');
  const expires = found.get('X-Amz-Expires');
  const signedHeadersText = found.get('X-Amz-SignedHeaders');
  const signature = found.get('X-Amz-Signature');
  if (
    algorithm === undefined || credentialText === undefined || amzDate === undefined ||
    expires === undefined || signedHeadersText === undefined || signature === undefined
  ) {
    throw new S3Error(QUERY_ERROR, REQUIRED_MESSAGE);
  }
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new S3Error(QUERY_ERROR, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256".');
  }
  const requestTimeMs = parseAmzDate(amzDate);
  if (requestTimeMs === undefined) {
    throw new S3Error(QUERY_ERROR, 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'".');
  }
  if (!DECIMAL.test(expires)) throw new S3Error(QUERY_ERROR, 'X-Amz-Expires should be a number.');
  const expiresSeconds = Number(expires);
  if (expiresSeconds < 1) throw new S3Error(QUERY_ERROR, 'X-Amz-Expires must be at least 1 second.');
  if (expiresSeconds > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw new S3Error(QUERY_ERROR, 'X-Amz-Expires must be less than a week (in seconds) that is 604800.');
  }
  if (!SIGNATURE_HEX.test(signature)) {
    throw new S3Error(QUERY_ERROR, 'X-Amz-Signature must be 64 lower-case hex digits.');
  }
  return {
    credential: parseCredentialScope(credentialText, QUERY_ERROR),
    amzDate,
    requestTimeMs,
    expiresSeconds,
    signedHeaders: parseSignedHeaders(signedHeadersText, QUERY_ERROR),
    signedHeadersText,
    signature,
    securityToken: found.get('X-Amz-Security-Token'),
  };
}

/**
 * Expiry is measured from X-Amz-Date (not from the skew window): valid while
 * nowMs <= date + expires. A date more than `maxSkewMs` in the future is rejected too.
 */
export function verifyPresignedTimeV4(parsed: ParsedPresignedV4, nowMs: number, maxSkewMs: number): void {
  if (parsed.requestTimeMs - nowMs > maxSkewMs) {
    throw new S3Error('AccessDenied', 'Request is not valid yet', {
      'X-Amz-Date': parsed.amzDate,
      ServerTime: new Date(nowMs).toISOString(),
    });
  }
  const expiresAtMs = parsed.requestTimeMs + parsed.expiresSeconds * 1000;
  if (nowMs > expiresAtMs) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': String(parsed.expiresSeconds),
      Expires: new Date(expiresAtMs).toISOString(),
      ServerTime: new Date(nowMs).toISOString(),
    });
  }
}
