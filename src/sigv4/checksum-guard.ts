/**
 * Checks a whole-body checksum sent as a header (x-amz-checksum-crc32 | crc32c | crc64nvme |
 * sha1 | sha256) while the body streams, holding back the last piece until it matches — the
 * same never-commit-a-bad-body rule as the SHA-256 guard, for the checksum S3 would store.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/s3-error.js';
import { createTrailerChecksum, isSupportedTrailer, type RunningChecksum, type TrailerChecksumName } from './trailer-checksum.js';

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

export class ChecksumGuard extends Transform {
  private readonly expected: HeaderChecksum;
  private readonly checksum: RunningChecksum;
  private held: Buffer | undefined;

  constructor(expected: HeaderChecksum) {
    super();
    this.expected = expected;
    this.checksum = createTrailerChecksum(expected.name);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.checksum.update(chunk);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.checksum.digestBase64();
    if (actual !== this.expected.expectedBase64) {
      const algorithm = this.expected.name.slice('x-amz-checksum-'.length).toUpperCase();
      callback(new S3Error('BadDigest', `The ${algorithm} you specified did not match the calculated checksum.`));
      return;
    }
    if (this.held !== undefined) this.push(this.held);
    this.held = undefined;
    callback();
  }
}
