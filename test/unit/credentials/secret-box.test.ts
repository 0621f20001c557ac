import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveMasterKeyId, SecretBox, SecretBoxError } from '../../../src/credentials/secret-box.js';

const K1 = Buffer.alloc(32, 1);
const K2 = Buffer.alloc(32, 2);
const AKID = 'SGAKAAAAAAAAAAAAAAAA';
const SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00';

/** Flips one bit of the decoded part `index` (2 = IV, 3 = ciphertext+tag) at byte `at` (negative from the end). */
function flip(sealed: string, index: number, at: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  it('round-trips and writes v1.<keyId>.<iv>.<ciphertext>', () => {
    const box = new SecretBox(K1);
    const sealed = box.seal(SECRET, AKID);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(box.open(sealed, AKID)).toBe(SECRET);
    expect(sealed).not.toContain(SECRET);
  });

  it('names the key by the first 16 hex chars of its SHA-256, never the key', () => {
    const box = new SecretBox(K1);
    const id = createHash('sha256').update(K1).digest('hex').slice(0, 16);
    expect(deriveMasterKeyId(K1)).toBe(id);
    expect(box.primaryKeyId).toBe(id);
    const sealed = box.seal(SECRET, AKID);
    expect(sealed.split('.')[1]).toBe(id);
    expect(sealed).not.toContain(K1.toString('hex').slice(0, 16));
  });

  it('uses a fresh 12-byte IV per seal', () => {
    const box = new SecretBox(K1);
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const iv = box.seal(SECRET, AKID).split('.')[2]!;
      expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
      ivs.add(iv);
    }
    expect(ivs.size).toBe(200);
  });

  it.each([
    ['a ciphertext byte', 3, 0],
    ['a tag byte', 3, -1],
    ['an IV byte', 2, 5],
  ])('refuses a sealed secret with %s flipped', (_what, part, at) => {
    const box = new SecretBox(K1);
    const tampered = flip(box.seal(SECRET, AKID), part, at);
    expect(() => box.open(tampered, AKID)).toThrow(SecretBoxError);
    expect(() => box.open(tampered, AKID)).toThrow(/failed authentication/);
  });

  it('refuses a ciphertext moved to another access key id (AAD)', () => {
    const box = new SecretBox(K1);
    const sealed = box.seal(SECRET, AKID);
    expect(() => box.open(sealed, 'SGAKBBBBBBBBBBBBBBBB')).toThrow(/altered or belongs to another credential/);
  });

  it('refuses a sealed secret whose key id was swapped for another configured key', () => {
    const box = new SecretBox(K1, [K2]);
    const sealed = box.seal(SECRET, AKID);
    const swapped = sealed.replace(box.primaryKeyId, deriveMasterKeyId(K2));
    expect(() => box.open(swapped, AKID)).toThrow(SecretBoxError);
  });

  it('names an unknown key id and the fix', () => {
    const sealed = new SecretBox(K1).seal(SECRET, AKID);
    const box = new SecretBox(K2);
    expect(() => box.open(sealed, AKID)).toThrow(
      `secret sealed with master key ${deriveMasterKeyId(K1)} which is not configured: set S3GATE_MASTER_KEY_PREVIOUS`,
    );
  });

  it('reads secrets sealed under a previous key, and says they need re-sealing', () => {
    const old = new SecretBox(K1);
    const sealedOld = old.seal(SECRET, AKID);
    const rotated = new SecretBox(K2, [K1]);
    expect(rotated.open(sealedOld, AKID)).toBe(SECRET);
    expect(rotated.needsReseal(sealedOld)).toBe(true);
    const resealed = rotated.seal(rotated.open(sealedOld, AKID), AKID);
    expect(rotated.needsReseal(resealed)).toBe(false);
    expect(rotated.keyIdOf(resealed)).toBe(deriveMasterKeyId(K2));
    expect(old.needsReseal(sealedOld)).toBe(false);
    expect(() => old.open(resealed, AKID)).toThrow(/not configured/);
  });

  it('ignores a previous key equal to the primary', () => {
    expect(new SecretBox(K1, [K1, K2, K2]).keyIds()).toEqual([deriveMasterKeyId(K1), deriveMasterKeyId(K2)]);
  });

  it('keeps its own copy of the keys', () => {
    const key = Buffer.from(K1);
    const box = new SecretBox(key);
    const sealed = box.seal(SECRET, AKID);
    key.fill(0);
    expect(box.open(sealed, AKID)).toBe(SECRET);
  });

  it.each([16, 31, 33, 64])('refuses a %i-byte master key', (length) => {
    expect(() => new SecretBox(randomBytes(length))).toThrow(/exactly 32/);
    expect(() => new SecretBox(K1, [randomBytes(length)])).toThrow(/previous master key #1/);
  });

  it.each([
    ['empty', ''],
    ['plaintext', SECRET],
    ['unknown version', 'v2.0123456789abcdef.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['too few parts', 'v1.0123456789abcdef.AAAAAAAAAAAAAAAA'],
    ['upper-case key id', 'v1.0123456789ABCDEF.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['short IV', 'v1.0123456789abcdef.AAAA.AAAAAAAAAAAAAAAAAAAAAA'],
    ['body shorter than a tag', 'v1.0123456789abcdef.AAAAAAAAAAAAAAAA.AAAA'],
    ['non-base64url characters', 'v1.0123456789abcdef.AAAAAAAAAAAAAAAA.AAAA+AAAAAAAAAAAAAAAAA'],
    ['non-canonical base64url', 'v1.0123456789abcdef.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAB'],
  ])('refuses a malformed sealed secret (%s)', (_what, text) => {
    const box = new SecretBox(K1);
    expect(() => box.open(text, AKID)).toThrow(SecretBoxError);
    expect(() => box.open(text, AKID)).toThrow(/malformed/);
  });

  it('seals unicode and empty plaintexts', () => {
    const box = new SecretBox(K1);
    for (const text of ['', 'päss wörd ✓', 'x'.repeat(4096)]) expect(box.open(box.seal(text, AKID), AKID)).toBe(text);
  });
});
