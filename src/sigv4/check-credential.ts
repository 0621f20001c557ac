/**
 * Credential checks shared by every signed auth kind: known, enabled, not expired, and the
 * session token of a temporary credential presented and equal.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
import type { Credential, CredentialLookup } from '../policy/credential.js';
import { S3Error } from '../s3/s3-error.js';
import { textEqual } from './constant-time.js';

/** Looks the access key up; unknown → InvalidAccessKeyId. */
export function lookupCredential(credentials: CredentialLookup, accessKeyId: string): Credential {
  const credential = credentials.get(accessKeyId);
  if (credential === undefined) {
    throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
  }
  return credential;
}

/**
 * Checks a credential whose signature has verified: disabled → AccessDenied, expired →
 * ExpiredToken, session token missing or different → InvalidToken (also when a token is
 * presented for a credential that has none).
 */
export function checkCredentialUsable(credential: Credential, nowMs: number, presentedToken: string | undefined): void {
  if (!credential.enabled) throw new S3Error('AccessDenied', 'The access key is disabled.');
  if (credential.expiresAtMs !== undefined && credential.expiresAtMs <= nowMs) throw new S3Error('ExpiredToken');
  const expected = credential.sessionToken;
  if (expected === undefined || expected === '') {
    if (presentedToken !== undefined && presentedToken !== '') {
      throw new S3Error('InvalidToken', 'A security token was presented for a credential that does not use one.');
    }
    return;
  }
  if (presentedToken === undefined || presentedToken === '') {
    throw new S3Error('InvalidToken', 'This credential requires the x-amz-security-token header or X-Amz-Security-Token parameter.');
  }
  if (!textEqual(expected, presentedToken)) throw new S3Error('InvalidToken');
}
