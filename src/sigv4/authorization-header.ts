/**
 * Parses a SigV4 `Authorization` header:
 * `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws4_request, SignedHeaders=a;b, Signature=hex`.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 */
import { S3Error } from '../s3/s3-error.js';
import { parseCredentialScope, parseSignedHeaders, type ParsedCredentialScope } from './credential-scope.js';
import { SIGV4A_ALGORITHM, SIGV4_ALGORITHM } from './string-to-sign.js';

export interface ParsedAuthorizationV4 {
  readonly credential: ParsedCredentialScope;
  /** Lower-case names in the order given. */
  readonly signedHeaders: readonly string[];
  /** The SignedHeaders value as given (`a;b;c`); it is the canonical request's signed-headers line. */
  readonly signedHeadersText: string;
  /** 64 lower-case hex digits. */
  readonly signature: string;
}

const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
/** For a string known to be 64 characters long: half the cost of SIGNATURE_HEX. */
const LOWER_HEX = /^[0-9a-f]+$/;
const MALFORMED = 'AuthorizationHeaderMalformed';

export const SIGV4A_NOT_SUPPORTED = 'SigV4A is not supported; sign with SigV4 (AWS4-HMAC-SHA256)';

/** True when the header names the SigV4A algorithm (which this gateway rejects). */
export function isSigV4aAuthorization(value: string): boolean {
  return value.startsWith(SIGV4A_ALGORITHM);
}

/** The form every SDK sends, fields in the documented order; anything else takes the general path. */
const USUAL_FORM = /^AWS4-HMAC-SHA256 Credential=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/;

/**
 * The last header in the usual form, up to `Signature=`, and what it parsed to: a client sends
 * the same credential and header list with every request, only the signature changes, so the
 * next header with the same prefix needs only its 64 hex digits checked.
 */
let lastPrefix = '';
let lastParsed: ParsedAuthorizationV4 | undefined;

export function parseAuthorizationHeaderV4(value: string): ParsedAuthorizationV4 {
  const signatureStart = value.length - 64;
  // slice + === rather than startsWith, which compares char by char (0.67 µs vs 0.07 µs here).
  if (lastParsed !== undefined && signatureStart === lastPrefix.length && value.slice(0, signatureStart) === lastPrefix) {
    const signature = value.slice(signatureStart);
    if (LOWER_HEX.test(signature)) {
      return { credential: lastParsed.credential, signedHeaders: lastParsed.signedHeaders, signedHeadersText: lastParsed.signedHeadersText, signature };
    }
  }
  const usual = USUAL_FORM.exec(value);
  if (usual !== null) {
    const signedHeaders = usual[2] as string;
    const parsed = {
      credential: parseCredentialScope(usual[1] as string, MALFORMED),
      signedHeaders: parseSignedHeaders(signedHeaders, MALFORMED),
      signedHeadersText: signedHeaders,
      signature: usual[3] as string,
    };
    lastPrefix = value.slice(0, signatureStart);
    lastParsed = parsed;
    return parsed;
  }
  if (isSigV4aAuthorization(value)) throw new S3Error('NotImplemented', SIGV4A_NOT_SUPPORTED);
  if (!value.startsWith(SIGV4_ALGORITHM + ' ')) {
    throw new S3Error(MALFORMED, 'The authorization header is malformed; the algorithm must be AWS4-HMAC-SHA256.');
  }
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const rawField of value.slice(SIGV4_ALGORITHM.length + 1).split(',')) {
    const field = rawField.trim();
    const eq = field.indexOf('=');
    if (eq === -1) throw new S3Error(MALFORMED, `The authorization header is malformed; the field "${field}" is not of the form key=value.`);
    const key = field.slice(0, eq).trim();
    const fieldValue = field.slice(eq + 1).trim();
    if (key === 'Credential' && credential === undefined) credential = fieldValue;
    else if (key === 'SignedHeaders' && signedHeaders === undefined) signedHeaders = fieldValue;
    else if (key === 'Signature' && signature === undefined) signature = fieldValue;
    else throw new S3Error(MALFORMED, `The authorization header is malformed; unexpected or repeated field "${key}".`);
  }
  if (credential === undefined) throw new S3Error(MALFORMED, 'The authorization header is malformed; missing Credential.');
  if (signedHeaders === undefined) throw new S3Error(MALFORMED, 'The authorization header is malformed; missing SignedHeaders.');
  if (signature === undefined) throw new S3Error(MALFORMED, 'The authorization header is malformed; missing Signature.');
  if (!SIGNATURE_HEX.test(signature)) {
    throw new S3Error(MALFORMED, 'The authorization header is malformed; the Signature must be 64 lower-case hex digits.');
  }
  return {
    credential: parseCredentialScope(credential, MALFORMED),
    signedHeaders: parseSignedHeaders(signedHeaders, MALFORMED),
    signedHeadersText: signedHeaders,
    signature,
  };
}
