/**
 * Bucket and key from Host + path, in path style (`/bucket/key`) and virtual-host style
 * (`bucket.s3.example.com/key`).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
 */
import { S3Error } from './s3-error.js';

export type AddressingStyle = 'path' | 'virtual-host';

export interface AddressingInput {
  /** Host header as received (any case, may carry a port, IPv6 in brackets); undefined when absent. */
  readonly host: string | undefined;
  /** Path exactly as received, percent-encoding untouched, without the query string. */
  readonly rawPath: string;
  /** Domains under which `<bucket>.<domain>` is virtual-host addressing, e.g. `s3.example.com`. */
  readonly virtualHostDomains: readonly string[];
}

export interface Addressing {
  readonly bucket: string | undefined;
  /** Percent-decoded key, `//` and other oddities kept verbatim; undefined when empty. */
  readonly key: string | undefined;
  readonly style: AddressingStyle;
}

/**
 * A bucket label taken from the Host header: node accepts any printable Host, but a bucket
 * name never holds `/` (nor `:`, `@`, …); one that did would go upstream as more path segments.
 */
const HOST_BUCKET = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Throws S3Error InvalidURI on bad percent-encoding, InvalidBucketName when a path-style bucket
 * segment decodes to something containing `/` or a virtual-host bucket is not a host label.
 */
export function parseAddressing(input: AddressingInput): Addressing {
  const path = input.rawPath.startsWith('/') ? input.rawPath.slice(1) : input.rawPath;
  const hostBucket = input.host === undefined ? undefined : virtualHostBucket(input.host, input.virtualHostDomains);
  if (hostBucket !== undefined) {
    if (!HOST_BUCKET.test(hostBucket)) throw new S3Error('InvalidBucketName');
    return { bucket: hostBucket, key: nonEmpty(decodePathPart(path)), style: 'virtual-host' };
  }
  const slash = path.indexOf('/');
  const rawBucket = slash === -1 ? path : path.slice(0, slash);
  const bucket = decodePathPart(rawBucket);
  if (bucket.includes('/')) throw new S3Error('InvalidBucketName');
  const key = slash === -1 ? undefined : nonEmpty(decodePathPart(path.slice(slash + 1)));
  return { bucket: nonEmpty(bucket), key, style: 'path' };
}

/**
 * The bucket label when host is `<bucket>.<domain>` for one of the domains (the longest domain
 * wins, so `b.s3.example.com` with `example.com` and `s3.example.com` is bucket `b`); undefined
 * when the host is none of them or is exactly one of them.
 */
export function virtualHostBucket(host: string, domains: readonly string[]): string | undefined {
  if (domains.length === 0) return undefined;
  const name = stripPort(host).toLowerCase();
  let best = -1;
  for (const domain of domains) {
    const d = domain.toLowerCase();
    if (name === d) return undefined;
    if (d.length > best && name.length > d.length + 1 && name.endsWith(d) && name.charCodeAt(name.length - d.length - 1) === 0x2e) {
      best = d.length;
    }
  }
  return best === -1 ? undefined : name.slice(0, name.length - best - 1);
}

function stripPort(host: string): string {
  let h = host.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  if (colon !== -1) h = h.slice(0, colon);
  // A fully qualified name may end with a dot.
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** Percent-decodes a path part; `+` stays a literal plus. */
export function decodePathPart(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

function nonEmpty(s: string): string | undefined {
  return s === '' ? undefined : s;
}
