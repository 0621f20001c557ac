/**
 * Zero-config start: an embedded s3rver (a real S3 implementation from npm, storing objects
 * on disk) as the upstream, a demo bucket, and a demo key kept in .s3gate/ so it survives
 * restarts. For trying s3gate out only: s3rver is not a production store.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import { parseConfig } from '../config/parse-config.js';
import type { Config } from '../config/config-schema.js';

export interface DemoSetup {
  readonly config: Config;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  close(): Promise<void>;
}

const DEMO_BUCKET = 'demo';
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export async function startDemo(dataDir: string, listen: string): Promise<DemoSetup> {
  mkdirSync(join(dataDir, 'objects'), { recursive: true });
  const keyFile = join(dataDir, 'demo-credentials.json');
  let demoKey: { accessKeyId: string; secretAccessKey: string };
  if (existsSync(keyFile)) {
    demoKey = JSON.parse(readFileSync(keyFile, 'utf8')) as typeof demoKey;
  } else {
    const id = [...randomBytes(16)].map((b) => ALPHANUM[b % ALPHANUM.length]).join('');
    demoKey = { accessKeyId: `SGDM${id}`, secretAccessKey: randomBytes(30).toString('base64') };
    writeFileSync(keyFile, JSON.stringify(demoKey, null, 2), { mode: 0o600 });
  }

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
  return {
    config,
    ...demoKey,
    bucket: DEMO_BUCKET,
    close: async () => {
      await upstream.close();
    },
  };
}
