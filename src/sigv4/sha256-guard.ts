/**
 * Checks a body against the x-amz-content-sha256 digest while it streams. The last input buffer is
 * held back until the digest matches, so a failing body never reaches downstream complete.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { BodyCheckGuard, sha256BodyCheck } from './body-check.js';

export class Sha256Guard extends BodyCheckGuard {
  constructor(expectedSha256Hex: string) {
    super(sha256BodyCheck(expectedSha256Hex));
  }
}
