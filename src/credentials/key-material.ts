/**
 * Random key material and password hashing for the store, all from node:crypto.
 *
 * - Access key ids: `SGAK` + 16 characters of the RFC 4648 base32 alphabet (A-Z, 2-7):
 *   20 characters like AWS's, 80 random bits. Each character is 5 bits of one random byte
 *   (256 is a multiple of 32, so no modulo bias).
 * - Secret access keys: 40 characters of [A-Za-z0-9] (≈ 238 bits), by rejection sampling.
 * - Passwords: scrypt (N=2^15, r=8, p=1, 16-byte salt, 32-byte key), stored as
 *   `scrypt$N$r$p$<salt base64>$<hash base64>` so the parameters can be raised later
 *   without invalidating old hashes; compared in constant time.
 *
 * https://www.rfc-editor.org/rfc/rfc4648#section-6 (base32)
 * https://www.rfc-editor.org/rfc/rfc7914 (scrypt)
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt
 */
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';

export const ACCESS_KEY_ID_PREFIX = 'SGAK';
export const ACCESS_KEY_ID_LENGTH = 20;
export const SECRET_ACCESS_KEY_LENGTH = 40;

const BASE32_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters of the base32 alphabet: the low 5 bits of one random byte each (unbiased). */
function randomBase32(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE32_UPPER[byte & 31];
  return out;
}

/** A fresh access key id: `SGAK` + 16 base32 characters. */
export function generateAccessKeyId(): string {
  return ACCESS_KEY_ID_PREFIX + randomBase32(ACCESS_KEY_ID_LENGTH - ACCESS_KEY_ID_PREFIX.length);
}

/** A fresh secret: 40 characters of [A-Za-z0-9], uniformly distributed. */
export function generateSecretAccessKey(): string {
  const n = ALPHANUMERIC.length; // 62
  const limit = 256 - (256 % n); // 248: bytes at or above it would favour the first characters
  let out = '';
  while (out.length < SECRET_ACCESS_KEY_LENGTH) {
    for (const byte of randomBytes(SECRET_ACCESS_KEY_LENGTH)) {
      if (byte >= limit) continue;
      out += ALPHANUMERIC[byte % n];
      if (out.length === SECRET_ACCESS_KEY_LENGTH) break;
    }
  }
  return out;
}

/** A fresh user id: `usr_` + 20 lower-case base32 characters (100 random bits). */
export function generateUserId(): string {
  return `usr_${randomBase32(20).toLowerCase()}`;
}

// ---------------------------------------------------------------------------------------
// passwords

interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

const SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Upper bounds for parameters read back from a stored hash (a planted hash must not exhaust memory). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function scryptAsync(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs ≈ 128·r·(N + p) bytes; Node's default cap (32 MiB) is just below N=2^15, r=8.
    maxmem: 128 * params.r * (params.N + params.p + 2) + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password with a fresh salt; the result is self-describing text. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(password, salt, SCRYPT_PARAMS, HASH_BYTES);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const STORED_HASH = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function parseStoredHash(stored: string): ParsedHash | undefined {
  const match = STORED_HASH.exec(stored);
  if (match === null) return undefined;
  const N = Number(match[1]);
  const r = Number(match[2]);
  const p = Number(match[3]);
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return undefined;
  const salt = Buffer.from(match[4] ?? '', 'base64');
  const hash = Buffer.from(match[5] ?? '', 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { params: { N, r, p }, salt, hash };
}

/** True when `password` matches the stored hash. A malformed stored hash never matches (and still costs one scrypt). */
export async function verifyPasswordHash(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredHash(stored);
  if (parsed === undefined) {
    await verifyPasswordHash(password, await dummyPasswordHash());
    return false;
  }
  const candidate = await scryptAsync(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(candidate, parsed.hash);
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password nobody knows, computed once on first use: verifying an
 * unknown username against it costs the same scrypt as a real user, so response time does
 * not reveal which usernames exist.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64'));
  return dummyHash;
}
