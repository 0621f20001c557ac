/**
 * SigV4 URI encoding: every byte except the unreserved set `A-Z a-z 0-9 - . _ ~` becomes `%XX`
 * (upper-case hex); `/` is kept in paths only.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#create-canonical-request
 */
import { S3Error } from '../s3/s3-error.js';

const HEX_UPPER = '0123456789ABCDEF';

/** `%XX` for every byte value, precomputed. */
const PERCENT_ESCAPES: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `%${HEX_UPPER[b >> 4] ?? ''}${HEX_UPPER[b & 15] ?? ''}`,
);

/** 1 where the byte is in the unreserved set. */
const UNRESERVED = new Uint8Array(256);
for (let b = 0; b < 128; b++) {
  const c = String.fromCharCode(b);
  if (/[A-Za-z0-9\-._~]/.test(c)) UNRESERVED[b] = 1;
}

const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const ALL_UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-._~/]*$/;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** Value of an ASCII hex digit, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** URI-encodes bytes; `/` kept as is when `keepSlash`. */
export function uriEncodeBytes(bytes: Uint8Array, keepSlash: boolean): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (UNRESERVED[b] === 1 || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += PERCENT_ESCAPES[b] as string;
  }
  return out;
}

/** URI-encodes the UTF-8 bytes of already-decoded text (`+` becomes `%2B`, space `%20`). */
export function uriEncode(text: string, keepSlash = false): string {
  if ((keepSlash ? ALL_UNRESERVED_OR_SLASH : ALL_UNRESERVED).test(text)) return text;
  return uriEncodeBytes(Buffer.from(text, 'utf8'), keepSlash);
}

/**
 * Decodes percent escapes into bytes. Characters that are not escapes stand for their UTF-8
 * bytes; `+` stays a literal plus (S3 signing does not treat it as a space).
 * A `%` not followed by two hex digits is an `InvalidURI` error.
 */
export function percentDecodeToBytes(raw: string): Buffer {
  const input = ASCII_ONLY.test(raw) ? Buffer.from(raw, 'latin1') : Buffer.from(raw, 'utf8');
  if (!input.includes(0x25)) return input;
  const out = Buffer.allocUnsafe(input.length);
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i] as number;
    if (b !== 0x25) {
      out[n++] = b;
      continue;
    }
    const hi = hexValue(input[i + 1] ?? -1);
    const lo = hexValue(input[i + 2] ?? -1);
    if (hi < 0 || lo < 0) throw new S3Error('InvalidURI', "Couldn't parse the specified URI: malformed percent-encoding.");
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  return out.subarray(0, n);
}

/** Decodes percent escapes and reads the bytes as UTF-8 (invalid sequences become U+FFFD). */
export function percentDecode(raw: string): string {
  if (!raw.includes('%')) return raw;
  return percentDecodeToBytes(raw).toString('utf8');
}

/**
 * Re-encodes a component as received on the wire into its canonical SigV4 form: each escape is
 * decoded and the bytes re-encoded with the unreserved set, so `%7e` becomes `~`, `%2f` becomes
 * `%2F` (or `/` in a path), a raw space `%20` and a literal `+` `%2B`.
 */
export function recodeUriComponent(raw: string, keepSlash: boolean): string {
  if ((keepSlash ? ALL_UNRESERVED_OR_SLASH : ALL_UNRESERVED).test(raw)) return raw;
  return uriEncodeBytes(percentDecodeToBytes(raw), keepSlash);
}
