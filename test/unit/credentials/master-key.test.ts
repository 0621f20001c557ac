import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadMasterKeys,
  MASTER_KEY_ENV,
  MASTER_KEY_PREVIOUS_ENV,
  MasterKeyError,
  parseMasterKey,
} from '../../../src/credentials/master-key.js';

const HEX_A = 'a1'.repeat(32);
const HEX_B = 'b2'.repeat(32);
const HEX_C = 'c3'.repeat(32);
const posix = process.platform !== 'win32';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 's3gate-master-key-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeKeyFile(path: string, text: string, mode = 0o600): void {
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

describe('parseMasterKey', () => {
  const bytes = Buffer.from(HEX_A, 'hex');
  it.each([
    ['hex', HEX_A],
    ['upper-case hex', HEX_A.toUpperCase()],
    ['hex with a newline', `${HEX_A}\n`],
    ['base64', bytes.toString('base64')],
    ['base64 without padding', bytes.toString('base64').replace(/=$/, '')],
    ['base64url', bytes.toString('base64url')],
  ])('accepts %s', (_what, text) => {
    expect(parseMasterKey(text, MASTER_KEY_ENV).equals(bytes)).toBe(true);
  });

  it('accepts base64 with + and /', () => {
    const key = Buffer.alloc(32, 0xfb);
    expect(key.toString('base64')).toMatch(/[+/]/);
    expect(parseMasterKey(key.toString('base64'), 'x').equals(key)).toBe(true);
  });
});

describe('loadMasterKeys: S3GATE_MASTER_KEY', () => {
  it('takes the environment variable first and leaves the key file alone', () => {
    const keyFile = join(dir, 'data', 'master.key');
    const keys = loadMasterKeys({ env: { [MASTER_KEY_ENV]: HEX_A }, keyFile });
    expect(keys.primary.toString('hex')).toBe(HEX_A);
    expect(keys.previous).toEqual([]);
    expect(keys.source).toBe('env S3GATE_MASTER_KEY');
    expect(() => statSync(keyFile)).toThrow();
  });

  it.each([
    ['too short', 'abc'],
    ['63 hex characters', HEX_A.slice(1)],
    ['65 hex characters', `${HEX_A}0`],
    ['hex with a non-hex character', `${HEX_A.slice(1)}g`],
    ['base64 of 31 bytes', Buffer.alloc(31, 7).toString('base64')],
    ['base64 of 33 bytes', Buffer.alloc(33, 7).toString('base64')],
    ['base64 with non-zero spare bits', `${Buffer.alloc(32, 7).toString('base64url').slice(0, 42)}B`],
    ['a passphrase', 'correct horse battery staple correct horse'],
  ])('refuses %s, naming the variable and the fix, without echoing the value', (_what, value) => {
    const load = () => loadMasterKeys({ env: { [MASTER_KEY_ENV]: value }, keyFile: join(dir, 'k') });
    expect(load).toThrow(MasterKeyError);
    expect(load).toThrow(/^S3GATE_MASTER_KEY .*openssl rand -hex 32/);
    try {
      load();
    } catch (err) {
      expect((err as Error).message).not.toContain(value);
    }
  });

  it('treats an empty variable as unset', () => {
    const keys = loadMasterKeys({ env: { [MASTER_KEY_ENV]: '' }, keyFile: join(dir, 'master.key') });
    expect(keys.source).toContain('(created)');
  });
});

describe('loadMasterKeys: key file', () => {
  it('creates the key file (0600, directory 0700) with 32 random bytes in hex, then reads the same key back', () => {
    const keyFile = join(dir, 'nested', 'data', 'master.key');
    const first = loadMasterKeys({ env: {}, keyFile });
    expect(first.source).toBe(`file ${keyFile} (created)`);
    expect(first.primary).toHaveLength(32);
    const text = readFileSync(keyFile, 'utf8');
    expect(text).toMatch(/^[0-9a-f]{64}\n$/);
    expect(Buffer.from(text.trim(), 'hex').equals(first.primary)).toBe(true);
    if (posix) {
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'nested', 'data')).mode & 0o777).toBe(0o700);
    }
    expect(readdirSync(join(dir, 'nested', 'data'))).toEqual(['master.key']); // no temp file left

    const second = loadMasterKeys({ env: {}, keyFile });
    expect(second.source).toBe(`file ${keyFile}`);
    expect(second.primary.equals(first.primary)).toBe(true);
  });

  it('creates 0600 even under a permissive umask', () => {
    const previous = process.umask(0);
    try {
      const keyFile = join(dir, 'master.key');
      loadMasterKeys({ env: {}, keyFile });
      if (posix) expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it.skipIf(!posix).each([0o644, 0o640, 0o604, 0o660])('refuses a key file with mode %o, naming the file and the fix', (mode) => {
    const keyFile = join(dir, 'master.key');
    writeKeyFile(keyFile, `${HEX_A}\n`, mode);
    const load = () => loadMasterKeys({ env: {}, keyFile });
    expect(load).toThrow(MasterKeyError);
    expect(load).toThrow(`master key file ${keyFile} is accessible by group or others`);
    expect(load).toThrow(`run chmod 600 ${keyFile}`);
  });

  it('accepts an existing 0400 key file', () => {
    const keyFile = join(dir, 'master.key');
    writeKeyFile(keyFile, HEX_B, 0o400);
    expect(loadMasterKeys({ env: {}, keyFile }).primary.toString('hex')).toBe(HEX_B);
  });

  it('refuses a key file with a malformed key, naming the file', () => {
    const keyFile = join(dir, 'master.key');
    writeKeyFile(keyFile, 'not a key\n');
    expect(() => loadMasterKeys({ env: {}, keyFile })).toThrow(`master key file ${keyFile} is not a 32-byte key`);
  });

  it('refuses a directory where the key file should be', () => {
    const keyFile = join(dir, 'master.key');
    mkdirSync(keyFile, { mode: 0o700 });
    expect(() => loadMasterKeys({ env: {}, keyFile })).toThrow(/not a regular file/);
  });

  it('gives processes starting at once the same key (exclusive create)', async () => {
    const keyFile = join(dir, 'race', 'master.key');
    const moduleUrl = new URL(`file://${resolve('src/credentials/master-key.ts')}`).href;
    const script = join(dir, 'race.ts');
    const startAt = Date.now() + 1500;
    writeFileSync(
      script,
      `import { loadMasterKeys } from ${JSON.stringify(moduleUrl)};
       while (Date.now() < ${startAt}) {}
       process.stdout.write(loadMasterKeys({ env: {}, keyFile: ${JSON.stringify(keyFile)} }).primary.toString('hex'));`,
    );
    const run = () =>
      new Promise<string>((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`child exited ${code}: ${err}`))));
      });
    const keys = await Promise.all(Array.from({ length: 6 }, run));
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(keys).size).toBe(1);
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(keys[0]);
    expect(readdirSync(join(dir, 'race'))).toEqual(['master.key']);
  });
});

describe('loadMasterKeys: previous keys', () => {
  it('reads S3GATE_MASTER_KEY_PREVIOUS (comma-separated) and the previous key file, dropping duplicates and the primary', () => {
    const previousKeyFile = join(dir, 'master.key.previous');
    writeKeyFile(previousKeyFile, `${HEX_C}\n${HEX_B}\n`);
    const keys = loadMasterKeys({
      env: { [MASTER_KEY_ENV]: HEX_A, [MASTER_KEY_PREVIOUS_ENV]: ` ${HEX_B} , ${HEX_A},` },
      keyFile: join(dir, 'master.key'),
      previousKeyFile,
    });
    expect(keys.primary.toString('hex')).toBe(HEX_A);
    expect(keys.previous.map((k) => k.toString('hex'))).toEqual([HEX_B, HEX_C]);
  });

  it('treats an absent previous key file as none', () => {
    const keys = loadMasterKeys({
      env: { [MASTER_KEY_ENV]: HEX_A },
      keyFile: join(dir, 'master.key'),
      previousKeyFile: join(dir, 'absent'),
    });
    expect(keys.previous).toEqual([]);
  });

  it('names a malformed previous key by position, without echoing it', () => {
    const load = () =>
      loadMasterKeys({
        env: { [MASTER_KEY_ENV]: HEX_A, [MASTER_KEY_PREVIOUS_ENV]: `${HEX_B},nope` },
        keyFile: join(dir, 'master.key'),
      });
    expect(load).toThrow(/^S3GATE_MASTER_KEY_PREVIOUS \(key #2\) is not a 32-byte key.*openssl rand -hex 32/);
  });

  it.skipIf(!posix)('refuses a previous key file readable by others', () => {
    const previousKeyFile = join(dir, 'master.key.previous');
    writeKeyFile(previousKeyFile, HEX_B, 0o644);
    expect(() =>
      loadMasterKeys({ env: { [MASTER_KEY_ENV]: HEX_A }, keyFile: join(dir, 'master.key'), previousKeyFile }),
    ).toThrow(`run chmod 600 ${previousKeyFile}`);
  });
});
