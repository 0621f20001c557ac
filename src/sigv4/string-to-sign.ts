/**
 * SigV4 strings to sign: for a request, for one aws-chunked chunk, and for the trailer.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { hash } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const SIGV4A_ALGORITHM = 'AWS4-ECDSA-P256-SHA256';
export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';
export const EMPTY_SHA256_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const ASCII_ONLY = /^[\x00-\x7f]*$/;
const LATIN1_ONLY = /^[\x00-\xff]*$/;

/**
 * Hex SHA-256 of a string. Header values from node arrive latin1-decoded (one char per byte), so
 * a string with no code point above U+00FF is hashed as latin1, which restores the bytes on the
 * wire; a string with higher code points can only be JS text and is hashed as UTF-8.
 */
export function sha256HexOfText(text: string): string {
  // crypto.hash reads a string as UTF-8, which is the same bytes as latin1 for ASCII.
  if (ASCII_ONLY.test(text) || !LATIN1_ONLY.test(text)) return hash('sha256', text, 'hex');
  return hash('sha256', Buffer.from(text, 'latin1'), 'hex');
}

/** `YYYYMMDD/region/service/aws4_request`. */
export function buildCredentialScope(shortDate: string, region: string, service: string): string {
  return `${shortDate}/${region}/${service}/aws4_request`;
}

/** The request string to sign; hashes the canonical request. */
export function buildStringToSign(amzDate: string, credentialScope: string, canonicalRequest: string): string {
  return `${SIGV4_ALGORITHM}\n${amzDate}\n${credentialScope}\n${sha256HexOfText(canonicalRequest)}`;
}

/** String to sign of one aws-chunked chunk (the final, empty chunk included). */
export function buildChunkStringToSign(amzDate: string, credentialScope: string, previousSignature: string, chunkSha256Hex: string): string {
  return `${CHUNK_ALGORITHM}\n${amzDate}\n${credentialScope}\n${previousSignature}\n${EMPTY_SHA256_HEX}\n${chunkSha256Hex}`;
}

/**
 * String to sign of the trailer: `trailerSha256Hex` is the SHA-256 of the canonical trailer, each
 * trailing header as `name:value\n` (see buildCanonicalTrailer); the previous signature is the
 * final (empty) chunk's.
 */
export function buildTrailerStringToSign(amzDate: string, credentialScope: string, previousSignature: string, trailerSha256Hex: string): string {
  return `${TRAILER_ALGORITHM}\n${amzDate}\n${credentialScope}\n${previousSignature}\n${trailerSha256Hex}`;
}

/** The canonical trailer that the trailer signature covers: `name:value\n` per trailing header, sorted by name. */
export function buildCanonicalTrailer(trailers: readonly (readonly [name: string, value: string])[]): string {
  const sorted = trailers.length > 1 ? [...trailers].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : trailers;
  let out = '';
  for (const [name, value] of sorted) out += `${name}:${value}\n`;
  return out;
}
