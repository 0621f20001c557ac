/**
 * Signature Version 2 (legacy): `Authorization: AWS AKID:base64(HMAC-SHA1)` and presigned
 * `AWSAccessKeyId`/`Signature`/`Expires` query parameters.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 */
import { createHmac } from 'node:crypto';
import { S3Error } from '../s3/s3-error.js';
import type { QueryParam } from './canonical-request.js';

export interface ParsedAuthorizationV2 {
  readonly accessKeyId: string;
  /** Base64 HMAC-SHA1, as given. */
  readonly signature: string;
}

export interface ParsedPresignedV2 {
  readonly accessKeyId: string;
  readonly signature: string;
  /** Epoch seconds. */
  readonly expiresEpochSeconds: number;
  /** Expires as given; it is the Date line of the string to sign. */
  readonly expiresText: string;
}

/**
 * Sub-resources that belong to SigV2's CanonicalizedResource: S3's documented list plus what
 * botocore and MinIO add for newer sub-resources.
 */
export const SIGV2_SUBRESOURCES: ReadonlySet<string> = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'location', 'logging', 'metrics', 'notification', 'object-lock',
  'partNumber', 'policy', 'publicAccessBlock', 'replication', 'requestPayment',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding',
  'response-content-language', 'response-content-type', 'response-expires',
  'restore', 'retention', 'select', 'select-type', 'tagging', 'torrent', 'uploadId', 'uploads',
  'versionId', 'versioning', 'versions', 'website',
]);

const V2_PREFIX = 'AWS ';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses `AWS AKID:signature`. */
export function parseAuthorizationHeaderV2(value: string): ParsedAuthorizationV2 {
  if (!value.startsWith(V2_PREFIX)) throw new S3Error('InvalidArgument', 'Unsupported Authorization Type');
  const rest = value.slice(V2_PREFIX.length).trim();
  const colon = rest.lastIndexOf(':');
  const accessKeyId = colon === -1 ? '' : rest.slice(0, colon);
  const signature = colon === -1 ? '' : rest.slice(colon + 1);
  if (accessKeyId === '' || !BASE64.test(signature)) {
    throw new S3Error('InvalidArgument', 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature');
  }
  return { accessKeyId, signature };
}

/** Parses the presigned parameters; all three are required. */
export function parsePresignedQueryV2(params: readonly QueryParam[]): ParsedPresignedV2 {
  let accessKeyId: string | undefined;
  let signature: string | undefined;
  let expires: string | undefined;
  for (const p of params) {
    if (p.name === 'AWSAccessKeyId') accessKeyId = once(accessKeyId, p);
    else if (p.name === 'Signature') signature = once(signature, p);
    else if (p.name === 'Expires') expires = once(expires, p);
  }
  if (accessKeyId === undefined || accessKeyId === '' || signature === undefined || expires === undefined) {
    throw new S3Error('AccessDenied', 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  }
  if (!/^\d{1,12}$/.test(expires)) throw new S3Error('AccessDenied', 'Invalid date (should be seconds since epoch): ' + expires);
  return { accessKeyId, signature, expiresEpochSeconds: Number(expires), expiresText: expires };
}

function once(previous: string | undefined, p: QueryParam): string {
  if (previous !== undefined) throw new S3Error('InvalidArgument', `The query parameter ${p.name} appears more than once.`);
  return p.value;
}

/**
 * CanonicalizedResource: `/bucket` (from the virtual host, if any) + the raw path, then the
 * sub-resources present, sorted by name, as `?a&b=value` (decoded values).
 */
export function buildCanonicalResourceV2(rawPath: string, params: readonly QueryParam[], virtualHostBucket: string | undefined): string {
  const path = rawPath === '' ? '/' : rawPath;
  let resource = virtualHostBucket === undefined || virtualHostBucket === '' ? path : `/${virtualHostBucket}${path}`;
  const subresources = params.filter((p) => SIGV2_SUBRESOURCES.has(p.name));
  if (subresources.length === 0) return resource;
  subresources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let sep = '?';
  for (const p of subresources) {
    // `?uploads` is signed without `=`; so is a parameter sent as `name=` with an empty value.
    resource += sep + p.name + (p.value === '' ? '' : '=' + p.value);
    sep = '&';
  }
  return resource;
}

/**
 * CanonicalizedAmzHeaders: each `x-amz-*` header (lower-case), values trimmed and joined with
 * `,`, sorted, each line ending in `\n`. For presigned URLs, `x-amz-*` query parameters count as
 * headers too (clients move signed headers into the query).
 */
export function buildCanonicalAmzHeadersV2(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  queryParams: readonly QueryParam[] = [],
): string {
  const values = new Map<string, string[]>();
  for (const name of Object.keys(headers)) {
    if (!name.startsWith('x-amz-')) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const list = typeof value === 'string' ? [value] : [...value];
    values.set(name, list.map(unfold));
  }
  for (const p of queryParams) {
    const lower = p.name.toLowerCase();
    if (!lower.startsWith('x-amz-')) continue;
    const list = values.get(lower) ?? [];
    list.push(unfold(p.value));
    values.set(lower, list);
  }
  const names = [...values.keys()].sort();
  let out = '';
  for (const name of names) out += `${name}:${(values.get(name) ?? []).join(',')}\n`;
  return out;
}

function unfold(value: string): string {
  return value.replace(/\r?\n[ \t]*/g, ' ').trim();
}

function firstHeader(value: string | readonly string[] | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : (value[0] ?? '');
}

export interface StringToSignV2Input {
  readonly method: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The Date line: the Date header (empty when x-amz-date is sent), or Expires for presigned URLs. */
  readonly dateLine: string;
  readonly canonicalAmzHeaders: string;
  readonly canonicalResource: string;
}

/** Method\nContent-MD5\nContent-Type\nDate\nCanonicalizedAmzHeaders+CanonicalizedResource. */
export function buildStringToSignV2(input: StringToSignV2Input): string {
  return (
    input.method + '\n' +
    firstHeader(input.headers['content-md5']).trim() + '\n' +
    firstHeader(input.headers['content-type']).trim() + '\n' +
    input.dateLine + '\n' +
    input.canonicalAmzHeaders +
    input.canonicalResource
  );
}

/** Base64 HMAC-SHA1 of the string to sign (latin1 bytes, as node decodes header values). */
export function computeSignatureV2(secretAccessKey: string, stringToSign: string): Buffer {
  return createHmac('sha1', secretAccessKey).update(stringToSign, /^[\x00-\xff]*$/.test(stringToSign) ? 'latin1' : 'utf8').digest();
}
