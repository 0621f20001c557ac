import type { ServerResponse } from 'node:http';
import { recordBytesOut } from '../core/response-bytes.js';
import { S3Error, isS3Error } from '../s3/s3-error.js';
import { buildErrorXml } from '../s3/xml.js';

/** Turns anything thrown on the S3 path into an S3Error; unknown errors become InternalError. */
export function asS3Error(err: unknown): S3Error {
  return isS3Error(err) ? err : new S3Error('InternalError');
}

/** Writes an S3 XML error (no body for HEAD). If the response has started, the socket is destroyed instead. */
export function sendS3Error(
  res: ServerResponse,
  error: S3Error,
  opts: { method: string; resource: string; requestId: string; headers: Record<string, string>; closeConnection: boolean },
): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body =
    opts.method === 'HEAD'
      ? ''
      : buildErrorXml({ code: error.code, message: error.message, resource: opts.resource, requestId: opts.requestId, extra: error.extra });
  const headers = withHeaders(opts.headers);
  headers['content-type'] = 'application/xml';
  headers['content-length'] = Buffer.byteLength(body);
  if (opts.closeConnection) headers.connection = 'close';
  recordBytesOut(res, headers['content-length']);
  res.writeHead(error.status, headers);
  res.end(body);
}

export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string>, method: string): void {
  const length = Buffer.byteLength(xml);
  recordBytesOut(res, length);
  const out = withHeaders(headers);
  out['content-type'] = 'application/xml';
  out['content-length'] = length;
  res.writeHead(status, out);
  res.end(method === 'HEAD' ? undefined : xml);
}

/**
 * A copy to add headers to. Not `{ ...headers, name: value }`: V8 11 (node 20) takes a slow path
 * for properties after a spread, ≈ 0.75 µs each on this machine.
 */
function withHeaders(headers: Readonly<Record<string, string>>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const name in headers) out[name] = headers[name] as string;
  return out;
}
