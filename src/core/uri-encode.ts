/**
 * SigV4 URI encoding: every byte except the unreserved set (A-Z a-z 0-9 - _ . ~) is
 * percent-encoded with upper-case hex; '/' is kept when encodeSlash is false (paths).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
const UNRESERVED = /[^A-Za-z0-9\-_.~]/;

export function uriEncode(text: string, encodeSlash: boolean): string {
  if (!UNRESERVED.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x5f ||
      byte === 0x2e ||
      byte === 0x7e ||
      (byte === 0x2f && !encodeSlash)
    ) {
      out += String.fromCharCode(byte);
    } else {
      out += `%${byte < 16 ? '0' : ''}${byte.toString(16).toUpperCase()}`;
    }
  }
  return out;
}
