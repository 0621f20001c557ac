import { describe, expect, it } from 'vitest';
import { computeSignature, deriveSigningKey, SigningKeyCache } from '../../../src/sigv4/signing-key.js';

describe('deriveSigningKey', () => {
  it('matches the AWS documentation example', () => {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html (derived key example)
    expect(deriveSigningKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20120215', 'us-east-1', 'iam').toString('hex')).toBe(
      'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d',
    );
  });

  it('signs the documented GET-object example', () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (GET Object)
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
    const sts = 'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972';
    expect(computeSignature(key, sts).toString('hex')).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });
});

describe('SigningKeyCache', () => {
  it('returns the derived key and reuses it', () => {
    const cache = new SigningKeyCache(4);
    const a = cache.get('secret', '20250101', 'us-east-1', 's3');
    expect(a.equals(deriveSigningKey('secret', '20250101', 'us-east-1', 's3'))).toBe(true);
    expect(cache.get('secret', '20250101', 'us-east-1', 's3')).toBe(a);
    expect(cache.size).toBe(1);
  });

  it('keys on every field', () => {
    const cache = new SigningKeyCache(8);
    const keys = [
      cache.get('s', '20250101', 'r', 's3'),
      cache.get('t', '20250101', 'r', 's3'),
      cache.get('s', '20250102', 'r', 's3'),
      cache.get('s', '20250101', 'q', 's3'),
      cache.get('s', '20250101', 'r', 'sts'),
    ];
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(5);
    expect(cache.size).toBe(5);
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new SigningKeyCache(2);
    const a = cache.get('a', '20250101', 'r', 's3');
    cache.get('b', '20250101', 'r', 's3');
    expect(cache.get('a', '20250101', 'r', 's3')).toBe(a); // a is now most recent
    cache.get('c', '20250101', 'r', 's3'); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get('a', '20250101', 'r', 's3')).toBe(a);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('never holds the secret as a key', () => {
    const cache = new SigningKeyCache(2);
    cache.get('super-secret-value', '20250101', 'r', 's3');
    const internal = (cache as unknown as { entries: Map<string, Buffer> }).entries;
    for (const k of internal.keys()) expect(k).not.toContain('super-secret-value');
  });

  it('getFor remembers the key per owner and follows a change of date, region, service or secret', () => {
    const cache = new SigningKeyCache(8);
    const owner = {};
    const a = cache.getFor(owner, 'secret', '20250101', 'r', 's3');
    expect(a.equals(deriveSigningKey('secret', '20250101', 'r', 's3'))).toBe(true);
    expect(cache.getFor(owner, 'secret', '20250101', 'r', 's3')).toBe(a);
    expect(cache.getFor(owner, 'secret', '20250102', 'r', 's3').equals(deriveSigningKey('secret', '20250102', 'r', 's3'))).toBe(true);
    expect(cache.getFor(owner, 'secret', '20250102', 'q', 's3').equals(deriveSigningKey('secret', '20250102', 'q', 's3'))).toBe(true);
    expect(cache.getFor(owner, 'secret', '20250102', 'q', 'sts').equals(deriveSigningKey('secret', '20250102', 'q', 'sts'))).toBe(true);
    expect(cache.getFor(owner, 'other', '20250102', 'q', 'sts').equals(deriveSigningKey('other', '20250102', 'q', 'sts'))).toBe(true);
    // Another owner with the same secret shares the derived key.
    expect(cache.getFor({}, 'secret', '20250101', 'r', 's3')).toBe(a);
  });

  it('rejects a bad bound', () => {
    expect(() => new SigningKeyCache(0)).toThrow(RangeError);
  });
});
