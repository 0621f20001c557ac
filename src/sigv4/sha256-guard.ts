/**
 * Checks a body against the x-amz-content-sha256 digest while it streams. The last input buffer is
 * held back until the digest matches, so a failing body never reaches downstream complete.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/s3-error.js';

export class Sha256Guard extends Transform {
  private readonly expectedHex: string;
  private readonly hash: Hash = createHash('sha256');
  private held: Buffer | undefined;

  constructor(expectedSha256Hex: string) {
    super();
    this.expectedHex = expectedSha256Hex;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.hash.update(chunk);
    if (this.held !== undefined) this.push(this.held);
    this.held = chunk;
    callback();
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expectedHex) {
      callback(new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: this.expectedHex, S3ComputedContentSHA256: actual }));
      return;
    }
    if (this.held !== undefined) this.push(this.held);
    this.held = undefined;
    callback();
  }
}
