import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfigFile } from '../../../src/config/load-config.js';

const BACKEND = `
[[backends]]
name = "default"
endpoint = "http://127.0.0.1:9000"
access_key_id = "minioadmin"
secret_access_key_env = "UPSTREAM_SECRET"
`;

describe('loadConfigFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 's3gate-load-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads, parses and resolves TLS paths relative to the config file', async () => {
    const path = join(dir, 'proxy.toml');
    writeFileSync(path, `[server]\ntls_cert = "tls/cert.pem"\ntls_key = "/etc/ssl/key.pem"\n${BACKEND}`);
    const config = await loadConfigFile(path, { env: { UPSTREAM_SECRET: 'x' } });
    expect(config.server.tls).toEqual({ certPath: join(dir, 'tls/cert.pem'), keyPath: '/etc/ssl/key.pem' });
    expect(config.backends[0]?.secretAccessKey).toBe('x');
  });

  it('reads secret_access_key_env from process.env by default', async () => {
    const path = join(dir, 'proxy.toml');
    writeFileSync(path, BACKEND.replace('UPSTREAM_SECRET', 'S3GATE_TEST_LOAD_CONFIG_SECRET'));
    process.env.S3GATE_TEST_LOAD_CONFIG_SECRET = 'from-process';
    try {
      const config = await loadConfigFile(path);
      expect(config.backends[0]?.secretAccessKey).toBe('from-process');
    } finally {
      delete process.env.S3GATE_TEST_LOAD_CONFIG_SECRET;
    }
  });

  it('names the file in every problem', async () => {
    const path = join(dir, 'proxy.toml');
    writeFileSync(path, BACKEND);
    await expect(loadConfigFile(path, { env: {} })).rejects.toMatchObject({
      problems: [
        `${path}: backends[0].secret_access_key_env: environment variable UPSTREAM_SECRET is not set (export UPSTREAM_SECRET with the upstream secret before starting s3gate, or use secret_access_key)`,
      ],
    });
  });

  it('turns a missing file into a ConfigError', async () => {
    const path = join(dir, 'nope.toml');
    const err: unknown = await loadConfigFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      `${path}: cannot read the configuration file: no such file (check the path, or start from proxy.example.toml)`,
    ]);
  });

  it('turns a directory into a ConfigError', async () => {
    const err: unknown = await loadConfigFile(dir).catch((e: unknown) => e);
    expect((err as ConfigError).problems).toEqual([
      `${dir}: cannot read the configuration file: it is a directory (give the path of the .toml file)`,
    ]);
  });
});
