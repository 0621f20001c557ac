/**
 * Which client request headers travel upstream. Everything an S3 client may rely on passes
 * (x-amz-meta-*, checksums, SSE, tagging, object lock, conditionals, Range,
 * x-amz-copy-source*); hop-by-hop headers, the client's auth, the aws-chunked framing headers
 * and other vendors' x- headers do not: the upstream request is re-signed and carries the
 * decoded body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PayloadMode } from '../sigv4/signable-request.js';

const DROP = new Set([
  'host',
  'authorization',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'content-length',
  'x-amz-content-sha256',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-decoded-content-length',
  'x-amz-trailer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
  'origin',
  // Method overrides: an upstream or front end that honours them would run another operation
  // than the one classified and authorised.
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

/**
 * Vendor extension headers (every `x-` header outside `x-amz-`): a presigned URL does not sign
 * them and the policy never sees them, yet the admin key would sign them upstream, and
 * S3-compatible servers act on their own: MinIO's x-minio-force-delete makes DeleteObject a
 * recursive, all-versions prefix delete and its x-minio-source-* replication headers set version
 * ids and times; GCS honours x-goog-acl; Ceph RGW, OSS, COS and OBS have x-rgw-*, x-oss-*,
 * x-cos-*, x-obs-* of their own. AWS S3 acts on none of them, so none is forwarded (deny by
 * default rather than a list of vendors that is never complete).
 */
function isVendorHeader(name: string): boolean {
  return name.charCodeAt(0) === 0x78 /* x */ && name.charCodeAt(1) === 0x2d /* - */ && !name.startsWith('x-amz-');
}

export function buildForwardHeaders(headers: IncomingHttpHeaders, payload: PayloadMode): Record<string, string> {
  const out: Record<string, string> = {};
  const streaming = payload.kind === 'streaming-signed' || payload.kind === 'streaming-unsigned-trailer';
  for (const name in headers) {
    if (DROP.has(name) || isVendorHeader(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'content-encoding' && streaming) {
      const rest = value
        .toString()
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked');
      if (rest.length > 0) out[name] = rest.join(',');
      continue;
    }
    // The trailer checksum is verified here and not forwarded, so the algorithm header
    // would promise the upstream a checksum that never comes.
    if (name === 'x-amz-sdk-checksum-algorithm' && streaming && payload.trailer !== undefined) continue;
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}
