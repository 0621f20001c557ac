/**
 * Wraps a request body in the checker its PayloadMode calls for: pass-through (unsigned), a
 * SHA-256 guard, or an aws-chunked decoder. Input: the raw body bytes; output: the object bytes.
 * Every checker fails the stream with an S3Error and holds back the tail of the output until the
 * body has verified.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 */
import { PassThrough, type Transform } from 'node:stream';
import { AwsChunkedDecoder, DEFAULT_MAX_CHUNK_SIZE_BYTES, DEFAULT_MAX_LINE_BYTES } from './aws-chunked-decoder.js';
import { Sha256Guard } from './sha256-guard.js';
import type { PayloadMode } from './signable-request.js';

export interface PayloadVerifierOptions {
  /** Largest aws-chunked chunk accepted; 16 MiB by default. */
  readonly maxChunkSizeBytes?: number | undefined;
  /** Longest aws-chunked header or trailer line; 4 KiB by default. */
  readonly maxLineBytes?: number | undefined;
}

export function createPayloadVerifier(mode: PayloadMode, opts: PayloadVerifierOptions = {}): Transform {
  const limits = {
    maxChunkSizeBytes: opts.maxChunkSizeBytes ?? DEFAULT_MAX_CHUNK_SIZE_BYTES,
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
  };
  switch (mode.kind) {
    case 'unsigned':
      return new PassThrough();
    case 'sha256':
      return new Sha256Guard(mode.sha256Hex);
    case 'streaming-signed':
      return new AwsChunkedDecoder({
        decodedLength: mode.decodedLength,
        signing: { seedSignature: mode.seedSignature, signingKey: mode.signingKey, amzDate: mode.amzDate, credentialScope: mode.credentialScope },
        trailer: mode.trailer,
        signedTrailer: mode.trailer !== undefined,
        ...limits,
      });
    case 'streaming-unsigned-trailer':
      return new AwsChunkedDecoder({ decodedLength: mode.decodedLength, signing: undefined, trailer: mode.trailer, signedTrailer: false, ...limits });
  }
}

/** The decoded body length the mode promises, when it knows one (aws-chunked); else undefined. */
export function decodedContentLength(mode: PayloadMode): number | undefined {
  return mode.kind === 'streaming-signed' || mode.kind === 'streaming-unsigned-trailer' ? mode.decodedLength : undefined;
}

/**
 * True when the body must be read and verified completely before anything is sent upstream: an
 * empty decoded body cannot be held back, so an upstream request with Content-Length 0 would be
 * complete before the checks ran.
 */
export function mustVerifyBeforeForwarding(mode: PayloadMode, contentLength: number | undefined): boolean {
  const length = decodedContentLength(mode) ?? contentLength;
  return mode.kind !== 'unsigned' && (length === undefined || length === 0);
}
