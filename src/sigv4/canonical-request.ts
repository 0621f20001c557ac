/**
 * The SigV4 canonical request, with S3's rules: the path is URI-encoded once and never
 * normalised (`//`, `.` and `..` are significant), query names and values are decoded and
 * re-encoded (`+` is a literal plus), header values trimmed with inner whitespace collapsed.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
 */
import { percentDecodeToBytes, recodeUriComponent, uriEncodeBytes } from './uri-encode.js';

/** One `name=value` pair of a query string, decoded and in canonical (re-encoded) form. */
export interface QueryParam {
  /** Decoded name (UTF-8). */
  readonly name: string;
  /** Decoded value (UTF-8); '' for a parameter without `=`. */
  readonly value: string;
  readonly encodedName: string;
  readonly encodedValue: string;
}

const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

function decodeComponent(raw: string): { decoded: string; encoded: string } {
  if (ALL_UNRESERVED.test(raw)) return { decoded: raw, encoded: raw };
  const bytes = percentDecodeToBytes(raw);
  return { decoded: bytes.toString('utf8'), encoded: uriEncodeBytes(bytes, false) };
}

/** Splits a raw query string (without `?`) on `&`; empty segments are skipped. */
export function parseQuery(rawQuery: string): QueryParam[] {
  const params: QueryParam[] = [];
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? { decoded: '', encoded: '' } : decodeComponent(part.slice(eq + 1));
    params.push({ name: name.decoded, value: value.decoded, encodedName: name.encoded, encodedValue: value.encoded });
  }
  return params;
}

/** The canonical URI: the raw path re-encoded, never normalised. An empty path is `/`. */
export function buildCanonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  return recodeUriComponent(rawPath, true);
}

function compareParams(a: QueryParam, b: QueryParam): number {
  if (a.encodedName !== b.encodedName) return a.encodedName < b.encodedName ? -1 : 1;
  if (a.encodedValue === b.encodedValue) return 0;
  return a.encodedValue < b.encodedValue ? -1 : 1;
}

/**
 * The canonical query string: parameters sorted by encoded name then value, joined with `&`.
 * `excludeName` (decoded, exact) drops a parameter, e.g. `X-Amz-Signature` for presigned URLs.
 */
export function buildCanonicalQuery(params: readonly QueryParam[], excludeName?: string): string {
  if (params.length === 0) return '';
  const kept = excludeName === undefined ? params.slice() : params.filter((p) => p.name !== excludeName);
  if (kept.length > 1) kept.sort(compareParams);
  let out = '';
  for (let i = 0; i < kept.length; i++) {
    const p = kept[i] as QueryParam;
    out += (i === 0 ? '' : '&') + p.encodedName + '=' + p.encodedValue;
  }
  return out;
}

const NEEDS_TRIM = /^[ \t]|[ \t]$|[ \t]{2}|\t|[\r\n]/;
const WHITESPACE_RUN = /[ \t\r\n]+/g;

/** Trims a header value and collapses each inner run of whitespace to one space. */
export function canonicalizeHeaderValue(value: string): string {
  if (!NEEDS_TRIM.test(value)) return value;
  return value.replace(WHITESPACE_RUN, ' ').replace(/^ | $/g, '');
}

/** The canonical form of one header: several values are joined with `,`; an absent header is ''. */
export function canonicalHeaderValue(value: string | readonly string[] | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return canonicalizeHeaderValue(value);
  return value.map(canonicalizeHeaderValue).join(',');
}

/**
 * The canonical headers block: `name:value\n` for each signed header, sorted by name.
 * `signedHeaders` are lower-case names; `headers` are keyed by lower-case name (as node gives them).
 */
export function buildCanonicalHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  signedHeaders: readonly string[],
): string {
  const names = isSorted(signedHeaders) ? signedHeaders : signedHeaders.slice().sort();
  let out = '';
  for (const name of names) out += name + ':' + canonicalHeaderValue(headers[name]) + '\n';
  return out;
}

function isSorted(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if ((names[i - 1] as string) >= (names[i] as string)) return false;
  return true;
}

export interface CanonicalRequestParts {
  readonly method: string;
  readonly canonicalUri: string;
  readonly canonicalQuery: string;
  /** Output of buildCanonicalHeaders (each line ends with `\n`). */
  readonly canonicalHeaders: string;
  /** The SignedHeaders list as `a;b;c`. */
  readonly signedHeaders: string;
  readonly payloadHash: string;
}

/** Joins the six parts; the headers block already ends with a newline, so a blank line follows it. */
export function buildCanonicalRequest(parts: CanonicalRequestParts): string {
  return (
    parts.method + '\n' +
    parts.canonicalUri + '\n' +
    parts.canonicalQuery + '\n' +
    parts.canonicalHeaders + '\n' +
    parts.signedHeaders + '\n' +
    parts.payloadHash
  );
}
