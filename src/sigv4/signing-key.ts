/**
 * SigV4 signing key derivation and a bounded LRU cache of derived keys. The cache is keyed by a
 * SHA-256 over (secret, date, region, service): the secret itself is never a key.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html#derive-signing-key
 */
import { createHmac, hash } from 'node:crypto';
import { hmacSha256Hex } from './hmac-sha256.js';

/** HMAC-SHA256 chain `AWS4<secret>` → date → region → service → `aws4_request`. */
export function deriveSigningKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', 'AWS4' + secretAccessKey).update(shortDate).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

/** HMAC-SHA256 of a string to sign with a derived key; the raw 32-byte digest. */
export function computeSignature(signingKey: Buffer, stringToSign: string): Buffer {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
}

/** The same as lower-case hex, on the fast path (the key's padded blocks are reused). */
export function computeSignatureHex(signingKey: Buffer, stringToSign: string): string {
  return hmacSha256Hex(signingKey, stringToSign);
}

export const DEFAULT_SIGNING_KEY_CACHE_ENTRIES = 1024;

interface OwnerMemo {
  readonly secret: string;
  readonly shortDate: string;
  readonly region: string;
  readonly service: string;
  readonly key: Buffer;
}

/**
 * Bounded LRU of derived signing keys. A key changes once a day per credential and region, so a
 * few hundred entries cover every active credential. Not shared across processes.
 */
export class SigningKeyCache {
  readonly maxEntries: number;
  private readonly entries = new Map<string, Buffer>();
  /** The key last used for an owner (a credential, a backend): no hashing on the hot path. */
  private byOwner = new WeakMap<object, OwnerMemo>();

  constructor(maxEntries: number = DEFAULT_SIGNING_KEY_CACHE_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Returns the cached key, deriving (and caching) it on a miss. */
  get(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
    // NUL separators keep ("ab","c") and ("a","bc") apart; none of these fields may contain NUL in practice.
    const cacheKey = hash('sha256', `${secretAccessKey}\0${shortDate}\0${region}\0${service}`, 'base64');
    const hit = this.entries.get(cacheKey);
    if (hit !== undefined) {
      // Refresh recency: Map iterates in insertion order, so re-inserting moves the entry last.
      this.entries.delete(cacheKey);
      this.entries.set(cacheKey, hit);
      return hit;
    }
    const key = deriveSigningKey(secretAccessKey, shortDate, region, service);
    this.entries.set(cacheKey, key);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    return key;
  }

  /**
   * get() for a secret that belongs to `owner` (the credential or backend object holding it):
   * the owner's last key is remembered, so the per-request lookup is a few comparisons instead
   * of a SHA-256 of the secret (≈ 2 µs here). The secret is compared with `===`: both sides are
   * the server's own values, never the client's.
   */
  getFor(owner: object, secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
    const memo = this.byOwner.get(owner);
    if (memo !== undefined && memo.shortDate === shortDate && memo.region === region && memo.service === service && memo.secret === secretAccessKey) {
      return memo.key;
    }
    const key = this.get(secretAccessKey, shortDate, region, service);
    this.byOwner.set(owner, { secret: secretAccessKey, shortDate, region, service, key });
    return key;
  }

  clear(): void {
    this.entries.clear();
    this.byOwner = new WeakMap();
  }
}
