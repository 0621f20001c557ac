/**
 * Bearer tokens for the admin API: `s3ga1.<payload>.<mac>`, payload = base64url JSON
 * {sub: user id, ver: the user's updatedAtMs, iat, exp} (seconds), mac = HMAC-SHA256 over
 * `s3ga1.<payload>` with a key derived from the master key (HKDF, its own purpose label), so
 * tokens survive restarts and are shared by every s3gate process on the same store, and a
 * token cannot be forged without the master key. `ver` ties a token to the user's state: a
 * password, role or activation change makes every earlier token of that user invalid.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';

const PREFIX = 's3ga1';

export interface TokenClaims {
  readonly sub: string;
  readonly ver: number;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

export class AdminTokenSigner {
  private readonly key: Buffer;
  /** Logged-out token ids until they expire (per process: a logout elsewhere waits for expiry). */
  private readonly revoked = new Map<string, number>();

  constructor(
    masterKey: Buffer,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 's3gate admin bearer token v1', 32));
  }

  issue(userId: string, userVersion: number): IssuedToken {
    const iat = Math.floor(this.clock() / 1000);
    const claims: TokenClaims = { sub: userId, ver: userVersion, iat, exp: iat + this.ttlSeconds, jti: randomBytes(9).toString('base64url') };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${PREFIX}.${payload}.${this.mac(payload)}`, expiresAtMs: claims.exp * 1000 };
  }

  /** The claims of a well-formed, authentic, unexpired, not logged-out token; undefined otherwise. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const [, payload = '', mac = ''] = parts;
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isClaims(claims)) return undefined;
    if (claims.exp * 1000 <= this.clock()) return undefined;
    if (this.revoked.has(claims.jti)) return undefined;
    return claims;
  }

  revoke(claims: TokenClaims): void {
    const now = this.clock();
    for (const [jti, expMs] of this.revoked) if (expMs <= now) this.revoked.delete(jti);
    this.revoked.set(claims.jti, claims.exp * 1000);
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}.${payload}`).digest('base64url');
  }
}

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.sub === 'string' &&
    typeof v.ver === 'number' &&
    typeof v.iat === 'number' &&
    typeof v.exp === 'number' &&
    typeof v.jti === 'string'
  );
}
