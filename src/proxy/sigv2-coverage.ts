/**
 * SigV2 signs only a fixed list of sub-resources. A parameter outside that list that could
 * change the operation (e.g. `?attributes` appended to a presigned GetObject URL) would not be
 * covered by the signature, so SigV2 requests may carry only signed sub-resources, x-amz-*
 * parameters (signed as amz headers, in presigned URLs only: header auth signs the headers)
 * and parameters that never change the operation.
 */
import { NEUTRAL_QUERY_PARAMS } from '../s3/operations.js';
import { S3Error } from '../s3/s3-error.js';
import { SIGV2_SUBRESOURCES } from '../sigv4/sigv2.js';
import type { QueryPair } from './query.js';

/** Parameters that do not change the operation's action (list-type=2 picks ListObjectsV2). */
const V2_UNSIGNED_OK = new Set([...NEUTRAL_QUERY_PARAMS, 'list-type']);

export function assertSigV2CoversQuery(query: readonly QueryPair[], presigned: boolean): void {
  for (const [name] of query) {
    if (SIGV2_SUBRESOURCES.has(name) || V2_UNSIGNED_OK.has(name) || (presigned && name.toLowerCase().startsWith('x-amz-'))) continue;
    throw new S3Error('AccessDenied', `SigV2 does not sign the query parameter "${name}": sign this request with SigV4.`);
  }
}
