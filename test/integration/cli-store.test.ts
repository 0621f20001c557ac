/**
 * The store commands of the s3gate CLI (issue 3) as an operator runs them: the real CLI as a
 * child process (`node --import tsx src/cli/main.ts ...`) on a temporary config and data
 * directory, with S3GATE_MASTER_KEY in its environment. What a command did is checked through
 * its output, the database file, the store opened in this process, a running server's admin
 * API, and S3 requests through a running server in front of moto.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/admin/open-store.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { startServer } from '../../src/main.js';
import { AdminClient, eventually, startStoreProxy, type StoreProxy, TEST_MASTER_KEY } from '../support/admin.js';
import { freePort, type MotoServer, startMoto } from '../support/moto.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI_ENTRY = join(ROOT, 'src/cli/main.ts');
const TSX_LOADER = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const KEY_A = TEST_MASTER_KEY;
const KEY_B = 'b2'.repeat(32);
const TOML_KEY_ID = 'SGTOMLCLITEST0000001';
const TOML_SECRET = 'toml-secret-for-the-cli-test-0000000000';

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunOptions {
  readonly input?: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** Runs the CLI with a minimal environment (no S3GATE_* from the outside) plus `env`. */
function cli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', S3GATE_MASTER_KEY: KEY_A, ...options.env };
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** util-linux `script` gives the CLI a pseudo-terminal (for the no-echo prompt). */
const HAS_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Runs the CLI on a pseudo-terminal through `script`, typing each answer once the output
 * shows the next prompt (a line typed before raw mode is on would be echoed by the terminal).
 */
function onTerminal(args: readonly string[], answers: readonly string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, '--import', TSX_LOADER, CLI_ENTRY, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', S3GATE_MASTER_KEY: KEY_A };
  return new Promise((resolveRun, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let prompts = 0;
    const onOutput = (d: Buffer): void => {
      output += d.toString();
      const seen = output.match(/password for \S+: /g)?.length ?? 0;
      while (prompts < seen && prompts < answers.length) {
        child.stdin.write(`${answers[prompts]}\r`);
        prompts++;
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    child.once('close', (code) => {
      child.stdin.destroy();
      resolveRun({ code, output });
    });
  });
}

/** Runs the CLI and parses its --json output, failing with its stderr when it did not exit 0. */
async function cliJson<T = Record<string, unknown>>(args: readonly string[], options: RunOptions = {}): Promise<T> {
  const result = await cli([...args, '--json'], options);
  if (result.code !== 0) throw new Error(`s3gate ${args.join(' ')} exited ${result.code}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function storeConfigToml(extra = ''): string {
  return `[server]
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

[[credentials]]
access_key_id = "${TOML_KEY_ID}"
secret_access_key = "${TOML_SECRET}"
principal_name = "toml-service"
created_at = 2024-01-01T00:00:00Z
enabled = true
[[credentials.allowed_scopes]]
bucket = "toml-bucket"
prefixes = []
actions = ["get_object"]
${extra}`;
}

/** A fresh directory with proxy.toml ([store] path = "data"); returns the config path. */
function freshConfig(toml = storeConfigToml()): string {
  const dir = mkdtempSync(join(tmpdir(), 's3gate-cli-store-'));
  const path = join(dir, 'proxy.toml');
  writeFileSync(path, toml);
  return path;
}

/** Every byte of the data directory (database, WAL, shared memory). */
function dataBytes(configPath: string): Buffer {
  const dir = join(configPath, '..', 'data');
  return Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name))));
}

async function openInProcess(configPath: string, env: Record<string, string>) {
  const config = await loadConfigFile(configPath);
  if (config.store === undefined) throw new Error('no [store]');
  return openStore({ store: config.store, audit: config.audit, env, clock: Date.now, pruneAudit: false });
}

interface IssuedJson {
  readonly access_key_id: string;
  readonly secret_access_key: string;
  readonly user_id: string | null;
}

interface CredentialJson {
  readonly access_key_id: string;
  readonly source: string;
  readonly enabled: boolean;
  readonly user_id: string | null;
}

interface UserJson {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly is_active: boolean;
  readonly access_key_id: string | null;
}

describe('s3gate keys', { timeout: 180_000 }, () => {
  it('create prints the secret once; list, show and the database file never contain it; rotate, disable, enable, revoke', async () => {
    const config = freshConfig();
    const base = ['--config', config];

    const human = await cli(['keys', 'create', ...base, '--description', 'nightly backup', '--scope', 'photos:get_object,list_bucket', '--scope', 'logs/2024/:*']);
    expect(human.code, human.stderr).toBe(0);
    const firstId = /access key id:\s+(\S+)/.exec(human.stdout)?.[1] ?? '';
    const firstSecret = /secret access key:\s+(\S+)/.exec(human.stdout)?.[1] ?? '';
    expect(firstId).toMatch(/^SGAK/);
    expect(firstSecret).toHaveLength(40);
    expect(human.stderr).toMatch(/will NOT be shown again/);

    const created = await cliJson<IssuedJson & { scopes: unknown }>(['keys', 'create', ...base, '--description', 'reporting', '--scope', 'reports/monthly/:get_object']);
    expect(created.scopes).toEqual([{ bucket: 'reports', prefixes: ['monthly/'], actions: ['get_object'] }]);
    const secrets = [firstSecret, created.secret_access_key];

    const list = await cli(['keys', 'list', ...base]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(firstId);
    expect(list.stdout).toContain(created.access_key_id);
    expect(list.stdout).toMatch(new RegExp(`${TOML_KEY_ID}\\s+toml`));
    expect(list.stdout).toContain('photos:get_object,list_bucket logs/2024/:*');
    const listJson = await cli(['keys', 'list', ...base, '--json']);
    const show = await cli(['keys', 'show', ...base, firstId]);
    const showJson = await cli(['keys', 'show', ...base, firstId, '--json']);
    expect(show.stdout).toContain('nightly backup');
    expect(JSON.parse(listJson.stdout).credentials.map((c: CredentialJson) => c.access_key_id)).toEqual([TOML_KEY_ID, firstId, created.access_key_id]);
    for (const output of [list, listJson, show, showJson]) {
      for (const secret of [...secrets, TOML_SECRET]) expect(output.stdout + output.stderr).not.toContain(secret);
    }
    for (const secret of secrets) expect(dataBytes(config).includes(secret)).toBe(false);

    const rotated = await cliJson<IssuedJson>(['keys', 'rotate', ...base, firstId]);
    expect(rotated.access_key_id).toBe(firstId);
    expect(rotated.secret_access_key).not.toBe(firstSecret);
    expect(dataBytes(config).includes(rotated.secret_access_key)).toBe(false);
    const store = await openInProcess(config, { S3GATE_MASTER_KEY: KEY_A });
    try {
      const served = store.store.loadCredentials().find((c) => c.accessKeyId === firstId);
      expect(served?.secretAccessKey).toBe(rotated.secret_access_key);
    } finally {
      store.close();
    }

    expect((await cliJson<CredentialJson>(['keys', 'disable', ...base, firstId])).enabled).toBe(false);
    expect((await cli(['keys', 'list', ...base])).stdout).toMatch(new RegExp(`${firstId}\\s+store\\s+disabled`));
    expect((await cliJson<CredentialJson>(['keys', 'enable', ...base, firstId])).enabled).toBe(true);

    const revoked = await cli(['keys', 'revoke', ...base, firstId]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const gone = await cli(['keys', 'show', ...base, firstId]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`s3gate: no credential ${firstId}`);

    // Each change left an audit row by cli:<os user>, and none holds a secret.
    const audit = await cli(['audit', 'tail', ...base, '--action', 'admin.credential.', '--json']);
    const rows = JSON.parse(audit.stdout).items as { action: string; principal: string; access_key_id: string }[];
    expect(rows.map((r) => r.action).reverse()).toEqual([
      'admin.credential.create',
      'admin.credential.create',
      'admin.credential.rotate',
      'admin.credential.disable',
      'admin.credential.enable',
      'admin.credential.revoke',
    ]);
    expect(rows.every((r) => r.principal.startsWith('cli:'))).toBe(true);
    for (const secret of [...secrets, rotated.secret_access_key]) expect(audit.stdout).not.toContain(secret);
    const table = await cli(['audit', 'tail', ...base, '--limit', '2']);
    expect(table.stdout.trim().split('\n')).toHaveLength(3); // header + 2 rows
    expect(table.stdout.trim().split('\n')[2]).toContain('admin.credential.revoke'); // newest at the bottom
  });

  it('refuses what the admin API refuses, naming the field; usage errors exit 2', async () => {
    const config = freshConfig();
    const create = (...args: string[]) => cli(['keys', 'create', '--config', config, '--description', 'x', ...args]);

    const badBucket = await create('--scope', 'Photos_2024:get_object');
    expect(badBucket.code).toBe(1);
    expect(badBucket.stderr).toMatch(/^s3gate: scopes\[0\]\.bucket: invalid bucket name "Photos_2024"/m);

    const badAction = await create('--scope', 'photos:get_object', '--scope', 'logs/2024/:list_bucket,get_objects');
    expect(badAction.code).toBe(1);
    expect(badAction.stderr).toContain('s3gate: scopes[1].actions[1]: unknown action "get_objects" (did you mean "get_object"?');

    const leadingSlash = await create('--scope', 'logs//2024/:*');
    expect(leadingSlash.code).toBe(1);
    expect(leadingSlash.stderr).toContain('s3gate: scopes[0].prefixes[0]: prefix "/2024/" starts with "/"');

    const past = await create('--scope', 'photos:*', '--expires-at', '2001-01-01T00:00:00Z');
    expect(past.code).toBe(1);
    expect(past.stderr).toContain('expires_at');

    const badDate = await create('--scope', 'photos:*', '--expires-at', 'tomorrow');
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toMatch(/^s3gate: expires_at: /m);

    for (const args of [[], ['--scope', 'photos'], ['--scope', 'photos:*', '--colour', 'red'], ['--scope', 'photos:*', 'extra']]) {
      const usage = await create(...args);
      expect(usage.code, `${args.join(' ')}: ${usage.stderr}`).toBe(2);
      expect(usage.stderr).toMatch(/see s3gate keys create --help/);
    }

    const toml = await cli(['keys', 'revoke', '--config', config, TOML_KEY_ID]);
    expect(toml.code).toBe(1);
    expect(toml.stderr).toContain('proxy.toml');

    expect((await cliJson<{ credentials: CredentialJson[] }>(['keys', 'list', '--config', config])).credentials.map((c) => c.source)).toEqual(['toml']);
  });

  it('a config without [store] is a clear error', async () => {
    const config = freshConfig(storeConfigToml().replace('[store]\npath = "data"\n', ''));
    const result = await cli(['keys', 'list', '--config', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('has no [store] section');
    expect(result.stderr).toContain('path = "data"');
  });

  it('prints help for every group and command', async () => {
    for (const args of [['--help'], ['keys', '--help'], ['users', '--help'], ['keys', 'create', '--help'], ['users', 'create', '--help'], ['store', 'rotate-master-key', '--help']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/Usage/);
    }
    const unknown = await cli(['keys', 'frobnicate']);
    expect(unknown.code).toBe(2);
  });
});

describe('s3gate users', { timeout: 180_000 }, () => {
  it('create with --password-stdin, set-role, deactivate, set-password; create-key replaces the old key', async () => {
    const config = freshConfig();
    const base = ['--config', config];
    const password = 'correct horse battery staple';

    const created = await cliJson<UserJson>(['users', 'create', ...base, 'alice', '--role', 'Writer', '--scope', 'photos', '--scope', 'logs/2024/', '--password-stdin'], { input: `${password}\n` });
    expect(created).toMatchObject({ username: 'alice', role: 'Writer', is_active: true, access_key_id: null });
    expect(created).toHaveProperty('scopes', [
      { bucket: 'photos', prefixes: [] },
      { bucket: 'logs', prefixes: ['2024/'] },
    ]);
    const taken = await cli(['users', 'create', ...base, 'ALICE', '--role', 'Reader', '--password-stdin'], { input: `${password}\n` });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^s3gate: username: username "alice" is taken/m);

    expect((await cliJson<UserJson>(['users', 'set-role', ...base, 'alice', 'Reader'])).role).toBe('Reader');
    const badRole = await cli(['users', 'set-role', ...base, 'alice', 'reader']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('s3gate: role: role must be one of Reader, Writer, SuperUser');
    expect((await cliJson<UserJson>(['users', 'deactivate', ...base, 'alice'])).is_active).toBe(false);
    expect((await cli(['users', 'list', ...base])).stdout).toMatch(/alice\s+Reader\s+inactive\s+photos logs\/2024\//);
    expect((await cliJson<UserJson>(['users', 'activate', ...base, 'alice'])).is_active).toBe(true);

    const first = await cliJson<IssuedJson>(['users', 'create-key', ...base, 'alice']);
    const second = await cli(['users', 'create-key', ...base, 'alice']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`it replaces ${first.access_key_id}, which no longer works`);
    const secondId = /access key id:\s+(\S+)/.exec(second.stdout)?.[1] ?? '';
    const secondSecret = /secret access key:\s+(\S+)/.exec(second.stdout)?.[1] ?? '';
    const keys = (await cliJson<{ credentials: CredentialJson[] }>(['keys', 'list', ...base])).credentials;
    expect(keys.filter((c) => c.user_id === created.id).map((c) => c.access_key_id)).toEqual([secondId]);
    expect((await cliJson<{ credential: { access_key_id: string } }>(['users', 'show', ...base, 'alice'])).credential.access_key_id).toBe(secondId);

    const newPassword = 'a whole new password';
    expect((await cli(['users', 'set-password', ...base, 'alice', '--password-stdin'], { input: `${newPassword}\n` })).code).toBe(0);

    const store = await openInProcess(config, { S3GATE_MASTER_KEY: KEY_A });
    try {
      const served = store.store.loadCredentials().filter((c) => c.principalName === 'alice');
      expect(served.map((c) => [c.accessKeyId, c.secretAccessKey])).toEqual([[secondId, secondSecret]]);
      expect(await store.store.verifyPassword('alice', newPassword)).toBeDefined();
      expect(await store.store.verifyPassword('alice', password)).toBeUndefined();
    } finally {
      store.close();
    }

    expect((await cli(['users', 'revoke-key', ...base, 'alice'])).code).toBe(0);
    const again = await cli(['users', 'revoke-key', ...base, 'alice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('has no key pair');
    expect((await cli(['users', 'delete', ...base, 'alice'])).code).toBe(0);
    const missing = await cli(['users', 'show', ...base, 'alice']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('s3gate: username: no user "alice"');
  });

  it('never takes a password from argv, and without --password-stdin off a terminal fails naming it', async () => {
    const config = freshConfig();
    const base = ['--config', config];
    const secret = 'visible-in-ps-password';
    for (const args of [
      ['users', 'create', ...base, 'bob', '--role', 'Reader', '--password', secret],
      ['users', 'create', ...base, 'bob', '--role', 'Reader', `--password=${secret}`],
      ['admin', 'create-user', ...base, 'bob', '--password', secret],
      ['users', 'create', ...base, 'bob', '--role', 'Reader'], // stdin is a pipe, not a terminal
    ]) {
      const result = await cli(args, { input: `${secret}\n` });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('--password-stdin');
      expect(result.stderr).not.toContain(secret);
    }
    const short = await cli(['users', 'create', ...base, 'bob', '--role', 'Reader', '--password-stdin'], { input: 'short\n' });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('s3gate: password: password is shorter than 12 characters');
    const empty = await cli(['users', 'create', ...base, 'bob', '--role', 'Reader', '--password-stdin']);
    expect(empty.code).toBe(1);
    expect((await cliJson<{ users: UserJson[] }>(['users', 'list', ...base])).users).toEqual([]);
  });

  it.skipIf(!HAS_SCRIPT)('on a terminal, prompts twice with echo off', async () => {
    const config = freshConfig();
    const password = 'typed at a terminal';
    const typed = await onTerminal(['users', 'create', '--config', config, 'dave', '--role', 'Reader'], [password, password]);
    expect(typed.output).toContain('New password for dave:');
    expect(typed.output).toContain('Repeat the password for dave:');
    expect(typed.output).toContain('Created Reader dave');
    expect(typed.output).not.toContain(password); // not echoed
    const mismatch = await onTerminal(['users', 'set-password', '--config', config, 'dave'], ['one new password', 'another password']);
    expect(mismatch.output).toContain('s3gate: password: the two passwords differ');
    expect(mismatch.code).toBe(1);
    const store = await openInProcess(config, { S3GATE_MASTER_KEY: KEY_A });
    try {
      expect(await store.store.verifyPassword('dave', password)).toBeDefined();
    } finally {
      store.close();
    }
  });

  it('the last active SuperUser cannot be demoted, deactivated or deleted', async () => {
    const config = freshConfig();
    const base = ['--config', config];
    expect((await cli(['admin', 'create-user', ...base, 'root', '--password-stdin'], { input: 'root password 123\n' })).code).toBe(0);
    for (const args of [['users', 'set-role', ...base, 'root', 'Writer'], ['users', 'deactivate', ...base, 'root'], ['users', 'delete', ...base, 'root']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain('root is the last active SuperUser');
    }
  });
});

describe('s3gate store rotate-master-key', { timeout: 180_000 }, () => {
  it('re-encrypts every stored secret under the new key; afterwards the new key alone reads them all', async () => {
    const config = freshConfig();
    const base = ['--config', config];
    const minted = [
      await cliJson<IssuedJson>(['keys', 'create', ...base, '--description', 'one', '--scope', 'photos:*']),
      await cliJson<IssuedJson>(['keys', 'create', ...base, '--description', 'two', '--scope', 'logs:get_object']),
    ];
    expect((await cli(['users', 'create', ...base, 'carol', '--role', 'Reader', '--password-stdin'], { input: 'carol password 1\n' })).code).toBe(0);
    minted.push(await cliJson<IssuedJson>(['users', 'create-key', ...base, 'carol']));

    // The new key alone cannot read the old secrets: refused, naming the way out.
    const withoutPrevious = await cli(['store', 'rotate-master-key', ...base], { env: { S3GATE_MASTER_KEY: KEY_B } });
    expect(withoutPrevious.code).toBe(1);
    expect(withoutPrevious.stderr).toContain('S3GATE_MASTER_KEY_PREVIOUS');

    const both = { S3GATE_MASTER_KEY: KEY_B, S3GATE_MASTER_KEY_PREVIOUS: KEY_A };
    const rotated = await cli(['store', 'rotate-master-key', ...base], { env: both });
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/Re-encrypted 3 of 3 stored secret/);
    expect((await cliJson<{ reencrypted: number; total: number }>(['store', 'rotate-master-key', ...base], { env: both })).reencrypted).toBe(0);

    const store = await openInProcess(config, { S3GATE_MASTER_KEY: KEY_B });
    try {
      const served = new Map(store.store.loadCredentials().map((c) => [c.accessKeyId, c.secretAccessKey]));
      for (const key of minted) expect(served.get(key.access_key_id)).toBe(key.secret_access_key);
    } finally {
      store.close();
    }
    await expect(openInProcess(config, { S3GATE_MASTER_KEY: KEY_A })).rejects.toThrow(/cannot read the stored secrets/);
    expect((await cli(['keys', 'list', ...base], { env: { S3GATE_MASTER_KEY: KEY_B } })).code).toBe(0);
    const oldKeyOnly = await cli(['keys', 'list', ...base]);
    expect(oldKeyOnly.code).toBe(1);
    expect(oldKeyOnly.stderr).toContain('cannot read the stored secrets');

    const audit = await cliJson<{ items: { action: string; detail: Record<string, unknown> }[] }>(['audit', 'tail', ...base, '--action', 'admin.store.'], { env: { S3GATE_MASTER_KEY: KEY_B } });
    expect(audit.items.map((r) => r.detail.reencrypted)).toEqual([0, 3]);
  });
});

describe('the CLI next to a running server', { timeout: 180_000 }, () => {
  let moto: MotoServer;
  let proxy: StoreProxy;
  const clients: S3Client[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    await moto.admin.send(new CreateBucketCommand({ Bucket: 'cli-bucket' }));
    proxy = await startStoreProxy(moto);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  function s3(key: { accessKeyId: string; secretAccessKey: string }): S3Client {
    const client = new S3Client({ endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, credentials: key, maxAttempts: 1 });
    clients.push(client);
    return client;
  }

  it('a key minted by the CLI works on the running server within 1 s; revoked, it is refused within 1 s', async () => {
    const issued = await cliJson<IssuedJson>(['keys', 'create', '--config', proxy.configPath, '--description', 'from the cli', '--scope', 'cli-bucket:*']);
    const client = s3({ accessKeyId: issued.access_key_id, secretAccessKey: issued.secret_access_key });
    const minted = Date.now();
    await eventually(() => client.send(new PutObjectCommand({ Bucket: 'cli-bucket', Key: 'hello.txt', Body: 'hi' })), 1_000);
    expect(Date.now() - minted).toBeLessThan(1_000);
    const body = await (await client.send(new GetObjectCommand({ Bucket: 'cli-bucket', Key: 'hello.txt' }))).Body?.transformToString();
    expect(body).toBe('hi');

    expect((await cli(['keys', 'revoke', '--config', proxy.configPath, issued.access_key_id])).code).toBe(0);
    const revoked = Date.now();
    const refusal = await eventually(async () => {
      try {
        await client.send(new GetObjectCommand({ Bucket: 'cli-bucket', Key: 'hello.txt' }));
      } catch (err) {
        if (err instanceof S3ServiceException) return err.name;
        throw err;
      }
      throw new Error('still served');
    }, 1_000);
    expect(Date.now() - revoked).toBeLessThan(1_000);
    expect(refusal).toBe('InvalidAccessKeyId');
  });

  it('admin create-user makes an admin who can log in through the running admin API', async () => {
    const password = 'second admin password';
    const created = await cli(['admin', 'create-user', '--config', proxy.configPath, 'operator', '--password-stdin'], { input: `${password}\n` });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Created SuperUser operator');
    const operator = await new AdminClient(proxy.adminUrl).login('operator', password);
    const me = await operator.get('/me');
    expect(me.body).toMatchObject({ username: 'operator', role: 'SuperUser' });
    const audit = await operator.get<{ items: { action: string; principal: string }[] }>('/audit?action=admin.user.create');
    expect(audit.body.items.some((r) => r.principal.startsWith('cli:'))).toBe(true);
  });
});

describe('admin create-user before the first start', { timeout: 180_000 }, () => {
  it('the first admin, made by the CLI, logs in once the server starts', async () => {
    const config = freshConfig();
    const password = 'first admin password';
    expect((await cli(['admin', 'create-user', '--config', config, 'first', '--password-stdin'], { input: `${password}\n` })).code).toBe(0);
    const server = await startServer({ config: await loadConfigFile(config), logger: createLogger('silent'), env: { S3GATE_MASTER_KEY: KEY_A } });
    try {
      if (server.adminUrl === undefined) throw new Error('no admin API');
      const admin = await new AdminClient(server.adminUrl).login('first', password);
      expect((await admin.get('/me')).body).toMatchObject({ username: 'first', role: 'SuperUser' });
    } finally {
      await server.close();
    }
  });
});

describe('demo mode', { timeout: 180_000 }, () => {
  it('runs the admin API with a SuperUser "admin" whose password is printed and kept 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 's3gate-demo-admin-'));
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, 'serve', '--listen', `127.0.0.1:${port}`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let banner = '';
      await new Promise<void>((resolveStart, reject) => {
        const timer = setTimeout(() => reject(new Error(`demo did not start:\n${banner}`)), 60_000);
        child.stderr.on('data', (d: Buffer) => {
          banner += d.toString();
          if (banner.includes('Try:') && banner.includes('For real use')) {
            clearTimeout(timer);
            resolveStart();
          }
        });
        child.stdout.resume();
      });
      const adminUrl = /admin API:\s+(\S+)/.exec(banner)?.[1] ?? '';
      const password = /admin password:\s+(\S+)/.exec(banner)?.[1] ?? '';
      expect(banner).toMatch(/admin user:\s+admin\b/);
      expect(banner).toContain(`curl -s ${adminUrl}/admin/api/login`);
      const file = join(dir, '.s3gate/demo-credentials.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ adminUsername: 'admin', adminPassword: password });
      const admin = await new AdminClient(adminUrl).login('admin', password);
      expect((await admin.get('/me')).body).toMatchObject({ username: 'admin', role: 'SuperUser' });
      const keys = await admin.get<{ credentials: { source: string }[] }>('/credentials');
      expect(keys.body.credentials.map((c) => c.source)).toContain('toml');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
