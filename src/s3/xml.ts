/**
 * XML bodies the gateway writes (errors, ListBuckets, DeleteObjects results, bucket location) and
 * the two it reads (a DeleteObjects request, an upstream ListBuckets answer).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
 */
import { createRequire } from 'node:module';
import type { X2jOptions, XMLParser } from 'fast-xml-parser';
import { escapeXml } from '../core/xml-escape.js';
import { S3Error } from './s3-error.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
/** DeleteObjects accepts at most this many keys per request. */
export const MAX_DELETE_OBJECTS = 1000;

const ELEMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Escapes element text. A carriage return is written as `&#13;`: XML parsers turn a literal CR
 * (and CRLF) into LF, which would silently change a key on its way upstream.
 */
function escapeText(text: string): string {
  const escaped = escapeXml(text);
  return escaped.includes('\r') ? escaped.replace(/\r/g, '&#13;') : escaped;
}

function el(name: string, text: string): string {
  return `<${name}>${escapeText(text)}</${name}>`;
}

// ---------------------------------------------------------------------------------------------
// Builders

export interface ErrorXmlInput {
  readonly code: string;
  readonly message: string;
  readonly resource?: string | undefined;
  readonly requestId: string;
  /** Extra elements after RequestId (e.g. StringToSign); names that are not XML names are skipped. */
  readonly extra?: Readonly<Record<string, string>> | undefined;
}

export function buildErrorXml(input: ErrorXmlInput): string {
  let body = el('Code', input.code) + el('Message', input.message);
  if (input.resource !== undefined) body += el('Resource', input.resource);
  body += el('RequestId', input.requestId);
  if (input.extra !== undefined) {
    for (const [name, value] of Object.entries(input.extra)) if (ELEMENT_NAME.test(name)) body += el(name, value);
  }
  return `${DECLARATION}<Error>${body}</Error>`;
}

export interface BucketEntry {
  readonly name: string;
  /** ISO-8601 string, or a Date (rendered with toISOString). */
  readonly creationDate: string | Date;
}

export interface ListBucketsXmlInput {
  readonly ownerId: string;
  readonly ownerName: string;
  readonly buckets: readonly BucketEntry[];
}

export function buildListBucketsXml(input: ListBucketsXmlInput): string {
  let buckets = '';
  for (const b of input.buckets) {
    const date = typeof b.creationDate === 'string' ? b.creationDate : b.creationDate.toISOString();
    buckets += `<Bucket>${el('Name', b.name)}${el('CreationDate', date)}</Bucket>`;
  }
  return (
    `${DECLARATION}<ListAllMyBucketsResult xmlns="${S3_XMLNS}">` +
    `<Owner>${el('ID', input.ownerId)}${el('DisplayName', input.ownerName)}</Owner>` +
    `<Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`
  );
}

export interface DeletedEntry {
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly deleteMarker?: boolean | undefined;
  readonly deleteMarkerVersionId?: string | undefined;
}

export interface DeleteErrorEntry {
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly code: string;
  readonly message: string;
}

export interface DeleteResultXmlInput {
  readonly deleted: readonly DeletedEntry[];
  readonly errors: readonly DeleteErrorEntry[];
}

export function buildDeleteResultXml(input: DeleteResultXmlInput): string {
  let body = '';
  for (const d of input.deleted) {
    body += `<Deleted>${el('Key', d.key)}`;
    if (d.versionId !== undefined) body += el('VersionId', d.versionId);
    if (d.deleteMarker !== undefined) body += el('DeleteMarker', String(d.deleteMarker));
    if (d.deleteMarkerVersionId !== undefined) body += el('DeleteMarkerVersionId', d.deleteMarkerVersionId);
    body += '</Deleted>';
  }
  for (const e of input.errors) {
    body += `<Error>${el('Key', e.key)}`;
    if (e.versionId !== undefined) body += el('VersionId', e.versionId);
    body += `${el('Code', e.code)}${el('Message', e.message)}</Error>`;
  }
  return `${DECLARATION}<DeleteResult xmlns="${S3_XMLNS}">${body}</DeleteResult>`;
}

/** us-east-1 (and '') is answered with an empty LocationConstraint, as S3 does. */
export function buildLocationConstraintXml(region: string): string {
  if (region === '' || region === 'us-east-1') return `${DECLARATION}<LocationConstraint xmlns="${S3_XMLNS}"/>`;
  return `${DECLARATION}<LocationConstraint xmlns="${S3_XMLNS}">${escapeText(region)}</LocationConstraint>`;
}

export interface DeleteObjectsRequest {
  readonly quiet: boolean;
  readonly objects: readonly DeleteObjectEntry[];
}

export interface DeleteObjectEntry {
  readonly key: string;
  readonly versionId?: string;
}

/**
 * Re-serializes a parsed DeleteObjects body. Forward THIS upstream rather than the client's bytes,
 * so the keys the policy checked are exactly the keys the backend deletes.
 */
export function buildDeleteObjectsXml(request: DeleteObjectsRequest): string {
  let body = '';
  for (const o of request.objects) {
    body += `<Object>${el('Key', o.key)}${o.versionId === undefined ? '' : el('VersionId', o.versionId)}</Object>`;
  }
  if (request.quiet) body += '<Quiet>true</Quiet>';
  return `${DECLARATION}<Delete xmlns="${S3_XMLNS}">${body}</Delete>`;
}

// ---------------------------------------------------------------------------------------------
// Parsers
//
// fast-xml-parser with values kept as raw text: no number coercion (`0001`, `1e5` stay strings),
// no trimming (keys may begin or end with spaces), and entity handling done here, strictly: the
// five XML entities and numeric character references, anything else is malformed. CDATA comes
// back under its own property so its content is never entity-decoded. DTDs are refused.

const CDATA = '#cdata';
const TEXT = '#text';

/**
 * fast-xml-parser is loaded on the first XML body parsed (DeleteObjects, a glob scope's
 * ListBuckets), not at start: ≈ 3 MiB of resident memory a proxy that never parses XML does not
 * need. Loaded synchronously (its CommonJS build), so the parsers stay synchronous.
 */
let fxp: typeof import('fast-xml-parser') | undefined;
let parserInstance: XMLParser | undefined;

function xmlParser(): { parser: XMLParser; validate: (typeof import('fast-xml-parser'))['XMLValidator']['validate'] } {
  fxp ??= createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');
  parserInstance ??= new fxp.XMLParser(PARSER_OPTIONS);
  return { parser: parserInstance, validate: fxp.XMLValidator.validate };
}

const PARSER_OPTIONS: X2jOptions = {
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: CDATA,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
  isArray: (_name: string, jpath: unknown) => ARRAY_PATHS.has(String(jpath)),
};

const ARRAY_PATHS: ReadonlySet<string> = new Set([
  'Delete.Object',
  'Delete.Object.Key',
  'Delete.Object.VersionId',
  'Delete.Quiet',
  'ListAllMyBucketsResult.Buckets',
  'ListAllMyBucketsResult.Buckets.Bucket',
  'ListAllMyBucketsResult.Buckets.Bucket.Name',
  'ListAllMyBucketsResult.Buckets.Bucket.CreationDate',
]);

const ENTITY = /&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);|&/g;
const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes XML entity and character references; returns undefined on an invalid reference. */
export function decodeXmlText(raw: string): string | undefined {
  if (!raw.includes('&')) return raw;
  let bad = false;
  const out = raw.replace(ENTITY, (whole: string, ref: string | undefined) => {
    if (ref === undefined) {
      bad = true;
      return whole;
    }
    const named = NAMED[ref];
    if (named !== undefined) return named;
    const code = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    if (!isXmlChar(code)) {
      bad = true;
      return whole;
    }
    return String.fromCodePoint(code);
  });
  return bad ? undefined : out;
}

function isXmlChar(c: number): boolean {
  return (
    c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff)
  );
}

/** Characters XML 1.0 forbids anywhere in a document (raw, not as references). */
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function parseDocument(text: string, onError: () => S3Error): Record<string, unknown> {
  if (/<!DOCTYPE/i.test(text) || FORBIDDEN_CHARS.test(text)) throw onError();
  const { parser, validate } = xmlParser();
  if (validate(text) !== true) throw onError();
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch {
    throw onError();
  }
  if (!isRecord(doc)) throw onError();
  return doc;
}

/** The root element's value when it is the document's only element; undefined otherwise. */
function onlyRoot(doc: Record<string, unknown>, name: string): unknown {
  for (const k of Object.keys(doc)) if (k !== name && k !== TEXT) return undefined;
  return doc[name];
}

/** An element holding child elements; an empty or whitespace-only element (parsed as text) counts as one with none. */
function asContainer(v: unknown): Record<string, unknown> | undefined {
  if (isRecord(v)) return v;
  if (typeof v === 'string' && v.trim() === '') return {};
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text of an element: plain text (entity-decoded) or one CDATA section (verbatim). */
function elementText(v: unknown): string | undefined {
  if (typeof v === 'string') return decodeXmlText(v);
  if (isRecord(v)) {
    const names = Object.keys(v);
    if (names.length === 1 && names[0] === CDATA) {
      const c = v[CDATA];
      if (typeof c === 'string') return c;
    }
    if (names.length === 0) return '';
  }
  return undefined;
}

/** The single text of an element that occurs at most once (isArray paths); undefined when absent. */
function single(v: unknown, onError: () => S3Error): string | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 1) throw onError();
  const t = elementText(v[0]);
  if (t === undefined) throw onError();
  return t;
}

/**
 * Parses a DeleteObjects body. Throws S3Error MalformedXML when the XML is not well-formed, the
 * root is not Delete, an Object lacks a Key, there are no objects or more than 1000, or Quiet is
 * not true/false.
 */
export function parseDeleteObjectsXml(text: string): DeleteObjectsRequest {
  const malformed = (): S3Error => new S3Error('MalformedXML');
  const doc = parseDocument(text, malformed);
  const root = onlyRoot(doc, 'Delete');
  if (!isRecord(root)) throw malformed();

  const quietText = single(root['Quiet'], malformed)?.trim();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw malformed();

  const list = root['Object'];
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_DELETE_OBJECTS) throw malformed();
  const objects: DeleteObjectEntry[] = [];
  for (const o of list) {
    if (!isRecord(o)) throw malformed();
    const key = single(o['Key'], malformed);
    if (key === undefined || key === '') throw malformed();
    const versionId = single(o['VersionId'], malformed);
    objects.push(versionId === undefined || versionId === '' ? { key } : { key, versionId });
  }
  return { quiet: quietText === 'true', objects };
}

export interface ListAllMyBucketsResult {
  readonly owner: { readonly id: string; readonly displayName: string } | undefined;
  readonly buckets: readonly { readonly name: string; readonly creationDate: string }[];
}

/** Parses an upstream ListBuckets answer. Throws S3Error BadGateway when it is not one. */
export function parseListAllMyBucketsXml(text: string): ListAllMyBucketsResult {
  const bad = (): S3Error => new S3Error('BadGateway', 'The upstream ListBuckets response could not be parsed.');
  const doc = parseDocument(text, bad);
  const root = asContainer(onlyRoot(doc, 'ListAllMyBucketsResult'));
  if (root === undefined) throw bad();

  let owner: ListAllMyBucketsResult['owner'];
  const o = root['Owner'];
  if (isRecord(o)) {
    owner = { id: elementText(o['ID']) ?? '', displayName: elementText(o['DisplayName']) ?? '' };
  }

  const buckets: { name: string; creationDate: string }[] = [];
  const containers = root['Buckets'];
  if (containers !== undefined) {
    if (!Array.isArray(containers) || containers.length !== 1) throw bad();
    const container = asContainer(containers[0]);
    if (container === undefined) throw bad();
    const entries = container['Bucket'] ?? [];
    if (!Array.isArray(entries)) throw bad();
    for (const b of entries) {
      if (!isRecord(b)) throw bad();
      const name = single(b['Name'], bad);
      if (name === undefined || name === '') throw bad();
      buckets.push({ name, creationDate: (single(b['CreationDate'], bad) ?? '').trim() });
    }
  }
  return { owner, buckets };
}
