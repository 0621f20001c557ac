/**
 * Starts s3gate in-process in front of a real upstream, from a proxy.toml written to a
 * temporary directory (so reload tests can edit it), and makes SDK clients for it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { startServer, type RunningServer } from '../../src/main.js';
import type { MotoServer } from './moto.js';

export interface TestKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface TestProxy {
  readonly url: string;
  readonly server: RunningServer;
  readonly configPath: string;
  /** Every JSON log line the proxy wrote. */
  readonly logLines: string[];
  client(key: TestKey, extra?: Partial<S3ClientConfig>): S3Client;
  /** Rewrites proxy.toml with new [[credentials]] (and optional extra server TOML) and waits for the reload. */
  rewriteConfig(credentialsToml: string, serverToml?: string): Promise<void>;
  stop(): Promise<void>;
}

export function buildConfigToml(upstream: MotoServer, credentialsToml: string, serverToml = ''): string {
  return `[server]
listen = "127.0.0.1:0"
${serverToml}

[[backends]]
name = "default"
endpoint = "${upstream.endpoint}"
region = "us-east-1"
access_key_id = "${upstream.accessKeyId}"
secret_access_key = "${upstream.secretAccessKey}"
path_style = true

${credentialsToml}
`;
}

export async function startProxy(upstream: MotoServer, credentialsToml: string, serverToml = ''): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 's3gate-test-'));
  const configPath = join(dir, 'proxy.toml');
  writeFileSync(configPath, buildConfigToml(upstream, credentialsToml, serverToml));
  const config = await loadConfigFile(configPath);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      cb();
    },
  });
  const server = await startServer({ config, configPath, logger: createLogger('info', sink) });
  const clients: S3Client[] = [];
  return {
    url: server.url,
    server,
    configPath,
    logLines,
    client: (key, extra = {}) => {
      const client = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: key, ...extra });
      clients.push(client);
      return client;
    },
    rewriteConfig: async (credentialsToml, serverToml2 = serverToml) => {
      const before = logLines.filter((l) => l.includes('configuration reloaded')).length;
      writeFileSync(configPath, buildConfigToml(upstream, credentialsToml, serverToml2));
      const deadline = Date.now() + 5_000;
      while (logLines.filter((l) => l.includes('configuration reloaded')).length === before) {
        if (Date.now() > deadline) throw new Error(`proxy did not reload its configuration:\n${logLines.slice(-5).join('\n')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}

/** A TOML [[credentials]] block. */
export function credentialToml(
  key: TestKey,
  scopes: ReadonlyArray<{ bucket: string; prefixes?: readonly string[]; actions: readonly string[] }>,
  extra: { enabled?: boolean; expiresAt?: string; principal?: string } = {},
): string {
  const lines = [
    '[[credentials]]',
    `access_key_id = "${key.accessKeyId}"`,
    `secret_access_key = "${key.secretAccessKey}"`,
    `principal_name = "${extra.principal ?? key.accessKeyId.toLowerCase()}"`,
    'created_at = "2025-01-01T00:00:00Z"',
    `enabled = ${extra.enabled ?? true}`,
  ];
  if (extra.expiresAt !== undefined) lines.push(`expires_at = "${extra.expiresAt}"`);
  for (const s of scopes) {
    lines.push('[[credentials.allowed_scopes]]', `bucket = "${s.bucket}"`, `prefixes = ${JSON.stringify(s.prefixes ?? [])}`, `actions = ${JSON.stringify(s.actions)}`);
  }
  return `${lines.join('\n')}\n`;
}
