import { describe, expect, it } from 'vitest';
import { buildForwardHeaders } from '../../../src/proxy/forward-headers.js';

describe('review: backend-specific control headers are not forwarded', () => {
  // Not x-amz-*, so neither signed by a presigned URL nor seen by the policy, yet the admin key
  // signs them upstream: MinIO's x-minio-force-delete turns DeleteObject into a recursive,
  // all-versions prefix delete; x-minio-source-* replication headers set version ids and mtimes;
  // GCS honours x-goog-acl like x-amz-acl.
  it.each(['x-minio-force-delete', 'x-minio-source-replication-request', 'x-minio-source-mtime', 'x-goog-acl', 'x-rgw-object-type', 'x-oss-forbid-overwrite', 'x-request-id'])('drops %s', (name) => {
    const out = buildForwardHeaders({ [name]: 'true', 'x-amz-meta-a': 'b', range: 'bytes=0-1' }, { kind: 'unsigned' });
    expect(out[name]).toBeUndefined();
    expect(out['x-amz-meta-a']).toBe('b');
    expect(out.range).toBe('bytes=0-1');
  });
});
