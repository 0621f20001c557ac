/**
 * A store command run without the server's master key (the server has S3GATE_MASTER_KEY, the
 * operator's shell does not) on a database that has no stored secret yet must not create a
 * key file of its own and seal a freshly minted secret under it: the running server cannot
 * open that secret (the key just printed never works) and refuses to start again.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../../src/admin/open-store.js';
import { runStoreCommand } from '../../../src/cli/run-store-command.js';
import type { CommandIo } from '../../../src/cli/store-command.js';
import { loadConfigFile } from '../../../src/config/load-config.js';

const KEY_A = 'a1'.repeat(32);

let dir: string;
let configPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 's3gate-review4-cli-'));
  configPath = join(dir, 'proxy.toml');
  writeFileSync(
    configPath,
    `[server]
listen = "127.0.0.1:0"

[store]
path = "data"

[admin]
listen = "127.0.0.1:0"

[[backends]]
name = "default"
endpoint = "http://127.0.0.1:9"
region = "us-east-1"
access_key_id = "upstream"
secret_access_key = "upstream-secret"
path_style = true
`,
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io = { stdout, stderr, stdin: new PassThrough() as unknown as NodeJS.ReadStream, env } satisfies CommandIo;
  const [group = '', ...rest] = args;
  const code = await runStoreCommand(group, rest, io);
  return { code, stdout: out, stderr: err };
}

it('keys create without the master key, on a database the server opened with S3GATE_MASTER_KEY, fails and leaves no key file', async () => {
  const config = await loadConfigFile(configPath);
  if (config.store === undefined) throw new Error('no [store]');
  // The server's first start, with the key in its environment: database, no key file, no secret yet.
  const server = openStore({ store: config.store, audit: config.audit, env: { S3GATE_MASTER_KEY: KEY_A }, clock: Date.now });
  server.close();
  expect(existsSync(config.store.masterKeyFile)).toBe(false);

  const result = await run(['keys', 'create', '--config', configPath, '--description', 'ci', '--scope', 'photos:get_object'], {});
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(/S3GATE_MASTER_KEY/);
  expect(result.stdout).not.toMatch(/secret access key/);
  expect(existsSync(config.store.masterKeyFile)).toBe(false);

  // The server's key still opens the store, and nothing was sealed under another key.
  const again = openStore({ store: config.store, audit: config.audit, env: { S3GATE_MASTER_KEY: KEY_A }, clock: Date.now });
  expect(again.store.listCredentials()).toEqual([]);
  again.close();
});

it('on a fresh data directory the CLI still creates the key file (the first admin before the first start)', async () => {
  const config = await loadConfigFile(configPath);
  if (config.store === undefined) throw new Error('no [store]');
  const result = await run(['keys', 'list', '--config', configPath], {});
  expect(result.code, result.stderr).toBe(0);
  expect(existsSync(config.store.masterKeyFile)).toBe(true);
  // and uses it from then on
  expect((await run(['keys', 'list', '--config', configPath], {})).code).toBe(0);
});
