/**
 * The upstream re-signer must produce exactly what @smithy/signature-v4's SignatureV4.sign()
 * produces for the same request (it uses smithy's canonicalisation and a synchronous HMAC
 * chain: docs/decisions/0007). Property-tested over random keys, queries and headers.
 */
import { getCanonicalHeaders, SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backend } from '../../../src/upstream/backend.js';
import { NodeSha256 } from '../../support/node-sha256.js';
import { buildResignedHeaderLines, buildUpstreamRequest, EMPTY_SHA256 } from '../../../src/upstream/resign-request.js';
import { uriEncode } from '../../../src/sigv4/uri-encode.js';

const SETTINGS = {
  name: 'default',
  endpoint: 'http://127.0.0.1:9000',
  region: 'eu-central-1',
  accessKeyId: 'AKIAUPSTREAMEXAMPLE',
  secretAccessKey: 'upstream/secret/EXAMPLEKEY0000000000000',
  pathStyle: true,
  connections: 1,
  connectTimeoutMs: 1000,
  headersTimeoutMs: 1000,
  bodyTimeoutMs: 1000,
};

const backend = new Backend(SETTINGS);
const smithy = new SignatureV4({
  service: 's3',
  region: SETTINGS.region,
  credentials: { accessKeyId: SETTINGS.accessKeyId, secretAccessKey: SETTINGS.secretAccessKey },
  sha256: NodeSha256,
  uriEscapePath: false,
  applyChecksum: false,
});
const UNSIGNABLE = new Set(['user-agent', 'expect', 'content-length', 'accept-encoding', 'x-amzn-trace-id', 'amz-sdk-invocation-id', 'amz-sdk-request']);

const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.~/+=%&?:;,!*()[]@'.split('')), minLength: 1, maxLength: 24 });
const headerValue = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_.=/:;,'.split('')), minLength: 0, maxLength: 30 });

describe('buildUpstreamRequest', () => {
  it('signs exactly as SignatureV4.sign() does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'HEAD', 'DELETE', 'POST'),
        fc.string({ unit: fc.constantFrom(...'abcdefghij0123456789-'.split('')), minLength: 3, maxLength: 20 }).filter((b) => /^[a-z0-9]/.test(b)),
        printable,
        fc.array(fc.tuple(fc.constantFrom('prefix', 'uploadId', 'partNumber', 'versionId', 'list-type', 'tagging', 'max-keys'), headerValue), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('x-amz-meta-a', 'x-amz-meta-b', 'content-type', 'range', 'x-amz-acl', 'user-agent', 'content-md5'), headerValue),
        fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
        async (method, bucket, key, query, headers, now) => {
          const ours = buildUpstreamRequest(backend, { method, bucket, key, query, headers, payloadHash: EMPTY_SHA256 }, now);
          const path = `/${bucket}/${uriEncode(key, true)}`;
          const smithyQuery: Record<string, string | string[]> = {};
          for (const [n, v] of query) {
            const prev = smithyQuery[n];
            smithyQuery[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
          }
          const theirs = await smithy.sign(
            { method, protocol: 'http:', hostname: '127.0.0.1:9000', path, query: smithyQuery, headers: { ...headers, host: '127.0.0.1:9000', 'x-amz-content-sha256': EMPTY_SHA256 } },
            { signingDate: now, unsignableHeaders: UNSIGNABLE },
          );
          expect(ours.headers.authorization).toBe(theirs.headers.authorization);
          expect(ours.headers['x-amz-date']).toBe(theirs.headers['x-amz-date']);
          expect(ours.path.startsWith(path)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('builds the canonical header block exactly as smithy\'s getCanonicalHeaders, blanks and unsignable names included', () => {
    const names = fc.constantFrom(
      'x-amz-meta-a',
      'x-amz-meta-zz',
      'content-type',
      'range',
      'host',
      'x-amz-date',
      'user-agent',
      'cache-control',
      'referer',
      'proxy-thing',
      'sec-fetch-mode',
      'content-length',
      'amz-sdk-request',
      'expect',
      'if-match',
    );
    const value = fc.string({ unit: fc.constantFrom(...'ab1 \t\r\n,;='.split('')), maxLength: 16 });
    fc.assert(
      fc.property(fc.dictionary(names, value), (headers) => {
        const canonical = getCanonicalHeaders({ method: 'GET', protocol: 'http:', hostname: 'h', path: '/', headers }, UNSIGNABLE);
        const sorted = Object.keys(canonical).sort();
        const ours = buildResignedHeaderLines(headers);
        expect(ours.lines).toBe(sorted.map((n) => `${n}:${canonical[n]}\n`).join(''));
        expect(ours.signedHeaders).toBe(sorted.join(';'));
      }),
      { numRuns: 1000 },
    );
  });
});
