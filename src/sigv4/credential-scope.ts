/**
 * The credential part of SigV4 auth: `AKID/YYYYMMDD/region/service/aws4_request`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
import { S3Error, type S3ErrorCode } from '../s3/s3-error.js';

export interface ParsedCredentialScope {
  readonly accessKeyId: string;
  /** YYYYMMDD */
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  /** `YYYYMMDD/region/service/aws4_request`, as the string to sign carries it. */
  readonly scope: string;
}

const SHORT_DATE = /^\d{8}$/;

/**
 * Parses `AKID/date/region/service/aws4_request`. The access key is everything before the last
 * four fields. Errors use `errorCode` (AuthorizationHeaderMalformed for the header,
 * AuthorizationQueryParametersError for presigned URLs).
 */
const USUAL_SCOPE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

/** The last scope parsed: a client sends the same one with every request of the day. */
let lastScopeText = '';
let lastScope: ParsedCredentialScope | undefined;

export function parseCredentialScope(text: string, errorCode: S3ErrorCode): ParsedCredentialScope {
  if (text === lastScopeText && lastScope !== undefined) return lastScope;
  const usual = USUAL_SCOPE.exec(text);
  if (usual !== null) {
    const shortDate = usual[2] as string;
    const region = usual[3] as string;
    const service = usual[4] as string;
    lastScope = Object.freeze({ accessKeyId: usual[1] as string, shortDate, region, service, scope: text.slice(text.length - shortDate.length - region.length - service.length - 15) });
    lastScopeText = text;
    return lastScope;
  }
  const parts = text.split('/');
  const n = parts.length;
  if (n < 5) throw new S3Error(errorCode, `${errorPrefix(errorCode)} the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  const terminator = parts[n - 1] as string;
  const service = parts[n - 2] as string;
  const region = parts[n - 3] as string;
  const shortDate = parts[n - 4] as string;
  const accessKeyId = parts.slice(0, n - 4).join('/');
  if (terminator !== 'aws4_request') {
    throw new S3Error(errorCode, `${errorPrefix(errorCode)} incorrect terminal "${terminator}". This endpoint uses "aws4_request".`);
  }
  if (accessKeyId === '' || region === '' || service === '' || !SHORT_DATE.test(shortDate)) {
    throw new S3Error(errorCode, `${errorPrefix(errorCode)} the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  return { accessKeyId, shortDate, region, service, scope: `${shortDate}/${region}/${service}/aws4_request` };
}

export function errorPrefix(errorCode: S3ErrorCode): string {
  return errorCode === 'AuthorizationQueryParametersError'
    ? 'Error parsing the X-Amz-Credential parameter;'
    : 'The authorization header is malformed;';
}

const HEADER_LIST = /^[a-z0-9!#$%&'*+\-.^_`|~]+(?:;[a-z0-9!#$%&'*+\-.^_`|~]+)*$/;

/**
 * Parses a SignedHeaders list `a;b;c`: lower-case token names, no duplicates, not empty.
 */
let lastListText = '';
let lastList: readonly string[] = [];

export function parseSignedHeaders(text: string, errorCode: S3ErrorCode): readonly string[] {
  // A client signs the same header set request after request: the last list is kept.
  if (text === lastListText && text !== '') return lastList;
  const names = HEADER_LIST.test(text) ? text.split(';') : undefined;
  if (names === undefined || hasDuplicate(names)) {
    throw new S3Error(errorCode, `${errorPrefix(errorCode)} the SignedHeaders list is invalid.`);
  }
  lastList = Object.freeze(names);
  lastListText = text;
  return lastList;
}

/** Lists are short (≈ 5–15 names) and usually sorted: a sortedness pass first, a Set only if not. */
function hasDuplicate(names: readonly string[]): boolean {
  let sorted = true;
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1] as string;
    const cur = names[i] as string;
    if (prev === cur) return true;
    if (prev > cur) sorted = false;
  }
  return !sorted && new Set(names).size !== names.length;
}
