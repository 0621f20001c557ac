import { S3Error } from '../s3/s3-error.js';

export type QueryPair = readonly [name: string, value: string];

/**
 * Splits a raw query string into decoded pairs, in order. '+' stays a literal plus: S3
 * clients encode spaces as %20. A parameter without '=' has the value ''.
 */
export function parseQuery(rawQuery: string): QueryPair[] {
  if (rawQuery === '') return [];
  const pairs: QueryPair[] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([decode(name), decode(value)]);
  }
  return pairs;
}

function decode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Error('InvalidArgument', 'The query string has an invalid percent-encoding.');
  }
}

const AUTH_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'awsaccesskeyid',
  'signature',
  'expires',
]);

/** The client's presigned-URL auth parameters (SigV4 and SigV2): never forwarded. */
export function isAuthQueryParam(name: string): boolean {
  return AUTH_PARAMS.has(name.toLowerCase());
}
