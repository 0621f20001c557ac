/**
 * Starts s3gate with the SQLite store and the admin API in front of a real upstream, and a
 * small JSON client for the admin API (login, then bearer requests) over real sockets.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { type RunningServer, startServer } from '../../src/main.js';
import type { MotoServer } from './moto.js';

export const TEST_MASTER_KEY = 'a1'.repeat(32);
export const ADMIN_USERNAME = 'root';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface StoreProxy {
  readonly url: string;
  readonly adminUrl: string;
  readonly server: RunningServer;
  readonly dir: string;
  readonly configPath: string;
  /** Every JSON log line the proxy wrote. */
  readonly logLines: string[];
  readonly admin: AdminClient;
  stop(): Promise<void>;
}

export interface StoreProxyOptions {
  /** Extra top-level TOML ([audit], [[credentials]], …). */
  readonly extraToml?: string;
  /** Reuse a data directory (a second process on the same database). */
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
  readonly storePollIntervalMs?: number;
  /** Extra lines inside [server] (e.g. trusted_proxies). */
  readonly serverToml?: string;
}

export function buildStoreConfigToml(upstream: MotoServer, dataDir: string, extraToml = '', serverToml = ''): string {
  return `[server]
listen = "127.0.0.1:0"
${serverToml}

[store]
path = "${dataDir}"

[admin]
listen = "127.0.0.1:0"

[[backends]]
name = "default"
endpoint = "${upstream.endpoint}"
region = "us-east-1"
access_key_id = "${upstream.accessKeyId}"
secret_access_key = "${upstream.secretAccessKey}"
path_style = true

${extraToml}
`;
}

export async function startStoreProxy(upstream: MotoServer, options: StoreProxyOptions = {}): Promise<StoreProxy> {
  const dir = mkdtempSync(join(tmpdir(), 's3gate-store-'));
  const dataDir = options.dataDir ?? join(dir, 'data');
  const configPath = join(dir, 'proxy.toml');
  writeFileSync(configPath, buildStoreConfigToml(upstream, dataDir, options.extraToml, options.serverToml));
  const config = await loadConfigFile(configPath);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  const server = await startServer({
    config,
    configPath,
    logger: createLogger('info', sink),
    env: { S3GATE_MASTER_KEY: TEST_MASTER_KEY, S3GATE_ADMIN_USERNAME: ADMIN_USERNAME, S3GATE_ADMIN_PASSWORD: ADMIN_PASSWORD, ...options.env },
    storePollIntervalMs: options.storePollIntervalMs,
  });
  if (server.adminUrl === undefined) throw new Error('the admin API did not start');
  return {
    url: server.url,
    adminUrl: server.adminUrl,
    server,
    dir: dataDir,
    configPath,
    logLines,
    admin: new AdminClient(server.adminUrl),
    stop: () => server.close(),
  };
}

export interface AdminResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  /** The raw body text (to prove what a response does not contain). */
  readonly text: string;
}

/** A JSON client for /admin/api; `as(token)` makes one sending that bearer token. */
export class AdminClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): AdminClient {
    return new AdminClient(this.baseUrl, token);
  }

  async login(username = ADMIN_USERNAME, password = ADMIN_PASSWORD): Promise<AdminClient> {
    const res = await this.request('POST', '/login', { username, password });
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${res.text}`);
    return this.as(String(res.body.token));
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, rawBody?: string, headers: Record<string, string> = {}): Promise<AdminResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token !== undefined) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined = rawBody;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined && h['content-type'] === undefined) h['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}/admin/api${path}`, payload === undefined ? { method, headers: h } : { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = { unparsed: text };
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }
  patch<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

/** Polls until `check` passes or `timeoutMs` runs out (for cross-process and batched effects). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 3_000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
