import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AdminTokenSigner } from '../../../src/admin/admin-tokens.js';

const KEY = Buffer.alloc(32, 1);
const START_MS = 1_800_000_000_000;

function signer(key = KEY, ttlSeconds = 3600) {
  let now = START_MS;
  return { s: new AdminTokenSigner(key, ttlSeconds, () => now), set: (ms: number) => (now = ms) };
}

/** A token with any payload, MAC'd the way the signer does (to reach the checks after the MAC). */
function signRaw(payload: unknown, key = KEY): string {
  const macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 's3gate admin bearer token v1', 32));
  const body = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64url');
  return `s3ga1.${body}.${createHmac('sha256', macKey).update(`s3ga1.${body}`).digest('base64url')}`;
}

describe('AdminTokenSigner', () => {
  it('verifies its own token, with the user and version it was issued for', () => {
    const { s } = signer();
    const { token, expiresAtMs } = s.issue('usr_abc', 42);
    expect(expiresAtMs).toBe(START_MS + 3_600_000);
    expect(s.verify(token)).toMatchObject({ sub: 'usr_abc', ver: 42, exp: START_MS / 1000 + 3600 });
  });

  it('expires exactly at exp', () => {
    const { s, set } = signer();
    const { token, expiresAtMs } = s.issue('usr_abc', 1);
    set(expiresAtMs - 1);
    expect(s.verify(token)).toBeDefined();
    set(expiresAtMs);
    expect(s.verify(token)).toBeUndefined();
  });

  it('a revoked token is refused, another of the same user is not', () => {
    const { s } = signer();
    const a = s.issue('usr_abc', 1).token;
    const b = s.issue('usr_abc', 1).token;
    expect(a).not.toBe(b);
    s.revoke(s.verify(a)!);
    expect(s.verify(a)).toBeUndefined();
    expect(s.verify(b)).toBeDefined();
  });

  it('refuses a token of another master key, and tampered or malformed ones', () => {
    const { s } = signer();
    const token = s.issue('usr_abc', 1).token;
    expect(signer(Buffer.alloc(32, 2)).s.verify(token)).toBeUndefined();
    const [prefix, payload, mac] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const swapped = Buffer.from(JSON.stringify({ ...claims, sub: 'usr_other' })).toString('base64url');
    for (const bad of [
      `${prefix}.${swapped}.${mac}`,
      `${prefix}.${payload}.${mac.slice(0, -1)}`,
      `${prefix}.${payload}.`,
      `s3ga2.${payload}.${mac}`,
      `${token}.extra`,
      '',
      '..',
    ]) {
      expect(s.verify(bad), bad).toBeUndefined();
    }
  });

  it('a correctly MAC-ed payload that is not valid claims is refused, not thrown', () => {
    const { s } = signer();
    for (const payload of ['not json', 'null', '[]', { sub: 'usr_abc', ver: '1', iat: 1, exp: 9e9, jti: 'x' }, { sub: 'usr_abc', ver: 1, iat: 1, exp: 9e9 }]) {
      expect(s.verify(signRaw(payload))).toBeUndefined();
    }
    expect(s.verify(signRaw({ sub: 'usr_abc', ver: 1, iat: 1, exp: 9e9, jti: 'x' }))).toBeDefined();
  });
});
