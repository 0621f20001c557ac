/**
 * Resolves a request (method, addressing, query, headers) to one row of the operation table.
 * Lookup maps are built once at module load; per request: one pass over the query parameters
 * and one map lookup, then a check of at most a few candidate rows.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
 */
import type { S3Action } from './actions.js';
import {
  COPY_OPERATIONS,
  LIST_OPERATIONS,
  NEUTRAL_QUERY_PARAMS,
  OPERATIONS,
  type OperationAccess,
  type OperationName,
  type OperationRow,
  type OperationTarget,
} from './operations.js';
import { S3Error } from './s3-error.js';

export type QueryInput = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;
export type HeadersInput = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface ClassifyInput {
  readonly method: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** Decoded query parameters: URLSearchParams, or a parsed map (repeated names as arrays). */
  readonly query: QueryInput;
  /** Lower-case header names. */
  readonly headers: HeadersInput;
}

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface ClassifiedOperation {
  readonly operation: OperationName;
  readonly action: S3Action;
  readonly access: OperationAccess;
  readonly target: OperationTarget;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  /** ListObjects/V2/Versions and ListMultipartUploads: the `prefix` parameter, '' when absent. */
  readonly listPrefix?: string;
  /** CopyObject and UploadPartCopy: the parsed x-amz-copy-source. */
  readonly copySource?: CopySource;
  /**
   * Actions also required on the same bucket/key because of headers that widen the operation:
   * a non-private canned ACL or x-amz-grant-* (put_object_acl), x-amz-tagging (put_object_tagging),
   * object-lock retention (put_object_retention) or legal hold (put_object_legal_hold) on writes,
   * x-amz-bypass-governance-retention on deletes (put_object_retention); on CreateBucket, an ACL
   * (put_bucket_acl), object lock (put_bucket_object_lock_configuration, put_bucket_versioning) or
   * x-amz-object-ownership (put_bucket_ownership_controls).
   */
  readonly additionalActions?: readonly S3Action[];
}

const COPY_SOURCE_HEADER = 'x-amz-copy-source';
/** MinIO / Snowball Edge: a PUT tar with this metadata is extracted into one object per entry. */
const AUTO_EXTRACT_HEADER = 'x-amz-meta-snowball-auto-extract';
const VERSION_ID = 'versionId';

interface Requirement {
  readonly name: string;
  readonly value: string | undefined;
}

interface CompiledRow {
  readonly row: OperationRow;
  readonly primary: Requirement | undefined;
  readonly others: readonly Requirement[];
  readonly header: string | undefined;
}

function parseRequirement(token: string): Requirement {
  const eq = token.indexOf('=');
  return eq === -1 ? { name: token, value: undefined } : { name: token.slice(0, eq), value: token.slice(eq + 1) };
}

/** Sub-resource names that select an operation (first query token of a row), except versionId. */
const PRIMARY_PARAMS = new Set<string>();
/** Every parameter that may appear without making the request unclassifiable. */
const KNOWN_PARAMS = new Set<string>(NEUTRAL_QUERY_PARAMS);
/** method → target → primary sub-resource ('' for none) → candidate rows, most specific first. */
const ROWS = new Map<string, Map<OperationTarget, Map<string, CompiledRow[]>>>();

for (const row of OPERATIONS as readonly OperationRow[]) {
  const tokens = row.query === undefined ? [] : row.query.split('&').map(parseRequirement);
  const [primary, ...others] = tokens;
  if (primary !== undefined && primary.name !== VERSION_ID) PRIMARY_PARAMS.add(primary.name);
  for (const t of tokens) KNOWN_PARAMS.add(t.name);
  const compiled: CompiledRow = { row, primary, others, header: row.header };
  let byTarget = ROWS.get(row.method);
  if (byTarget === undefined) ROWS.set(row.method, (byTarget = new Map()));
  let byPrimary = byTarget.get(row.target);
  if (byPrimary === undefined) byTarget.set(row.target, (byPrimary = new Map()));
  const list = byPrimary.get(primary?.name ?? '');
  if (list === undefined) byPrimary.set(primary?.name ?? '', [compiled]);
  else list.push(compiled);
}
// Most specific first: rows needing a header, then rows needing more parameters.
for (const byTarget of ROWS.values()) {
  for (const byPrimary of byTarget.values()) {
    for (const list of byPrimary.values()) {
      list.sort((a, b) => (a.header === undefined ? 1 : 0) - (b.header === undefined ? 1 : 0) || b.others.length - a.others.length);
    }
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The operation a request performs, or undefined when it matches no row (the caller denies).
 * Also undefined when a query parameter is repeated, when two sub-resources are combined, or
 * when an unknown query parameter is present. Throws S3Error InvalidArgument for a malformed
 * x-amz-copy-source.
 */
export function classifyOperation(input: ClassifyInput): ClassifiedOperation | undefined {
  const params = new Map<string, string>();
  if (!collectParams(input.query, params)) return undefined;

  let primary: string | undefined;
  let hasVersionId = false;
  // x-amz-* parameters: presigned URLs may carry headers (even x-amz-copy-source) in the query.
  let amzParams: Map<string, string> | undefined;
  for (const [name, value] of params) {
    if (PRIMARY_PARAMS.has(name)) {
      if (primary !== undefined) return undefined;
      primary = name;
    } else if (name === VERSION_ID) {
      hasVersionId = true;
    } else if (isAmzParam(name)) {
      const lower = name.toLowerCase();
      // The same x-amz-* header given twice (header and query) is ambiguous: refuse it rather
      // than check one copy while the upstream might act on the other.
      if (input.headers[lower] !== undefined || amzParams?.has(lower) === true) return undefined;
      (amzParams ??= new Map()).set(lower, value);
    } else if (!KNOWN_PARAMS.has(name)) {
      return undefined;
    }
  }

  const target: OperationTarget = input.bucket === undefined ? 'service' : input.key === undefined ? 'bucket' : 'object';
  const candidates = ROWS.get(input.method)
    ?.get(target)
    ?.get(primary ?? (hasVersionId ? VERSION_ID : ''));
  if (candidates === undefined) return undefined;

  let row: OperationRow | undefined;
  for (const c of candidates) {
    if (rowMatches(c, params, input.headers, amzParams)) {
      row = c.row;
      break;
    }
  }
  if (row === undefined) return undefined;
  // MinIO and Snowball unpack such an upload into objects named by the archive's entries, keys
  // the policy never sees: not supported.
  if (OBJECT_WRITES.has(row.name) && header(input.headers, amzParams, AUTO_EXTRACT_HEADER) !== undefined) return undefined;

  const result: Mutable<ClassifiedOperation> = {
    operation: row.name,
    action: row.action,
    access: row.access,
    target,
    bucket: input.bucket,
    key: input.key,
  };
  if (LIST_OPERATIONS.has(row.name)) result.listPrefix = params.get('prefix') ?? '';
  if (COPY_OPERATIONS.has(row.name)) {
    const raw = header(input.headers, amzParams, COPY_SOURCE_HEADER);
    if (typeof raw !== 'string') throw new S3Error('InvalidArgument', 'Exactly one x-amz-copy-source header is required.');
    result.copySource = parseCopySource(raw);
  }
  if (row.access === 'write' || row.name === 'CreateBucket') {
    const additionalActions = deriveAdditionalActions(row.name, input.headers, amzParams);
    if (additionalActions !== undefined) result.additionalActions = additionalActions;
  }
  return result;
}

/** A header, or the same x-amz-* name carried in a presigned query string. */
function header(headers: HeadersInput, amzParams: ReadonlyMap<string, string> | undefined, name: string): string | readonly string[] | undefined {
  return headers[name] ?? amzParams?.get(name);
}

function collectParams(query: QueryInput, out: Map<string, string>): boolean {
  if (query instanceof URLSearchParams) {
    for (const [name, value] of query) {
      if (out.has(name)) return false;
      out.set(name, value);
    }
    return true;
  }
  for (const name of Object.keys(query)) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.set(name, value);
    else if (value.length === 1 && value[0] !== undefined) out.set(name, value[0]);
    else return false;
  }
  return true;
}

function isAmzParam(name: string): boolean {
  return name.length > 6 && (name.charCodeAt(0) | 0x20) === 0x78 && name.slice(0, 6).toLowerCase() === 'x-amz-';
}

function rowMatches(
  c: CompiledRow,
  params: ReadonlyMap<string, string>,
  headers: HeadersInput,
  amzParams: ReadonlyMap<string, string> | undefined,
): boolean {
  if (c.header !== undefined && header(headers, amzParams, c.header) === undefined) return false;
  if (c.primary?.value !== undefined && params.get(c.primary.name) !== c.primary.value) return false;
  for (const r of c.others) {
    const v = params.get(r.name);
    if (v === undefined || (r.value !== undefined && v !== r.value)) return false;
  }
  return true;
}

/** Canned ACLs that grant nothing beyond the bucket owner. */
const HARMLESS_CANNED_ACLS: ReadonlySet<string> = new Set(['private', 'bucket-owner-full-control', 'bucket-owner-read']);
const GRANT_HEADERS = ['x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'] as const;
const OBJECT_WRITES: ReadonlySet<OperationName> = new Set<OperationName>(['PutObject', 'CopyObject', 'CreateMultipartUpload']);
const OBJECT_DELETES: ReadonlySet<OperationName> = new Set<OperationName>(['DeleteObject', 'DeleteObjects']);

function deriveAdditionalActions(
  operation: OperationName,
  headers: HeadersInput,
  amzParams: ReadonlyMap<string, string> | undefined,
): S3Action[] | undefined {
  // No local closures here: tsx/esbuild wraps named arrow functions in a costly __name() call.
  let extra: S3Action[] | undefined;
  if (OBJECT_WRITES.has(operation)) {
    if (widensAcl(headers, amzParams)) (extra ??= []).push('put_object_acl');
    if (header(headers, amzParams, 'x-amz-tagging') !== undefined) (extra ??= []).push('put_object_tagging');
    if (
      header(headers, amzParams, 'x-amz-object-lock-mode') !== undefined ||
      header(headers, amzParams, 'x-amz-object-lock-retain-until-date') !== undefined
    ) {
      (extra ??= []).push('put_object_retention');
    }
    if (header(headers, amzParams, 'x-amz-object-lock-legal-hold') !== undefined) (extra ??= []).push('put_object_legal_hold');
  } else if (OBJECT_DELETES.has(operation)) {
    if (header(headers, amzParams, 'x-amz-bypass-governance-retention') !== undefined) (extra ??= []).push('put_object_retention');
  } else if (operation === 'CreateBucket') {
    // As AWS requires for CreateBucket with these headers (API_CreateBucket.html, Permissions).
    if (widensAcl(headers, amzParams) || header(headers, amzParams, 'x-amz-grant-write') !== undefined) (extra ??= []).push('put_bucket_acl');
    const lock = header(headers, amzParams, 'x-amz-bucket-object-lock-enabled');
    if (lock !== undefined && !(typeof lock === 'string' && lock.trim().toLowerCase() === 'false')) {
      (extra ??= []).push('put_bucket_object_lock_configuration', 'put_bucket_versioning');
    }
    if (header(headers, amzParams, 'x-amz-object-ownership') !== undefined) (extra ??= []).push('put_bucket_ownership_controls');
  }
  return extra;
}

/** A canned ACL other than a harmless one, or any x-amz-grant-* header of an object ACL. */
function widensAcl(headers: HeadersInput, amzParams: ReadonlyMap<string, string> | undefined): boolean {
  const acl = header(headers, amzParams, 'x-amz-acl');
  if (acl !== undefined && !(typeof acl === 'string' && HARMLESS_CANNED_ACLS.has(acl.trim().toLowerCase()))) return true;
  for (const h of GRANT_HEADERS) if (header(headers, amzParams, h) !== undefined) return true;
  return false;
}

/**
 * Parses x-amz-copy-source: `[/]bucket/key[?versionId=id]`, URL-encoded or not.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_RequestSyntax
 * Throws S3Error InvalidArgument when malformed (access-point ARNs are not supported).
 */
/** Bucket names S3 accepts, legacy ones included (upper case, underscores): never ':' or '/'. */
const COPY_SOURCE_BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

export function parseCopySource(value: string): CopySource {
  let text = value.trim();
  if (text.startsWith('arn:')) throw invalidCopySource('access point ARNs are not supported');
  if (text.startsWith('/')) text = text.slice(1);
  const q = text.indexOf('?');
  let versionId: string | undefined;
  if (q !== -1) {
    const query = text.slice(q + 1);
    text = text.slice(0, q);
    if (!query.startsWith('versionId=') || query.includes('&')) throw invalidCopySource('only ?versionId= may follow the key');
    versionId = decodeOrThrow(query.slice('versionId='.length));
    if (versionId === '') throw invalidCopySource('empty versionId');
  }
  const decoded = decodeOrThrow(text);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw invalidCopySource('expected bucket/key');
  const bucket = decoded.slice(0, slash);
  const key = decoded.slice(slash + 1);
  if (!COPY_SOURCE_BUCKET.test(bucket)) throw invalidCopySource('the source bucket is not a valid bucket name');
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

function invalidCopySource(why: string): S3Error {
  return new S3Error('InvalidArgument', `Invalid copy source: ${why}.`, { ArgumentName: COPY_SOURCE_HEADER });
}

function decodeOrThrow(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw invalidCopySource('bad percent-encoding');
  }
}
