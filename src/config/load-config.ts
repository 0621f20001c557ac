/**
 * Reads proxy.toml from disk and parses it (parse-config.ts does the work). TLS paths are
 * made absolute, relative to the directory of the config file. Every failure, including an
 * unreadable file, is a ConfigError, so `s3gate config check` can print `problems` as they are.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import type { Config } from './config-schema.js';
import { type Env, parseConfig } from './parse-config.js';

export interface LoadConfigOptions {
  /** Where secret_access_key_env variables are read; default process.env. */
  readonly env?: Env;
}

export async function loadConfigFile(path: string, options: LoadConfigOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`${path}: cannot read the configuration file: ${describeReadError(err)}`]);
  }
  return resolveConfigPaths(parseConfig(text, path, options.env ?? process.env), path);
}

/** Makes the paths in a parsed config absolute, relative to the config file's directory. */
export function resolveConfigPaths(config: Config, configPath: string): Config {
  const base = dirname(resolve(configPath));
  const tls = config.server.tls;
  const adminTls = config.admin.tls;
  const store = config.store;
  return {
    ...config,
    server: tls === undefined ? config.server : { ...config.server, tls: { certPath: resolve(base, tls.certPath), keyPath: resolve(base, tls.keyPath) } },
    admin: adminTls === undefined ? config.admin : { ...config.admin, tls: { certPath: resolve(base, adminTls.certPath), keyPath: resolve(base, adminTls.keyPath) } },
    store:
      store === undefined
        ? undefined
        : {
            path: resolve(base, store.path),
            masterKeyFile: resolve(base, store.masterKeyFile),
            previousMasterKeyFile: store.previousMasterKeyFile === undefined ? undefined : resolve(base, store.previousMasterKeyFile),
          },
  };
}

function describeReadError(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return 'no such file (check the path, or start from proxy.example.toml)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (make it readable by the user s3gate runs as)';
    case 'EISDIR':
      return 'it is a directory (give the path of the .toml file)';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
