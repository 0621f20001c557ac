/**
 * Checks a whole-body checksum sent as a header (x-amz-checksum-crc32 | crc32c | crc64nvme |
 * sha1 | sha256) while the body streams, holding back the last piece until it matches — the
 * same never-commit-a-bad-body rule as the SHA-256 guard, for the checksum S3 would store.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { BodyCheckGuard, checksumBodyCheck, type HeaderChecksum } from './body-check.js';

export { findHeaderChecksum, type HeaderChecksum } from './body-check.js';

export class ChecksumGuard extends BodyCheckGuard {
  constructor(expected: HeaderChecksum) {
    super(checksumBodyCheck(expected));
  }
}
