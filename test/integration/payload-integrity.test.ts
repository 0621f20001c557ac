/**
 * Never commit a bad body: raw requests with valid header signatures but tampered bodies
 * (a middle chunk, the final chunk, the trailer, a hashed body) must be refused, and the
 * object must not exist upstream afterwards. Also: every payload mode stores the decoded
 * bytes, never the aws-chunked framing.
 */
import { HeadObjectCommand, GetObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSha256 } from '../support/node-sha256.js';
import { deriveSigningKey } from '../../src/sigv4/signing-key.js';
import { encodeSignedChunks, encodeUnsignedTrailerChunks, trailerChecksum } from '../support/aws-chunked.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { credentialToml, startProxy, type TestProxy } from '../support/proxy.js';

const KEY = { accessKeyId: 'SGTESTCHUNKS00000001', secretAccessKey: 'chunk-secret-000000000000000000000000000' };
const BUCKET = 'integrity';
const CHUNK = 8192;

let moto: MotoServer;
let proxy: TestProxy;

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  proxy = await startProxy(moto, credentialToml(KEY, [{ bucket: BUCKET, actions: ['*'] }]));
});

afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

interface Signed {
  headers: Record<string, string>;
  seedSignature: string;
  amzDate: string;
  scope: string;
  signingKey: Buffer;
}

async function signHeaders(key: string, contentSha256: string, extra: Record<string, string>): Promise<Signed> {
  const url = new URL(proxy.url);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: KEY, sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const now = new Date();
  const signed = await signer.sign(
    { method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: `/${BUCKET}/${key}`, query: {}, headers: { host: url.host, 'x-amz-content-sha256': contentSha256, ...extra } },
    { signingDate: now },
  );
  const auth = signed.headers.authorization ?? '';
  const seedSignature = /Signature=([0-9a-f]{64})/.exec(auth)?.[1] ?? '';
  const amzDate = signed.headers['x-amz-date'] ?? '';
  const shortDate = amzDate.slice(0, 8);
  return { headers: signed.headers, seedSignature, amzDate, scope: `${shortDate}/us-east-1/s3/aws4_request`, signingKey: deriveSigningKey(KEY.secretAccessKey, shortDate, 'us-east-1', 's3') };
}

async function put(key: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; code: string | undefined }> {
  const response = await request(`${proxy.url}/${BUCKET}/${key}`, { method: 'PUT', headers: { ...headers, 'content-length': String(body.length) }, body });
  const text = await response.body.text();
  return { status: response.statusCode, code: /<Code>([^<]+)<\/Code>/.exec(text)?.[1] };
}

async function existsUpstream(key: string): Promise<boolean> {
  try {
    await moto.admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function upstreamBytes(key: string): Promise<Buffer> {
  const got = await moto.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

function streamingHeaders(decodedLength: number, trailer?: string): Record<string, string> {
  return {
    'content-encoding': 'aws-chunked',
    'x-amz-decoded-content-length': String(decodedLength),
    ...(trailer === undefined ? {} : { 'x-amz-trailer': trailer }),
  };
}

/** Flips one byte of the encoded body at the given offset. */
function flip(buffer: Buffer, offset: number): Buffer {
  const copy = Buffer.from(buffer);
  copy[offset] = (copy[offset] ?? 0) ^ 0x01;
  return copy;
}

const body = randomBytes(CHUNK * 5 + 123);

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', () => {
  const mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

  it('stores exactly the decoded bytes', async () => {
    const s = await signHeaders('signed/ok', mode, streamingHeaders(body.length));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s });
    expect(await put('signed/ok', s.headers, encoded)).toEqual({ status: 200, code: undefined });
    expect((await upstreamBytes('signed/ok')).equals(body)).toBe(true);
  });

  it('refuses a tampered middle chunk and commits nothing', async () => {
    const s = await signHeaders('signed/middle', mode, streamingHeaders(body.length));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s });
    const result = await put('signed/middle', s.headers, flip(encoded, Math.floor(encoded.length / 2)));
    expect(result).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await existsUpstream('signed/middle')).toBe(false);
  });

  it('refuses a tampered final data chunk and commits nothing', async () => {
    const s = await signHeaders('signed/last', mode, streamingHeaders(body.length));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s });
    // The last data chunk's bytes sit just before "\r\n0;chunk-signature=…\r\n\r\n".
    const finalChunkHeader = encoded.lastIndexOf(Buffer.from('\r\n0;chunk-signature='));
    const result = await put('signed/last', s.headers, flip(encoded, finalChunkHeader - 5));
    expect(result).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await existsUpstream('signed/last')).toBe(false);
  });

  it('refuses a forged final (empty) chunk signature and commits nothing', async () => {
    const s = await signHeaders('signed/final', mode, streamingHeaders(body.length));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s });
    const sigStart = encoded.lastIndexOf(Buffer.from('0;chunk-signature=')) + '0;chunk-signature='.length;
    const forged = Buffer.from(encoded);
    forged.write(forged[sigStart] === 0x61 ? 'b' : 'a', sigStart);
    expect(await put('signed/final', s.headers, forged)).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await existsUpstream('signed/final')).toBe(false);
  });

  it('refuses a truncated body and commits nothing', async () => {
    const s = await signHeaders('signed/short', mode, streamingHeaders(body.length));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s });
    const cut = encoded.subarray(0, encoded.lastIndexOf(Buffer.from('0;chunk-signature=')));
    const result = await put('signed/short', s.headers, cut);
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(await existsUpstream('signed/short')).toBe(false);
  });
});

describe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', () => {
  const mode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
  const trailer = { name: 'x-amz-checksum-crc32', value: trailerChecksum('x-amz-checksum-crc32', body) };

  it('stores exactly the decoded bytes', async () => {
    const s = await signHeaders('strailer/ok', mode, streamingHeaders(body.length, trailer.name));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s, trailer });
    expect(await put('strailer/ok', s.headers, encoded)).toEqual({ status: 200, code: undefined });
    expect((await upstreamBytes('strailer/ok')).equals(body)).toBe(true);
  });

  it('refuses a tampered trailer signature and commits nothing', async () => {
    const s = await signHeaders('strailer/sig', mode, streamingHeaders(body.length, trailer.name));
    const encoded = encodeSignedChunks(body, { chunkSize: CHUNK, ...s, trailer });
    const at = encoded.lastIndexOf(Buffer.from('x-amz-trailer-signature:')) + 'x-amz-trailer-signature:'.length;
    const forged = Buffer.from(encoded);
    forged.write(forged[at] === 0x61 ? 'b' : 'a', at);
    expect(await put('strailer/sig', s.headers, forged)).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await existsUpstream('strailer/sig')).toBe(false);
  });
});

describe('STREAMING-UNSIGNED-PAYLOAD-TRAILER', () => {
  const mode = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

  it.each(['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256'] as const)(
    'stores exactly the decoded bytes with a %s trailer',
    async (name) => {
      const key = `unsigned/${name}`;
      const s = await signHeaders(key, mode, streamingHeaders(body.length, name));
      const encoded = encodeUnsignedTrailerChunks(body, { chunkSize: CHUNK, trailer: { name, value: trailerChecksum(name, body) } });
      expect(await put(key, s.headers, encoded)).toEqual({ status: 200, code: undefined });
      expect((await upstreamBytes(key)).equals(body)).toBe(true);
    },
  );

  it('refuses a body whose trailer checksum does not match and commits nothing', async () => {
    const name = 'x-amz-checksum-crc32';
    const s = await signHeaders('unsigned/bad', mode, streamingHeaders(body.length, name));
    const encoded = encodeUnsignedTrailerChunks(body, { chunkSize: CHUNK, trailer: { name, value: trailerChecksum(name, body) } });
    const result = await put('unsigned/bad', s.headers, flip(encoded, 100));
    expect(result).toEqual({ status: 400, code: 'BadDigest' });
    expect(await existsUpstream('unsigned/bad')).toBe(false);
  });

  it('refuses a tampered trailer value and commits nothing', async () => {
    const name = 'x-amz-checksum-sha256';
    const s = await signHeaders('unsigned/trailer', mode, streamingHeaders(body.length, name));
    const other = trailerChecksum(name, Buffer.from('something else'));
    const encoded = encodeUnsignedTrailerChunks(body, { chunkSize: CHUNK, trailer: { name, value: other } });
    expect((await put('unsigned/trailer', s.headers, encoded)).code).toBe('BadDigest');
    expect(await existsUpstream('unsigned/trailer')).toBe(false);
  });
});

describe('hex SHA-256 payload', () => {
  it('stores a body whose hash matches', async () => {
    const payload = randomBytes(100_000);
    const s = await signHeaders('hashed/ok', createHash('sha256').update(payload).digest('hex'), {});
    expect(await put('hashed/ok', s.headers, payload)).toEqual({ status: 200, code: undefined });
    expect((await upstreamBytes('hashed/ok')).equals(payload)).toBe(true);
  });

  it('refuses a body that does not hash to x-amz-content-sha256 and commits nothing', async () => {
    const payload = randomBytes(100_000);
    const s = await signHeaders('hashed/bad', createHash('sha256').update(payload).digest('hex'), {});
    expect(await put('hashed/bad', s.headers, flip(payload, 99_999))).toEqual({ status: 400, code: 'XAmzContentSHA256Mismatch' });
    expect(await existsUpstream('hashed/bad')).toBe(false);
  });

  it('refuses an empty body that claims a non-empty hash', async () => {
    const s = await signHeaders('hashed/empty', createHash('sha256').update('not empty').digest('hex'), {});
    expect((await put('hashed/empty', s.headers, Buffer.alloc(0))).code).toBe('XAmzContentSHA256Mismatch');
    expect(await existsUpstream('hashed/empty')).toBe(false);
  });
});

describe('x-amz-checksum-* header on a plain upload', () => {
  it.each(['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256'] as const)(
    'stores a body whose %s matches',
    async (name) => {
      const payload = randomBytes(70_000);
      const key = `checksum/ok-${name}`;
      const s = await signHeaders(key, 'UNSIGNED-PAYLOAD', { [name]: trailerChecksum(name, payload) });
      expect(await put(key, s.headers, payload)).toEqual({ status: 200, code: undefined });
      expect((await upstreamBytes(key)).equals(payload)).toBe(true);
    },
  );

  it('refuses a body whose checksum header does not match, and commits nothing', async () => {
    const payload = randomBytes(70_000);
    const s = await signHeaders('checksum/bad', 'UNSIGNED-PAYLOAD', { 'x-amz-checksum-crc32': trailerChecksum('x-amz-checksum-crc32', Buffer.from('other')) });
    expect(await put('checksum/bad', s.headers, payload)).toEqual({ status: 400, code: 'BadDigest' });
    expect(await existsUpstream('checksum/bad')).toBe(false);
  });

  it('refuses an empty body whose checksum header is not the empty checksum', async () => {
    const s = await signHeaders('checksum/empty', 'UNSIGNED-PAYLOAD', { 'x-amz-checksum-crc32': trailerChecksum('x-amz-checksum-crc32', Buffer.from('x')) });
    expect((await put('checksum/empty', s.headers, Buffer.alloc(0))).code).toBe('BadDigest');
    expect(await existsUpstream('checksum/empty')).toBe(false);
  });
});
