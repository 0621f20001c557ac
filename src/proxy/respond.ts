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
  const headers: Record<string, string | number> = {
    ...opts.headers,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  };
  if (opts.closeConnection) headers.connection = 'close';
  recordBytesOut(res, headers['content-length']);
  res.writeHead(error.status, headers);
  res.end(body);
}

export function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string>, method: string): void {
  const length = Buffer.byteLength(xml);
  recordBytesOut(res, length);
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': length });
  res.end(method === 'HEAD' ? undefined : xml);
}
