/**
 * HMAC-SHA256 (RFC 2104) for the hot path: node's createHmac costs ≈ 3 µs per call in object
 * set-up alone, so for a key used again and again (a cached signing key) the padded key blocks are
 * kept and each MAC is two one-shot crypto.hash calls. Keys longer than a block and messages
 * larger than the scratch buffer fall back to createHmac.
 * https://www.rfc-editor.org/rfc/rfc2104
 */
import { createHmac, hash } from 'node:crypto';

const BLOCK = 64;
const SCRATCH_BYTES = 4096;

interface PaddedKey {
  /** ipad-xored key block followed by room for the message. */
  readonly inner: Buffer;
  /** opad-xored key block followed by the 32-byte inner digest. */
  readonly outer: Buffer;
}

const padded = new WeakMap<Buffer, PaddedKey>();

function padKey(key: Buffer): PaddedKey {
  const inner = Buffer.alloc(BLOCK + SCRATCH_BYTES);
  const outer = Buffer.alloc(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const k = i < key.length ? (key[i] as number) : 0;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  return { inner, outer };
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Hex HMAC-SHA256 of an ASCII message (strings to sign are ASCII). The key Buffer must not be
 * mutated afterwards: its padded form is remembered per Buffer object.
 */
export function hmacSha256Hex(key: Buffer, message: string): string {
  if (key.length > BLOCK || message.length > SCRATCH_BYTES || !ASCII.test(message)) {
    return createHmac('sha256', key).update(message, 'utf8').digest('hex');
  }
  let p = padded.get(key);
  if (p === undefined) {
    p = padKey(key);
    padded.set(key, p);
  }
  const n = p.inner.write(message, BLOCK, 'latin1');
  const innerDigest = hash('sha256', p.inner.subarray(0, BLOCK + n), 'binary');
  p.outer.write(innerDigest, BLOCK, 'latin1');
  return hash('sha256', p.outer, 'hex');
}
