/**
 * Property tests (fast-check):
 * - any request @smithy/signature-v4 signs (header or presigned) verifies;
 * - one changed byte in the path, a signed header value or the signature does not;
 * - aws-chunked bodies decode identically whatever the input boundaries;
 * - a tampered chunk / final chunk signature / trailer / hashed body fails, and the verifier never
 *   emitted the full decoded length before failing.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPayloadVerifier } from '../../../src/sigv4/payload-verifier.js';
import type { PayloadMode, SignableRequest } from '../../../src/sigv4/signable-request.js';
import { deriveSigningKey, SigningKeyCache } from '../../../src/sigv4/signing-key.js';
import { SUPPORTED_TRAILERS } from '../../../src/sigv4/trailer-checksum.js';
import { verifyRequest, type VerifyContext } from '../../../src/sigv4/verify-request.js';
import { encodeSignedChunks, encodeUnsignedTrailerChunks, trailerChecksum } from '../../support/aws-chunked.js';
import { lookupOf, makeCredential, runThrough, splitAt } from './helpers.js';
import { presignV4, signHeaderV4 } from './signer.js';

const NOW = Date.UTC(2025, 5, 15, 8, 30, 0);
const DATE = new Date(NOW);
const ctx: VerifyContext = { credentials: lookupOf(makeCredential()), nowMs: NOW, signingKeys: new SigningKeyCache() };

/** How SDKs encode a key segment: RFC 3986 (encodeURIComponent plus !'()*). */
const encodeSegment = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const awkward = fc.constantFrom(' ', '+', '=', '%', '&', '?', '#', '~', '.', '..', '*', "'", 'é', 'ሴ', '😀', '/', ';', ':', '@', '$', ',');
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(awkward, fc.string({ maxLength: 3 })), { maxLength: 5 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '.', '..') },
);
/** Encoded path; a segment holding `/` keeps it literal, so `//` and dot segments occur. */
const pathArb = fc.array(segment, { minLength: 1, maxLength: 5 }).map((segs) => '/' + segs.map((s) => s.split('/').map(encodeSegment).join('/')).join('/'));

const queryKey = fc
  .oneof(fc.string({ maxLength: 8 }), fc.array(awkward, { maxLength: 3 }).map((a) => a.join('')), fc.constantFrom('acl', 'uploads', 'versionId', 'prefix', 'list-type'))
  .filter((k) => !/^x-amz-/i.test(k) && k !== 'AWSAccessKeyId' && k !== 'Signature');
const queryValue = fc.oneof(fc.string({ maxLength: 10 }), fc.array(awkward, { maxLength: 4 }).map((a) => a.join('')), fc.string({ unit: 'grapheme', maxLength: 4 }));
const queryArb = fc.dictionary(queryKey, fc.oneof({ weight: 4, arbitrary: queryValue }, { weight: 1, arbitrary: fc.array(queryValue, { minLength: 2, maxLength: 3 }) }), {
  maxKeys: 4,
});

/** Header values as a client sends them: no control characters, inner runs of spaces/tabs allowed. */
const headerValue = fc
  .array(fc.oneof(fc.constantFrom(' ', '  ', '\t', 'a', 'Z', '0', '"', ',', 'é', 'ሴ'), fc.string({ maxLength: 4 })), { maxLength: 6 })
  .map((a) => a.join('').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, 'x').trim());
const headersArb = fc.dictionary(
  fc.stringMatching(/^[a-z0-9-]{1,10}$/).map((s) => `x-amz-meta-${s}`),
  headerValue,
  { maxKeys: 3 },
);
const methodArb = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD');

const requestArb = fc.record({ method: methodArb, path: pathArb, query: queryArb, headers: headersArb });

function verifies(req: SignableRequest): boolean {
  try {
    verifyRequest(req, ctx);
    return true;
  } catch {
    return false;
  }
}

describe('requests signed by @smithy/signature-v4', () => {
  it('verify (Authorization header)', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (input) => {
        const req = await signHeaderV4({ ...input, date: DATE });
        expect(verifyRequest(req, ctx).authKind).toBe('header-v4');
      }),
      { numRuns: 300 },
    );
  });

  it('verify (presigned URL)', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (input) => {
        const req = await presignV4({ method: input.method, path: input.path, query: input.query, date: DATE });
        expect(verifyRequest(req, ctx).authKind).toBe('presigned-v4');
      }),
      { numRuns: 200 },
    );
  });

  it('fail after one changed byte in the path', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, fc.nat(), fc.constantFrom('a', 'B', '0', '-', '~', '/', '%', ' ', 'é'), async (input, pos, replacement) => {
        const req = await signHeaderV4({ ...input, date: DATE });
        const i = pos % req.rawPath.length;
        const original = req.rawPath[i] as string;
        fc.pre(original !== replacement);
        // Changing the case of a hex digit inside a %XX escape is not a change of the path.
        const inEscape = req.rawPath[i - 1] === '%' || req.rawPath[i - 2] === '%';
        fc.pre(!(inEscape && original.toLowerCase() === replacement.toLowerCase()));
        const rawPath = req.rawPath.slice(0, i) + replacement + req.rawPath.slice(i + 1);
        expect(verifies({ ...req, rawPath })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('fail after one changed byte in a signed header value', async () => {
    await fc.assert(
      fc.asyncProperty(
        requestArb.filter((r) => Object.values(r.headers).some((v) => /\S/.test(v))),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('q', 'Q', '7', '!', 'é'),
        async (input, which, pos, replacement) => {
          const req = await signHeaderV4({ ...input, date: DATE });
          const names = Object.keys(input.headers).filter((n) => /\S/.test(input.headers[n] ?? ''));
          const name = names[which % names.length] as string;
          const value = String(req.headers[name]);
          const candidates = [...value].map((c, i) => [c, i] as const).filter(([c]) => !/\s/.test(c));
          const [original, i] = candidates[pos % candidates.length] as readonly [string, number];
          fc.pre(original !== replacement);
          const changed = value.slice(0, i) + replacement + value.slice(i + 1);
          expect(verifies({ ...req, headers: { ...req.headers, [name]: changed } })).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fail after one changed character of the signature', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, fc.integer({ min: 0, max: 63 }), fc.constantFrom(...'0123456789abcdef'), async (input, i, digit) => {
        const req = await signHeaderV4({ ...input, date: DATE });
        const auth = String(req.headers['authorization']);
        const at = auth.indexOf('Signature=') + 'Signature='.length + i;
        fc.pre(auth[at] !== digit);
        const authorization = auth.slice(0, at) + digit + auth.slice(at + 1);
        expect(() => verifyRequest({ ...req, headers: { ...req.headers, authorization } }, ctx)).toThrow(
          expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
        );
      }),
      { numRuns: 200 },
    );
  });
});

const signingKey = deriveSigningKey('secret', '20250615', 'us-east-1', 's3');
const signing = {
  signingKey,
  amzDate: '20250615T083000Z',
  scope: '20250615/us-east-1/s3/aws4_request',
  seedSignature: 'a'.repeat(64),
};

function signedMode(decodedLength: number, trailer: string | undefined): PayloadMode {
  return {
    kind: 'streaming-signed',
    decodedLength,
    seedSignature: signing.seedSignature,
    signingKey,
    amzDate: signing.amzDate,
    credentialScope: signing.scope,
    trailer,
  };
}

type Variant = 'signed' | 'signed-trailer' | 'unsigned-trailer';

function encode(variant: Variant, body: Uint8Array, chunkSize: number, trailerName: (typeof SUPPORTED_TRAILERS)[number]): { wire: Buffer; mode: PayloadMode } {
  const trailer = { name: trailerName, value: trailerChecksum(trailerName, body) };
  switch (variant) {
    case 'signed':
      return { wire: encodeSignedChunks(body, { chunkSize, ...signing }), mode: signedMode(body.length, undefined) };
    case 'signed-trailer':
      return { wire: encodeSignedChunks(body, { chunkSize, ...signing, trailer }), mode: signedMode(body.length, trailerName) };
    case 'unsigned-trailer':
      return {
        wire: encodeUnsignedTrailerChunks(body, { chunkSize, trailer }),
        mode: { kind: 'streaming-unsigned-trailer', decodedLength: body.length, trailer: trailerName },
      };
  }
}

const variantArb = fc.constantFrom<Variant>('signed', 'signed-trailer', 'unsigned-trailer');
const trailerArb = fc.constantFrom(...SUPPORTED_TRAILERS);
const bodyArb = fc.uint8Array({ minLength: 1, maxLength: 5000 });

describe('aws-chunked decoding', () => {
  it('gives the same output whatever the input boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(variantArb, trailerArb, bodyArb, fc.integer({ min: 1, max: 1500 }), fc.array(fc.nat(), { maxLength: 20 }), async (variant, name, body, chunkSize, cuts) => {
        const { wire, mode } = encode(variant, body, chunkSize, name);
        const r = await runThrough(createPayloadVerifier(mode), splitAt(wire, cuts.map((c) => c % wire.length)));
        expect(r.error).toBeUndefined();
        expect(r.output.equals(Buffer.from(body))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('fails a tampered chunk, final chunk signature or trailer without emitting the full body', async () => {
    await fc.assert(
      fc.asyncProperty(
        variantArb,
        trailerArb,
        fc.uint8Array({ minLength: 300, maxLength: 5000 }),
        fc.integer({ min: 64, max: 1000 }),
        fc.constantFrom('middle-chunk', 'last-data-byte', 'final-chunk-signature', 'trailer-value', 'trailer-signature'),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (variant, name, body, chunkSize, target, pos, cuts) => {
          fc.pre(!(variant === 'signed' && target.startsWith('trailer')));
          fc.pre(!(variant !== 'signed-trailer' && target === 'trailer-signature'));
          fc.pre(!(variant === 'unsigned-trailer' && target === 'final-chunk-signature'));
          const { wire, mode } = encode(variant, body, chunkSize, name);
          const text = wire.toString('latin1');
          let at: number;
          switch (target) {
            case 'middle-chunk': {
              // A data byte of the middle chunk: skip the chunks before it, then its header line.
              const headerLength = (size: number): number => size.toString(16).length + (variant === 'unsigned-trailer' ? 0 : 17 + 64) + 2;
              const k = Math.floor(Math.ceil(body.length / chunkSize) / 2);
              let offset = 0;
              for (let c = 0; c < k; c++) offset += headerLength(chunkSize) + chunkSize + 2;
              const size = Math.min(chunkSize, body.length - k * chunkSize);
              at = offset + headerLength(size) + (pos % size);
              break;
            }
            case 'last-data-byte':
              at = text.lastIndexOf(variant === 'unsigned-trailer' ? '\r\n0\r\n' : '\r\n0;chunk-signature=') - 1;
              break;
            case 'final-chunk-signature':
              at = text.lastIndexOf('0;chunk-signature=') + 18 + (pos % 64);
              break;
            case 'trailer-value':
              at = text.indexOf(`${name}:`) + name.length + 1 + (pos % 4);
              break;
            case 'trailer-signature':
              at = text.indexOf('x-amz-trailer-signature:') + 24 + (pos % 64);
              break;
          }
          const tampered = Buffer.from(wire);
          const c = tampered[at] as number;
          // Keep hex digits hex and base64 base64 so that the change reaches the signature/checksum check.
          tampered[at] = c === 0x30 ? 0x31 : c === 0x41 ? 0x42 : /[0-9a-zA-Z]/.test(String.fromCharCode(c)) ? 0x30 : c ^ 0x40;
          const r = await runThrough(createPayloadVerifier(mode), splitAt(tampered, cuts.map((x) => x % tampered.length)));
          expect(r.error).toBeDefined();
          if (target === 'middle-chunk' || target === 'last-data-byte') {
            // The change hit data bytes: the chunk signature (signed) or the checksum (unsigned) catches it.
            expect(r.error?.code).toBe(variant === 'unsigned-trailer' ? 'BadDigest' : 'SignatureDoesNotMatch');
          }
          expect(r.emittedBytes).toBeLessThan(body.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails a tampered x-amz-content-sha256 body without emitting all of it', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.array(fc.nat(), { maxLength: 10 }), async (body, pos, xor, cuts) => {
        const hex = createHash('sha256').update(body).digest('hex');
        const tampered = Buffer.from(body);
        const i = pos % tampered.length;
        tampered[i] = (tampered[i] as number) ^ xor;
        const r = await runThrough(createPayloadVerifier({ kind: 'sha256', sha256Hex: hex }), splitAt(tampered, cuts.map((c) => c % tampered.length)));
        expect(r.error).toMatchObject({ code: 'XAmzContentSHA256Mismatch' });
        expect(r.emittedBytes).toBeLessThan(body.length);
      }),
      { numRuns: 200 },
    );
  });
});
