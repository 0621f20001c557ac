/**
 * CORS for browsers using presigned URLs or signed fetches. A preflight is never signed,
 * so it is answered here without touching the upstream; it grants nothing by itself —
 * the actual request is still verified and scoped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../s3/s3-error.js';

const EXPOSED = 'ETag, x-amz-request-id, x-amz-version-id, x-amz-delete-marker, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, x-amz-checksum-sha256, Content-Length, Content-Range, Last-Modified';

/** Adds the CORS response headers for a request with an Origin (no object spread: V8 11's is slow). */
export function addCorsHeaders(req: IncomingMessage, headers: Record<string, string>): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  headers['access-control-allow-origin'] = origin;
  headers['access-control-expose-headers'] = EXPOSED;
  headers.vary = 'Origin';
}

/** Answers a CORS preflight; throws InvalidRequest (S3 XML) when Origin or Access-Control-Request-Method is missing. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
  const origin = req.headers.origin;
  const method = req.headers['access-control-request-method'];
  if (origin === undefined || method === undefined) {
    throw new S3Error('InvalidRequest', 'Insufficient information. Origin request header needed.');
  }
  const out: Record<string, string> = {
    ...headers,
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, PUT, POST, DELETE, HEAD',
    'access-control-max-age': '3000',
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    'content-length': '0',
  };
  const requested = req.headers['access-control-request-headers'];
  if (requested !== undefined) out['access-control-allow-headers'] = requested;
  res.writeHead(200, out);
  res.end();
}
