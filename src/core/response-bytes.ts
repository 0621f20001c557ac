import type { ServerResponse } from 'node:http';

/**
 * The body size a response declared, recorded by whoever wrote its head (headers given to
 * writeHead() are not visible through getHeader()), for the request log and audit.
 */
const BYTES_OUT = Symbol('s3gate.bytesOut');

type Tagged = ServerResponse & { [BYTES_OUT]?: number };

export function recordBytesOut(res: ServerResponse, contentLength: string | string[] | number | undefined): void {
  const n = typeof contentLength === 'number' ? contentLength : Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (Number.isFinite(n)) (res as Tagged)[BYTES_OUT] = n;
}

export function bytesOut(res: ServerResponse): number {
  return (res as Tagged)[BYTES_OUT] ?? 0;
}
