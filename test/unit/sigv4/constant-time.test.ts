import { describe, expect, it } from 'vitest';
import { bytesEqual, hexDigestMatches, textEqual } from '../../../src/sigv4/constant-time.js';

describe('constant-time comparisons', () => {
  const digest = Buffer.alloc(32, 0xab);
  it('hexDigestMatches', () => {
    expect(hexDigestMatches(digest, 'ab'.repeat(32))).toBe(true);
    expect(hexDigestMatches(digest, 'ab'.repeat(31) + 'ac')).toBe(false);
    expect(hexDigestMatches(digest, 'AB'.repeat(32))).toBe(false);
    expect(hexDigestMatches(digest, 'ab'.repeat(31))).toBe(false);
    expect(hexDigestMatches(digest, 'zz'.repeat(32))).toBe(false);
  });
  it('bytesEqual', () => {
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(bytesEqual(Buffer.from('abc'), Buffer.from('ab'))).toBe(false);
  });
  it('textEqual', () => {
    expect(textEqual('token', 'token')).toBe(true);
    expect(textEqual('token', 'token2')).toBe(false);
    expect(textEqual('', '')).toBe(true);
  });
});
