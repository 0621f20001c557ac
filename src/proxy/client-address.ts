/**
 * X-Forwarded-* from trusted reverse proxies only. Behind a trusted proxy the client's own
 * Host (which it signed) comes back from X-Forwarded-Host, and the client address from the
 * right-most untrusted entry of X-Forwarded-For. From anyone else these headers are ignored.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export function buildTrustedProxies(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}

export interface ForwardedView {
  /** The Host the client used (and signed): X-Forwarded-Host behind a trusted proxy, else Host. */
  readonly host: string;
  /** The client address to log. */
  readonly clientAddress: string | undefined;
}

/**
 * The request's host and client address, taking X-Forwarded-* into account only when the
 * peer is trusted. The request itself is not changed: callers use `host` for both
 * addressing and signature verification, so the two can never disagree.
 */
export function resolveForwarded(req: IncomingMessage, trusted: BlockList | undefined): ForwardedView {
  const peer = req.socket.remoteAddress;
  const host = req.headers.host ?? '';
  if (trusted === undefined || !isTrusted(trusted, peer)) return { host, clientAddress: peer };
  const forwardedHost = req.headers['x-forwarded-host'];
  const effectiveHost = typeof forwardedHost === 'string' && forwardedHost !== '' ? (forwardedHost.split(',')[0]?.trim() ?? host) : host;
  const chain = req.headers['x-forwarded-for'];
  if (typeof chain !== 'string') return { host: effectiveHost, clientAddress: peer };
  const hops = chain
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    if (hop !== undefined && !isTrusted(trusted, hop)) return { host: effectiveHost, clientAddress: hop };
  }
  return { host: effectiveHost, clientAddress: hops[0] ?? peer };
}
