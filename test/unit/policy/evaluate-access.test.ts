import { describe, expect, it } from 'vitest';
import {
  bucketMatches,
  evaluateAccess,
  evaluateDeleteObjects,
  evaluateRequest,
  filterBucketsByScopes,
  hasGlobScopes,
  listPrefixCovered,
  prefixCovers,
  visibleBuckets,
  type AccessRequest,
} from '../../../src/policy/evaluate-access.js';
import type { AccessScope } from '../../../src/policy/scope.js';
import type { S3Action, ScopeAction } from '../../../src/s3/actions.js';
import { classifyOperation, type HeadersInput } from '../../../src/s3/classify-operation.js';

function scope(bucket: string, prefixes: string[], actions: ScopeAction[]): AccessScope {
  return { bucket, prefixes, actions };
}

describe('bucketMatches', () => {
  it.each([
    ['data', 'data', true],
    ['data', 'data2', false],
    ['data', 'dat', false],
    ['team-*', 'team-a', true],
    ['team-*', 'team-', true],
    ['team-*', 'team', false],
    ['team-*', 'xteam-a', false],
    ['*', 'anything', true],
    ['*-logs', 'web-logs', true],
    ['*-logs', 'web-logs-old', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['a*b*c', 'abcbc', true],
    ['b?', 'b1', true],
    ['b?', 'b', false],
    ['b?', 'b12', false],
    ['?-*', 'x-y', true],
    ['**', '', true],
    ['a.b', 'axb', false],
  ] as const)('%s matches %s: %s', (pattern, bucket, expected) => {
    expect(bucketMatches(pattern, bucket)).toBe(expected);
  });
});

describe('prefixCovers (path boundary)', () => {
  it.each([
    ['data', 'data/x', true],
    ['data/', 'data/x', true],
    ['data', 'data', true],
    ['data/', 'data', true],
    ['data', 'data/sub/deep/file', true],
    ['data', 'data-private/x', false],
    ['data/', 'data-private/x', false],
    ['data', 'datax', false],
    ['data', 'dat', false],
    ['data', 'other/data/x', false],
    ['a/b', 'a/b/c', true],
    ['a/b', 'a/bc', false],
    ['a/b/', 'a/b', true],
    ['', 'anything', true],
    ['/', '/abs', true],
    ['/', 'rel', false],
    ['data//', 'data//x', true],
    ['data//', 'data/x', false],
    // dot segments could be normalized away by a client or backend
    ['data', 'data/../secret/x', false],
    ['data', 'data/./x', false],
    ['data', 'data/sub/..', false],
    ['data', 'data/.hidden', true],
    ['data', 'data/...', true],
    ['data', 'data/a..b/c', true],
    ['', 'a/../b', true],
  ] as const)('prefix %j covers key %j: %s', (prefix, key, expected) => {
    expect(prefixCovers(prefix, key)).toBe(expected);
  });
});

describe('listPrefixCovered', () => {
  it.each([
    ['data', 'data/', true],
    ['data/', 'data/', true],
    ['data', 'data/sub/', true],
    ['data', 'data/a', true],
    ['data', 'data', false],
    ['data/', 'data', false],
    ['data/', 'da', false],
    ['data', '', false],
    ['data', 'data-private/', false],
    ['', '', true],
    ['', 'x', true],
    ['data', 'data/../', false],
    ['data', 'data/./', false],
    ['data', 'data/.git/', true],
  ] as const)('scope %j allows listing %j: %s', (scopePrefix, listPrefix, expected) => {
    expect(listPrefixCovered(scopePrefix, listPrefix)).toBe(expected);
  });
});

describe('evaluateAccess', () => {
  const scopes: AccessScope[] = [
    scope('data', ['reports', 'shared/'], ['get_object', 'put_object', 'list_bucket', 'list_bucket_multipart_uploads']),
    scope('data', [], ['get_bucket_versioning']),
    scope('archive', [], ['get_object', 'list_bucket', 'list_bucket_versions', 'get_bucket_acl']),
    scope('team-*', ['in/'], ['*']),
    scope('versions', ['v/'], ['get_object_version', 'delete_object_version']),
    scope('empty', ['x/'], []),
  ];

  it.each<[string, AccessRequest, boolean]>([
    // object operations: key against prefixes
    ['get in prefix', { action: 'get_object', bucket: 'data', key: 'reports/2024.csv' }, true],
    ['get prefix itself', { action: 'get_object', bucket: 'data', key: 'reports' }, true],
    ['get sibling', { action: 'get_object', bucket: 'data', key: 'reports-private/x' }, false],
    ['get outside', { action: 'get_object', bucket: 'data', key: 'secret/x' }, false],
    ['put in trailing-slash prefix', { action: 'put_object', bucket: 'data', key: 'shared/a' }, true],
    ['action not granted', { action: 'delete_object', bucket: 'data', key: 'reports/x' }, false],
    ['head implied by get', { action: 'head_object', bucket: 'data', key: 'reports/x' }, true],
    ['head outside', { action: 'head_object', bucket: 'data', key: 'secret' }, false],
    ['whole bucket', { action: 'get_object', bucket: 'archive', key: 'anything/at/all' }, true],
    ['dot segment escaping the prefix', { action: 'get_object', bucket: 'data', key: 'reports/../secret' }, false],
    ['dot segment in a whole-bucket scope', { action: 'get_object', bucket: 'archive', key: 'a/../b' }, true],
    ['other bucket', { action: 'get_object', bucket: 'data2', key: 'reports/x' }, false],
    // version reads and deletes are their own actions
    ['version read without get_object_version', { action: 'get_object_version', bucket: 'data', key: 'reports/x' }, false],
    ['version read granted', { action: 'get_object_version', bucket: 'versions', key: 'v/x' }, true],
    ['plain get not implied by version read', { action: 'get_object', bucket: 'versions', key: 'v/x' }, false],
    ['version delete granted', { action: 'delete_object_version', bucket: 'versions', key: 'v/x' }, true],
    // list operations: the prefix parameter
    ['list inside', { action: 'list_bucket', bucket: 'data', listPrefix: 'reports/' }, true],
    ['list deeper', { action: 'list_bucket', bucket: 'data', listPrefix: 'reports/2024/' }, true],
    ['list exact folder name', { action: 'list_bucket', bucket: 'data', listPrefix: 'reports' }, false],
    ['list partial', { action: 'list_bucket', bucket: 'data', listPrefix: 'rep' }, false],
    ['list whole bucket with prefixed scope', { action: 'list_bucket', bucket: 'data', listPrefix: '' }, false],
    ['list with absent prefix = whole bucket', { action: 'list_bucket', bucket: 'data' }, false],
    ['list trailing-slash scope', { action: 'list_bucket', bucket: 'data', listPrefix: 'shared/' }, true],
    ['list trailing-slash scope, partial', { action: 'list_bucket', bucket: 'data', listPrefix: 'sha' }, false],
    ['list whole bucket with unprefixed scope', { action: 'list_bucket', bucket: 'archive', listPrefix: '' }, true],
    ['list versions without action', { action: 'list_bucket_versions', bucket: 'data', listPrefix: 'reports/' }, false],
    ['list versions with action', { action: 'list_bucket_versions', bucket: 'archive', listPrefix: 'x' }, true],
    ['list uploads inside', { action: 'list_bucket_multipart_uploads', bucket: 'data', listPrefix: 'reports/' }, true],
    ['list uploads whole bucket', { action: 'list_bucket_multipart_uploads', bucket: 'data', listPrefix: '' }, false],
    // HeadBucket / GetBucketLocation: any scope on the bucket
    ['head bucket with any scope', { action: 'head_bucket', bucket: 'data' }, true],
    ['location with any scope', { action: 'get_bucket_location', bucket: 'versions' }, true],
    ['location via glob', { action: 'get_bucket_location', bucket: 'team-red' }, true],
    ['head bucket without scope', { action: 'head_bucket', bucket: 'nope' }, false],
    ['head bucket with action-less scope', { action: 'head_bucket', bucket: 'empty' }, false],
    // other bucket-level operations: whole-bucket scope with the action
    ['bucket op on whole-bucket scope', { action: 'get_bucket_versioning', bucket: 'data' }, true],
    ['bucket op not granted', { action: 'put_bucket_versioning', bucket: 'data' }, false],
    ['bucket acl on whole bucket', { action: 'get_bucket_acl', bucket: 'archive' }, true],
    ['bucket op with * but prefixed scope', { action: 'put_bucket_policy', bucket: 'team-red' }, false],
    ['delete bucket with * but prefixed scope', { action: 'delete_bucket', bucket: 'team-red' }, false],
    // '*' grants every action
    ['* grants put', { action: 'put_object', bucket: 'team-red', key: 'in/x' }, true],
    ['* grants restore', { action: 'restore_object', bucket: 'team-blue', key: 'in/deep/x' }, true],
    ['* still bounded by prefix', { action: 'get_object', bucket: 'team-red', key: 'out/x' }, false],
    ['* still bounded by bucket glob', { action: 'get_object', bucket: 'teams', key: 'in/x' }, false],
    ['* list inside', { action: 'list_bucket', bucket: 'team-red', listPrefix: 'in/' }, true],
  ])('%s', (_label, request, expected) => {
    expect(evaluateAccess(scopes, request)).toBe(expected);
  });

  it('denies by default', () => {
    expect(evaluateAccess([], { action: 'get_object', bucket: 'b', key: 'k' })).toBe(false);
    expect(evaluateAccess([], { action: 'head_bucket', bucket: 'b' })).toBe(false);
  });

  it('"*" on a whole bucket grants every action', () => {
    const all = [scope('b', [], ['*'])];
    for (const action of ['create_bucket', 'delete_bucket', 'put_bucket_policy', 'get_object_torrent'] as S3Action[]) {
      expect(evaluateAccess(all, { action, bucket: 'b' })).toBe(true);
    }
  });

  it('an empty-string prefix is the whole bucket', () => {
    expect(evaluateAccess([scope('b', [''], ['put_bucket_cors'])], { action: 'put_bucket_cors', bucket: 'b' })).toBe(true);
  });
});

describe('evaluateRequest', () => {
  const scopes: AccessScope[] = [
    scope('src', ['public'], ['get_object']),
    scope('src', ['versioned'], ['get_object_version']),
    scope('dst', ['in'], ['put_object', 'copy_object', 'upload_part', 'upload_part_copy', 'delete_object', 'list_bucket']),
    scope('dst', ['tagged'], ['put_object', 'put_object_tagging']),
    scope('new-*', [], ['create_bucket']),
    scope('acl-*', [], ['create_bucket', 'put_bucket_acl']),
  ];

  function decide(method: string, bucket: string | undefined, key: string | undefined, query = '', headers: HeadersInput = {}) {
    const op = classifyOperation({ method, bucket, key, query: new URLSearchParams(query), headers });
    if (op === undefined) throw new Error('unclassified');
    return evaluateRequest(scopes, op);
  }

  it.each<[string, string, string | undefined, string | undefined, string, HeadersInput, boolean]>([
    ['ListBuckets always (synthesized)', 'GET', undefined, undefined, '', {}, true],
    ['PutObject in scope', 'PUT', 'dst', 'in/a', '', {}, true],
    ['PutObject outside', 'PUT', 'dst', 'out/a', '', {}, false],
    ['CopyObject with readable source', 'PUT', 'dst', 'in/a', '', { 'x-amz-copy-source': '/src/public/x' }, true],
    ['CopyObject with unreadable source', 'PUT', 'dst', 'in/a', '', { 'x-amz-copy-source': '/src/private/x' }, false],
    ['CopyObject source in other bucket', 'PUT', 'dst', 'in/a', '', { 'x-amz-copy-source': 'dst/in/b' }, false],
    ['CopyObject of a source version needs get_object_version', 'PUT', 'dst', 'in/a', '', { 'x-amz-copy-source': '/src/public/x?versionId=1' }, false],
    ['CopyObject of a source version granted', 'PUT', 'dst', 'in/a', '', { 'x-amz-copy-source': '/src/versioned/x?versionId=1' }, true],
    ['CopyObject to a denied destination', 'PUT', 'dst', 'out/a', '', { 'x-amz-copy-source': '/src/public/x' }, false],
    ['UploadPartCopy with readable source', 'PUT', 'dst', 'in/a', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': '/src/public/x' }, true],
    ['UploadPartCopy with unreadable source', 'PUT', 'dst', 'in/a', 'partNumber=1&uploadId=u', { 'x-amz-copy-source': '/src/publicity/x' }, false],
    ['PutObject with a public ACL needs put_object_acl', 'PUT', 'dst', 'in/a', '', { 'x-amz-acl': 'public-read' }, false],
    ['PutObject with a private ACL', 'PUT', 'dst', 'in/a', '', { 'x-amz-acl': 'private' }, true],
    ['PutObject with tags needs put_object_tagging', 'PUT', 'dst', 'in/a', '', { 'x-amz-tagging': 'a=b' }, false],
    ['PutObject with tags granted', 'PUT', 'dst', 'tagged/a', '', { 'x-amz-tagging': 'a=b' }, true],
    ['ListObjectsV2 inside', 'GET', 'dst', undefined, 'list-type=2&prefix=in%2F', {}, true],
    ['ListObjectsV2 too wide', 'GET', 'dst', undefined, 'list-type=2&prefix=i', {}, false],
    ['ListObjectsV2 without prefix', 'GET', 'dst', undefined, 'list-type=2', {}, false],
    ['GetBucketLocation with any scope', 'GET', 'src', undefined, 'location', {}, true],
    ['HeadBucket with any scope', 'HEAD', 'dst', undefined, '', {}, true],
    ['HeadBucket elsewhere', 'HEAD', 'other', undefined, '', {}, false],
    ['CreateBucket via glob', 'PUT', 'new-thing', undefined, '', {}, true],
    ['CreateBucket not granted', 'PUT', 'old-thing', undefined, '', {}, false],
    ['CreateBucket with a private ACL', 'PUT', 'new-thing', undefined, '', { 'x-amz-acl': 'private' }, true],
    // AWS: CreateBucket with these headers also needs s3:PutBucketAcl / PutBucketObjectLockConfiguration
    // + PutBucketVersioning / PutBucketOwnershipControls.
    ['CreateBucket with a public ACL needs put_bucket_acl', 'PUT', 'new-thing', undefined, '', { 'x-amz-acl': 'public-read-write' }, false],
    ['CreateBucket with a grant needs put_bucket_acl', 'PUT', 'new-thing', undefined, '', { 'x-amz-grant-write': 'id=x' }, false],
    ['CreateBucket with object lock needs its actions', 'PUT', 'new-thing', undefined, '', { 'x-amz-bucket-object-lock-enabled': 'true' }, false],
    ['CreateBucket with object lock explicitly off', 'PUT', 'new-thing', undefined, '', { 'x-amz-bucket-object-lock-enabled': 'false' }, true],
    ['CreateBucket with object ownership needs its action', 'PUT', 'new-thing', undefined, '', { 'x-amz-object-ownership': 'ObjectWriter' }, false],
    ['CreateBucket with a public ACL granted', 'PUT', 'acl-thing', undefined, '', { 'x-amz-acl': 'public-read' }, true],
    ['DeleteBucket not granted', 'DELETE', 'new-thing', undefined, '', {}, false],
    ['DeleteObjects pre-check with delete scope', 'POST', 'dst', undefined, 'delete', {}, true],
    ['DeleteObjects pre-check without', 'POST', 'src', undefined, 'delete', {}, false],
    ['GetObject version without grant', 'GET', 'src', 'public/x', 'versionId=3', {}, false],
    ['GetObject version with grant', 'GET', 'src', 'versioned/x', 'versionId=3', {}, true],
  ])('%s', (_label, method, bucket, key, query, headers, allowed) => {
    const decision = decide(method, bucket, key, query, headers);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.reason).toMatch(/\S/);
  });

  it('explains a copy-source denial', () => {
    const d = decide('PUT', 'dst', 'in/a', '', { 'x-amz-copy-source': '/src/private/x' });
    expect(d).toEqual({ allowed: false, reason: expect.stringContaining('copy source') });
  });
});

describe('evaluateDeleteObjects', () => {
  const scopes = [scope('b', ['mine'], ['delete_object']), scope('b', ['old'], ['delete_object_version', 'delete_object'])];

  it('checks every key, versioned entries with delete_object_version', () => {
    const objects = [{ key: 'mine/a' }, { key: 'theirs/a' }, { key: 'mine/b', versionId: '1' }, { key: 'old/c', versionId: '2' }, { key: 'mine-not/x' }];
    expect(evaluateDeleteObjects(scopes, 'b', objects)).toEqual({
      allowed: [{ key: 'mine/a' }, { key: 'old/c', versionId: '2' }],
      denied: [{ key: 'theirs/a' }, { key: 'mine/b', versionId: '1' }, { key: 'mine-not/x' }],
    });
  });

  it('applies additional actions to every key', () => {
    expect(evaluateDeleteObjects(scopes, 'b', [{ key: 'mine/a' }], ['put_object_retention']).denied).toEqual([{ key: 'mine/a' }]);
  });
});

describe('bucket visibility for ListBuckets', () => {
  const scopes = [
    scope('zeta', [], ['get_object']),
    scope('alpha', ['x'], ['list_bucket']),
    scope('alpha', [], ['head_bucket']),
    scope('hidden', [], []),
    scope('team-*', [], ['*']),
  ];

  it('visibleBuckets: exact names with some action, sorted, deduplicated', () => {
    expect(visibleBuckets(scopes)).toEqual(['alpha', 'zeta']);
    expect(visibleBuckets([])).toEqual([]);
  });

  it('hasGlobScopes', () => {
    expect(hasGlobScopes(scopes)).toBe(true);
    expect(hasGlobScopes(scopes.filter((s) => s.bucket !== 'team-*'))).toBe(false);
    expect(hasGlobScopes([scope('b?', [], [])])).toBe(false);
  });

  it('filterBucketsByScopes keeps upstream order', () => {
    expect(filterBucketsByScopes(scopes, ['team-b', 'other', 'zeta', 'hidden', 'team-a', 'alpha'])).toEqual(['team-b', 'zeta', 'team-a', 'alpha']);
  });
});
