import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SigningKeyCache } from '../../../src/sigv4/signing-key.js';
import type { SignableRequest } from '../../../src/sigv4/signable-request.js';
import { classifyAuthKind, verifyRequest, type VerifyContext } from '../../../src/sigv4/verify-request.js';
import { parseQuery } from '../../../src/sigv4/canonical-request.js';
import { AKID, SECRET, lookupOf, makeCredential } from './helpers.js';
import { presignV4, signHeaderV4 } from './signer.js';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);
const DATE = new Date(NOW);

function ctx(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return { credentials: lookupOf(makeCredential()), nowMs: NOW, signingKeys: new SigningKeyCache(), ...overrides };
}

function withHeaders(req: SignableRequest, headers: Record<string, string | undefined>): SignableRequest {
  return { ...req, headers: { ...req.headers, ...headers } };
}

const code = (c: string): unknown => expect.objectContaining({ code: c });

describe('classifyAuthKind', () => {
  const req = (headers: Record<string, string>, rawQuery = ''): [SignableRequest, ReturnType<typeof parseQuery>] => [
    { method: 'GET', rawPath: '/', rawQuery, headers },
    parseQuery(rawQuery),
  ];
  it.each([
    [{ authorization: 'AWS4-HMAC-SHA256 Credential=x' }, '', 'header-v4'],
    [{ authorization: 'AWS AK:sig' }, '', 'header-v2'],
    [{}, 'X-Amz-Algorithm=AWS4-HMAC-SHA256', 'presigned-v4'],
    [{}, 'X-Amz-Credential=x', 'presigned-v4'],
    [{}, 'AWSAccessKeyId=AK&Signature=s&Expires=1', 'presigned-v2'],
    [{}, 'prefix=a', 'anonymous'],
    [{}, '', 'anonymous'],
  ] as const)('%j %j → %s', (headers, rawQuery, expected) => {
    expect(classifyAuthKind(...req(headers, rawQuery))).toBe(expected);
  });

  it('rejects two mechanisms at once', () => {
    expect(() => classifyAuthKind(...req({ authorization: 'AWS4-HMAC-SHA256 x' }, 'X-Amz-Signature=a'))).toThrow(code('InvalidArgument'));
    expect(() => classifyAuthKind(...req({}, 'X-Amz-Signature=a&Signature=b'))).toThrow(code('InvalidArgument'));
  });

  it('rejects SigV4A with a clear message', () => {
    expect(() => classifyAuthKind(...req({ authorization: 'AWS4-ECDSA-P256-SHA256 Credential=x' }))).toThrow(
      expect.objectContaining({ code: 'NotImplemented', message: 'SigV4A is not supported; sign with SigV4 (AWS4-HMAC-SHA256)' }),
    );
  });

  it('rejects an unknown scheme', () => {
    expect(() => classifyAuthKind(...req({ authorization: 'Bearer x' }))).toThrow(code('InvalidArgument'));
  });
});

describe('verifyRequest: header SigV4', () => {
  it('accepts a request signed by @smithy/signature-v4', async () => {
    const req = await signHeaderV4({ date: DATE, path: '/my%20key/a%2Bb', query: { prefix: 'x y', 'list-type': '2' } });
    const v = verifyRequest(req, ctx());
    expect(v).toMatchObject({ authKind: 'header-v4', region: 'us-east-1', payload: { kind: 'unsigned' } });
    expect(v.credential?.accessKeyId).toBe(AKID);
  });

  it('accepts headers in node headersDistinct form (every value a string[])', async () => {
    const req = await signHeaderV4({ date: DATE, headers: { 'x-amz-meta-a': 'b' } });
    const distinct = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, v === undefined ? v : [String(v)]]));
    expect(verifyRequest({ ...req, headers: distinct }, ctx()).authKind).toBe('header-v4');
  });

  it('a repeated signed header verifies as a string[] (joined with ",")', async () => {
    // The client signs "x-amz-meta-r:one,two" (SDKs join repeats that way) and sends two lines.
    const req = await signHeaderV4({ date: DATE, headers: { 'x-amz-meta-r': 'one,two' } });
    expect(verifyRequest({ ...req, headers: { ...req.headers, 'x-amz-meta-r': ['one', 'two'] } }, ctx()).authKind).toBe('header-v4');
    // node's IncomingHttpHeaders join would give "one, two": not what was signed.
    expect(() => verifyRequest(withHeaders(req, { 'x-amz-meta-r': 'one, two' }), ctx())).toThrow(code('SignatureDoesNotMatch'));
  });

  it('verifies UTF-8 header values that node hands over latin1-decoded', async () => {
    const req = await signHeaderV4({ date: DATE, headers: { 'x-amz-meta-name': 'café ሴ' } });
    expect(req.headers['x-amz-meta-name']).toBe(Buffer.from('café ሴ', 'utf8').toString('latin1'));
    expect(verifyRequest(req, ctx()).authKind).toBe('header-v4');
  });

  it('a literal + in the path or query is a plus (%2B), not a space', async () => {
    const req = await signHeaderV4({ date: DATE, path: '/a%2Bb', query: { q: 'x+y' } });
    expect(req.rawQuery).toBe('q=x%2By');
    expect(() => verifyRequest({ ...req, rawPath: '/a+b', rawQuery: 'q=x+y' }, ctx())).not.toThrow();
    expect(() => verifyRequest({ ...req, rawPath: '/a%20b' }, ctx())).toThrow(code('SignatureDoesNotMatch'));
  });

  it('reports sha256 payload mode', async () => {
    const hash = 'a'.repeat(64);
    const v = verifyRequest(await signHeaderV4({ date: DATE, method: 'PUT', payloadHash: hash }), ctx());
    expect(v.payload).toEqual({ kind: 'sha256', sha256Hex: hash });
  });

  it('reports streaming-signed with the seed signature, key, date and scope', async () => {
    const req = await signHeaderV4({
      date: DATE,
      method: 'PUT',
      payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      headers: { 'x-amz-decoded-content-length': '10', 'x-amz-trailer': 'x-amz-checksum-crc32c', 'content-encoding': 'aws-chunked' },
    });
    const v = verifyRequest(req, ctx());
    const seed = /Signature=([0-9a-f]{64})/.exec(String(req.headers['authorization']))?.[1];
    expect(v.payload).toMatchObject({
      kind: 'streaming-signed',
      decodedLength: 10,
      seedSignature: seed,
      amzDate: '20250101T120000Z',
      credentialScope: '20250101/us-east-1/s3/aws4_request',
      trailer: 'x-amz-checksum-crc32c',
    });
  });

  it('reports streaming-unsigned-trailer', async () => {
    const req = await signHeaderV4({
      date: DATE,
      method: 'PUT',
      payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      headers: { 'x-amz-decoded-content-length': '5', 'x-amz-trailer': 'x-amz-checksum-crc64nvme' },
    });
    expect(verifyRequest(req, ctx()).payload).toEqual({ kind: 'streaming-unsigned-trailer', decodedLength: 5, trailer: 'x-amz-checksum-crc64nvme' });
  });

  it('requires x-amz-decoded-content-length for streaming', async () => {
    const req = await signHeaderV4({ date: DATE, method: 'PUT', payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' });
    expect(() => verifyRequest(req, ctx())).toThrow(code('MissingContentLength'));
  });

  it('rejects an unknown x-amz-content-sha256 value', async () => {
    const req = await signHeaderV4({ date: DATE, payloadHash: 'NOT-A-HASH' });
    expect(() => verifyRequest(req, ctx())).toThrow(code('InvalidArgument'));
  });

  it('rejects a missing x-amz-content-sha256', async () => {
    const req = await signHeaderV4({ date: DATE });
    const { ['x-amz-content-sha256']: _omit, ...headers } = req.headers;
    const auth = String(req.headers['authorization']).replace('x-amz-content-sha256;', '');
    expect(() => verifyRequest({ ...req, headers: { ...headers, authorization: auth } }, ctx())).toThrow(
      expect.objectContaining({ code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' }),
    );
  });

  it.each([
    ['14 min behind', NOW + 14 * 60_000, true],
    ['16 min behind', NOW + 16 * 60_000, false],
    ['16 min ahead', NOW - 16 * 60_000, false],
  ])('skew: server clock %s', async (_label, nowMs, ok) => {
    const req = await signHeaderV4({ date: DATE });
    if (ok) expect(() => verifyRequest(req, ctx({ nowMs }))).not.toThrow();
    else expect(() => verifyRequest(req, ctx({ nowMs }))).toThrow(code('RequestTimeTooSkewed'));
  });

  it('honours maxSkewMs', async () => {
    const req = await signHeaderV4({ date: DATE });
    expect(() => verifyRequest(req, ctx({ nowMs: NOW + 61_000, maxSkewMs: 60_000 }))).toThrow(code('RequestTimeTooSkewed'));
  });

  it('accepts a signed Date header instead of x-amz-date (botocore)', async () => {
    // Sign by hand: smithy always adds x-amz-date.
    const date = 'Wed, 01 Jan 2025 12:00:00 GMT';
    const base = await signHeaderV4({ date: DATE });
    const { ['x-amz-date']: _d, authorization: _a, ...headers } = base.headers;
    const unsigned: SignableRequest = { ...base, headers: { ...headers, date } };
    const { buildCanonicalHeaders, buildCanonicalRequest } = await import('../../../src/sigv4/canonical-request.js');
    const { buildStringToSign } = await import('../../../src/sigv4/string-to-sign.js');
    const { deriveSigningKey } = await import('../../../src/sigv4/signing-key.js');
    const signed = ['date', 'host', 'x-amz-content-sha256'];
    const creq = buildCanonicalRequest({
      method: 'GET',
      canonicalUri: '/key',
      canonicalQuery: '',
      canonicalHeaders: buildCanonicalHeaders(unsigned.headers, signed),
      signedHeaders: signed.join(';'),
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const sts = buildStringToSign('20250101T120000Z', '20250101/us-east-1/s3/aws4_request', creq);
    const sig = createHmac('sha256', deriveSigningKey(SECRET, '20250101', 'us-east-1', 's3')).update(sts).digest('hex');
    const authorization = `AWS4-HMAC-SHA256 Credential=${AKID}/20250101/us-east-1/s3/aws4_request, SignedHeaders=${signed.join(';')}, Signature=${sig}`;
    expect(verifyRequest(withHeaders(unsigned, { authorization }), ctx()).authKind).toBe('header-v4');
    // The Date header must be signed when it is the request time.
    const notSigned = authorization.replace('SignedHeaders=date;', 'SignedHeaders=');
    expect(() => verifyRequest(withHeaders(unsigned, { authorization: notSigned }), ctx())).toThrow(code('AccessDenied'));
  });

  it('requires a date', async () => {
    const req = await signHeaderV4({ date: DATE });
    const { ['x-amz-date']: _d, ...headers } = req.headers;
    expect(() => verifyRequest({ ...req, headers }, ctx())).toThrow(code('AccessDenied'));
  });

  it('rejects a scope date other than the request day', async () => {
    const req = await signHeaderV4({ date: DATE });
    const auth = String(req.headers['authorization']).replace('/20250101/', '/20241231/');
    expect(() => verifyRequest(withHeaders(req, { authorization: auth }), ctx())).toThrow(code('AuthorizationHeaderMalformed'));
  });

  it('rejects a service other than s3', async () => {
    const req = await signHeaderV4({ date: DATE, service: 'iam' });
    expect(() => verifyRequest(req, ctx())).toThrow(code('AuthorizationHeaderMalformed'));
  });

  it('rejects a region not allowed, naming the expected one', async () => {
    const req = await signHeaderV4({ date: DATE, region: 'eu-west-1' });
    expect(() => verifyRequest(req, ctx({ allowedRegions: ['us-east-1'] }))).toThrow(
      expect.objectContaining({ code: 'AuthorizationHeaderMalformed', message: expect.stringContaining("expecting 'us-east-1'") }),
    );
    expect(verifyRequest(req, ctx({ allowedRegions: ['us-east-1', 'eu-west-1'] })).region).toBe('eu-west-1');
    expect(verifyRequest(req, ctx()).region).toBe('eu-west-1');
  });

  it('rejects an unsigned x-amz-* header', async () => {
    const req = await signHeaderV4({ date: DATE });
    expect(() => verifyRequest(withHeaders(req, { 'x-amz-acl': 'public-read' }), ctx())).toThrow(
      expect.objectContaining({ code: 'AccessDenied', extra: { HeadersNotSigned: 'x-amz-acl' } }),
    );
  });

  it('requires host to be signed', async () => {
    const req = await signHeaderV4({ date: DATE });
    const auth = String(req.headers['authorization']).replace('SignedHeaders=host;', 'SignedHeaders=');
    expect(() => verifyRequest(withHeaders(req, { authorization: auth }), ctx())).toThrow(code('AccessDenied'));
  });

  it('InvalidAccessKeyId for an unknown key', async () => {
    const req = await signHeaderV4({ date: DATE, accessKeyId: 'AKIDUNKNOWN' });
    expect(() => verifyRequest(req, ctx())).toThrow(code('InvalidAccessKeyId'));
  });

  it('AccessDenied for a disabled credential', async () => {
    const req = await signHeaderV4({ date: DATE });
    expect(() => verifyRequest(req, ctx({ credentials: lookupOf(makeCredential({ enabled: false })) }))).toThrow(code('AccessDenied'));
  });

  it('ExpiredToken for an expired credential', async () => {
    const req = await signHeaderV4({ date: DATE });
    expect(() => verifyRequest(req, ctx({ credentials: lookupOf(makeCredential({ expiresAtMs: NOW })) }))).toThrow(code('ExpiredToken'));
    expect(() => verifyRequest(req, ctx({ credentials: lookupOf(makeCredential({ expiresAtMs: NOW + 1 })) }))).not.toThrow();
  });

  it('session credentials need the matching token', async () => {
    const sts = makeCredential({ sessionToken: 'tok-123', source: 'sts' });
    const good = await signHeaderV4({ date: DATE, sessionToken: 'tok-123' });
    expect(verifyRequest(good, ctx({ credentials: lookupOf(sts) })).credential).toBe(sts);
    const wrong = await signHeaderV4({ date: DATE, sessionToken: 'tok-999' });
    expect(() => verifyRequest(wrong, ctx({ credentials: lookupOf(sts) }))).toThrow(code('InvalidToken'));
    const none = await signHeaderV4({ date: DATE });
    expect(() => verifyRequest(none, ctx({ credentials: lookupOf(sts) }))).toThrow(code('InvalidToken'));
    // A token for a credential without one is refused too.
    expect(() => verifyRequest(good, ctx())).toThrow(code('InvalidToken'));
  });

  it('SignatureDoesNotMatch for a wrong secret', async () => {
    const req = await signHeaderV4({ date: DATE, secretAccessKey: 'wrong' });
    expect(() => verifyRequest(req, ctx())).toThrow(code('SignatureDoesNotMatch'));
  });

  it('SignatureDoesNotMatch when the method, path, query or a signed header changes', async () => {
    const req = await signHeaderV4({ date: DATE, query: { a: '1' }, headers: { 'x-amz-meta-k': 'v' } });
    expect(() => verifyRequest({ ...req, method: 'PUT' }, ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, rawPath: '/key2' }, ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, rawPath: '//key' }, ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, rawQuery: 'a=2' }, ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest(withHeaders(req, { 'x-amz-meta-k': 'w' }), ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest(withHeaders(req, { host: 'other.example.com' }), ctx())).toThrow(code('SignatureDoesNotMatch'));
  });

  it('AuthorizationHeaderMalformed for a malformed header', async () => {
    const req = await signHeaderV4({ date: DATE });
    expect(() => verifyRequest(withHeaders(req, { authorization: 'AWS4-HMAC-SHA256 Credential=x' }), ctx())).toThrow(code('AuthorizationHeaderMalformed'));
  });
});

describe('verifyRequest: presigned SigV4', () => {
  it('accepts a URL presigned by @smithy/signature-v4', async () => {
    const req = await presignV4({ date: DATE, path: '/a%20b/c', query: { 'response-content-type': 'text/plain' } });
    expect(verifyRequest(req, ctx())).toMatchObject({ authKind: 'presigned-v4', region: 'us-east-1', payload: { kind: 'unsigned' } });
  });

  it('is valid until X-Amz-Date + X-Amz-Expires, then "Request has expired"', async () => {
    const req = await presignV4({ date: DATE, expiresIn: 3600 });
    expect(() => verifyRequest(req, ctx({ nowMs: NOW + 3600_000 }))).not.toThrow();
    expect(() => verifyRequest(req, ctx({ nowMs: NOW + 3600_001 }))).toThrow(
      expect.objectContaining({ code: 'AccessDenied', message: 'Request has expired' }),
    );
  });

  it('a long-lived URL stays valid past the skew window', async () => {
    const req = await presignV4({ date: DATE, expiresIn: 604_800 });
    expect(() => verifyRequest(req, ctx({ nowMs: NOW + 6 * 86_400_000 }))).not.toThrow();
  });

  it('rejects a date more than 15 minutes in the future', async () => {
    const req = await presignV4({ date: DATE });
    expect(() => verifyRequest(req, ctx({ nowMs: NOW - 16 * 60_000 }))).toThrow(code('AccessDenied'));
    expect(() => verifyRequest(req, ctx({ nowMs: NOW - 14 * 60_000 }))).not.toThrow();
  });

  it.each(['0', '604801', '-1', 'abc'])('rejects X-Amz-Expires=%s', async (expires) => {
    const req = await presignV4({ date: DATE });
    const rawQuery = req.rawQuery.replace(/X-Amz-Expires=\d+/, `X-Amz-Expires=${expires}`);
    expect(() => verifyRequest({ ...req, rawQuery }, ctx())).toThrow(code('AuthorizationQueryParametersError'));
  });

  it('rejects a tampered signature or query', async () => {
    const req = await presignV4({ date: DATE, query: { versionId: 'v1' } });
    const flipped = req.rawQuery.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    expect(() => verifyRequest({ ...req, rawQuery: flipped }, ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, rawQuery: req.rawQuery.replace('versionId=v1', 'versionId=v2') }, ctx())).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, rawQuery: req.rawQuery + '&extra=1' }, ctx())).toThrow(code('SignatureDoesNotMatch'));
  });

  it('region errors use AuthorizationQueryParametersError', async () => {
    const req = await presignV4({ date: DATE, region: 'eu-west-1' });
    expect(() => verifyRequest(req, ctx({ allowedRegions: ['us-east-1'] }))).toThrow(code('AuthorizationQueryParametersError'));
  });

  it('session token from the query', async () => {
    const sts = makeCredential({ sessionToken: 'tok/+=', source: 'sts' });
    const req = await presignV4({ date: DATE, sessionToken: 'tok/+=' });
    expect(verifyRequest(req, ctx({ credentials: lookupOf(sts) })).credential).toBe(sts);
  });

  it('rejects an unsigned x-amz-* header on a presigned request', async () => {
    const req = await presignV4({ date: DATE });
    expect(() => verifyRequest(withHeaders(req, { 'x-amz-acl': 'public-read' }), ctx())).toThrow(code('AccessDenied'));
  });

  it('rejects missing parameters', async () => {
    const req = await presignV4({ date: DATE });
    const rawQuery = req.rawQuery.replace(/&?X-Amz-SignedHeaders=[^&]*/, '');
    expect(() => verifyRequest({ ...req, rawQuery }, ctx())).toThrow(code('AuthorizationQueryParametersError'));
  });
});

describe('verifyRequest: anonymous', () => {
  it('returns anonymous with no credential and an unsigned payload', () => {
    expect(verifyRequest({ method: 'GET', rawPath: '/b/k', rawQuery: '', headers: { host: 'h' } }, ctx())).toEqual({
      authKind: 'anonymous',
      credential: undefined,
      region: undefined,
      payload: { kind: 'unsigned' },
    });
  });
});

describe('verifyRequest: AWS documentation streaming example', () => {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html (example: PUT Object)
  const credential = makeCredential({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
  const req: SignableRequest = {
    method: 'PUT',
    rawPath: '/examplebucket/chunkObject.txt',
    rawQuery: '',
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
    },
  };

  it('verifies the seed signature of the trailer example', () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
    const { ['content-length']: _cl, ...headers } = req.headers as Record<string, string>;
    const trailerReq: SignableRequest = {
      ...req,
      headers: {
        ...headers,
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
        'x-amz-trailer': 'x-amz-checksum-crc32c',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
      },
    };
    const v = verifyRequest(trailerReq, { credentials: lookupOf(credential), nowMs: Date.UTC(2013, 4, 24, 0, 5), signingKeys: new SigningKeyCache() });
    expect(v.payload).toMatchObject({ kind: 'streaming-signed', trailer: 'x-amz-checksum-crc32c', seedSignature: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e' });
  });

  it('verifies the seed signature', () => {
    const v = verifyRequest(req, { credentials: lookupOf(credential), nowMs: Date.UTC(2013, 4, 24, 0, 5), signingKeys: new SigningKeyCache() });
    expect(v.payload).toMatchObject({ kind: 'streaming-signed', decodedLength: 66560, seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9' });
  });
});
