import { randomBytes } from 'node:crypto';

/** A 16-character upper-case hex request id, the shape S3 uses for x-amz-request-id. */
export function createRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}
