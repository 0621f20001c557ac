/**
 * Reloads proxy.toml on SIGHUP and when the file changes. Editors save by writing a new file
 * and renaming it over the old one, so the DIRECTORY is watched and events are filtered by
 * file name; events are debounced, and the file's stat is also polled as a fallback (network
 * file systems, containers with bind mounts, where fs.watch is silent).
 *
 * A valid new config is handed to onReload, and the caller swaps it in (one assignment, so
 * requests see the old config or the new one, never a mix). An invalid edit goes to onError
 * (a ConfigError listing the problems) and the caller keeps serving the old config. A file
 * change whose content is the same as the last one read is ignored; SIGHUP always reloads.
 */
import { type FSWatcher, type Stats, readFileSync, statSync, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ConfigError } from './config-error.js';
import type { Config } from './config-schema.js';
import { describeReadError, resolveConfigPaths } from './load-config.js';
import { type Env, parseConfig } from './parse-config.js';

/** The part of a logger (pino fits) the watcher uses. */
export interface ConfigWatcherLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface WatchConfigOptions {
  /** Called with each new valid config. */
  onReload(config: Config): void;
  /** Called when a reload fails (usually a ConfigError); the old config stays in force. */
  onError(err: unknown): void;
  log?: ConfigWatcherLog;
  /** Quiet time after the last file event before reloading; default 100. */
  debounceMs?: number;
  /** How often to compare the file's mtime/size/inode; default 1000; 0 = no polling. */
  pollIntervalMs?: number;
  /** Watch the directory with fs.watch; default true (false = rely on polling). */
  watchDirectory?: boolean;
  /** Signal that forces a reload; default 'SIGHUP'; false = none. */
  reloadSignal?: NodeJS.Signals | false;
  /** Where secret_access_key_env variables are read; default process.env at each reload. */
  env?: Env;
}

export interface ConfigWatcher {
  /** Reloads now (as SIGHUP does) and resolves when done; errors go to onError, never rejected. */
  reload(): Promise<void>;
  /** Stops watching, polling and listening for the signal. */
  close(): void;
}

interface FileIdentity {
  readonly mtimeMs: number;
  readonly size: number;
  readonly ino: number;
}

function identityOf(stats: Stats): FileIdentity {
  return { mtimeMs: stats.mtimeMs, size: stats.size, ino: stats.ino };
}

function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a?.mtimeMs === b?.mtimeMs && a?.size === b?.size && a?.ino === b?.ino;
}

export function watchConfig(path: string, options: WatchConfigOptions): ConfigWatcher {
  const { onReload, onError, log } = options;
  const debounceMs = options.debounceMs ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const reloadSignal = options.reloadSignal ?? 'SIGHUP';
  const fileName = basename(path);

  let closed = false;
  let debounceTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let queued: { force: boolean } | undefined;
  // The text last read (valid or not): an unchanged file is not reloaded again.
  let lastText: string | undefined;
  let lastIdentity: FileIdentity | undefined;
  try {
    lastText = readFileSync(path, 'utf8');
    lastIdentity = identityOf(statSync(path));
  } catch {
    // Missing now: the first change will load it.
  }

  async function runReload(force: boolean): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      onError(new ConfigError(path, [`${path}: cannot read the configuration file: ${describeReadError(err)}`]));
      return;
    }
    if (closed) return;
    if (!force && text === lastText) return;
    lastText = text;
    let config: Config;
    try {
      config = resolveConfigPaths(parseConfig(text, path, options.env ?? process.env), path);
    } catch (err) {
      onError(err);
      return;
    }
    log?.info(`configuration reloaded from ${path}`);
    try {
      onReload(config);
    } catch (err) {
      onError(err);
    }
  }

  function trigger(force: boolean): void {
    if (closed) return;
    if (running !== undefined) {
      queued = { force: force || (queued?.force ?? false) };
      return;
    }
    running = runReload(force).finally(() => {
      running = undefined;
      const next = queued;
      queued = undefined;
      if (next !== undefined) trigger(next.force);
    });
  }

  function schedule(): void {
    if (closed) return;
    if (debounceTimer !== undefined) clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => {
      debounceTimer = undefined;
      trigger(false);
    }, debounceMs);
    debounceTimer.unref();
  }

  let dirWatcher: FSWatcher | undefined;
  if (options.watchDirectory ?? true) {
    try {
      dirWatcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === fileName) schedule();
      });
      dirWatcher.on('error', (err) => {
        log?.warn(`watching ${dirname(path)} failed (${err.message}); falling back to polling`);
        dirWatcher?.close();
        dirWatcher = undefined;
      });
    } catch (err) {
      log?.warn(`cannot watch ${dirname(path)} (${err instanceof Error ? err.message : String(err)}); polling only`);
    }
  }

  let polling = false;
  const pollTimer =
    pollIntervalMs > 0
      ? setInterval(() => {
          if (polling) return;
          polling = true;
          stat(path)
            .then(identityOf, () => undefined)
            .then((identity) => {
              if (!sameIdentity(identity, lastIdentity)) {
                lastIdentity = identity;
                schedule();
              }
            })
            .finally(() => {
              polling = false;
            });
        }, pollIntervalMs)
      : undefined;
  pollTimer?.unref();

  const onSignal = (): void => {
    log?.info(`${String(reloadSignal)} received: reloading ${path}`);
    trigger(true);
  };
  if (reloadSignal !== false) process.on(reloadSignal, onSignal);

  return {
    async reload(): Promise<void> {
      trigger(true);
      while (running !== undefined) await running;
    },
    close(): void {
      if (closed) return;
      closed = true;
      if (debounceTimer !== undefined) clearTimeout(debounceTimer);
      if (pollTimer !== undefined) clearInterval(pollTimer);
      dirWatcher?.close();
      if (reloadSignal !== false) process.off(reloadSignal, onSignal);
    },
  };
}
