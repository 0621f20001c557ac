/**
 * Test helper: encodes a body as aws-chunked, the way SDKs send streaming uploads, so tests can
 * send (and tamper with) raw chunked requests.
 *
 *   signed:            `<hex>;chunk-signature=<sig>\r\n<data>\r\n` … `0;chunk-signature=<sig>\r\n`
 *                      + `\r\n`, or with a trailer: `<name>:<value>\r\n` `x-amz-trailer-signature:<sig>\r\n` `\r\n`
 *   unsigned-trailer:  `<hex>\r\n<data>\r\n` … `0\r\n` [+ `<name>:<value>\r\n`] + `\r\n`
 *
 * Headers to send with it: content-encoding: aws-chunked, x-amz-decoded-content-length: body length,
 * x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] / STREAMING-UNSIGNED-PAYLOAD-TRAILER,
 * x-amz-trailer: <name> when a trailer is sent; Content-Length: the encoded length.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
import { createHash, createHmac } from 'node:crypto';
import { computeTrailerChecksum, type TrailerChecksumName } from '../../src/sigv4/trailer-checksum.js';

export interface ChunkTrailer {
  /** Lower-case trailing header name, e.g. x-amz-checksum-crc32. */
  readonly name: string;
  /** Base64 checksum value (see trailerChecksum). */
  readonly value: string;
}

export interface SignedChunksOptions {
  /** Data bytes per chunk (the last may be shorter). */
  readonly chunkSize: number;
  /** Derived SigV4 signing key (deriveSigningKey). */
  readonly signingKey: Buffer;
  /** YYYYMMDDTHHMMSSZ, the request's x-amz-date. */
  readonly amzDate: string;
  /** YYYYMMDD/region/s3/aws4_request */
  readonly scope: string;
  /** The Authorization header's Signature (the seed of the chain). */
  readonly seedSignature: string;
  readonly trailer?: ChunkTrailer | undefined;
}

export interface UnsignedTrailerChunksOptions {
  readonly chunkSize: number;
  readonly trailer?: ChunkTrailer | undefined;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Signature of one chunk given the previous signature (the seed for the first chunk). */
export function signChunk(signingKey: Buffer, amzDate: string, scope: string, previousSignature: string, data: Uint8Array): string {
  const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, previousSignature, EMPTY_SHA256, sha256Hex(data)].join('\n');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

/** Signature of the trailer given the final (empty) chunk's signature. */
export function signTrailer(signingKey: Buffer, amzDate: string, scope: string, previousSignature: string, trailer: ChunkTrailer): string {
  const canonical = `${trailer.name}:${trailer.value}\n`;
  const stringToSign = ['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, previousSignature, sha256Hex(canonical)].join('\n');
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

/** Base64 trailing checksum of a whole body (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256). */
export function trailerChecksum(name: TrailerChecksumName, body: Uint8Array): string {
  return computeTrailerChecksum(name, body);
}

function slices(body: Uint8Array, chunkSize: number): Uint8Array[] {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer');
  const out: Uint8Array[] = [];
  for (let i = 0; i < body.length; i += chunkSize) out.push(body.subarray(i, Math.min(i + chunkSize, body.length)));
  return out;
}

/** STREAMING-AWS4-HMAC-SHA256-PAYLOAD (no trailer) or …-PAYLOAD-TRAILER (with `trailer`). */
export function encodeSignedChunks(body: Uint8Array, opts: SignedChunksOptions): Buffer {
  const parts: Buffer[] = [];
  let previous = opts.seedSignature;
  for (const data of slices(body, opts.chunkSize)) {
    const signature = signChunk(opts.signingKey, opts.amzDate, opts.scope, previous, data);
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`), Buffer.from(data), Buffer.from('\r\n'));
    previous = signature;
  }
  const finalSignature = signChunk(opts.signingKey, opts.amzDate, opts.scope, previous, new Uint8Array(0));
  parts.push(Buffer.from(`0;chunk-signature=${finalSignature}\r\n`));
  if (opts.trailer !== undefined) {
    const trailerSignature = signTrailer(opts.signingKey, opts.amzDate, opts.scope, finalSignature, opts.trailer);
    parts.push(Buffer.from(`${opts.trailer.name}:${opts.trailer.value}\r\nx-amz-trailer-signature:${trailerSignature}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
export function encodeUnsignedTrailerChunks(body: Uint8Array, opts: UnsignedTrailerChunksOptions): Buffer {
  const parts: Buffer[] = [];
  for (const data of slices(body, opts.chunkSize)) {
    parts.push(Buffer.from(`${data.length.toString(16)}\r\n`), Buffer.from(data), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n'));
  if (opts.trailer !== undefined) parts.push(Buffer.from(`${opts.trailer.name}:${opts.trailer.value}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
