/**
 * CreateBucket from a key without create_bucket: clients such as rclone probe with
 * CreateBucket before their first upload and give up on a 403. An existing bucket inside
 * the key's scope answers 409 BucketAlreadyOwnedByYou, which they treat as success.
 */
import { S3Error } from '../s3/s3-error.js';
import { buildUpstreamRequest, EMPTY_SHA256 } from '../upstream/resign-request.js';
import { fetchUpstream } from '../upstream/forward-request.js';
import type { S3Call } from './handle-s3-request.js';

export async function answerCreateBucketProbe(call: S3Call): Promise<never> {
  const bucket = call.op.bucket;
  if (bucket === undefined) throw new S3Error('InvalidBucketName');
  const backend = call.runtime.backends.backendFor(bucket);
  const request = buildUpstreamRequest(backend, { method: 'HEAD', bucket, key: undefined, query: [], headers: {}, payloadHash: EMPTY_SHA256 }, call.now);
  const response = await fetchUpstream(backend, request);
  if (response.status === 200) {
    throw new S3Error('BucketAlreadyOwnedByYou');
  }
  if (response.status === 404) {
    throw new S3Error('AccessDenied', 'Access Denied: this key may not create_bucket.');
  }
  throw new S3Error('ServiceUnavailable', `The upstream answered HTTP ${response.status} to a bucket probe.`);
}
