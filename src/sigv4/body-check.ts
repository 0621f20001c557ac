/**
 * Whole-body checks that do not change the bytes: x-amz-content-sha256 as a hex digest, and an
 * x-amz-checksum-<algorithm> header. Each is fed chunk by chunk and verified at the end; the
 * proxy runs them inline while handing the body to undici (src/proxy/body-chain.ts), and
 * BodyCheckGuard wraps one as a Transform for stream chains. Either way the last piece is held
 * back until the check passes, so a failing body never reaches downstream complete.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/s3-error.js';
import { createTrailerChecksum, isSupportedTrailer, type TrailerChecksumName } from './trailer-checksum.js';

export interface BodyCheck {
  update(chunk: Buffer): void;
  /** Throws the S3Error the client should see when the body does not match. */
  verify(): void;
}

export interface HeaderChecksum {
  readonly name: TrailerChecksumName;
  readonly expectedBase64: string;
}

/**
 * The one x-amz-checksum-<algorithm> header of a request, if any. Two different algorithms at
 * once are refused, as S3 does.
 */
export function findHeaderChecksum(headers: Readonly<Record<string, string | undefined>>): HeaderChecksum | undefined {
  let found: HeaderChecksum | undefined;
  for (const name in headers) {
    // Only the algorithm headers carry a checksum (not x-amz-checksum-mode, -type, -algorithm).
    if (!isSupportedTrailer(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (found !== undefined) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum types are not allowed.');
    found = { name, expectedBase64: value.trim() };
  }
  return found;
}

export function sha256BodyCheck(expectedHex: string): BodyCheck {
  const hash = createHash('sha256');
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    verify: () => {
      const actual = hash.digest('hex');
      if (actual !== expectedHex) {
        throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: expectedHex, S3ComputedContentSHA256: actual });
      }
    },
  };
}

export function checksumBodyCheck(expected: HeaderChecksum): BodyCheck {
  const checksum = createTrailerChecksum(expected.name);
  return {
    update: (chunk) => checksum.update(chunk),
    verify: () => {
      if (checksum.digestBase64() !== expected.expectedBase64) {
        const algorithm = expected.name.slice('x-amz-checksum-'.length).toUpperCase();
        throw new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`);
      }
    },
  };
}

/** A BodyCheck as a pass-through Transform that holds back the last piece until it verifies. */
export class BodyCheckGuard extends Transform {
  private readonly check: BodyCheck;
  private held: Buffer | undefined;

  constructor(check: BodyCheck) {
    super();
    this.check = check;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.check.update(chunk);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.check.verify();
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (this.held !== undefined) this.push(this.held);
    this.held = undefined;
    callback();
  }
}
