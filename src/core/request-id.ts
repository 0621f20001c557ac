import { randomFillSync } from 'node:crypto';

/**
 * A 16-character upper-case hex request id, the shape S3 uses for x-amz-request-id. Random
 * bytes are drawn from a pool refilled 512 ids at a time (one randomFill call instead of one
 * per request).
 */
const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

export function createRequestId(): string {
  if (offset + 8 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const id = POOL.toString('hex', offset, offset + 8).toUpperCase();
  offset += 8;
  return id;
}
