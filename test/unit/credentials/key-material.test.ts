import { describe, expect, it } from 'vitest';
import {
  ACCESS_KEY_ID_PREFIX,
  dummyPasswordHash,
  generateAccessKeyId,
  generateSecretAccessKey,
  generateUserId,
  hashPassword,
  verifyPasswordHash,
} from '../../../src/credentials/key-material.js';

/** Every character of `alphabet` appears, and none is far from its expected count (loose: ±35 %). */
function expectRoughlyUniform(samples: string[], alphabet: string): void {
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of samples) {
    for (const ch of s) {
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
      total++;
    }
  }
  expect([...counts.keys()].sort()).toEqual([...alphabet].sort());
  const expected = total / alphabet.length;
  for (const [ch, n] of counts) {
    expect(Math.abs(n - expected) / expected, `count of ${ch}`).toBeLessThan(0.35);
  }
}

describe('generateAccessKeyId', () => {
  it('is SGAK + 16 base32 characters, unique', () => {
    expect(ACCESS_KEY_ID_PREFIX).toBe('SGAK');
    const ids = Array.from({ length: 2000 }, generateAccessKeyId);
    for (const id of ids) expect(id).toMatch(/^SGAK[A-Z2-7]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expectRoughlyUniform(
      ids.map((id) => id.slice(4)),
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567',
    );
  });
});

describe('generateSecretAccessKey', () => {
  it('is 40 characters of A-Z a-z 0-9, unique, every character about equally likely', () => {
    const secrets = Array.from({ length: 3000 }, generateSecretAccessKey);
    for (const s of secrets) expect(s).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(new Set(secrets).size).toBe(secrets.length);
    expectRoughlyUniform(secrets, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  });
});

describe('generateUserId', () => {
  it('is usr_ + 20 lower-case base32 characters', () => {
    const ids = Array.from({ length: 500 }, generateUserId);
    for (const id of ids) expect(id).toMatch(/^usr_[a-z2-7]{20}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('password hashing', () => {
  it('hashes with scrypt N=2^15 r=8 p=1, 16-byte salt, 32-byte key, and verifies', async () => {
    const stored = await hashPassword('correct horse battery');
    const match = /^scrypt\$32768\$8\$1\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
    expect(match).not.toBeNull();
    expect(Buffer.from(match![1]!, 'base64')).toHaveLength(16);
    expect(Buffer.from(match![2]!, 'base64')).toHaveLength(32);
    expect(stored).not.toContain('correct horse');
    expect(await verifyPasswordHash('correct horse battery', stored)).toBe(true);
    expect(await verifyPasswordHash('correct horse batterY', stored)).toBe(false);
    expect(await verifyPasswordHash('', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same password!'), hashPassword('same password!')]);
    expect(a).not.toBe(b);
  });

  it('treats canonically equivalent unicode passwords alike (NFC)', async () => {
    const stored = await hashPassword('caf\u00e9-password');
    expect(await verifyPasswordHash('cafe\u0301-password', stored)).toBe(true);
  });

  it('verifies hashes made with other parameters (they are read from the stored text)', async () => {
    const stored = await hashPassword('a long password');
    const salt = stored.split('$')[4]!;
    const { scryptSync } = await import('node:crypto');
    const hash = scryptSync('a long password', Buffer.from(salt, 'base64'), 32, { N: 1024, r: 8, p: 1 });
    const cheap = `scrypt$1024$8$1$${salt}$${hash.toString('base64')}`;
    expect(await verifyPasswordHash('a long password', cheap)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['another scheme', '$2b$12$abcdefghijklmnopqrstuv'],
    ['N not a power of two', 'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['N too large', `scrypt$${2 ** 24}$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`],
    ['r = 0', 'scrypt$1024$0$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['short salt', 'scrypt$1024$8$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
  ])('never matches a malformed stored hash (%s)', async (_what, stored) => {
    expect(await verifyPasswordHash('anything at all', stored)).toBe(false);
  });

  it('computes the dummy hash once, as a real scrypt hash nobody knows the password of', async () => {
    const first = dummyPasswordHash();
    expect(dummyPasswordHash()).toBe(first);
    const stored = await first;
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPasswordHash('', stored)).toBe(false);
  });
});
