/**
 * Scope evaluation: deny by default, allow when one scope grants the action on the bucket and
 * covers the key (or list prefix). The rules are documented in docs/actions.md.
 */
import type { S3Action } from '../s3/actions.js';
import type { ClassifiedOperation } from '../s3/classify-operation.js';
import type { AccessScope } from './scope.js';

export interface AccessRequest {
  readonly action: S3Action;
  readonly bucket: string;
  /** Object operations: the key, checked against the scope prefixes. */
  readonly key?: string | undefined;
  /** List operations: the `prefix` parameter ('' when absent). */
  readonly listPrefix?: string | undefined;
}

export type AccessDecision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

const SLASH = 0x2f;

/** Actions whose request names a prefix to list rather than a key. */
const LIST_ACTIONS: ReadonlySet<S3Action> = new Set<S3Action>(['list_bucket', 'list_bucket_versions', 'list_bucket_multipart_uploads']);
/** Keyless bucket operations allowed by ANY scope on the bucket (clients ask them before everything). */
const ANY_SCOPE_ACTIONS: ReadonlySet<S3Action> = new Set<S3Action>(['head_bucket', 'get_bucket_location']);

/** `*` matches any run of characters (also none), `?` exactly one; otherwise exact. */
export function bucketMatches(pattern: string, bucket: string): boolean {
  if (!hasGlob(pattern)) return pattern === bucket;
  let p = 0;
  let s = 0;
  let star = -1;
  let mark = 0;
  while (s < bucket.length) {
    const pc = pattern.charCodeAt(p);
    if (p < pattern.length && (pc === 0x3f || pc === bucket.charCodeAt(s))) {
      p++;
      s++;
    } else if (p < pattern.length && pc === 0x2a) {
      star = p++;
      mark = s;
    } else if (star !== -1) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 0x2a) p++;
  return p === pattern.length;
}

function hasGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** One trailing slash is not significant: `data` and `data/` name the same folder. */
function folder(prefix: string): string {
  return prefix.charCodeAt(prefix.length - 1) === SLASH ? prefix.slice(0, -1) : prefix;
}

const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * Whether a key or list prefix has a `.` or `..` path segment. S3 keys are literal, but an HTTP
 * client or backend that normalizes paths would turn `data/../secret` into `secret`: such keys
 * are never covered by a prefixed scope (whole-bucket scopes are unaffected).
 */
export function hasDotSegment(key: string): boolean {
  return key.includes('.') && DOT_SEGMENT.test(key);
}

/**
 * Whether a scope prefix covers a key, on a path boundary: `data` and `data/` cover `data`
 * and `data/x`, never `data-private/x` (nor `data/../x`). The empty prefix covers everything.
 */
export function prefixCovers(prefix: string, key: string): boolean {
  if (prefix === '') return true;
  const p = folder(prefix);
  if (key === p) return true;
  return key.length > p.length && key.charCodeAt(p.length) === SLASH && key.startsWith(p) && !hasDotSegment(key);
}

/**
 * Whether listing with `listPrefix` can only reveal keys the scope prefix covers: the list prefix
 * must lie inside the folder (`data/`, `data/sub/`, `data/a` for scope `data`). `data` itself or
 * `da` are refused: they would also list `data-private/…`.
 */
export function listPrefixCovered(scopePrefix: string, listPrefix: string): boolean {
  if (scopePrefix === '') return true;
  const p = folder(scopePrefix);
  return listPrefix.length > p.length && listPrefix.charCodeAt(p.length) === SLASH && listPrefix.startsWith(p) && !hasDotSegment(listPrefix);
}

/** '*' grants everything; get_object also grants head_object (as s3:GetObject does in AWS). */
export function scopeGrants(scope: AccessScope, action: S3Action): boolean {
  for (const a of scope.actions) {
    if (a === action || a === '*' || (a === 'get_object' && action === 'head_object')) return true;
  }
  return false;
}

function coversWholeBucket(scope: AccessScope): boolean {
  return scope.prefixes.length === 0 || scope.prefixes.includes('');
}

/** Deny by default; true when one scope allows the request (rules in docs/actions.md). */
export function evaluateAccess(scopes: readonly AccessScope[], request: AccessRequest): boolean {
  const { action, bucket, key } = request;
  for (const scope of scopes) {
    if (!bucketMatches(scope.bucket, bucket)) continue;
    if (key !== undefined) {
      if (scopeGrants(scope, action) && (coversWholeBucket(scope) || scope.prefixes.some((p) => prefixCovers(p, key)))) return true;
    } else if (LIST_ACTIONS.has(action)) {
      const listPrefix = request.listPrefix ?? '';
      if (scopeGrants(scope, action) && (coversWholeBucket(scope) || scope.prefixes.some((p) => listPrefixCovered(p, listPrefix)))) {
        return true;
      }
    } else if (ANY_SCOPE_ACTIONS.has(action)) {
      if (scope.actions.length > 0) return true;
    } else if (scopeGrants(scope, action) && coversWholeBucket(scope)) {
      return true;
    }
  }
  return false;
}

const ALLOWED: AccessDecision = { allowed: true };

function describe(action: S3Action, bucket: string, key: string | undefined, listPrefix: string | undefined): string {
  if (key !== undefined) return `${action} on ${bucket}/${key}`;
  if (listPrefix !== undefined) return `${action} on ${bucket} with prefix '${listPrefix}'`;
  return `${action} on bucket ${bucket}`;
}

/**
 * The full decision for a classified request: the operation's own action, every additional action
 * its headers require, and for CopyObject/UploadPartCopy read access on the source (get_object, or
 * get_object_version when the source names a version). ListBuckets is always allowed (its answer is
 * built from the scopes). DeleteObjects is allowed here when some scope may delete in the bucket;
 * each key of its body must then pass `evaluateDeleteObjects`.
 */
export function evaluateRequest(scopes: readonly AccessScope[], op: ClassifiedOperation): AccessDecision {
  if (op.operation === 'ListBuckets') return ALLOWED;
  const bucket = op.bucket;
  if (bucket === undefined) return { allowed: false, reason: `${op.operation} needs a bucket` };
  if (op.operation === 'DeleteObjects') {
    const mayDelete = scopes.some(
      (s) => bucketMatches(s.bucket, bucket) && (scopeGrants(s, 'delete_object') || scopeGrants(s, 'delete_object_version')),
    );
    return mayDelete ? ALLOWED : { allowed: false, reason: `no delete_object scope on bucket ${bucket}` };
  }
  const request: AccessRequest = { action: op.action, bucket, key: op.key, listPrefix: op.listPrefix };
  if (!evaluateAccess(scopes, request)) return { allowed: false, reason: `not granted: ${describe(op.action, bucket, op.key, op.listPrefix)}` };
  for (const extra of op.additionalActions ?? []) {
    if (!evaluateAccess(scopes, { ...request, action: extra })) {
      return { allowed: false, reason: `not granted: ${describe(extra, bucket, op.key, op.listPrefix)} (required by request headers)` };
    }
  }
  const src = op.copySource;
  if (src !== undefined) {
    const action: S3Action = src.versionId === undefined ? 'get_object' : 'get_object_version';
    if (!evaluateAccess(scopes, { action, bucket: src.bucket, key: src.key })) {
      return { allowed: false, reason: `not granted on copy source: ${describe(action, src.bucket, src.key, undefined)}` };
    }
  }
  return ALLOWED;
}

export interface DeleteObjectsSplit<T> {
  readonly allowed: T[];
  readonly denied: T[];
}

/**
 * Per-key check of a DeleteObjects body: delete_object, or delete_object_version for entries
 * with a versionId, plus any `additionalActions` of the classified request (e.g. bypassing
 * governance retention). Denied entries become `AccessDenied` errors in the DeleteResult.
 */
export function evaluateDeleteObjects<T extends { readonly key: string; readonly versionId?: string | undefined }>(
  scopes: readonly AccessScope[],
  bucket: string,
  objects: readonly T[],
  additionalActions: readonly S3Action[] = [],
): DeleteObjectsSplit<T> {
  const allowed: T[] = [];
  const denied: T[] = [];
  for (const o of objects) {
    const action: S3Action = o.versionId === undefined ? 'delete_object' : 'delete_object_version';
    const ok =
      evaluateAccess(scopes, { action, bucket, key: o.key }) &&
      additionalActions.every((a) => evaluateAccess(scopes, { action: a, bucket, key: o.key }));
    (ok ? allowed : denied).push(o);
  }
  return { allowed, denied };
}

/** Exact bucket names named by scopes with at least one action, sorted: a synthesized ListBuckets. */
export function visibleBuckets(scopes: readonly AccessScope[]): string[] {
  const names = new Set<string>();
  for (const s of scopes) if (s.actions.length > 0 && !hasGlob(s.bucket)) names.add(s.bucket);
  return [...names].sort();
}

/** Whether some scope names its bucket with a glob: ListBuckets must then ask the upstream and filter. */
export function hasGlobScopes(scopes: readonly AccessScope[]): boolean {
  return scopes.some((s) => s.actions.length > 0 && hasGlob(s.bucket));
}

/** The names (from an upstream ListBuckets) that some scope with at least one action matches, order kept. */
export function filterBucketsByScopes(scopes: readonly AccessScope[], names: readonly string[]): string[] {
  const live = scopes.filter((s) => s.actions.length > 0);
  return names.filter((n) => live.some((s) => bucketMatches(s.bucket, n)));
}
