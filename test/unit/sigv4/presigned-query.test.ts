import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/sigv4/canonical-request.js';
import { parsePresignedQueryV4, verifyPresignedTimeV4 } from '../../../src/sigv4/presigned-query.js';

const SIG = 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
// AWS documentation example: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
const DOC =
  'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=' +
  SIG;
const code = (c: string): unknown => expect.objectContaining({ code: c });

describe('parsePresignedQueryV4', () => {
  it('parses the documentation example', () => {
    expect(parsePresignedQueryV4(parseQuery(DOC))).toEqual({
      credential: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', shortDate: '20130524', region: 'us-east-1', service: 's3', scope: '20130524/us-east-1/s3/aws4_request' },
      amzDate: '20130524T000000Z',
      requestTimeMs: Date.UTC(2013, 4, 24),
      expiresSeconds: 86400,
      signedHeaders: ['host'],
      signedHeadersText: 'host',
      signature: SIG,
      securityToken: undefined,
    });
  });

  it('reads the security token', () => {
    expect(parsePresignedQueryV4(parseQuery(DOC + '&X-Amz-Security-Token=a%2Bb%2F')).securityToken).toBe('a+b/');
  });

  it.each([
    ['missing X-Amz-Date', DOC.replace(/X-Amz-Date=[^&]*&/, '')],
    ['missing X-Amz-Expires', DOC.replace(/X-Amz-Expires=[^&]*&/, '')],
    ['Expires 0', DOC.replace('X-Amz-Expires=86400', 'X-Amz-Expires=0')],
    ['Expires over a week', DOC.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604801')],
    ['Expires not a number', DOC.replace('X-Amz-Expires=86400', 'X-Amz-Expires=1e3')],
    ['bad date', DOC.replace('20130524T000000Z', '2013-05-24')],
    ['bad algorithm', DOC.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')],
    ['bad signature', DOC.replace(SIG, 'xyz')],
    ['repeated parameter', DOC + '&X-Amz-Date=20130524T000000Z'],
    ['bad credential', DOC.replace('%2Faws4_request', '%2Faws4')],
  ])('%s → AuthorizationQueryParametersError', (_name, query) => {
    expect(() => parsePresignedQueryV4(parseQuery(query))).toThrow(code('AuthorizationQueryParametersError'));
  });

  it('accepts the week limit exactly', () => {
    expect(parsePresignedQueryV4(parseQuery(DOC.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604800'))).expiresSeconds).toBe(604800);
  });

  it('SigV4A → NotImplemented', () => {
    expect(() => parsePresignedQueryV4(parseQuery(DOC.replace('AWS4-HMAC-SHA256', 'AWS4-ECDSA-P256-SHA256')))).toThrow(code('NotImplemented'));
  });
});

describe('verifyPresignedTimeV4', () => {
  const parsed = parsePresignedQueryV4(parseQuery(DOC));
  const t0 = Date.UTC(2013, 4, 24);
  it.each([
    [t0, true],
    [t0 + 86_400_000, true],
    [t0 + 86_400_001, false],
    [t0 - 15 * 60_000, true],
    [t0 - 15 * 60_000 - 1, false],
  ])('at %d → valid %s', (now, ok) => {
    if (ok) expect(() => verifyPresignedTimeV4(parsed, now, 15 * 60_000)).not.toThrow();
    else expect(() => verifyPresignedTimeV4(parsed, now, 15 * 60_000)).toThrow(code('AccessDenied'));
  });
});
