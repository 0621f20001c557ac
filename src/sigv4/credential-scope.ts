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
export function parseCredentialScope(text: string, errorCode: S3ErrorCode): ParsedCredentialScope {
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

const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;

/**
 * Parses a SignedHeaders list `a;b;c`: lower-case token names, no duplicates, not empty.
 */
export function parseSignedHeaders(text: string, errorCode: S3ErrorCode): readonly string[] {
  const names = text.split(';');
  const seen = new Set<string>();
  for (const name of names) {
    if (!HEADER_NAME.test(name) || seen.has(name)) {
      throw new S3Error(errorCode, `${errorPrefix(errorCode)} the SignedHeaders list is invalid.`);
    }
    seen.add(name);
  }
  return names;
}
