/**
 * Zero-config start: an embedded s3rver (a real S3 implementation from npm, storing objects
 * on disk) as the upstream, a demo bucket, a demo key, the SQLite store in .s3gate/data with
 * the admin API next to the S3 listener, and a demo SuperUser `admin`. The key and the admin
 * password are kept in .s3gate/demo-credentials.json (0600) so they survive restarts. For
 * trying s3gate out only: s3rver is not a production store.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import { openStore } from '../admin/open-store.js';
import { parseConfig } from '../config/parse-config.js';
import { type Config, parseListenAddress } from '../config/config-schema.js';
import { systemClock } from '../core/clock.js';

export interface DemoSetup {
  readonly config: Config;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  /** The demo SuperUser of the admin API. */
  readonly adminUsername: string;
  readonly adminPassword: string;
  close(): Promise<void>;
}

interface DemoCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  adminUsername?: string;
  adminPassword?: string;
}

const DEMO_BUCKET = 'demo';
const DEMO_ADMIN = 'admin';
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * @param listen the S3 listener (`host:port`)
 * @param adminListen the admin API's listener; default: the S3 port + 1 when that is free, else any free port
 */
export async function startDemo(dataDir: string, listen: string, adminListen?: string): Promise<DemoSetup> {
  mkdirSync(join(dataDir, 'objects'), { recursive: true });
  const keyFile = join(dataDir, 'demo-credentials.json');
  let demoKey: DemoCredentials;
  let changed = false;
  if (existsSync(keyFile)) {
    demoKey = JSON.parse(readFileSync(keyFile, 'utf8')) as DemoCredentials;
  } else {
    const id = [...randomBytes(16)].map((b) => ALPHANUM[b % ALPHANUM.length]).join('');
    demoKey = { accessKeyId: `SGDM${id}`, secretAccessKey: randomBytes(30).toString('base64') };
    changed = true;
  }
  if (demoKey.adminUsername === undefined || demoKey.adminPassword === undefined) {
    // A file from before the demo had an admin API: add the admin, keep the key.
    demoKey = { ...demoKey, adminUsername: DEMO_ADMIN, adminPassword: randomBytes(18).toString('base64url') };
    changed = true;
  }
  if (changed) {
    writeFileSync(keyFile, JSON.stringify(demoKey, null, 2), { mode: 0o600 });
    chmodSync(keyFile, 0o600);
  }
  const adminUsername = demoKey.adminUsername ?? DEMO_ADMIN;
  const adminPassword = demoKey.adminPassword ?? '';

  const upstream = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: join(dataDir, 'objects'),
    configureBuckets: [{ name: DEMO_BUCKET, configs: [] }],
  });
  const address = (await upstream.run()) as AddressInfo;

  const toml = `
[server]
listen = "${listen}"

[store]
path = ${JSON.stringify(join(dataDir, 'data'))}

[admin]
listen = "${adminListen ?? (await nextListenAddress(listen))}"

[[backends]]
name = "default"
endpoint = "http://127.0.0.1:${address.port}"
region = "us-east-1"
access_key_id = "S3RVER"
secret_access_key = "S3RVER"
path_style = true

[[credentials]]
access_key_id = "${demoKey.accessKeyId}"
secret_access_key = "${demoKey.secretAccessKey}"
principal_name = "demo"
created_at = "${new Date().toISOString()}"
enabled = true

[[credentials.allowed_scopes]]
bucket = "${DEMO_BUCKET}"
prefixes = []
actions = ["*"]
`;
  const config = parseConfig(toml, '(built-in demo configuration)', {});
  try {
    await ensureDemoAdmin(config, adminUsername, adminPassword);
  } catch (err) {
    await upstream.close();
    throw err;
  }
  return {
    config,
    accessKeyId: demoKey.accessKeyId,
    secretAccessKey: demoKey.secretAccessKey,
    adminUsername,
    adminPassword,
    bucket: DEMO_BUCKET,
    close: async () => {
      await upstream.close();
    },
  };
}

/**
 * The demo SuperUser exists, is active and has the password of demo-credentials.json (reset
 * to it if the file was recreated while the database was kept).
 */
async function ensureDemoAdmin(config: Config, username: string, password: string): Promise<void> {
  if (config.store === undefined) throw new Error('the demo configuration has no [store]');
  const opened = openStore({ store: config.store, audit: config.audit, env: process.env, clock: systemClock, pruneAudit: false });
  try {
    const store = opened.store;
    const existing = store.getUserByUsername(username);
    if (existing === undefined) {
      await store.createUser({ username, password, role: 'SuperUser' });
    } else if (existing.role !== 'SuperUser' || !existing.isActive || (await store.verifyPassword(username, password)) === undefined) {
      await store.updateUser(existing.id, { role: 'SuperUser', isActive: true, password });
    }
  } finally {
    opened.close();
  }
}

/** `host:(port+1)` when that port is free; `host:0` (any free port) otherwise or when port is 0. */
async function nextListenAddress(listen: string): Promise<string> {
  const address = parseListenAddress(listen);
  if (address === undefined) return '127.0.0.1:0';
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const port = address.port === 0 || address.port >= 65535 ? 0 : address.port + 1;
  if (port !== 0 && !(await isFree(address.host, port))) return `${host}:0`;
  return `${host}:${port}`;
}

function isFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
