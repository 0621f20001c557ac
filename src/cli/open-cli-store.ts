/**
 * What a store command works on: the config named by --config (default ./proxy.toml), the
 * store its `[store]` names (opened exactly as the server opens it, by openStore), and an
 * AdminService over it acting as `cli:<os user>`, so every change is validated and audited as
 * through the admin API. Servers running on the same database see a change through the
 * store's change counter within their poll interval (250 ms by default): `invalidate` is a
 * no-op here.
 */
import { existsSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { type AdminActor, AdminService } from '../admin/admin-service.js';
import { type OpenStore, openStore } from '../admin/open-store.js';
import type { Config, StoreConfig } from '../config/config-schema.js';
import { loadConfigFile } from '../config/load-config.js';
import { systemClock } from '../core/clock.js';
import { createRequestId } from '../core/request-id.js';
import { MASTER_KEY_ENV, type MasterKeyEnv } from '../credentials/master-key.js';
import { DATABASE_FILE_NAME } from '../db/open-database.js';
import { credentialsFromConfig } from '../credentials/toml-credential-source.js';
import { CliFailure } from './cli-errors.js';

export const DEFAULT_CONFIG_FILE = 'proxy.toml';

export interface CliStore {
  readonly config: Config;
  readonly configPath: string;
  readonly storeConfig: StoreConfig;
  readonly opened: OpenStore;
  readonly service: AdminService;
  readonly actor: AdminActor;
  /** Flushes the audit rows and closes the database. */
  close(): void;
}

export interface OpenCliStoreOptions {
  readonly configPath: string | undefined;
  readonly env: MasterKeyEnv;
}

export async function loadStoreConfig(configPath: string | undefined): Promise<{ config: Config; path: string; store: StoreConfig }> {
  const path = resolve(configPath ?? DEFAULT_CONFIG_FILE);
  const config = await loadConfigFile(path);
  if (config.store === undefined) {
    throw new CliFailure(
      `${path} has no [store] section, so there is no database to manage: add\n\n  [store]\n  path = "data"\n\n(the data directory, relative to the config file) and restart the server with it`,
      'store',
    );
  }
  return { config, path, store: config.store };
}

export async function openCliStore(options: OpenCliStoreOptions): Promise<CliStore> {
  const { config, path, store: storeConfig } = await loadStoreConfig(options.configPath);
  const keyFileExisted = existsSync(storeConfig.masterKeyFile);
  const keyFromEnv = (options.env[MASTER_KEY_ENV] ?? '').trim() !== '';
  // A database that exists was opened with some master key; it is not a key file that is not
  // there. Creating one now would seal the secrets this command mints under a key the servers
  // do not have (they could not serve them, and would refuse to start again).
  if (!keyFromEnv && !keyFileExisted && existsSync(join(storeConfig.path, DATABASE_FILE_NAME))) {
    throw new CliFailure(
      `the database in ${storeConfig.path} exists but the master key file ${storeConfig.masterKeyFile} does not: run with the server's master key (${MASTER_KEY_ENV}, or the key file it uses)`,
      'store',
    );
  }
  let opened: OpenStore;
  try {
    // Refuses a master key that cannot read the stored secrets (naming the key ids needed).
    opened = openStore({ store: storeConfig, audit: config.audit, env: options.env, clock: systemClock, pruneAudit: false });
  } catch (err) {
    // Run without the server's key, this run may just have created a key file the database
    // does not match: do not leave it behind for the next start to trip over.
    if (!keyFileExisted && existsSync(storeConfig.masterKeyFile)) rmSync(storeConfig.masterKeyFile, { force: true });
    throw err;
  }
  const service = new AdminService({
    store: opened.store,
    audit: opened.audit,
    invalidate: () => {},
    tomlCredentials: () => credentialsFromConfig(config),
    clock: systemClock,
  });
  const actor: AdminActor = { principal: `cli:${osUsername()}`, user: undefined, requestId: createRequestId(), clientAddress: undefined };
  return { config, configPath: path, storeConfig, opened, service, actor, close: () => opened.close() };
}

function osUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}
