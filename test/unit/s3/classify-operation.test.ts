import { describe, expect, it } from 'vitest';
import { classifyOperation, parseCopySource, type HeadersInput, type QueryInput } from '../../../src/s3/classify-operation.js';

function classify(method: string, bucket: string | undefined, key: string | undefined, query: QueryInput | string = '', headers: HeadersInput = {}) {
  return classifyOperation({ method, bucket, key, query: typeof query === 'string' ? new URLSearchParams(query) : query, headers });
}

describe('classifyOperation: tricky requests', () => {
  it.each([
    // method, bucket, key, query, headers, operation, action
    ['GET', undefined, undefined, '', {}, 'ListBuckets', 'list_buckets'],
    ['GET', 'b', undefined, '', {}, 'ListObjects', 'list_bucket'],
    ['GET', 'b', undefined, 'list-type=2&prefix=x', {}, 'ListObjectsV2', 'list_bucket'],
    ['GET', 'b', undefined, 'list-type=2&prefix=data%2F&delimiter=%2F&max-keys=10&continuation-token=abc&fetch-owner=true&start-after=a&encoding-type=url', {}, 'ListObjectsV2', 'list_bucket'],
    ['GET', 'b', undefined, 'versions', {}, 'ListObjectVersions', 'list_bucket_versions'],
    ['GET', 'b', undefined, 'versions=&prefix=a/&key-marker=k&version-id-marker=v', {}, 'ListObjectVersions', 'list_bucket_versions'],
    ['GET', 'b', undefined, 'uploads&prefix=p&max-uploads=5', {}, 'ListMultipartUploads', 'list_bucket_multipart_uploads'],
    ['GET', 'b', undefined, 'location', {}, 'GetBucketLocation', 'get_bucket_location'],
    ['GET', 'b', undefined, 'location=', {}, 'GetBucketLocation', 'get_bucket_location'],
    ['GET', 'b', 'k', '', {}, 'GetObject', 'get_object'],
    ['GET', 'b', 'k', 'versionId=1', {}, 'GetObject', 'get_object_version'],
    ['GET', 'b', 'k', 'partNumber=2&response-content-type=text%2Fplain', {}, 'GetObject', 'get_object'],
    ['HEAD', 'b', 'k', 'versionId=1', {}, 'HeadObject', 'get_object_version'],
    ['HEAD', 'b', 'k', '', {}, 'HeadObject', 'head_object'],
    ['DELETE', 'b', 'k', 'versionId=1', {}, 'DeleteObject', 'delete_object_version'],
    ['DELETE', 'b', 'k', '', {}, 'DeleteObject', 'delete_object'],
    ['GET', 'b', 'k', 'tagging&versionId=1', {}, 'GetObjectTagging', 'get_object_tagging'],
    ['PUT', 'b', 'k', 'acl&versionId=1', {}, 'PutObjectAcl', 'put_object_acl'],
    ['PUT', 'b', 'k', '', {}, 'PutObject', 'put_object'],
    ['PUT', 'b', 'k', 'x-id=PutObject', {}, 'PutObject', 'put_object'],
    ['GET', 'b', 'k', 'x-id=GetObject', {}, 'GetObject', 'get_object'],
    ['PUT', 'b', 'k', '', { 'x-amz-copy-source': '/src/key' }, 'CopyObject', 'copy_object'],
    ['PUT', 'b', 'k', 'x-id=CopyObject', { 'x-amz-copy-source': 'src/key' }, 'CopyObject', 'copy_object'],
    ['PUT', 'b', 'k', 'partNumber=1&uploadId=u', {}, 'UploadPart', 'upload_part'],
    ['PUT', 'b', 'k', 'partNumber=1&uploadId=u&x-id=UploadPart', {}, 'UploadPart', 'upload_part'],
    ['PUT', 'b', 'k', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': '/src/key' }, 'UploadPartCopy', 'upload_part_copy'],
    ['POST', 'b', 'k', 'uploads', {}, 'CreateMultipartUpload', 'create_multipart_upload'],
    ['POST', 'b', 'k', 'uploadId=u', {}, 'CompleteMultipartUpload', 'complete_multipart_upload'],
    ['DELETE', 'b', 'k', 'uploadId=u', {}, 'AbortMultipartUpload', 'abort_multipart_upload'],
    ['GET', 'b', 'k', 'uploadId=u&max-parts=10&part-number-marker=2', {}, 'ListParts', 'list_multipart_upload_parts'],
    ['POST', 'b', undefined, 'delete', {}, 'DeleteObjects', 'delete_object'],
    ['POST', 'b', undefined, 'delete=', {}, 'DeleteObjects', 'delete_object'],
    ['POST', 'b', 'k', 'select&select-type=2', {}, 'SelectObjectContent', 'select_object_content'],
    ['POST', 'b', 'k', 'restore&versionId=3', {}, 'RestoreObject', 'restore_object'],
    ['PUT', 'b', undefined, '', {}, 'CreateBucket', 'create_bucket'],
    ['HEAD', 'b', undefined, '', {}, 'HeadBucket', 'head_bucket'],
    ['GET', 'b', undefined, 'analytics', {}, 'ListBucketAnalyticsConfigurations', 'get_bucket_analytics_configuration'],
    ['GET', 'b', undefined, 'analytics&id=x', {}, 'GetBucketAnalyticsConfiguration', 'get_bucket_analytics_configuration'],
    // presigned URL parameters are neutral
    ['GET', 'b', 'k', 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date=d&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=s', {}, 'GetObject', 'get_object'],
    ['GET', 'b', 'k', 'AWSAccessKeyId=a&Expires=1&Signature=s', {}, 'GetObject', 'get_object'],
    // a copy source hoisted into a presigned query still makes it a copy
    ['PUT', 'b', 'k', 'X-Amz-Signature=s&x-amz-copy-source=%2Fsrc%2Fkey', {}, 'CopyObject', 'copy_object'],
  ] as const)('%s %s/%s ?%s %j → %s (%s)', (method, bucket, key, query, headers, operation, action) => {
    const op = classify(method, bucket, key, query, headers);
    expect(op?.operation).toBe(operation);
    expect(op?.action).toBe(action);
  });

  it.each([
    ['OPTIONS', 'b', 'k', ''],
    ['PATCH', 'b', 'k', ''],
    ['PUT', undefined, undefined, ''],
    ['DELETE', undefined, undefined, ''],
    ['GET', undefined, undefined, 'location'],
    ['POST', 'b', 'k', ''],
    ['POST', 'b', 'k', 'delete'],
    ['POST', 'b', 'k', 'select'],
    ['POST', 'b', 'k', 'select&select-type=3'],
    ['GET', 'b', undefined, 'list-type=1'],
    ['GET', 'b', undefined, 'versionId=1'],
    ['PUT', 'b', 'k', 'uploadId=u'],
    ['PUT', 'b', 'k', 'versionId=1'],
    ['PUT', 'b', 'k', 'acl&tagging'],
    ['GET', 'b', undefined, 'uploads&versions'],
    ['PUT', 'b', 'k', 'renameObject'],
    ['GET', 'b', undefined, 'session'],
    ['GET', 'b', 'k', 'VersionId=1'],
    ['GET', 'b', undefined, 'prefix=a&prefix=b'],
    ['GET', 'b', 'k', 'versionId=1&versionId=2'],
    ['PUT', 'b', undefined, 'analytics'],
    ['GET', 'b', 'k', 'location'],
  ] as const)('%s %s/%s ?%s is not classified', (method, bucket, key, query) => {
    expect(classify(method, bucket, key, query)).toBeUndefined();
  });

  it('reports the list prefix for list operations, "" when absent', () => {
    expect(classify('GET', 'b', undefined, 'list-type=2&prefix=x')?.listPrefix).toBe('x');
    expect(classify('GET', 'b', undefined, 'list-type=2')?.listPrefix).toBe('');
    expect(classify('GET', 'b', undefined, 'prefix=a%2Fb')?.listPrefix).toBe('a/b');
    expect(classify('GET', 'b', undefined, 'versions&prefix=v/')?.listPrefix).toBe('v/');
    expect(classify('GET', 'b', undefined, 'uploads&prefix=u/')?.listPrefix).toBe('u/');
    expect(classify('GET', 'b', 'k', '')).not.toHaveProperty('listPrefix');
    expect(classify('GET', 'b', undefined, 'location')).not.toHaveProperty('listPrefix');
  });

  it('accepts a parsed query map', () => {
    expect(classify('GET', 'b', undefined, { 'list-type': '2', prefix: 'a/' })).toMatchObject({ operation: 'ListObjectsV2', listPrefix: 'a/' });
    expect(classify('GET', 'b', 'k', { versionId: ['7'] })?.action).toBe('get_object_version');
    expect(classify('GET', 'b', 'k', { versionId: undefined })?.action).toBe('get_object');
    expect(classify('GET', 'b', undefined, { prefix: ['a', 'b'] })).toBeUndefined();
  });

  it('parses the copy source into the classification', () => {
    expect(classify('PUT', 'b', 'k', '', { 'x-amz-copy-source': '/src/dir/a%20b?versionId=v%2B1' })?.copySource).toEqual({
      bucket: 'src',
      key: 'dir/a b',
      versionId: 'v+1',
    });
    expect(() => classify('PUT', 'b', 'k', '', { 'x-amz-copy-source': ['/a/b', '/c/d'] })).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => classify('PUT', 'b', 'k', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': 'nokey' })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });

  it.each([
    // header, additional actions
    [{}, undefined],
    [{ 'x-amz-acl': 'private' }, undefined],
    [{ 'x-amz-acl': 'bucket-owner-full-control' }, undefined],
    [{ 'x-amz-acl': 'public-read' }, ['put_object_acl']],
    [{ 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }, ['put_object_acl']],
    [{ 'x-amz-tagging': 'a=b' }, ['put_object_tagging']],
    [{ 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2030-01-01T00:00:00Z' }, ['put_object_retention']],
    [{ 'x-amz-object-lock-legal-hold': 'ON' }, ['put_object_legal_hold']],
    [{ 'x-amz-acl': 'public-read-write', 'x-amz-tagging': 'a=b' }, ['put_object_acl', 'put_object_tagging']],
  ] as const)('PutObject with %j needs additionally %j', (headers, extra) => {
    const op = classify('PUT', 'b', 'k', '', headers);
    expect(op?.additionalActions).toEqual(extra);
    const mpu = classify('POST', 'b', 'k', 'uploads', headers);
    expect(mpu?.additionalActions).toEqual(extra);
  });

  it('a canned ACL in a presigned query counts like the header', () => {
    expect(classify('PUT', 'b', 'k', 'X-Amz-Signature=s&x-amz-acl=public-read')?.additionalActions).toEqual(['put_object_acl']);
  });

  it('bypassing governance retention on delete needs put_object_retention', () => {
    expect(classify('DELETE', 'b', 'k', 'versionId=1', { 'x-amz-bypass-governance-retention': 'true' })?.additionalActions).toEqual([
      'put_object_retention',
    ]);
    expect(classify('POST', 'b', undefined, 'delete', { 'x-amz-bypass-governance-retention': 'true' })?.additionalActions).toEqual([
      'put_object_retention',
    ]);
  });
});

describe('review: archive auto-extract (MinIO / Snowball) writes keys the policy never saw', () => {
  // MinIO (and Snowball Edge, RustFS) unpack a PUT tar whose X-Amz-Meta-Snowball-Auto-Extract is
  // "true" into one object per entry, named by the entry (plus X-Amz-Meta-Minio-Snowball-Prefix),
  // anywhere in the bucket: a put_object scope on `data/` would write `secret/x`.
  it.each([
    ['PUT', 'k', '', { 'x-amz-meta-snowball-auto-extract': 'true' }],
    ['PUT', 'k', '', { 'x-amz-meta-snowball-auto-extract': 'TRUE', 'x-amz-copy-source': '/b/src.tar' }],
    ['POST', 'k', 'uploads', { 'x-amz-meta-snowball-auto-extract': 'true' }],
    ['PUT', 'k', 'X-Amz-Signature=s&x-amz-meta-snowball-auto-extract=true', {}],
  ] as const)('%s %s?%s with %j is not classified', (method, key, query, headers) => {
    expect(classify(method, 'b', key, query, headers)).toBeUndefined();
  });

  it('other metadata is fine', () => {
    expect(classify('PUT', 'b', 'k', '', { 'x-amz-meta-snowball': 'true' })?.operation).toBe('PutObject');
  });
});

describe('parseCopySource', () => {
  it.each([
    ['/src/key', { bucket: 'src', key: 'key' }],
    ['src/key', { bucket: 'src', key: 'key' }],
    ['src/dir/sub/key.txt', { bucket: 'src', key: 'dir/sub/key.txt' }],
    ['/src/a%20b%2Bc+d', { bucket: 'src', key: 'a b+c+d' }],
    ['src%2Fkey', { bucket: 'src', key: 'key' }],
    ['/src/%E2%82%AC', { bucket: 'src', key: '€' }],
    ['/src/€ raw', { bucket: 'src', key: '€ raw' }],
    ['/src//double', { bucket: 'src', key: '/double' }],
    ['/src/a%3Fb', { bucket: 'src', key: 'a?b' }],
    ['/src/k?versionId=abc', { bucket: 'src', key: 'k', versionId: 'abc' }],
    ['/src/k?versionId=a%2Fb', { bucket: 'src', key: 'k', versionId: 'a/b' }],
  ] as const)('%s', (value, expected) => {
    expect(parseCopySource(value)).toEqual(expected);
  });

  it.each(['', '/', 'src', '/src', '/src/', '//key', '/src/%zz', '/src/k?versionId=', '/src/k?foo=1', '/src/k?versionId=1&x=2', 'arn:aws:s3:us-east-1:1:accesspoint/ap/object/k'])(
    'rejects %j with InvalidArgument',
    (value) => {
      expect(() => parseCopySource(value)).toThrow(expect.objectContaining({ code: 'InvalidArgument', status: 400 }));
    },
  );
});
