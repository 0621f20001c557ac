import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import type { Config } from '../../../src/config/config-schema.js';
import { type ConfigWatcher, type WatchConfigOptions, watchConfig } from '../../../src/config/config-watcher.js';

function configText(level: string): string {
  return `
[[backends]]
name = "default"
endpoint = "http://127.0.0.1:9000"
access_key_id = "minioadmin"
secret_access_key = "minioadmin"
[log]
level = "${level}"
`;
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watchConfig', () => {
  let dir: string;
  let path: string;
  let watcher: ConfigWatcher | undefined;
  let reloads: Config[];
  let errors: unknown[];

  function start(options: Partial<WatchConfigOptions> = {}): ConfigWatcher {
    watcher = watchConfig(path, {
      onReload: (config) => reloads.push(config),
      onError: (err) => errors.push(err),
      debounceMs: 30,
      ...options,
    });
    return watcher;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 's3gate-watch-'));
    path = join(dir, 'proxy.toml');
    writeFileSync(path, configText('info'));
    reloads = [];
    errors = [];
  });
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads when the file is rewritten in place (fs.watch on the directory)', async () => {
    start({ pollIntervalMs: 0 });
    await sleep(50);
    writeFileSync(path, configText('debug'));
    await waitFor(() => reloads.length > 0);
    expect(reloads.at(-1)?.log.level).toBe('debug');
    expect(errors).toEqual([]);
  });

  it('reloads when an editor renames a new file over the old one', async () => {
    start({ pollIntervalMs: 0 });
    await sleep(50);
    const temp = join(dir, '.proxy.toml.swp');
    writeFileSync(temp, configText('warn'));
    renameSync(temp, path);
    await waitFor(() => reloads.length > 0);
    expect(reloads.at(-1)?.log.level).toBe('warn');
  });

  it('notices changes by polling alone', async () => {
    start({ pollIntervalMs: 50, watchDirectory: false });
    await sleep(80);
    writeFileSync(path, configText('trace'));
    await waitFor(() => reloads.length > 0);
    expect(reloads.at(-1)?.log.level).toBe('trace');
  });

  it('debounces a burst of writes into one reload of the final content', async () => {
    start({ pollIntervalMs: 0, debounceMs: 80 });
    await sleep(50);
    writeFileSync(path, configText('error'));
    writeFileSync(path, configText('fatal'));
    writeFileSync(path, configText('debug'));
    await waitFor(() => reloads.length > 0);
    await sleep(200);
    expect(reloads.map((c) => c.log.level)).toEqual(['debug']);
  });

  it('an invalid edit goes to onError (old config keeps serving); fixing it reloads', async () => {
    start();
    await sleep(50);
    writeFileSync(path, configText('loud'));
    await waitFor(() => errors.length > 0);
    expect(reloads).toEqual([]);
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect((errors[0] as ConfigError).problems).toEqual([
      `${path}: log.level: unknown log level "loud" (one of: fatal, error, warn, info, debug, trace, silent)`,
    ]);
    writeFileSync(path, configText('debug'));
    await waitFor(() => reloads.length > 0);
    expect(reloads[0]?.log.level).toBe('debug');
    expect(errors).toHaveLength(1);
  });

  it('ignores file events that do not change the content', async () => {
    start({ pollIntervalMs: 20 });
    await sleep(50);
    writeFileSync(path, configText('info'));
    await sleep(300);
    expect(reloads).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('SIGHUP reloads, even when the file did not change', async () => {
    start({ pollIntervalMs: 0 });
    process.emit('SIGHUP', 'SIGHUP');
    await waitFor(() => reloads.length > 0);
    expect(reloads[0]?.log.level).toBe('info');
  });

  it('reload() reloads and resolves when done', async () => {
    const w = start({ pollIntervalMs: 0, reloadSignal: false });
    writeFileSync(path, configText('warn'));
    await w.reload();
    expect(reloads.at(-1)?.log.level).toBe('warn');
  });

  it('a deleted file is reported, not thrown', async () => {
    const w = start({ pollIntervalMs: 0 });
    rmSync(path);
    await w.reload();
    expect(errors).toHaveLength(1);
    expect((errors[0] as ConfigError).problems[0]).toContain(`${path}: cannot read the configuration file:`);
  });

  it('close() stops reloading and removes the SIGHUP listener', async () => {
    const listenersBefore = process.listenerCount('SIGHUP');
    const w = start({ pollIntervalMs: 20 });
    expect(process.listenerCount('SIGHUP')).toBe(listenersBefore + 1);
    w.close();
    expect(process.listenerCount('SIGHUP')).toBe(listenersBefore);
    writeFileSync(path, configText('debug'));
    await sleep(200);
    expect(reloads).toEqual([]);
  });
});
