/**
 * Whole-body checks that do not change the bytes (x-amz-content-sha256 as a hex digest, an
 * x-amz-checksum-<algorithm> header): fed chunk by chunk, verified at the end. The proxy runs
 * them inline while handing the body to undici, holding back the last piece until they pass
 * (src/proxy/body-chain.ts), which costs less than a Transform stream per request.
 */
import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../s3/s3-error.js';
import type { HeaderChecksum } from './checksum-guard.js';
import { createTrailerChecksum, type RunningChecksum } from './trailer-checksum.js';

export interface BodyCheck {
  update(chunk: Buffer): void;
  /** Throws the S3Error the client should see when the body does not match. */
  verify(): void;
}

export function sha256BodyCheck(expectedHex: string): BodyCheck {
  const hash: Hash = createHash('sha256');
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
  const checksum: RunningChecksum = createTrailerChecksum(expected.name);
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
