import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/parse-config.js';
import { credentialsFromConfig } from '../../../src/credentials/toml-credential-source.js';

const TEXT = `
[[backends]]
name = "default"
endpoint = "http://127.0.0.1:9000"
access_key_id = "a"
secret_access_key = "b"

[[credentials]]
access_key_id = "AKPROXY00000EXAMPLE"
secret_access_key = "proxy/secret/key/EXAMPLE000000000000"
principal_name = "internal-dashboard"
created_at = 2024-01-15T00:00:00Z
expires_at = "2030-01-01T00:00:00Z"
enabled = true
[[credentials.allowed_scopes]]
bucket = "ml-artifacts"
prefixes = ["models/production/"]
actions = ["get_object", "head_object"]

[[credentials]]
access_key_id = "AKPROXY00000REVOKED"
secret_access_key = "old/secret/key/EXAMPLE"
principal_name = "old-service"
created_at = "2023-01-01T00:00:00Z"
enabled = false
`;

describe('credentialsFromConfig', () => {
  it('maps every [[credentials]] entry, keeping disabled ones', () => {
    expect(credentialsFromConfig(parseConfig(TEXT, 'proxy.toml', {}))).toEqual([
      {
        accessKeyId: 'AKPROXY00000EXAMPLE',
        secretAccessKey: 'proxy/secret/key/EXAMPLE000000000000',
        principalName: 'internal-dashboard',
        enabled: true,
        expiresAtMs: Date.UTC(2030, 0, 1),
        createdAtMs: Date.UTC(2024, 0, 15),
        scopes: [{ bucket: 'ml-artifacts', prefixes: ['models/production/'], actions: ['get_object', 'head_object'] }],
        source: 'toml',
      },
      {
        accessKeyId: 'AKPROXY00000REVOKED',
        secretAccessKey: 'old/secret/key/EXAMPLE',
        principalName: 'old-service',
        enabled: false,
        expiresAtMs: undefined,
        createdAtMs: Date.UTC(2023, 0, 1),
        scopes: [],
        source: 'toml',
      },
    ]);
  });
});
