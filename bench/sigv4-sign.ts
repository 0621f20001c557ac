/**
 * Client-side SigV4 for the load generators, with node:crypto only: header signing of a
 * request, and a streaming aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) body generator
 * that signs chunk by chunk, so a 1 GiB upload never exists in memory.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
/** What aws-cli v2 ≥ 2.23, boto3 ≥ 1.36 and the JS SDK v3 send by default over https: unsigned chunks, a CRC trailer. */
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

export interface BenchKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function amzDate(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function deriveSigningKey(secret: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
}

export interface SignedHeaders {
  /** Every header to send, including authorization and the signed ones. */
  readonly headers: Record<string, string>;
  readonly signature: string;
  readonly amzDate: string;
  readonly scope: string;
  readonly signingKey: Buffer;
}

/**
 * Signs `method path` (path already URI-encoded, no query) with the given headers. `host`
 * must be among the headers; every header passed is signed.
 */
export function signRequest(key: BenchKey, method: string, path: string, headers: Record<string, string>, payloadHash: string, now: Date): SignedHeaders {
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const scope = `${day}/${key.region}/s3/aws4_request`;
  const all: Record<string, string> = { ...headers, 'x-amz-date': date, 'x-amz-content-sha256': payloadHash };
  const names = Object.keys(all)
    .map((n) => n.toLowerCase())
    .sort();
  const lower: Record<string, string> = {};
  for (const [n, v] of Object.entries(all)) lower[n.toLowerCase()] = v.trim();
  const canonicalHeaders = names.map((n) => `${n}:${lower[n]}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = `${method}\n${path}\n\n${canonicalHeaders}\n${signedHeaders}\n${payloadHash}`;
  const stringToSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signingKey = deriveSigningKey(key.secretAccessKey, day, key.region);
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    headers: { ...lower, authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}` },
    signature,
    amzDate: date,
    scope,
    signingKey,
  };
}

/** Bytes on the wire for an aws-chunked body of `decodedLength` bytes cut in `chunkBytes` chunks (signature = 64 hex). */
export function awsChunkedLength(decodedLength: number, chunkBytes: number): number {
  const frame = (n: number): number => n.toString(16).length + ';chunk-signature='.length + 64 + 2 + n + 2;
  const full = Math.floor(decodedLength / chunkBytes);
  const rest = decodedLength % chunkBytes;
  return full * frame(chunkBytes) + (rest > 0 ? frame(rest) : 0) + frame(0);
}

/**
 * Yields the aws-chunked frames of a body, signing each chunk as it goes:
 * chunk signature = HMAC(signingKey, "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope
 * + "\n" + previous signature + "\n" + sha256("") + "\n" + sha256(chunk)), the first
 * "previous" being the seed (header) signature. `nextChunk(n)` supplies the data; a
 * chunk buffer returned again (same object) reuses its digest, since its bytes are the same.
 */
export function* awsChunkedFrames(
  seed: SignedHeaders,
  decodedLength: number,
  chunkBytes: number,
  nextChunk: (size: number) => Buffer,
): Generator<Buffer> {
  const prefix = `AWS4-HMAC-SHA256-PAYLOAD\n${seed.amzDate}\n${seed.scope}\n`;
  let previous = seed.signature;
  let lastChunk: Buffer | undefined;
  let lastDigest = '';
  const CRLF = Buffer.from('\r\n');
  const sign = (data: Buffer): string => {
    if (data !== lastChunk) {
      lastDigest = data.length === 0 ? EMPTY_SHA256 : sha256Hex(data);
      lastChunk = data;
    }
    const signature = createHmac('sha256', seed.signingKey).update(`${prefix}${previous}\n${EMPTY_SHA256}\n${lastDigest}`, 'utf8').digest('hex');
    previous = signature;
    return signature;
  };
  let left = decodedLength;
  while (left > 0) {
    const n = Math.min(chunkBytes, left);
    left -= n;
    const data = nextChunk(n);
    const signature = sign(data);
    yield Buffer.from(`${n.toString(16)};chunk-signature=${signature}\r\n`);
    yield data;
    yield CRLF;
  }
  yield Buffer.from(`0;chunk-signature=${sign(Buffer.alloc(0))}\r\n\r\n`);
}

/** Bytes on the wire for an unsigned aws-chunked body with one `x-amz-checksum-crc32` trailer. */
export function unsignedTrailerLength(decodedLength: number, chunkBytes: number): number {
  const frame = (n: number): number => n.toString(16).length + 2 + n + 2;
  const full = Math.floor(decodedLength / chunkBytes);
  const rest = decodedLength % chunkBytes;
  // "0\r\n" + "x-amz-checksum-crc32:" + 8 base64 characters + "\r\n\r\n"
  return full * frame(chunkBytes) + (rest > 0 ? frame(rest) : 0) + 3 + 'x-amz-checksum-crc32:'.length + 8 + 4;
}

/**
 * Yields the frames of a STREAMING-UNSIGNED-PAYLOAD-TRAILER body (`size-hex CRLF data CRLF`
 * per chunk, then `0 CRLF` and the CRC32 trailer), the checksum running over the data as it goes.
 */
export function* unsignedTrailerFrames(decodedLength: number, chunkBytes: number, nextChunk: (size: number) => Buffer): Generator<Buffer> {
  const CRLF = Buffer.from('\r\n');
  let crc = 0;
  let left = decodedLength;
  while (left > 0) {
    const n = Math.min(chunkBytes, left);
    left -= n;
    const data = nextChunk(n);
    crc = crc32(data, crc);
    yield Buffer.from(`${n.toString(16)}\r\n`);
    yield data;
    yield CRLF;
  }
  const value = Buffer.alloc(4);
  value.writeUInt32BE(crc >>> 0);
  yield Buffer.from(`0\r\nx-amz-checksum-crc32:${value.toString('base64')}\r\n\r\n`);
}
