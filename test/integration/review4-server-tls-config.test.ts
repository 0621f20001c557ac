/**
 * Review 4: an unreadable or invalid TLS certificate/key stopped `s3gate serve` with only
 * node's message ("ENOENT: no such file or directory, open '…'", or
 * "error:0480006C:PEM routines::no start line"): no config file, no field, no fix. Bad
 * config must give a message naming the file, the field and the fix.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfigFile } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { startServer } from '../../src/main.js';
import { makeSelfSignedCert } from '../support/tls.js';

const good = makeSelfSignedCert();
const other = makeSelfSignedCert();
const junk = join(good.dir, 'junk.pem');
writeFileSync(junk, 'not a PEM file\n');

async function startWith(serverToml: string, adminToml = ''): Promise<unknown> {
  const path = join(good.dir, `proxy-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(
    path,
    `[server]\nlisten = "127.0.0.1:0"\n${serverToml}\n${adminToml}\n[[backends]]\nname = "default"\nendpoint = "http://127.0.0.1:9"\naccess_key_id = "admin"\nsecret_access_key = "admin-secret"\n`,
  );
  const config = await loadConfigFile(path);
  try {
    const server = await startServer({ config, configPath: path, logger: createLogger('silent') });
    await server.close();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('review 4: TLS files named by the config', () => {
  it.each([
    ['a missing certificate', `tls_cert = "missing-cert.pem"\ntls_key = ${JSON.stringify(good.keyPath)}`, /server\.tls_cert: cannot read .*missing-cert\.pem: no such file/],
    ['a missing key', `tls_cert = ${JSON.stringify(good.certPath)}\ntls_key = "missing-key.pem"`, /server\.tls_key: cannot read .*missing-key\.pem: no such file/],
    ['a certificate that is not PEM', `tls_cert = ${JSON.stringify(junk)}\ntls_key = ${JSON.stringify(good.keyPath)}`, /server\.tls_cert: .*junk\.pem is not a PEM certificate/],
    ['a key that is not PEM', `tls_cert = ${JSON.stringify(good.certPath)}\ntls_key = ${JSON.stringify(junk)}`, /server\.tls_key: .*junk\.pem is not a PEM private key/],
    ['a key of another certificate', `tls_cert = ${JSON.stringify(good.certPath)}\ntls_key = ${JSON.stringify(other.keyPath)}`, /server\.tls_key: .*does not belong to the certificate/],
  ])('%s: a ConfigError naming the file, the field and the fix', async (_what, serverToml, problem) => {
    const err = await startWith(serverToml);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/.*\/proxy-[a-z0-9]+\.toml: /);
    expect(problems[0]).toMatch(problem);
  });

  it('a good pair still starts', async () => {
    expect(await startWith(good.serverToml)).toBeUndefined();
  });
});
