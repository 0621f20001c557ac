/**
 * Decodes an aws-chunked body while checking it: chunk signatures (signed variants), the decoded
 * length, the trailing checksum and the trailer signature. Decoded bytes flow out as soon as an
 * output buffer (256 KiB) is full, except the buffer with the body's last byte, which is held
 * back until everything has verified: a body that fails never reaches downstream complete, so
 * the upstream PUT (fixed Content-Length) can be aborted.
 *
 * Signed:   `hex-size;chunk-signature=<64hex>\r\n<data>\r\n` … `0;chunk-signature=<64hex>\r\n`
 *           then `\r\n`, or for -TRAILER `x-amz-checksum-…:<b64>\r\n` `x-amz-trailer-signature:<64hex>\r\n` `\r\n`.
 * Unsigned: `hex-size[;ext]\r\n<data>\r\n` … `0\r\n` [`x-amz-checksum-…:<b64>\r\n`] `\r\n`.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/s3-error.js';
import { hexSignatureMatches } from './constant-time.js';
import { hmacSha256Hex } from './hmac-sha256.js';
import { CHUNK_ALGORITHM, EMPTY_SHA256_HEX, TRAILER_ALGORITHM, buildCanonicalTrailer } from './string-to-sign.js';
import { createTrailerChecksum, isSupportedTrailer, type RunningChecksum } from './trailer-checksum.js';

export const DEFAULT_MAX_CHUNK_SIZE_BYTES = 16 * 1024 * 1024;
/** Decoded bytes are copied into buffers of this size and passed on whole: fewer, larger writes upstream. */
const OUTPUT_BYTES = 256 * 1024;
export const DEFAULT_MAX_LINE_BYTES = 4 * 1024;

export interface AwsChunkedSigning {
  readonly seedSignature: string;
  readonly signingKey: Buffer;
  readonly amzDate: string;
  readonly credentialScope: string;
}

export interface AwsChunkedDecoderOptions {
  readonly decodedLength: number;
  /** Present for the signed variants. */
  readonly signing: AwsChunkedSigning | undefined;
  /** Lower-case trailing checksum header name the client declared in x-amz-trailer. */
  readonly trailer: string | undefined;
  /** True for STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the trailer carries x-amz-trailer-signature. */
  readonly signedTrailer: boolean;
  readonly maxChunkSizeBytes?: number | undefined;
  readonly maxLineBytes?: number | undefined;
}

const STATE_HEADER = 0;
const STATE_DATA = 1;
const STATE_DATA_CR = 2;
const STATE_DATA_LF = 3;
const STATE_TRAILER = 4;
const STATE_DONE = 5;

const CR = 0x0d;
const LF = 0x0a;
const SIGNED_HEADER_LINE = /^([0-9a-fA-F]{1,16});chunk-signature=([0-9a-f]{64})$/;
const UNSIGNED_HEADER_LINE = /^([0-9a-fA-F]{1,16})(?:;.*)?$/;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';

function malformed(detail: string): S3Error {
  return new S3Error('InvalidRequest', `Malformed aws-chunked body: ${detail}`);
}

export class AwsChunkedDecoder extends Transform {
  private readonly decodedLength: number;
  private readonly signing: AwsChunkedSigning | undefined;
  private readonly trailerName: string | undefined;
  private readonly signedTrailer: boolean;
  private readonly maxChunkSizeBytes: number;
  /** `AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n`, built once. */
  private readonly chunkPrefix: string;

  private state = STATE_HEADER;
  private readonly line: Buffer;
  private lineLength = 0;
  private chunkRemaining = 0;
  private chunkHash: Hash | undefined;
  private chunkSignature = '';
  private previousSignature: string;
  private decodedSoFar = 0;
  private readonly checksum: RunningChecksum | undefined;
  private trailerValue: string | undefined;
  private trailerSignatureSeen = false;
  private blankBeforeTrailerSeen = false;
  /**
   * The output buffer being filled, and how much of it is. A full one is passed on at once,
   * unless it holds the body's last byte: that one waits until everything has verified.
   */
  private out: Buffer | undefined;
  private outUsed = 0;
  /** Decoded bytes copied to output buffers so far. */
  private released = 0;

  constructor(options: AwsChunkedDecoderOptions) {
    super();
    if (!Number.isSafeInteger(options.decodedLength) || options.decodedLength < 0) throw new RangeError('decodedLength must be a non-negative integer');
    this.decodedLength = options.decodedLength;
    this.signing = options.signing;
    this.trailerName = options.trailer;
    this.signedTrailer = options.signedTrailer;
    this.maxChunkSizeBytes = options.maxChunkSizeBytes ?? DEFAULT_MAX_CHUNK_SIZE_BYTES;
    this.line = Buffer.allocUnsafe(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.previousSignature = options.signing?.seedSignature ?? '';
    this.chunkPrefix = options.signing === undefined ? '' : `${CHUNK_ALGORITHM}\n${options.signing.amzDate}\n${options.signing.credentialScope}\n`;
    if (options.trailer !== undefined) {
      if (!isSupportedTrailer(options.trailer)) throw new S3Error('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${options.trailer}`);
      this.checksum = createTrailerChecksum(options.trailer);
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      this.out = undefined;
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  }

  override _flush(callback: TransformCallback): void {
    // The final empty line may be missing at the very end: everything has been checked by then.
    if (this.state === STATE_TRAILER && this.lineLength === 0) {
      try {
        this.finishTrailer();
      } catch (err) {
        this.out = undefined;
        callback(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
    if (this.state !== STATE_DONE) {
      this.out = undefined;
      callback(new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk and trailer.'));
      return;
    }
    if (this.out !== undefined && this.outUsed > 0) this.push(this.out.subarray(0, this.outUsed));
    this.out = undefined;
    callback();
  }

  /**
   * Copies decoded bytes into the output buffer (fewer, larger writes upstream than passing on
   * each piece of each socket read). The buffer with the body's last byte is never passed on
   * here: _flush does that once everything has verified, so the upstream never sees a complete
   * body that failed.
   */
  private release(piece: Buffer): void {
    let from = 0;
    while (from < piece.length) {
      if (this.out === undefined) {
        // Never larger than what is left of the body (chunk sizes were checked against it).
        this.out = Buffer.allocUnsafeSlow(Math.min(OUTPUT_BYTES, this.decodedLength - this.released));
        this.outUsed = 0;
      }
      const n = piece.copy(this.out, this.outUsed, from);
      from += n;
      this.outUsed += n;
      this.released += n;
      if (this.outUsed === this.out.length && this.released < this.decodedLength) {
        this.push(this.out);
        this.out = undefined;
      }
    }
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      switch (this.state) {
        case STATE_DATA: {
          const take = Math.min(this.chunkRemaining, n - pos);
          const piece = buf.subarray(pos, pos + take);
          pos += take;
          this.chunkRemaining -= take;
          this.chunkHash?.update(piece);
          this.checksum?.update(piece);
          this.release(piece);
          if (this.chunkRemaining === 0) {
            this.endChunkData();
            this.state = STATE_DATA_CR;
          }
          break;
        }
        case STATE_DATA_CR:
          if (buf[pos] !== CR) throw malformed('chunk data is not followed by CRLF');
          pos++;
          this.state = STATE_DATA_LF;
          break;
        case STATE_DATA_LF:
          if (buf[pos] !== LF) throw malformed('chunk data is not followed by CRLF');
          pos++;
          this.state = STATE_HEADER;
          break;
        case STATE_HEADER:
        case STATE_TRAILER: {
          const lf = buf.indexOf(LF, pos);
          const end = lf === -1 ? n : lf + 1;
          const length = end - pos;
          if (this.lineLength + length > this.line.length) throw malformed(`a line is longer than ${this.line.length} bytes`);
          buf.copy(this.line, this.lineLength, pos, end);
          this.lineLength += length;
          pos = end;
          if (lf === -1) break;
          if (this.lineLength < 2 || this.line[this.lineLength - 2] !== CR) throw malformed('a line does not end with CRLF');
          const text = this.line.toString('latin1', 0, this.lineLength - 2);
          this.lineLength = 0;
          if (this.state === STATE_HEADER) this.onChunkHeader(text);
          else this.onTrailerLine(text);
          break;
        }
        case STATE_DONE:
          throw malformed('data after the end of the aws-chunked body');
        default:
          throw new Error('unreachable decoder state');
      }
    }
  }

  private onChunkHeader(text: string): void {
    let sizeHex: string;
    if (this.signing !== undefined) {
      const m = SIGNED_HEADER_LINE.exec(text);
      if (m === null) throw malformed('a chunk header is not "<hex-size>;chunk-signature=<signature>"');
      sizeHex = m[1] as string;
      this.chunkSignature = m[2] as string;
    } else {
      const m = UNSIGNED_HEADER_LINE.exec(text);
      if (m === null) throw malformed('a chunk header is not "<hex-size>"');
      sizeHex = m[1] as string;
    }
    const size = Number.parseInt(sizeHex, 16);
    if (size > this.maxChunkSizeBytes) {
      throw new S3Error('InvalidRequest', `Chunk size ${size} exceeds the maximum of ${this.maxChunkSizeBytes} bytes.`);
    }
    if (size > this.decodedLength - this.decodedSoFar) {
      throw new S3Error('IncompleteBody', 'The aws-chunked body holds more bytes than x-amz-decoded-content-length.');
    }
    if (size === 0) {
      if (this.decodedSoFar !== this.decodedLength) {
        throw new S3Error('IncompleteBody', 'The aws-chunked body holds fewer bytes than x-amz-decoded-content-length.');
      }
      if (this.signing !== undefined) this.verifyChunkSignature(EMPTY_SHA256_HEX);
      this.state = STATE_TRAILER;
      return;
    }
    this.decodedSoFar += size;
    this.chunkRemaining = size;
    if (this.signing !== undefined) this.chunkHash = createHash('sha256');
    this.state = STATE_DATA;
  }

  private endChunkData(): void {
    if (this.chunkHash === undefined) return;
    const digest = this.chunkHash.digest('hex');
    this.chunkHash = undefined;
    this.verifyChunkSignature(digest);
  }

  private verifyChunkSignature(chunkSha256Hex: string): void {
    const signing = this.signing;
    if (signing === undefined) return;
    const stringToSign = `${this.chunkPrefix}${this.previousSignature}\n${EMPTY_SHA256_HEX}\n${chunkSha256Hex}`;
    const expected = hmacSha256Hex(signing.signingKey, stringToSign);
    if (!hexSignatureMatches(expected, this.chunkSignature)) {
      throw new S3Error('SignatureDoesNotMatch', 'The chunk signature does not match the chunk data.');
    }
    this.previousSignature = this.chunkSignature;
  }

  private onTrailerLine(text: string): void {
    if (text === '') {
      // Some clients put the empty chunk's CRLF before the trailer; while a declared trailer has
      // not arrived, a first empty line is taken as that and skipped.
      if (this.trailerName !== undefined && this.trailerValue === undefined && !this.trailerSignatureSeen && !this.blankBeforeTrailerSeen) {
        this.blankBeforeTrailerSeen = true;
        return;
      }
      this.finishTrailer();
      return;
    }
    const colon = text.indexOf(':');
    if (colon <= 0) throw new S3Error('MalformedTrailerError', 'A trailing header line is not "name:value".');
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (this.trailerSignatureSeen) throw new S3Error('MalformedTrailerError', 'Trailing data after x-amz-trailer-signature.');
    if (name === TRAILER_SIGNATURE && this.signedTrailer && this.signing !== undefined) {
      this.trailerSignatureSeen = true;
      this.verifyTrailerSignature(value);
      return;
    }
    if (name !== this.trailerName || this.trailerValue !== undefined) {
      throw new S3Error('MalformedTrailerError', `Unexpected trailing header "${name}".`);
    }
    this.trailerValue = value;
  }

  private verifyTrailerSignature(signatureHex: string): void {
    const signing = this.signing;
    if (signing === undefined) return;
    const trailers: [string, string][] = [];
    if (this.trailerName !== undefined && this.trailerValue !== undefined) trailers.push([this.trailerName, this.trailerValue]);
    const trailerHash = createHash('sha256').update(buildCanonicalTrailer(trailers), 'latin1').digest('hex');
    const stringToSign = `${TRAILER_ALGORITHM}\n${signing.amzDate}\n${signing.credentialScope}\n${this.previousSignature}\n${trailerHash}`;
    const expected = hmacSha256Hex(signing.signingKey, stringToSign);
    if (!hexSignatureMatches(expected, signatureHex)) {
      throw new S3Error('SignatureDoesNotMatch', 'The trailer signature does not match the trailing headers.');
    }
  }

  private finishTrailer(): void {
    if (this.trailerName !== undefined) {
      if (this.trailerValue === undefined) {
        throw new S3Error('MalformedTrailerError', `The trailing header ${this.trailerName} declared in x-amz-trailer is missing.`);
      }
      if (this.signedTrailer && !this.trailerSignatureSeen) {
        throw new S3Error('MalformedTrailerError', 'The trailing header x-amz-trailer-signature is missing.');
      }
      const actual = this.checksum?.digestBase64();
      if (actual !== this.trailerValue) {
        throw new S3Error('BadDigest', `The ${this.trailerName} you specified did not match the calculated checksum.`);
      }
    }
    this.state = STATE_DONE;
  }
}
