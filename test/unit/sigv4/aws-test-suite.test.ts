/**
 * The official AWS SigV4 signing test suite (awslabs/aws-c-auth, tests/aws-signing-test-suite/v4,
 * Apache-2.0; copied with its LICENSE and NOTICE to test/fixtures/sigv4-test-suite) run through
 * this gateway's canonical request, string to sign and signature functions.
 *
 * The suite's service is `service`, not `s3`, so the vectors go through the functions directly
 * rather than verifyRequest (which only accepts `s3`). For each case and each mode (Authorization
 * header, presigned query) the test parses the *signed* request as a client sends it and checks
 * that the canonical request, string to sign and signature equal the expected files.
 *
 * Cases treated differently, because S3's rules differ from the suite's generic ones:
 *
 * - NOT RUN AS GIVEN: the six `-normalized` cases whose path has `.`/`..` segments or repeated
 *   slashes (get-relative-normalized, get-relative-relative-normalized,
 *   get-slash-dot-slash-normalized, get-slash-normalized, get-slash-pointless-dot-normalized,
 *   get-slashes-normalized). Their expected canonical URI is the normalised path; S3 never
 *   normalises, so an S3 verifier must use the raw path. For each, the test instead checks that
 *   the canonical URI equals the one of its `-unnormalized` sibling (which runs in full).
 *   get-space-normalized needs no normalisation and runs in full.
 * - post-sts-header-after, query mode: the session token was appended to the URL after signing.
 *   S3 signs every query parameter except X-Amz-Signature, X-Amz-Security-Token included, so an
 *   S3 verifier computes a different signature and must reject the URL; the test asserts that.
 * - post-sts-header-after, header mode: the signature matches (the token header is not signed),
 *   but an S3 verifier rejects the request because an x-amz-* header is present unsigned; the
 *   test asserts both.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAuthorizationHeaderV4 } from '../../../src/sigv4/authorization-header.js';
import {
  buildCanonicalHeaders,
  buildCanonicalQuery,
  buildCanonicalRequest,
  buildCanonicalUri,
  parseQuery,
} from '../../../src/sigv4/canonical-request.js';
import { parsePresignedQueryV4 } from '../../../src/sigv4/presigned-query.js';
import { computeSignature, deriveSigningKey } from '../../../src/sigv4/signing-key.js';
import { buildStringToSign } from '../../../src/sigv4/string-to-sign.js';
import { checkSignedHeaders } from '../../../src/sigv4/verify-request.js';

const SUITE = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/sigv4-test-suite/v4');

/** Normalised-path cases S3 does not apply; mapped to the sibling carrying S3's canonical URI. */
const NORMALIZED_PATH_CASES: Readonly<Record<string, string>> = {
  'get-relative-normalized': 'get-relative-unnormalized',
  'get-relative-relative-normalized': 'get-relative-relative-unnormalized',
  'get-slash-dot-slash-normalized': 'get-slash-dot-slash-unnormalized',
  'get-slash-normalized': 'get-slash-unnormalized',
  'get-slash-pointless-dot-normalized': 'get-slash-pointless-dot-unnormalized',
  'get-slashes-normalized': 'get-slashes-unnormalized',
};

interface Context {
  readonly credentials: { readonly access_key_id: string; readonly secret_access_key: string; readonly token?: string };
  readonly region: string;
  readonly service: string;
  readonly omit_session_token?: boolean;
}

interface WireRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly rawQuery: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

function read(name: string, file: string): string {
  return readFileSync(join(SUITE, name, file), 'utf8');
}

/** Parses request.txt-style text: request line, `Name:value` headers (folded lines, repeats), body. */
function parseWireRequest(text: string): WireRequest {
  const lines = text.split('\n');
  const requestLine = lines[0] ?? '';
  const firstSpace = requestLine.indexOf(' ');
  const method = requestLine.slice(0, firstSpace);
  const target = requestLine.slice(firstSpace + 1, requestLine.lastIndexOf(' HTTP/'));
  const q = target.indexOf('?');
  const headers: Record<string, string | string[]> = {};
  let lastName = '';
  let i = 1;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      const prev = headers[lastName];
      if (Array.isArray(prev)) prev[prev.length - 1] += '\n' + line;
      else headers[lastName] = `${prev ?? ''}\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    lastName = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1);
    const prev = headers[lastName];
    if (prev === undefined) headers[lastName] = value;
    else headers[lastName] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return {
    method,
    rawPath: q === -1 ? target : target.slice(0, q),
    rawQuery: q === -1 ? '' : target.slice(q + 1),
    headers,
    body: Buffer.from(lines.slice(i + 1).join('\n'), 'utf8'),
  };
}

function single(v: string | string[] | undefined): string {
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

const cases = readdirSync(SUITE).sort();

describe('AWS SigV4 test suite', () => {
  it('has the 38 cases of the snapshot', () => {
    expect(cases).toHaveLength(38);
  });

  describe.each(cases)('%s', (name) => {
    const context = JSON.parse(read(name, 'context.json')) as Context;
    const sibling = NORMALIZED_PATH_CASES[name];

    if (sibling !== undefined) {
      it('S3 does not normalise: the canonical URI is the raw path, as in the unnormalized sibling', () => {
        const req = parseWireRequest(read(name, 'request.txt'));
        const siblingUri = read(sibling, 'header-canonical-request.txt').split('\n')[1];
        expect(buildCanonicalUri(req.rawPath)).toBe(siblingUri);
        expect(buildCanonicalUri(req.rawPath)).not.toBe(read(name, 'header-canonical-request.txt').split('\n')[1]);
      });
      return;
    }

    it('header mode: canonical request, string to sign and signature match', () => {
      const req = parseWireRequest(read(name, 'header-signed-request.txt'));
      const auth = parseAuthorizationHeaderV4(single(req.headers['authorization']));
      const payloadHash = single(req.headers['x-amz-content-sha256']) || createHash('sha256').update(req.body).digest('hex');
      const canonical = buildCanonicalRequest({
        method: req.method,
        canonicalUri: buildCanonicalUri(req.rawPath),
        canonicalQuery: buildCanonicalQuery(parseQuery(req.rawQuery)),
        canonicalHeaders: buildCanonicalHeaders(req.headers, auth.signedHeaders),
        signedHeaders: auth.signedHeadersText,
        payloadHash,
      });
      expect(canonical).toBe(read(name, 'header-canonical-request.txt'));
      const stringToSign = buildStringToSign(single(req.headers['x-amz-date']), auth.credential.scope, canonical);
      expect(stringToSign).toBe(read(name, 'header-string-to-sign.txt'));
      const key = deriveSigningKey(context.credentials.secret_access_key, auth.credential.shortDate, auth.credential.region, auth.credential.service);
      const signature = computeSignature(key, stringToSign).toString('hex');
      expect(signature).toBe(read(name, 'header-signature.txt'));
      expect(signature).toBe(auth.signature);
      expect(auth.credential).toMatchObject({ accessKeyId: context.credentials.access_key_id, region: context.region, service: context.service });

      const tokenUnsigned = context.omit_session_token === true && req.headers['x-amz-security-token'] !== undefined;
      if (tokenUnsigned) {
        // post-sts-header-after: an S3 verifier refuses the unsigned x-amz-security-token header.
        expect(() => checkSignedHeaders(req.headers, auth.signedHeaders)).toThrow(expect.objectContaining({ code: 'AccessDenied' }));
      } else {
        expect(() => checkSignedHeaders(req.headers, auth.signedHeaders)).not.toThrow();
      }
    });

    it('query mode: canonical request, string to sign and signature match', () => {
      const req = parseWireRequest(read(name, 'query-signed-request.txt'));
      const params = parseQuery(req.rawQuery);
      const parsed = parsePresignedQueryV4(params);
      const canonical = buildCanonicalRequest({
        method: req.method,
        canonicalUri: buildCanonicalUri(req.rawPath),
        canonicalQuery: buildCanonicalQuery(params, 'X-Amz-Signature'),
        canonicalHeaders: buildCanonicalHeaders(req.headers, parsed.signedHeaders),
        signedHeaders: parsed.signedHeadersText,
        // The suite hashes the body in query mode too; S3 presigned URLs use UNSIGNED-PAYLOAD.
        payloadHash: createHash('sha256').update(req.body).digest('hex'),
      });
      const key = deriveSigningKey(context.credentials.secret_access_key, parsed.credential.shortDate, parsed.credential.region, parsed.credential.service);
      const stringToSign = buildStringToSign(parsed.amzDate, parsed.credential.scope, canonical);
      const signature = computeSignature(key, stringToSign).toString('hex');

      if (context.omit_session_token === true && parsed.securityToken !== undefined) {
        // post-sts-header-after: the token was added after signing; S3 signs it, so this URL is rejected.
        expect(canonical).not.toBe(read(name, 'query-canonical-request.txt'));
        expect(signature).not.toBe(parsed.signature);
        return;
      }
      expect(canonical).toBe(read(name, 'query-canonical-request.txt'));
      expect(stringToSign).toBe(read(name, 'query-string-to-sign.txt'));
      expect(signature).toBe(read(name, 'query-signature.txt'));
      expect(signature).toBe(parsed.signature);
      expect(parsed.expiresSeconds).toBe(3600);
    });
  });
});
