/**
 * The `[[credentials]]` of proxy.toml as Credentials (source 'toml'). Disabled and expired
 * credentials are kept: the verifier answers AccessDenied / ExpiredToken for them rather than
 * InvalidAccessKeyId, as the multistore format documents.
 */
import type { Config } from '../config/config-schema.js';
import type { Credential } from '../policy/credential.js';

export const TOML_SOURCE_NAME = 'toml';

export function credentialsFromConfig(config: Config): Credential[] {
  return config.credentials.map(
    (c): Credential => ({
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      principalName: c.principalName,
      enabled: c.enabled,
      expiresAtMs: c.expiresAtMs,
      createdAtMs: c.createdAtMs,
      scopes: c.allowedScopes,
      source: 'toml',
    }),
  );
}
