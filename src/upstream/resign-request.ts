/**
 * Builds the request s3gate sends upstream: canonical S3 path for the bucket/key, the
 * client's query minus its auth parameters, the forwarded headers, all signed with the
 * backend's admin key. The wire path is built with the same encoding the signer uses, so
 * the canonical request the upstream computes matches ours byte for byte. Header values are
 * node's latin1 strings and are hashed as the bytes undici sends (sha256HexOfText).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { getCanonicalHeaders, getCanonicalQuery } from '@smithy/signature-v4';
import { formatAmzDate } from '../sigv4/amz-date.js';
import { hmacSha256Hex } from '../sigv4/hmac-sha256.js';
import { buildCredentialScope, buildStringToSign } from '../sigv4/string-to-sign.js';
import type { Backend } from './backend.js';
import { uriEncode } from '../sigv4/uri-encode.js';

export interface UpstreamRequestInput {
  readonly method: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** Decoded query parameters, auth parameters already removed. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case header names; hop-by-hop and client auth headers already removed. */
  readonly headers: Record<string, string>;
  /** x-amz-content-sha256 to send: a hex digest, UNSIGNED-PAYLOAD, or the empty-body hash. */
  readonly payloadHash: string;
}

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query exactly as sent on the wire. */
  readonly path: string;
  readonly headers: Record<string, string>;
}

/** x-amz-content-sha256 of an empty body. */
export { EMPTY_SHA256_HEX as EMPTY_SHA256 } from '../sigv4/string-to-sign.js';

/** Headers the signer leaves out: they may be changed by intermediaries or are not meaningful. */
const UNSIGNABLE = new Set(['user-agent', 'expect', 'content-length', 'accept-encoding', 'x-amzn-trace-id', 'amz-sdk-invocation-id', 'amz-sdk-request']);

export function buildUpstreamRequest(backend: Backend, input: UpstreamRequestInput, now: Date): UpstreamRequest {
  const { path, host } = upstreamLocation(backend, input.bucket, input.key);
  const longDate = formatAmzDate(now.getTime());
  const shortDate = longDate.slice(0, 8);
  const headers: Record<string, string> = { ...input.headers, host, 'x-amz-content-sha256': input.payloadHash, 'x-amz-date': longDate };

  const query: Record<string, string | string[]> = {};
  for (const [name, value] of input.query) {
    const prev = query[name];
    if (prev === undefined) query[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else query[name] = [prev, value];
  }
  // Canonicalisation by @smithy/signature-v4's own helpers; the HMAC chain synchronously with
  // node:crypto and a cached signing key (see docs/decisions/0007).
  const smithyRequest = { method: input.method, protocol: backend.origin.protocol, hostname: host, path, query, headers };
  const canonicalHeaders = getCanonicalHeaders(smithyRequest, UNSIGNABLE);
  const signedNames = Object.keys(canonicalHeaders).sort();
  let headerLines = '';
  for (const name of signedNames) headerLines += `${name}:${canonicalHeaders[name]}\n`;
  const signedHeaders = signedNames.join(';');
  const canonicalRequest = `${input.method}\n${path}\n${getCanonicalQuery(smithyRequest)}\n${headerLines}\n${signedHeaders}\n${input.payloadHash}`;
  const { region, accessKeyId, secretAccessKey } = backend.settings;
  const scope = buildCredentialScope(shortDate, region, 's3');
  const signingKey = backend.signingKeys.getFor(backend, secretAccessKey, shortDate, region, 's3');
  const signature = hmacSha256Hex(signingKey, buildStringToSign(longDate, scope, canonicalRequest));
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { method: input.method, path: path + buildQueryString(input.query), headers };
}

function upstreamLocation(backend: Backend, bucket: string | undefined, key: string | undefined): { path: string; host: string } {
  const encodedKey = key === undefined ? '' : uriEncode(key, true);
  if (bucket === undefined) return { path: `${backend.basePath}/`, host: backend.host };
  if (backend.settings.pathStyle) {
    return { path: `${backend.basePath}/${uriEncode(bucket, true)}${key === undefined ? '' : `/${encodedKey}`}`, host: backend.host };
  }
  return { path: `${backend.basePath}/${encodedKey}`, host: `${bucket}.${backend.host}` };
}

/** The query string in the signer's canonical order and encoding (sorted by name, then value). */
function buildQueryString(query: ReadonlyArray<readonly [string, string]>): string {
  if (query.length === 0) return '';
  const parts = query.map(([n, v]) => [uriEncode(n), uriEncode(v)] as const);
  parts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return `?${parts.map(([n, v]) => `${n}=${v}`).join('&')}`;
}
