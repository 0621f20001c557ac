import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/sigv4/canonical-request.js';
import {
  buildCanonicalAmzHeadersV2,
  buildCanonicalResourceV2,
  buildStringToSignV2,
  computeSignatureV2,
  parseAuthorizationHeaderV2,
  parsePresignedQueryV2,
} from '../../../src/sigv4/sigv2.js';
import { SigningKeyCache } from '../../../src/sigv4/signing-key.js';
import type { SignableRequest } from '../../../src/sigv4/signable-request.js';
import { verifyRequest } from '../../../src/sigv4/verify-request.js';
import { lookupOf, makeCredential } from './helpers.js';

// AWS documentation examples: https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DOC_AKID = 'AKIAIOSFODNN7EXAMPLE';
const docCredential = makeCredential({ accessKeyId: DOC_AKID, secretAccessKey: DOC_SECRET });

const code = (c: string): unknown => expect.objectContaining({ code: c });

describe('SigV2 AWS documentation examples, verified end to end', () => {
  it.each([
    ['GET object', 'GET', '/photos/puppy.jpg', '', 'awsexamplebucket1', {}, 'Tue, 27 Mar 2007 19:36:42 +0000', 'qgk2+6Sv9/oM7G3qLEjTH1a1l1g='],
    ['PUT object', 'PUT', '/photos/puppy.jpg', '', 'awsexamplebucket1', { 'content-type': 'image/jpeg', 'content-length': '94328' }, 'Tue, 27 Mar 2007 21:15:45 +0000', 'iqRzw+ileNPu1fhspnRs8nOjjIA='],
    ['list', 'GET', '/', 'prefix=photos&max-keys=50&marker=puppy', 'awsexamplebucket1', { 'user-agent': 'Mozilla/5.0' }, 'Tue, 27 Mar 2007 19:42:41 +0000', 'm0WP8eCtspQl5Ahe6L1SozdX9YA='],
    ['fetch ACL', 'GET', '/', 'acl', 'awsexamplebucket1', {}, 'Tue, 27 Mar 2007 19:44:46 +0000', '82ZHiFIjc+WbcwFKGUVEQspPn+0='],
    ['GET object (older edition, path-style)', 'GET', '/johnsmith/photos/puppy.jpg', '', undefined, {}, 'Tue, 27 Mar 2007 19:36:42 +0000', 'bWq2s1WEIj+Ydj0vQ697zp+IXMU='],
  ] as const)('%s', (_name, method, rawPath, rawQuery, bucket, headers, date, signature) => {
    const req: SignableRequest = {
      method,
      rawPath,
      rawQuery,
      virtualHostBucket: bucket,
      headers: { host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com', date, ...headers, authorization: `AWS ${DOC_AKID}:${signature}` },
    };
    const nowMs = Date.parse(date);
    expect(verifyRequest(req, { credentials: lookupOf(docCredential), nowMs, signingKeys: new SigningKeyCache() }).authKind).toBe('header-v2');
  });
});

describe('buildCanonicalResourceV2', () => {
  it.each([
    ['/photos/puppy.jpg', '', 'johnsmith', '/johnsmith/photos/puppy.jpg'],
    ['/', '', 'johnsmith', '/johnsmith/'],
    ['/johnsmith/photos/puppy.jpg', '', undefined, '/johnsmith/photos/puppy.jpg'],
    ['/', 'acl', 'johnsmith', '/johnsmith/?acl'],
    ['/k', 'versionId=v1&acl&prefix=x&uploadId=u', 'b', '/b/k?acl&uploadId=u&versionId=v1'],
    ['/k', 'response-content-type=text%2Fplain&response-expires=x', 'b', '/b/k?response-content-type=text/plain&response-expires=x'],
    ['/k%20x', 'list-type=2&delimiter=%2F', 'b', '/b/k%20x'],
  ])('%s ? %s (bucket %s) → %s', (path, query, bucket, expected) => {
    expect(buildCanonicalResourceV2(path, parseQuery(query), bucket)).toBe(expected);
  });
});

describe('buildCanonicalAmzHeadersV2', () => {
  it('lower-cases, sorts, trims and joins repeated values', () => {
    expect(
      buildCanonicalAmzHeadersV2({ 'x-amz-meta-b': ' two ', 'x-amz-meta-a': ['1', '2'], 'content-type': 'x', 'x-amz-date': 'd' }),
    ).toBe('x-amz-date:d\nx-amz-meta-a:1,2\nx-amz-meta-b:two\n');
  });

  it('counts x-amz-* query parameters for presigned URLs', () => {
    expect(buildCanonicalAmzHeadersV2({}, parseQuery('X-Amz-Security-Token=t%2Bk&acl'))).toBe('x-amz-security-token:t+k\n');
  });
});

describe('parsers', () => {
  it('parses AWS AKID:sig', () => {
    expect(parseAuthorizationHeaderV2('AWS AK:abc/+=')).toEqual({ accessKeyId: 'AK', signature: 'abc/+=' });
    expect(() => parseAuthorizationHeaderV2('AWS nocolon')).toThrow(code('InvalidArgument'));
    expect(() => parseAuthorizationHeaderV2('AWS AK:')).toThrow(code('InvalidArgument'));
  });

  it('parses presigned parameters', () => {
    expect(parsePresignedQueryV2(parseQuery('AWSAccessKeyId=AK&Expires=1175139620&Signature=a%2Bb%3D'))).toEqual({
      accessKeyId: 'AK',
      signature: 'a+b=',
      expiresEpochSeconds: 1175139620,
      expiresText: '1175139620',
    });
    expect(() => parsePresignedQueryV2(parseQuery('AWSAccessKeyId=AK&Signature=x'))).toThrow(code('AccessDenied'));
    expect(() => parsePresignedQueryV2(parseQuery('AWSAccessKeyId=AK&Signature=x&Expires=soon'))).toThrow(code('AccessDenied'));
  });
});

function signV2(req: SignableRequest, dateLine: string, secret = DOC_SECRET, presigned = false): string {
  const params = parseQuery(req.rawQuery);
  return computeSignatureV2(
    secret,
    buildStringToSignV2({
      method: req.method,
      headers: req.headers,
      dateLine,
      canonicalAmzHeaders: buildCanonicalAmzHeadersV2(req.headers, presigned ? params : []),
      canonicalResource: buildCanonicalResourceV2(req.rawPath, params, req.virtualHostBucket),
    }),
  ).toString('base64');
}

describe('verifyRequest with SigV2', () => {
  const now = Date.UTC(2007, 2, 27, 19, 40, 0);
  const ctx = { credentials: lookupOf(docCredential), nowMs: now, signingKeys: new SigningKeyCache() };
  const date = 'Tue, 27 Mar 2007 19:36:42 +0000';
  const base: SignableRequest = {
    method: 'PUT',
    rawPath: '/photos/puppy.jpg',
    rawQuery: '',
    virtualHostBucket: 'johnsmith',
    headers: { host: 'johnsmith.s3.amazonaws.com', date, 'content-type': 'image/jpeg', 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==', 'x-amz-meta-a': 'b' },
  };

  it('accepts a header-signed request', () => {
    const req = { ...base, headers: { ...base.headers, authorization: `AWS ${DOC_AKID}:${signV2(base, date)}` } };
    expect(verifyRequest(req, ctx)).toMatchObject({ authKind: 'header-v2', region: undefined, payload: { kind: 'unsigned' } });
  });

  it('signs an empty Date line when x-amz-date is sent', () => {
    const headers = { ...base.headers, 'x-amz-date': date, date: 'Thu, 01 Jan 1970 00:00:00 GMT' };
    const req = { ...base, headers: { ...headers, authorization: `AWS ${DOC_AKID}:${signV2({ ...base, headers }, '')}` } };
    expect(verifyRequest(req, ctx).authKind).toBe('header-v2');
  });

  it('rejects a changed header, sub-resource or signature', () => {
    const auth = `AWS ${DOC_AKID}:${signV2(base, date)}`;
    const req = { ...base, headers: { ...base.headers, authorization: auth } };
    expect(() => verifyRequest({ ...req, headers: { ...req.headers, 'x-amz-meta-a': 'c' } }, ctx)).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, rawQuery: 'acl' }, ctx)).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, headers: { ...req.headers, 'content-type': 'text/plain' } }, ctx)).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, virtualHostBucket: 'other' }, ctx)).toThrow(code('SignatureDoesNotMatch'));
    expect(() => verifyRequest({ ...req, headers: { ...req.headers, authorization: `AWS ${DOC_AKID}:AAAA` } }, ctx)).toThrow(code('SignatureDoesNotMatch'));
  });

  it('ignores query parameters that are not sub-resources', () => {
    const auth = `AWS ${DOC_AKID}:${signV2(base, date)}`;
    expect(verifyRequest({ ...base, rawQuery: 'x-id=PutObject', headers: { ...base.headers, authorization: auth } }, ctx).authKind).toBe('header-v2');
  });

  it('checks skew, key and date', () => {
    const req = { ...base, headers: { ...base.headers, authorization: `AWS ${DOC_AKID}:${signV2(base, date)}` } };
    expect(() => verifyRequest(req, { ...ctx, nowMs: now + 16 * 60_000 })).toThrow(code('RequestTimeTooSkewed'));
    expect(() => verifyRequest({ ...req, headers: { ...req.headers, authorization: `AWS NOPE:${signV2(base, date)}` } }, ctx)).toThrow(code('InvalidAccessKeyId'));
    const { date: _d, ...noDate } = req.headers as Record<string, string>;
    expect(() => verifyRequest({ ...req, headers: noDate }, ctx)).toThrow(code('AccessDenied'));
  });

  it('accepts a presigned URL until Expires, then "Request has expired"', () => {
    const expires = String(Math.floor(now / 1000) + 60);
    const get: SignableRequest = { method: 'GET', rawPath: '/photos/puppy.jpg', rawQuery: '', virtualHostBucket: 'johnsmith', headers: { host: 'johnsmith.s3.amazonaws.com' } };
    const sig = signV2(get, expires);
    const rawQuery = `AWSAccessKeyId=${DOC_AKID}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
    expect(verifyRequest({ ...get, rawQuery }, ctx).authKind).toBe('presigned-v2');
    expect(() => verifyRequest({ ...get, rawQuery }, { ...ctx, nowMs: now + 61_000 })).toThrow(
      expect.objectContaining({ code: 'AccessDenied', message: 'Request has expired' }),
    );
    expect(() => verifyRequest({ ...get, rawPath: '/photos/kitten.jpg', rawQuery }, ctx)).toThrow(code('SignatureDoesNotMatch'));
  });

  it('presigned with a session token in the query', () => {
    const sts = makeCredential({ accessKeyId: DOC_AKID, secretAccessKey: DOC_SECRET, sessionToken: 'tok', source: 'sts' });
    const expires = String(Math.floor(now / 1000) + 60);
    const get: SignableRequest = { method: 'GET', rawPath: '/b/k', rawQuery: 'x-amz-security-token=tok', headers: { host: 'h' } };
    const sig = signV2(get, expires, DOC_SECRET, true);
    const rawQuery = `x-amz-security-token=tok&AWSAccessKeyId=${DOC_AKID}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
    expect(verifyRequest({ ...get, rawQuery }, { ...ctx, credentials: lookupOf(sts) }).credential).toBe(sts);
    const withoutToken = `AWSAccessKeyId=${DOC_AKID}&Expires=${expires}&Signature=${encodeURIComponent(signV2({ ...get, rawQuery: '' }, expires))}`;
    expect(() => verifyRequest({ ...get, rawQuery: withoutToken }, { ...ctx, credentials: lookupOf(sts) })).toThrow(code('InvalidToken'));
  });
});
