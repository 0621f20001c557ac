/**
 * Constant-time comparisons for signatures and tokens (MinIO's ConstantTimeCompare, Garage's
 * rejection of timing leaks): node's timingSafeEqual on buffers of equal length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const LOWER_HEX_64 = /^[0-9a-f]{64}$/;
/** With a length check first: half the cost of LOWER_HEX_64 on a 64-character string. */
const LOWER_HEX = /^[0-9a-f]+$/;

/** True when `providedHex` (64 lower-case hex) encodes exactly `expectedDigest` (32 bytes). */
export function hexDigestMatches(expectedDigest: Buffer, providedHex: string): boolean {
  if (!LOWER_HEX_64.test(providedHex) || expectedDigest.length !== 32) return false;
  return timingSafeEqual(expectedDigest, Buffer.from(providedHex, 'hex'));
}

/** Two fixed views of one scratch buffer: the strings are written in, nothing is allocated per compare. */
const SCRATCH = Buffer.alloc(128);
const EXPECTED = SCRATCH.subarray(0, 64);
const PROVIDED = SCRATCH.subarray(64, 128);

/** True when `providedHex` equals `expectedHex` (both 64 lower-case hex digits), in constant time. */
export function hexSignatureMatches(expectedHex: string, providedHex: string): boolean {
  if (providedHex.length !== 64 || expectedHex.length !== 64 || !LOWER_HEX.test(providedHex)) return false;
  EXPECTED.write(expectedHex, 0, 'latin1');
  PROVIDED.write(providedHex, 0, 'latin1');
  return timingSafeEqual(EXPECTED, PROVIDED);
}

/** True when two byte strings are equal; the time taken does not depend on where they differ. */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    // Still do the work of a compare so that a length mismatch is not much faster.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Compares two strings (e.g. session tokens) through their SHA-256, so lengths do not leak either. */
export function textEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
