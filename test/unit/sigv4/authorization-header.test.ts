import { describe, expect, it } from 'vitest';
import { parseAuthorizationHeaderV4 } from '../../../src/sigv4/authorization-header.js';
import { parseCredentialScope } from '../../../src/sigv4/credential-scope.js';

const SIG = 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';
const code = (c: string): unknown => expect.objectContaining({ code: c });

describe('parseAuthorizationHeaderV4', () => {
  it.each([
    `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-date,Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,  SignedHeaders=host;range;x-amz-date ,Signature=${SIG}`,
    `AWS4-HMAC-SHA256  Signature=${SIG}, Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date`,
  ])('parses %j', (value) => {
    expect(parseAuthorizationHeaderV4(value)).toEqual({
      credential: {
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        shortDate: '20130524',
        region: 'us-east-1',
        service: 's3',
        scope: '20130524/us-east-1/s3/aws4_request',
      },
      signedHeaders: ['host', 'range', 'x-amz-date'],
      signedHeadersText: 'host;range;x-amz-date',
      signature: SIG,
    });
  });

  it.each([
    ['no fields', 'AWS4-HMAC-SHA256 '],
    ['missing Signature', 'AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host'],
    ['repeated field', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}, Signature=${SIG}`],
    ['unknown field', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}, Foo=1`],
    ['short signature', 'AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc'],
    ['upper-case signature', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG.toUpperCase()}`],
    ['bad terminator', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=${SIG}`],
    ['short credential', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1, SignedHeaders=host, Signature=${SIG}`],
    ['bad date', `AWS4-HMAC-SHA256 Credential=AK/2013-05-24/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`],
    ['empty signed header', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;x, Signature=${SIG}`],
    ['upper-case signed header', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=Host, Signature=${SIG}`],
    ['duplicate signed header', `AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;host, Signature=${SIG}`],
    ['no =', `AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=${SIG}`],
    ['other algorithm', `AWS4-HMAC-SHA512 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`],
  ])('%s → AuthorizationHeaderMalformed', (_name, value) => {
    expect(() => parseAuthorizationHeaderV4(value)).toThrow(code('AuthorizationHeaderMalformed'));
  });

  it('parses a header that repeats the last one but for its signature (the remembered prefix)', () => {
    const prefix = 'AWS4-HMAC-SHA256 Credential=AKMEMO/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=';
    const first = parseAuthorizationHeaderV4(prefix + SIG);
    const other = SIG.replace(/^./, SIG.startsWith('a') ? 'b' : 'a');
    const second = parseAuthorizationHeaderV4(prefix + other);
    expect(second).toEqual({ ...first, signature: other });
    expect(() => parseAuthorizationHeaderV4(prefix + SIG.toUpperCase())).toThrow(code('AuthorizationHeaderMalformed'));
    expect(() => parseAuthorizationHeaderV4(`${prefix}${SIG.slice(1)}z`)).toThrow(code('AuthorizationHeaderMalformed'));
    expect(parseAuthorizationHeaderV4(prefix + SIG)).toEqual(first);
  });

  it('SigV4A → NotImplemented with a clear message', () => {
    expect(() => parseAuthorizationHeaderV4('AWS4-ECDSA-P256-SHA256 Credential=AK/20130524/s3/aws4_request, SignedHeaders=host, Signature=30')).toThrow(
      expect.objectContaining({ code: 'NotImplemented', message: 'SigV4A is not supported; sign with SigV4 (AWS4-HMAC-SHA256)' }),
    );
  });
});

describe('parseCredentialScope', () => {
  it('keeps slashes in the access key id', () => {
    expect(parseCredentialScope('a/b/20250101/r/s3/aws4_request', 'AuthorizationHeaderMalformed').accessKeyId).toBe('a/b');
  });
  it('uses the given error code', () => {
    expect(() => parseCredentialScope('x', 'AuthorizationQueryParametersError')).toThrow(code('AuthorizationQueryParametersError'));
  });
});
