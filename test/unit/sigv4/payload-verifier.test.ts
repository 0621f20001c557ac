import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPayloadVerifier, mustVerifyBeforeForwarding } from '../../../src/sigv4/payload-verifier.js';
import type { PayloadMode } from '../../../src/sigv4/signable-request.js';
import { deriveSigningKey } from '../../../src/sigv4/signing-key.js';
import { SUPPORTED_TRAILERS } from '../../../src/sigv4/trailer-checksum.js';
import { encodeSignedChunks, encodeUnsignedTrailerChunks, trailerChecksum } from '../../support/aws-chunked.js';
import { runThrough, splitAt } from './helpers.js';

const signingKey = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
const amzDate = '20130524T000000Z';
const scope = '20130524/us-east-1/s3/aws4_request';
const seedSignature = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';

function signedMode(decodedLength: number, trailer?: string): PayloadMode {
  return { kind: 'streaming-signed', decodedLength, seedSignature, signingKey, amzDate, credentialScope: scope, trailer };
}

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  const c = copy[at] as number;
  // A hex digit stays a hex digit (so the framing still parses), anything else just changes.
  copy[at] = c === 0x30 ? 0x31 : /[0-9a-f]/.test(String.fromCharCode(c)) ? 0x30 : c ^ 0x01;
  return copy;
}

describe('unsigned', () => {
  it('passes bytes through', async () => {
    const r = await runThrough(createPayloadVerifier({ kind: 'unsigned' }), [Buffer.from('ab'), Buffer.from('c')]);
    expect(r.output.toString()).toBe('abc');
  });
});

describe('sha256 guard', () => {
  const body = randomBytes(100_000);
  const hex = createHash('sha256').update(body).digest('hex');

  it('passes a matching body', async () => {
    const r = await runThrough(createPayloadVerifier({ kind: 'sha256', sha256Hex: hex }), splitAt(body, [1, 500, 65_536]));
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });

  it('fails a changed body with XAmzContentSHA256Mismatch, never emitting all of it', async () => {
    const r = await runThrough(createPayloadVerifier({ kind: 'sha256', sha256Hex: hex }), splitAt(flip(body, 99_999), [1, 500, 65_536]));
    expect(r.error).toMatchObject({ code: 'XAmzContentSHA256Mismatch' });
    expect(r.emittedBytes).toBeLessThan(body.length);
  });

  it('checks an empty body', async () => {
    const empty = createHash('sha256').digest('hex');
    expect((await runThrough(createPayloadVerifier({ kind: 'sha256', sha256Hex: empty }), [])).error).toBeUndefined();
    expect((await runThrough(createPayloadVerifier({ kind: 'sha256', sha256Hex: hex }), [])).error).toMatchObject({ code: 'XAmzContentSHA256Mismatch' });
  });
});

describe('streaming-signed (AWS documentation example)', () => {
  const body = Buffer.alloc(66_560, 'a');
  const wire = encodeSignedChunks(body, { chunkSize: 65_536, signingKey, amzDate, scope, seedSignature });

  it('matches the documented chunk signatures and Content-Length', () => {
    expect(wire.length).toBe(66_824);
    expect(wire.toString('latin1').match(/chunk-signature=[0-9a-f]{64}/g)).toEqual([
      'chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
      'chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
      'chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
    ]);
  });

  it('decodes it', async () => {
    const r = await runThrough(createPayloadVerifier(signedMode(66_560)), [wire]);
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });

  it('decodes it fed one byte at a time', async () => {
    const pieces = Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
    const r = await runThrough(createPayloadVerifier(signedMode(66_560)), pieces);
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });

  it.each([
    ['first chunk data', 200, 'SignatureDoesNotMatch'],
    ['last data chunk', 66_000, 'SignatureDoesNotMatch'],
    ['a chunk signature', 30, 'SignatureDoesNotMatch'],
    ['the final chunk signature', 66_824 - 10, 'SignatureDoesNotMatch'],
  ])('tampered %s → %s, never the full body', async (_what, at, expected) => {
    const r = await runThrough(createPayloadVerifier(signedMode(66_560)), [flip(wire, at)]);
    expect(r.error).toMatchObject({ code: expected });
    expect(r.emittedBytes).toBeLessThan(body.length);
  });

  it('fails a wrong decoded length either way', async () => {
    expect((await runThrough(createPayloadVerifier(signedMode(66_561)), [wire])).error).toMatchObject({ code: 'IncompleteBody' });
    const r = await runThrough(createPayloadVerifier(signedMode(66_559)), [wire]);
    expect(r.error).toMatchObject({ code: 'IncompleteBody' });
    expect(r.emittedBytes).toBeLessThan(66_559);
  });

  it('fails a truncated body (IncompleteBody)', async () => {
    for (const cut of [10, 65_700, wire.length - 90]) {
      const r = await runThrough(createPayloadVerifier(signedMode(66_560)), [wire.subarray(0, cut)]);
      expect(r.error).toMatchObject({ code: 'IncompleteBody' });
      expect(r.emittedBytes).toBeLessThan(body.length);
    }
  });

  it('accepts a missing final CRLF at the very end', async () => {
    const r = await runThrough(createPayloadVerifier(signedMode(66_560)), [wire.subarray(0, wire.length - 2)]);
    expect(r.error).toBeUndefined();
    expect(r.output.length).toBe(body.length);
  });

  it('fails data after the end', async () => {
    const r = await runThrough(createPayloadVerifier(signedMode(66_560)), [wire, Buffer.from('x')]);
    expect(r.error).toMatchObject({ code: 'InvalidRequest' });
    expect(r.emittedBytes).toBeLessThan(body.length);
  });

  it('enforces the line and chunk limits', async () => {
    const longLine = Buffer.from('1'.repeat(5000) + '\r\n');
    expect((await runThrough(createPayloadVerifier(signedMode(1)), [longLine])).error).toMatchObject({ code: 'InvalidRequest' });
    const r = await runThrough(createPayloadVerifier(signedMode(66_560), { maxChunkSizeBytes: 1024 }), [wire]);
    expect(r.error).toMatchObject({ code: 'InvalidRequest' });
    expect(r.emittedBytes).toBe(0);
  });

  it('rejects malformed framing', async () => {
    const bad = Buffer.from(wire.toString('latin1').replace(';chunk-signature=', ';chunk-signatur='), 'latin1');
    expect((await runThrough(createPayloadVerifier(signedMode(66_560)), [bad])).error).toMatchObject({ code: 'InvalidRequest' });
    const noCrlf = Buffer.from(wire);
    noCrlf[88 + 65_536] = 0x41; // the CR after the first chunk's data
    expect((await runThrough(createPayloadVerifier(signedMode(66_560)), [noCrlf])).error).toMatchObject({ code: 'InvalidRequest' });
  });
});

describe('streaming-signed with trailer (AWS documentation example)', () => {
  // https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html (example: PUT Object)
  const body = Buffer.alloc(66_560, 'a');
  const trailerSeed = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
  const trailer = { name: 'x-amz-checksum-crc32c', value: 'sOO8/Q==' };
  const wire = encodeSignedChunks(body, { chunkSize: 65_536, signingKey, amzDate, scope, seedSignature: trailerSeed, trailer });
  const mode: PayloadMode = { kind: 'streaming-signed', decodedLength: 66_560, seedSignature: trailerSeed, signingKey, amzDate, credentialScope: scope, trailer: trailer.name };

  it('matches the documented checksum, chunk and trailer signatures', () => {
    expect(trailerChecksum('x-amz-checksum-crc32c', body)).toBe('sOO8/Q==');
    expect(wire.toString('latin1').match(/(?:chunk|trailer)-signature[=:][0-9a-f]{64}/g)).toEqual([
      'chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
      'chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
      'chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
      'trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435',
    ]);
  });

  it('decodes and verifies it', async () => {
    const r = await runThrough(createPayloadVerifier(mode), splitAt(wire, [5, 65_600, wire.length - 40]));
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });

  it('tolerates an empty line between the final chunk and the trailer', async () => {
    const text = wire.toString('latin1');
    const at = text.indexOf('x-amz-checksum-crc32c:');
    const variant = Buffer.concat([wire.subarray(0, at), Buffer.from('\r\n'), wire.subarray(at)]);
    const r = await runThrough(createPayloadVerifier(mode), [variant]);
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });
});

describe('streaming-signed with trailer', () => {
  const body = randomBytes(70_000);

  it.each(SUPPORTED_TRAILERS)('%s: decodes and verifies', async (name) => {
    const wire = encodeSignedChunks(body, { chunkSize: 8192, signingKey, amzDate, scope, seedSignature, trailer: { name, value: trailerChecksum(name, body) } });
    const r = await runThrough(createPayloadVerifier(signedMode(body.length, name)), splitAt(wire, [3, 8190, 40_000]));
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });

  it('wrong checksum (correctly signed) → BadDigest, never the full body', async () => {
    const name = 'x-amz-checksum-crc32';
    const wire = encodeSignedChunks(body, { chunkSize: 8192, signingKey, amzDate, scope, seedSignature, trailer: { name, value: 'AAAAAA==' } });
    const r = await runThrough(createPayloadVerifier(signedMode(body.length, name)), [wire]);
    expect(r.error).toMatchObject({ code: 'BadDigest' });
    expect(r.emittedBytes).toBeLessThan(body.length);
  });

  it('tampered trailer value → SignatureDoesNotMatch; tampered trailer signature → SignatureDoesNotMatch', async () => {
    const name = 'x-amz-checksum-sha256';
    const wire = encodeSignedChunks(body, { chunkSize: 8192, signingKey, amzDate, scope, seedSignature, trailer: { name, value: trailerChecksum(name, body) } });
    const text = wire.toString('latin1');
    const valueAt = text.indexOf(name + ':') + name.length + 3;
    const sigAt = text.indexOf('x-amz-trailer-signature:') + 30;
    for (const at of [valueAt, sigAt]) {
      const r = await runThrough(createPayloadVerifier(signedMode(body.length, name)), [flip(wire, at)]);
      expect(r.error?.code).toMatch(/SignatureDoesNotMatch|BadDigest/);
      expect(r.emittedBytes).toBeLessThan(body.length);
    }
  });

  it('declared trailer missing → MalformedTrailerError', async () => {
    const wire = encodeSignedChunks(body, { chunkSize: 8192, signingKey, amzDate, scope, seedSignature });
    const r = await runThrough(createPayloadVerifier(signedMode(body.length, 'x-amz-checksum-crc32')), [wire]);
    expect(r.error).toMatchObject({ code: 'MalformedTrailerError' });
    expect(r.emittedBytes).toBeLessThan(body.length);
  });

  it('trailer signature missing → MalformedTrailerError', async () => {
    const name = 'x-amz-checksum-crc32';
    const wire = encodeSignedChunks(body, { chunkSize: 8192, signingKey, amzDate, scope, seedSignature, trailer: { name, value: trailerChecksum(name, body) } });
    const stripped = Buffer.from(wire.toString('latin1').replace(/x-amz-trailer-signature:[0-9a-f]{64}\r\n/, ''), 'latin1');
    const r = await runThrough(createPayloadVerifier(signedMode(body.length, name)), [stripped]);
    expect(r.error).toMatchObject({ code: 'MalformedTrailerError' });
  });
});

describe('streaming-unsigned-trailer', () => {
  const body = randomBytes(20_000);
  const mode = (trailer: string | undefined, length = body.length): PayloadMode => ({ kind: 'streaming-unsigned-trailer', decodedLength: length, trailer });

  it.each(SUPPORTED_TRAILERS)('%s: decodes and verifies', async (name) => {
    const wire = encodeUnsignedTrailerChunks(body, { chunkSize: 4096, trailer: { name, value: trailerChecksum(name, body) } });
    const r = await runThrough(createPayloadVerifier(mode(name)), splitAt(wire, [1, 4097, 4100]));
    expect(r.error).toBeUndefined();
    expect(r.output.equals(body)).toBe(true);
  });

  it('a changed data byte → BadDigest, never the full body', async () => {
    const name = 'x-amz-checksum-crc64nvme';
    const wire = encodeUnsignedTrailerChunks(body, { chunkSize: 4096, trailer: { name, value: trailerChecksum(name, body) } });
    const r = await runThrough(createPayloadVerifier(mode(name)), [flip(wire, 10_000)]);
    expect(r.error).toMatchObject({ code: 'BadDigest' });
    expect(r.emittedBytes).toBeLessThan(body.length);
  });

  it('ignores chunk extensions', async () => {
    const wire = Buffer.concat([Buffer.from('3;ext=1\r\nabc\r\n0\r\n\r\n')]);
    const r = await runThrough(createPayloadVerifier(mode(undefined, 3)), [wire]);
    expect(r.output.toString()).toBe('abc');
  });

  it('rejects an undeclared trailing header', async () => {
    const wire = encodeUnsignedTrailerChunks(body, { chunkSize: 4096, trailer: { name: 'x-amz-checksum-crc32', value: trailerChecksum('x-amz-checksum-crc32', body) } });
    expect((await runThrough(createPayloadVerifier(mode(undefined)), [wire])).error).toMatchObject({ code: 'MalformedTrailerError' });
  });
});

describe('mustVerifyBeforeForwarding', () => {
  it.each([
    [{ kind: 'unsigned' } as PayloadMode, 0, false],
    [{ kind: 'sha256', sha256Hex: 'x' } as PayloadMode, 0, true],
    [{ kind: 'sha256', sha256Hex: 'x' } as PayloadMode, 10, false],
    [{ kind: 'streaming-unsigned-trailer', decodedLength: 0, trailer: undefined } as PayloadMode, 100, true],
    [{ kind: 'streaming-unsigned-trailer', decodedLength: 5, trailer: undefined } as PayloadMode, 100, false],
  ])('%j with Content-Length %d → %s', (mode, length, expected) => {
    expect(mustVerifyBeforeForwarding(mode, length)).toBe(expected);
  });
});

describe('output buffers of large signed bodies', () => {
  it.each([256 * 1024, 256 * 1024 + 1, 512 * 1024, 1024 * 1024 - 1])('%d bytes: decoded whole, and never emitted whole when the last chunk is tampered with', async (size) => {
    const body = randomBytes(size);
    const wire = encodeSignedChunks(body, { chunkSize: 64 * 1024, signingKey, amzDate, scope, seedSignature });
    const pieces = splitAt(wire, [1000, 70_000, 300_000, 600_000].filter((at) => at < wire.length));
    const ok = await runThrough(createPayloadVerifier(signedMode(size)), pieces);
    expect(ok.error).toBeUndefined();
    expect(ok.output.equals(body)).toBe(true);
    // A data byte in the last chunk changed: its signature fails after (nearly) all bytes arrived.
    const bad = await runThrough(createPayloadVerifier(signedMode(size)), [flip(wire, wire.length - 200)]);
    expect(bad.error).toMatchObject({ code: 'SignatureDoesNotMatch' });
    expect(bad.emittedBytes).toBeLessThan(size);
  });
});

describe('memory stays flat', () => {
  it('emits eagerly: output lags the decoded input by at most one 256 KiB output buffer', async () => {
    const pieceSize = 64 * 1024;
    const body = Buffer.alloc(8 * 1024 * 1024, 0x5a);
    const wire = encodeSignedChunks(body, { chunkSize: 64 * 1024, signingKey, amzDate, scope, seedSignature });
    const verifier = createPayloadVerifier(signedMode(body.length));
    let emitted = 0;
    let maxLag = 0;
    verifier.on('data', (d: Buffer) => {
      emitted += d.length;
    });
    const ended = new Promise<void>((resolve, reject) => {
      verifier.on('end', resolve);
      verifier.on('error', reject);
    });
    for (let i = 0; i < wire.length; i += pieceSize) {
      verifier.write(wire.subarray(i, i + pieceSize));
      await new Promise((r) => setImmediate(r));
      // Decoded bytes fed so far ≤ wire bytes fed; framing is ~90 bytes per chunk.
      maxLag = Math.max(maxLag, Math.min(i + pieceSize, body.length) - emitted);
    }
    verifier.end();
    await ended;
    expect(emitted).toBe(body.length);
    expect(maxLag).toBeLessThanOrEqual(256 * 1024 + 128 * 100);
  });
});
