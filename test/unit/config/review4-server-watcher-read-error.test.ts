/**
 * Review 4: when a reload could not read proxy.toml (deleted, made unreadable), the watcher
 * reported node's raw message ("ENOENT: no such file or directory, open '…'") where
 * `s3gate serve` and `config check` say what is wrong and how to fix it. Same words now.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { watchConfig } from '../../../src/config/config-watcher.js';

const VALID = '[[backends]]\nname = "default"\nendpoint = "http://127.0.0.1:9000"\naccess_key_id = "admin"\nsecret_access_key = "admin-secret"\n';

async function reloadError(prepare: (path: string) => void): Promise<ConfigError> {
  const dir = mkdtempSync(join(tmpdir(), 's3gate-review4-watch-'));
  const path = join(dir, 'proxy.toml');
  writeFileSync(path, VALID);
  const errors: unknown[] = [];
  const watcher = watchConfig(path, { onReload: () => {}, onError: (err) => errors.push(err), pollIntervalMs: 0, watchDirectory: false, reloadSignal: false });
  try {
    prepare(path);
    await watcher.reload();
  } finally {
    watcher.close();
  }
  expect(errors).toHaveLength(1);
  expect(errors[0]).toBeInstanceOf(ConfigError);
  return errors[0] as ConfigError;
}

describe('review 4: a reload that cannot read the file', () => {
  it('says the file is missing and what to check', async () => {
    const err = await reloadError((path) => rmSync(path));
    expect(err.problems[0]).toMatch(/proxy\.toml: cannot read the configuration file: no such file \(check the path/);
  });

  it.skipIf(process.getuid?.() === 0)('says permission is denied and what to do', async () => {
    const err = await reloadError((path) => chmodSync(path, 0o000));
    expect(err.problems[0]).toMatch(/proxy\.toml: cannot read the configuration file: permission denied \(make it readable/);
  });
});
