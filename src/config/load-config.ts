/**
 * Reads proxy.toml from disk and parses it (parse-config.ts does the work). TLS paths are
 * made absolute, relative to the directory of the config file. Every failure, including an
 * unreadable file, is a ConfigError, so `s3gate config check` can print `problems` as they are.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ConfigError } from './config-error.js';
import type { Config, TlsConfig } from './config-schema.js';
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

/**
 * Checks the TLS certificate and key a listener is about to use (read at start only), so a bad
 * pair stops the start with a ConfigError naming the config file, the field and the fix, not
 * with node's bare "ENOENT: …" or "error:0480006C:PEM routines::no start line".
 * `section` is the TOML table holding tls_cert/tls_key.
 */
export function checkTlsFiles(fileName: string, section: 'server' | 'admin', tls: TlsConfig): void {
  const fail = (field: 'tls_cert' | 'tls_key', problem: string): never => {
    throw new ConfigError(fileName, [`${fileName}: ${section}.${field}: ${problem}`]);
  };
  const read = (field: 'tls_cert' | 'tls_key', path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      return fail(field, `cannot read ${path}: ${describeReadError(err, 'tls')}`);
    }
  };
  const cert = read('tls_cert', tls.certPath);
  const key = read('tls_key', tls.keyPath);
  if (!accepted({ cert })) fail('tls_cert', `${tls.certPath} is not a PEM certificate (give the PEM certificate chain, "-----BEGIN CERTIFICATE-----")`);
  if (!accepted({ key })) fail('tls_key', `${tls.keyPath} is not a PEM private key (give the unencrypted PEM key, "-----BEGIN PRIVATE KEY-----")`);
  if (!accepted({ cert, key })) fail('tls_key', `${tls.keyPath} does not belong to the certificate in ${tls.certPath} (give the key the certificate was issued for)`);
}

function accepted(options: { cert?: Buffer; key?: Buffer }): boolean {
  try {
    createSecureContext(options);
    return true;
  } catch {
    return false;
  }
}

/** Why a file could not be read, and what to do about it. */
export function describeReadError(err: unknown, file: 'config' | 'tls' = 'config'): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return file === 'config' ? 'no such file (check the path, or start from proxy.example.toml)' : 'no such file (check the path; a relative path is relative to the config file)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (make it readable by the user s3gate runs as)';
    case 'EISDIR':
      return `it is a directory (give the path of the ${file === 'config' ? '.toml' : 'PEM'} file)`;
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
