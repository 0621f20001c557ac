import { describe, expect, it } from 'vitest';
import { checkCredentialUsable, lookupCredential } from '../../../src/sigv4/check-credential.js';
import { lookupOf, makeCredential } from './helpers.js';

const code = (c: string): unknown => expect.objectContaining({ code: c });

describe('credential checks', () => {
  it('lookupCredential', () => {
    const c = makeCredential();
    expect(lookupCredential(lookupOf(c), c.accessKeyId)).toBe(c);
    expect(() => lookupCredential(lookupOf(c), 'other')).toThrow(code('InvalidAccessKeyId'));
  });

  it.each([
    ['enabled, no expiry', makeCredential(), undefined, undefined],
    ['disabled', makeCredential({ enabled: false }), undefined, 'AccessDenied'],
    ['expired now', makeCredential({ expiresAtMs: 1000 }), undefined, 'ExpiredToken'],
    ['expires later', makeCredential({ expiresAtMs: 1001 }), undefined, undefined],
    ['token matches', makeCredential({ sessionToken: 't' }), 't', undefined],
    ['token missing', makeCredential({ sessionToken: 't' }), undefined, 'InvalidToken'],
    ['token differs', makeCredential({ sessionToken: 't' }), 'u', 'InvalidToken'],
    ['token not expected', makeCredential(), 't', 'InvalidToken'],
  ])('%s', (_name, credential, token, expected) => {
    if (expected === undefined) expect(() => checkCredentialUsable(credential, 1000, token)).not.toThrow();
    else expect(() => checkCredentialUsable(credential, 1000, token)).toThrow(code(expected));
  });
});
