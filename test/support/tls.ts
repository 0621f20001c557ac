/**
 * A throw-away self-signed certificate for 127.0.0.1 (CN and subjectAltName IP:127.0.0.1,
 * DNS:localhost), made with the openssl CLI into a fresh temporary directory. The
 * certificate is its own CA: hand `certPath` to clients as their CA bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCert {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** PEM text of the certificate (the CA for clients). */
  readonly certPem: string;
  /** The `[server]` TOML lines that make s3gate listen https with this certificate. */
  readonly serverToml: string;
}

export function makeSelfSignedCert(): SelfSignedCert {
  const dir = mkdtempSync(join(tmpdir(), 's3gate-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', keyPath, '-out', certPath,
      '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign',
      '-addext', 'extendedKeyUsage=serverAuth',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return {
    dir,
    certPath,
    keyPath,
    certPem: readFileSync(certPath, 'utf8'),
    serverToml: `tls_cert = ${JSON.stringify(certPath)}\ntls_key = ${JSON.stringify(keyPath)}`,
  };
}
