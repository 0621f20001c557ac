import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../../src/sigv4/hmac-sha256.js';

const reference = (key: Buffer, message: string): string => createHmac('sha256', key).update(message, 'utf8').digest('hex');

describe('hmacSha256Hex', () => {
  it('RFC 4231 test case 2', () => {
    expect(hmacSha256Hex(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('equals createHmac for any key and message, reusing the same key object', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100 }), fc.array(fc.string({ unit: 'binary', maxLength: 5000 }), { minLength: 1, maxLength: 4 }), (keyBytes, messages) => {
        const key = Buffer.from(keyBytes);
        for (const m of messages) expect(hmacSha256Hex(key, m)).toBe(reference(key, m));
      }),
    );
  });

  it('does not mix up keys', () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    expect(hmacSha256Hex(a, 'x')).toBe(reference(a, 'x'));
    expect(hmacSha256Hex(b, 'x')).toBe(reference(b, 'x'));
    expect(hmacSha256Hex(a, 'x')).toBe(reference(a, 'x'));
  });
});
