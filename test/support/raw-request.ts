/**
 * Signs a raw request with @smithy/signature-v4 (as the SDKs do) for tests that need exact
 * control, and exchanges raw bytes with a listener for tests that need malformed HTTP.
 */
import { connect } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from './node-sha256.js';
import type { TestKey } from './proxy.js';

export interface RawRequest {
  method: string;
  /** Host header to sign and send, e.g. "127.0.0.1:8090" or "alpha.s3.test:8090". */
  host: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  payloadHash?: string;
  region?: string;
  signingDate?: Date;
}

export async function signRaw(key: TestKey, req: RawRequest): Promise<{ path: string; headers: Record<string, string> }> {
  const signer = new SignatureV4({ service: 's3', region: req.region ?? 'us-east-1', credentials: key, sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const [hostname = '', port] = req.host.split(':');
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname,
      ...(port === undefined ? {} : { port: Number(port) }),
      path: req.path,
      query: req.query ?? {},
      headers: { host: req.host, 'x-amz-content-sha256': req.payloadHash ?? 'UNSIGNED-PAYLOAD', ...(req.headers ?? {}) },
    },
    { signingDate: req.signingDate ?? new Date() },
  );
  const qs = Object.entries(req.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return { path: qs === '' ? req.path : `${req.path}?${qs}`, headers: signed.headers };
}

/**
 * Writes `request` as is on a new connection to 127.0.0.1:port and resolves with every byte the
 * server sent (latin1) once the connection closes; after `timeoutMs` the socket is destroyed,
 * so a server that never closes yields what it had sent by then.
 */
export function rawExchange(port: number, request: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.write(request);
  });
}
