/**
 * Shared pieces of the end-to-end tests (test/e2e): real client programs run as
 * subprocesses with a sealed environment, random payload files, upstream inspection
 * through moto's admin client, a proxy over http or https, and a recorder of the payload
 * modes (x-amz-content-sha256 …) each client really sent.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import type { MotoServer } from './moto.js';
import type { TestProxy } from './proxy.js';
import { makeSelfSignedCert, type SelfSignedCert } from './tls.js';

export interface ClientResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client program; never throws on a non-zero exit (the tests assert on it). */
export function runClient(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(new Error(`${command} ${args.join(' ')} did not run: ${err.message}\n${stderr}`));
        return;
      }
      resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

/** Makes a fresh temporary directory under os.tmpdir(). */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `s3gate-e2e-${label}-`));
}

/**
 * An environment with nothing of the user's leaking in: a temp HOME, empty AWS config
 * files, only PATH and a UTF-8 locale from the outside.
 */
export function sealedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempDir('home');
  const config = join(home, 'aws-config');
  const credentials = join(home, 'aws-credentials');
  writeFileSync(config, '');
  writeFileSync(credentials, '');
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    PYTHONIOENCODING: 'utf-8',
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function fileSha256(path: string): Promise<string> {
  return sha256Hex(await readFile(path));
}

/** Writes `sizeBytes` random bytes to `dir/name` and returns the path and the digest. */
export function randomFile(dir: string, name: string, sizeBytes: number): { path: string; sha256: string; bytes: Buffer } {
  const bytes = randomBytes(sizeBytes);
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return { path, sha256: sha256Hex(bytes), bytes };
}

/** The object's bytes as the upstream holds them, or undefined when it does not exist. */
export async function upstreamObject(moto: MotoServer, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const got = await moto.admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  } catch (err) {
    if (err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.$metadata.httpStatusCode === 404)) return undefined;
    throw err;
  }
}

export async function upstreamExists(moto: MotoServer, bucket: string, key: string): Promise<boolean> {
  try {
    await moto.admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return false;
    throw err;
  }
}

/** Keys under a prefix, as the upstream lists them. */
export async function upstreamKeys(moto: MotoServer, bucket: string, prefix: string): Promise<string[]> {
  const listed = await moto.admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((c) => c.Key ?? '').sort();
}

/** One request as it arrived at the proxy (headers only), for the payload-mode record. */
export interface SeenRequest {
  readonly port: number;
  readonly method: string;
  readonly url: string;
  readonly auth: string;
  readonly contentSha256: string | undefined;
  readonly contentEncoding: string | undefined;
  readonly trailer: string | undefined;
  readonly checksumHeaders: string[];
  /** What kind of request it was, for the summary: part upload, copy, … */
  readonly kind: string;
}

function authKind(req: IncomingMessage, url: string): string {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    if (header.startsWith('AWS4-HMAC-SHA256')) return 'header-v4';
    if (header.startsWith('AWS ')) return 'header-v2';
    return 'header-other';
  }
  if (url.includes('X-Amz-Signature=')) return 'presigned-v4';
  if (url.includes('Signature=')) return 'presigned-v2';
  return 'anonymous';
}

function requestKind(method: string, url: string, copy: boolean): string {
  const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
  if (method === 'PUT' && /[?&]partNumber=/.test(query)) return copy ? 'PUT(UploadPartCopy)' : 'PUT(UploadPart)';
  if (method === 'PUT' && copy) return 'PUT(CopyObject)';
  if (method === 'POST' && /[?&]uploads(=|&|$)/.test(query)) return 'POST(CreateMultipartUpload)';
  if (method === 'POST' && /[?&]uploadId=/.test(query)) return 'POST(CompleteMultipartUpload)';
  if (method === 'POST' && /[?&]delete(=|&|$)/.test(query)) return 'POST(DeleteObjects)';
  return method;
}

/**
 * Records the headers of every request an in-process HTTP(S) server receives, through
 * node's `http.server.request.start` diagnostics channel: nothing in the proxy changes.
 */
export class RequestRecorder {
  readonly seen: SeenRequest[] = [];
  private readonly onMessage = (message: unknown): void => {
    const { request } = message as { request: IncomingMessage };
    const url = request.url ?? '';
    const h = request.headers;
    const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);
    this.seen.push({
      port: request.socket.localPort ?? 0,
      method: request.method ?? '',
      url,
      auth: authKind(request, url),
      contentSha256: one(h['x-amz-content-sha256']),
      contentEncoding: one(h['content-encoding']),
      trailer: one(h['x-amz-trailer']),
      checksumHeaders: Object.keys(h).filter((k) => k.startsWith('x-amz-checksum-') || k === 'content-md5'),
      kind: requestKind(request.method ?? '', url, h['x-amz-copy-source'] !== undefined),
    });
  };

  constructor() {
    subscribe('http.server.request.start', this.onMessage);
  }

  close(): void {
    unsubscribe('http.server.request.start', this.onMessage);
  }

  /** Distinct "METHOD auth payload-mode" lines seen on one port, for docs/testing.md. */
  summary(port: number): string[] {
    const lines = new Set<string>();
    for (const r of this.seen) {
      if (r.port !== port) continue;
      const mode = r.contentSha256 === undefined ? '(no x-amz-content-sha256)' : /^[0-9a-f]{64}$/.test(r.contentSha256) ? '<sha256 hex>' : r.contentSha256;
      const extras = [r.trailer === undefined ? '' : `trailer=${r.trailer}`, r.checksumHeaders.length > 0 ? `headers=${r.checksumHeaders.join('+')}` : '']
        .filter((s) => s !== '')
        .join(' ');
      lines.add(`${r.kind} ${r.auth} ${mode}${extras === '' ? '' : ` ${extras}`}`);
    }
    return [...lines].sort();
  }

  /** Payload modes (x-amz-content-sha256 kinds) seen on one port for a method. */
  modes(port: number, method: string): Set<string> {
    const modes = new Set<string>();
    for (const r of this.seen) {
      if (r.port !== port || r.method !== method || r.contentSha256 === undefined) continue;
      modes.add(/^[0-9a-f]{64}$/.test(r.contentSha256) ? 'sha256' : r.contentSha256);
    }
    return modes;
  }
}

export interface E2EProxy {
  readonly proxy: TestProxy;
  readonly scheme: 'http' | 'https';
  readonly url: string;
  readonly port: number;
  /** The self-signed certificate (https only). */
  readonly tls: SelfSignedCert | undefined;
}

/** Starts s3gate over http or over https with a fresh self-signed certificate. */
export async function startE2EProxy(moto: MotoServer, credentialsToml: string, scheme: 'http' | 'https'): Promise<E2EProxy> {
  const tls = scheme === 'https' ? makeSelfSignedCert() : undefined;
  // Imported here so the helpers above load without the proxy's sources.
  const { startProxy } = await import('./proxy.js');
  const proxy = await startProxy(moto, credentialsToml, tls?.serverToml ?? '');
  if (!proxy.url.startsWith(`${scheme}://`)) throw new Error(`expected an ${scheme} proxy, got ${proxy.url}`);
  return { proxy, scheme, url: proxy.url, port: Number(new URL(proxy.url).port), tls };
}

/** Writes the e2e payload-mode summary to stderr when S3GATE_E2E_MODES=1 (used to write docs/testing.md). */
export function reportModes(label: string, recorder: RequestRecorder, proxies: readonly E2EProxy[]): void {
  if (process.env.S3GATE_E2E_MODES !== '1') return;
  for (const p of proxies) {
    process.stderr.write(`\n== ${label} over ${p.scheme} ==\n${recorder.summary(p.port).join('\n')}\n`);
  }
}

/** Fetches a (presigned) URL with undici, trusting `caPem` for https. */
export async function fetchUrl(url: string, init: { method?: string; body?: Buffer; caPem?: string | undefined } = {}): Promise<{ status: number; body: Buffer }> {
  const { Agent, fetch } = await import('undici');
  const dispatcher = new Agent(init.caPem === undefined ? {} : { connect: { ca: init.caPem } });
  try {
    const response = await fetch(url, { method: init.method ?? 'GET', dispatcher, ...(init.body === undefined ? {} : { body: init.body }) });
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  } finally {
    await dispatcher.close();
  }
}

/**
 * Whether moto logged a request for `bucket` (path `/bucket`, `/bucket/…` or `/bucket?…`)
 * after `since` (an earlier `moto.requests.length`): proof a denied request never arrived.
 */
export function upstreamSawBucket(moto: MotoServer, bucket: string, since: number): boolean {
  return moto.requests.slice(since).some((line) => {
    const path = line.split(' ')[1] ?? '';
    return path === `/${bucket}` || path.startsWith(`/${bucket}/`) || path.startsWith(`/${bucket}?`);
  });
}
