import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDateTime } from '../../../src/config/config-schema.js';
import { ConfigError, formatPath, parseConfig } from '../../../src/config/parse-config.js';

const EXAMPLE_PATH = fileURLToPath(new URL('../../../proxy.example.toml', import.meta.url));
const ENV = { S3GATE_UPSTREAM_SECRET_ACCESS_KEY: 'upstream-secret' };

const BACKEND = `
[[backends]]
name = "default"
endpoint = "http://127.0.0.1:9000"
access_key_id = "minioadmin"
secret_access_key = "minioadmin"
`;

const CREDENTIAL = `
[[credentials]]
access_key_id = "AKPROXY00000EXAMPLE"
secret_access_key = "proxy/secret/key/EXAMPLE000000000000"
principal_name = "internal-dashboard"
created_at = "2024-01-15T00:00:00Z"
enabled = true
`;

const SCOPE = `
[[credentials.allowed_scopes]]
bucket = "public-data"
prefixes = []
actions = ["get_object"]
`;

/** The problems parseConfig reports for `text`; fails the test if it parses. */
function problemsOf(text: string, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(text, 'proxy.toml', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig: valid files', () => {
  it('parses proxy.example.toml (with the upstream secret in the environment)', () => {
    const config = parseConfig(readFileSync(EXAMPLE_PATH, 'utf8'), 'proxy.example.toml', ENV);
    expect(config.server.listen).toEqual({ host: '127.0.0.1', port: 8090 });
    expect(config.server.tls).toBeUndefined();
    expect(config.backends).toEqual([
      {
        name: 'default',
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        accessKeyId: 'minioadmin',
        secretAccessKey: 'upstream-secret',
        secretAccessKeyEnv: 'S3GATE_UPSTREAM_SECRET_ACCESS_KEY',
        pathStyle: true,
        connections: 64,
      },
    ]);
    expect(config.credentials).toHaveLength(2);
    expect(config.credentials[0]).toEqual({
      accessKeyId: 'AKPROXY00000EXAMPLE',
      secretAccessKey: 'proxy/secret/key/EXAMPLE000000000000',
      principalName: 'internal-dashboard',
      createdAtMs: Date.UTC(2024, 0, 15),
      expiresAtMs: Date.UTC(2030, 0, 1),
      enabled: true,
      allowedScopes: [
        { bucket: 'public-data', prefixes: [], actions: ['get_object', 'head_object', 'list_bucket'] },
        { bucket: 'ml-artifacts', prefixes: ['models/production/'], actions: ['get_object', 'head_object'] },
      ],
    });
    expect(config.credentials[1]).toMatchObject({ accessKeyId: 'AKPROXY00000REVOKED', enabled: false, allowedScopes: [] });
    expect(config.log.level).toBe('info');
  });

  it('proxy.example.toml without the env var names the missing variable', () => {
    expect(problemsOf(readFileSync(EXAMPLE_PATH, 'utf8'))).toEqual([
      'proxy.toml: backends[0].secret_access_key_env: environment variable S3GATE_UPSTREAM_SECRET_ACCESS_KEY is not set (export S3GATE_UPSTREAM_SECRET_ACCESS_KEY with the upstream secret before starting s3gate, or use secret_access_key)',
    ]);
  });

  it('fills every default from a minimal file', () => {
    const config = parseConfig(BACKEND, 'proxy.toml', {});
    expect(config).toEqual({
      server: {
        listen: { host: '127.0.0.1', port: 8090 },
        tls: undefined,
        regions: [],
        virtualHostDomains: [],
        trustedProxies: [],
        limits: {
          maxSkewSeconds: 900,
          maxChunkSizeBytes: 16777216,
          maxHeaderBytes: 16384,
          requestTimeoutMs: 0,
          clientIdleTimeoutMs: 120_000,
          upstreamConnectTimeoutMs: 5000,
          upstreamHeadersTimeoutMs: 30000,
          upstreamBodyTimeoutMs: 300000,
          maxDeleteObjectsBodyBytes: 2097152,
        },
      },
      backends: [
        {
          name: 'default',
          endpoint: 'http://127.0.0.1:9000',
          region: 'us-east-1',
          accessKeyId: 'minioadmin',
          secretAccessKey: 'minioadmin',
          secretAccessKeyEnv: undefined,
          pathStyle: true,
          connections: 64,
        },
      ],
      buckets: [],
      credentials: [],
      log: { level: 'info' },
      store: undefined,
      admin: {
        enabled: false,
        listen: { host: '127.0.0.1', port: 8091 },
        tls: undefined,
        tokenTtlSeconds: 3600,
        loginMaxFailures: 5,
        loginLockoutSeconds: 900,
      },
      audit: { readSampleRate: 0, retentionDays: 90, flushIntervalMs: 200 },
    });
  });

  it('parses the multistore seed credentials verbatim (string dates, scopes, a disabled key without scopes)', () => {
    const seed = `${BACKEND}
[[credentials]]
access_key_id = "AKPROXY00000EXAMPLE"
secret_access_key = "proxy/secret/key/EXAMPLE000000000000"
principal_name = "internal-dashboard"
created_at = "2024-01-15T00:00:00Z"
enabled = true

[[credentials.allowed_scopes]]
bucket = "public-data"
prefixes = []
actions = ["get_object", "head_object", "list_bucket"]

[[credentials.allowed_scopes]]
bucket = "ml-artifacts"
prefixes = ["models/production/"]
actions = ["get_object", "head_object"]

[[credentials]]
access_key_id = "AKPROXY00000REVOKED"
secret_access_key = "..."
principal_name = "old-service"
created_at = "2023-01-01T00:00:00Z"
enabled = false
`;
    // The seed's revoked key has secret "..." (3 characters): our 8-character minimum rejects it.
    expect(problemsOf(seed)).toEqual([
      'proxy.toml: credentials[1].secret_access_key: secret is shorter than 8 characters (use a long random one: openssl rand -base64 30)',
    ]);
    const config = parseConfig(seed.replace('secret_access_key = "..."', 'secret_access_key = "........"'), 'proxy.toml', {});
    expect(config.credentials.map((c) => [c.accessKeyId, c.enabled, c.allowedScopes.length])).toEqual([
      ['AKPROXY00000EXAMPLE', true, 2],
      ['AKPROXY00000REVOKED', false, 0],
    ]);
  });

  it.each([
    ['TOML offset date-time', '2024-01-15T00:00:00Z', Date.UTC(2024, 0, 15)],
    ['TOML date-time with offset', '2024-01-15T01:00:00+01:00', Date.UTC(2024, 0, 15)],
    ['TOML date-time with fraction', '2024-01-15T00:00:00.250Z', Date.UTC(2024, 0, 15) + 250],
    ['ISO string, Z', '"2024-01-15T00:00:00Z"', Date.UTC(2024, 0, 15)],
    ['ISO string, offset', '"2024-01-15T02:00:00+02:00"', Date.UTC(2024, 0, 15)],
    ['ISO string, compact offset', '"2024-01-15T02:00:00+0200"', Date.UTC(2024, 0, 15)],
    ['ISO string, lower-case z and space', '"2024-01-15 00:00:00z"', Date.UTC(2024, 0, 15)],
  ])('accepts created_at / expires_at as %s', (_name, literal, expectedMs) => {
    const text = `${BACKEND}${CREDENTIAL.replace('"2024-01-15T00:00:00Z"', literal)}expires_at = ${literal.replace('2024', '2030')}\n`;
    const config = parseConfig(text, 'proxy.toml', {});
    expect(config.credentials[0]?.createdAtMs).toBe(expectedMs);
    expect(config.credentials[0]?.expiresAtMs).toBe(expectedMs + (Date.UTC(2030, 0, 15) - Date.UTC(2024, 0, 15)));
  });

  it('reads the full server section, TLS, IPv6 listen, domains, proxies, limits, buckets, log level', () => {
    const text = `
[server]
listen = "[::1]:0"
tls_cert = "cert.pem"
tls_key = "key.pem"
regions = ["us-east-1", "garage"]
virtual_host_domains = ["s3.example.com"]
trusted_proxies = ["10.0.0.0/8", "::1", "192.168.1.7"]
[server.limits]
max_skew_seconds = 60
request_timeout_ms = 120000
[[backends]]
name = "default"
endpoint = "https://s3.us-east-1.amazonaws.com/"
region = "eu-west-1"
access_key_id = "AKIA"
secret_access_key_env = "UP"
path_style = false
connections = 8
[[backends]]
name = "archive"
endpoint = "http://archive:9000"
access_key_id = "a"
secret_access_key = "b"
[[buckets]]
name = "archive-*"
backend = "archive"
[[buckets]]
name = "logs"
[log]
level = "debug"
`;
    const config = parseConfig(text, 'proxy.toml', { UP: 'from-env' });
    expect(config.server).toMatchObject({
      listen: { host: '::1', port: 0 },
      tls: { certPath: 'cert.pem', keyPath: 'key.pem' },
      regions: ['us-east-1', 'garage'],
      virtualHostDomains: ['s3.example.com'],
      trustedProxies: ['10.0.0.0/8', '::1', '192.168.1.7'],
    });
    expect(config.server.limits.maxSkewSeconds).toBe(60);
    expect(config.server.limits.requestTimeoutMs).toBe(120000);
    expect(config.server.limits.upstreamConnectTimeoutMs).toBe(5000);
    expect(config.backends[0]).toMatchObject({
      endpoint: 'https://s3.us-east-1.amazonaws.com',
      region: 'eu-west-1',
      secretAccessKey: 'from-env',
      pathStyle: false,
      connections: 8,
    });
    expect(config.buckets).toEqual([
      { name: 'archive-*', backend: 'archive' },
      { name: 'logs', backend: 'default' },
    ]);
    expect(config.log.level).toBe('debug');
  });

  it('accepts "*" and globs in scopes', () => {
    const text = `${BACKEND}${CREDENTIAL}
[[credentials.allowed_scopes]]
bucket = "team-*"
actions = ["*"]
[[credentials.allowed_scopes]]
bucket = "*"
actions = ["list_buckets"]
`;
    const config = parseConfig(text, 'proxy.toml', {});
    expect(config.credentials[0]?.allowedScopes).toEqual([
      { bucket: 'team-*', prefixes: [], actions: ['*'] },
      { bucket: '*', prefixes: [], actions: ['list_buckets'] },
    ]);
  });
});

describe('parseConfig: every problem names the file, the TOML path, what is wrong and the fix', () => {
  it.each<[string, string, string]>([
    [
      'unknown action (closest suggested)',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('["get_object"]', '["get_object", "get_objects"]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].actions[1]: unknown action "get_objects" (did you mean "get_object"? see docs/actions.md)',
    ],
    [
      'IAM-style action name',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('["get_object"]', '["s3:GetObject"]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].actions[0]: unknown action "s3:GetObject" (did you mean "get_object"? see docs/actions.md)',
    ],
    [
      'ListObjects alias',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('["get_object"]', '["list_objects_v2"]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].actions[0]: unknown action "list_objects_v2" (did you mean "list_bucket"? see docs/actions.md)',
    ],
    [
      'action with nothing close',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('["get_object"]', '["teleport"]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].actions[0]: unknown action "teleport" (see docs/actions.md for the list, or "*" for all)',
    ],
    [
      'empty actions',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('["get_object"]', '[]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].actions: no actions (list at least one, e.g. ["get_object", "head_object", "list_bucket"], or ["*"])',
    ],
    [
      'unknown key with a close known key',
      `${BACKEND}${CREDENTIAL.replace('secret_access_key =', 'secret_key =')}`,
      'proxy.toml: credentials[0].secret_key: unknown key "secret_key" (did you mean "secret_access_key"?)',
    ],
    [
      'camelCase key',
      `${BACKEND.replace('access_key_id =', 'accessKeyId =')}`,
      'proxy.toml: backends[0].accessKeyId: unknown key "accessKeyId" (did you mean "access_key_id"?)',
    ],
    [
      'misspelt key in a nested table',
      `${BACKEND}[server.limits]\nmax_skew_secs = 60\n`,
      'proxy.toml: server.limits.max_skew_secs: unknown key "max_skew_secs" (did you mean "max_skew_seconds"?)',
    ],
    [
      'unknown key in a scope',
      `${BACKEND}${CREDENTIAL}${SCOPE}prefix = ["a/"]\n`,
      'proxy.toml: credentials[0].allowed_scopes[0].prefix: unknown key "prefix" (did you mean "prefixes"?)',
    ],
    [
      'unknown key with nothing close',
      `${BACKEND}[log]\nlevel = "info"\ncolour = true\n`,
      'proxy.toml: log.colour: unknown key "colour" (remove it; valid keys here: level)',
    ],
    [
      'duplicate access_key_id',
      `${BACKEND}${CREDENTIAL}${SCOPE}${CREDENTIAL}`,
      'proxy.toml: credentials[1].access_key_id: duplicate access key id "AKPROXY00000EXAMPLE" (also used by credentials[0]; each access_key_id must be unique)',
    ],
    [
      'access_key_id too short',
      `${BACKEND}${CREDENTIAL.replace('"AKPROXY00000EXAMPLE"', '"AK"')}`,
      'proxy.toml: credentials[0].access_key_id: access key id must be 3-128 characters of A-Z, a-z, 0-9 (e.g. "AKPROXY00000EXAMPLE")',
    ],
    [
      'access_key_id with bad characters',
      `${BACKEND}${CREDENTIAL.replace('"AKPROXY00000EXAMPLE"', '"AK-PROXY"')}`,
      'proxy.toml: credentials[0].access_key_id: access key id must be 3-128 characters of A-Z, a-z, 0-9 (e.g. "AKPROXY00000EXAMPLE")',
    ],
    [
      'short secret',
      `${BACKEND}${CREDENTIAL.replace('"proxy/secret/key/EXAMPLE000000000000"', '"1234567"')}`,
      'proxy.toml: credentials[0].secret_access_key: secret is shorter than 8 characters (use a long random one: openssl rand -base64 30)',
    ],
    [
      'missing required field',
      `${BACKEND}${CREDENTIAL.replace('principal_name = "internal-dashboard"\n', '')}`,
      'proxy.toml: credentials[0].principal_name: required field is missing (add principal_name = "internal-dashboard")',
    ],
    [
      'wrong type',
      `${BACKEND}${CREDENTIAL.replace('enabled = true', 'enabled = "yes"')}`,
      'proxy.toml: credentials[0].enabled: expected a boolean (true or false), got a string',
    ],
    [
      'single table where an array of tables is expected',
      `${BACKEND}[credentials]\naccess_key_id = "AKPROXY00000EXAMPLE"\n`,
      'proxy.toml: credentials: expected an array of tables, got a single table (write [[credentials]] with double brackets)',
    ],
    [
      'upper-case bucket',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('"public-data"', '"Public-Data"')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].bucket: bucket pattern "Public-Data" has upper-case letters (S3 bucket names are lower-case: write "public-data")',
    ],
    [
      'bucket too short',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('"public-data"', '"ab"')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].bucket: invalid bucket name "ab" (bucket names are 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit; globs may also use "*" and "?")',
    ],
    [
      'bucket glob with bad characters',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('"public-data"', '"team_*"')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].bucket: invalid bucket glob "team_*" (bucket names are 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit; globs may also use "*" and "?")',
    ],
    [
      'prefix with a leading slash',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('prefixes = []', 'prefixes = ["ok/", "/models/"]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].prefixes[1]: prefix "/models/" starts with "/" (object keys have no leading slash: write "models/")',
    ],
    [
      'empty prefix',
      `${BACKEND}${CREDENTIAL}${SCOPE.replace('prefixes = []', 'prefixes = [""]')}`,
      'proxy.toml: credentials[0].allowed_scopes[0].prefixes[0]: empty prefix (to grant the whole bucket, write prefixes = [])',
    ],
    [
      'local date-time without a zone',
      `${BACKEND}${CREDENTIAL.replace('"2024-01-15T00:00:00Z"', '2024-01-15T00:00:00')}`,
      'proxy.toml: credentials[0].created_at: date-time has no time zone (append "Z" for UTC: 2024-01-15T00:00:00Z)',
    ],
    [
      'TOML date without a time',
      `${BACKEND}${CREDENTIAL.replace('"2024-01-15T00:00:00Z"', '2024-01-15')}`,
      'proxy.toml: credentials[0].created_at: a date without a time (write a date-time: 2024-01-15T00:00:00Z)',
    ],
    [
      'string without a zone',
      `${BACKEND}${CREDENTIAL.replace('"2024-01-15T00:00:00Z"', '"2024-01-15T00:00:00"')}`,
      'proxy.toml: credentials[0].created_at: "2024-01-15T00:00:00" has no time zone (write an ISO 8601 date-time with one: 2024-01-15T00:00:00Z)',
    ],
    [
      'string that is not a date',
      `${BACKEND}${CREDENTIAL.replace('"2024-01-15T00:00:00Z"', '"yesterday"')}`,
      'proxy.toml: credentials[0].created_at: "yesterday" is not an ISO 8601 date-time (write 2024-01-15T00:00:00Z)',
    ],
    [
      'date as an integer',
      `${BACKEND}${CREDENTIAL.replace('"2024-01-15T00:00:00Z"', '1705276800')}`,
      'proxy.toml: credentials[0].created_at: expected a date-time, got an integer (write 2024-01-15T00:00:00Z)',
    ],
    [
      'expiry before creation',
      `${BACKEND}${CREDENTIAL}expires_at = 2020-01-01T00:00:00Z\n`,
      'proxy.toml: credentials[0].expires_at: expires_at is not after created_at (fix the dates, or remove expires_at for no expiry)',
    ],
    [
      'no backends',
      `${CREDENTIAL}`,
      'proxy.toml: backends: no backends (add a [[backends]] table named "default"; see proxy.example.toml)',
    ],
    [
      'no backend named default',
      BACKEND.replace('"default"', '"minio"'),
      'proxy.toml: backends: no backend named "default" (it serves every bucket without a [[buckets]] mapping; rename "minio" to "default")',
    ],
    [
      'duplicate backend names',
      `${BACKEND}${BACKEND}`,
      'proxy.toml: backends[1].name: duplicate backend name "default" (also used by backends[0]; names must be unique)',
    ],
    [
      'endpoint not http(s)',
      BACKEND.replace('"http://127.0.0.1:9000"', '"ftp://127.0.0.1:9000"'),
      'proxy.toml: backends[0].endpoint: endpoint "ftp://127.0.0.1:9000" is not http:// or https:// (e.g. "http://127.0.0.1:9000" or "https://s3.us-east-1.amazonaws.com")',
    ],
    [
      'endpoint not a URL',
      BACKEND.replace('"http://127.0.0.1:9000"', '"127.0.0.1:9000"'),
      'proxy.toml: backends[0].endpoint: invalid endpoint "127.0.0.1:9000" (write an http:// or https:// URL, e.g. "http://127.0.0.1:9000" or "https://s3.us-east-1.amazonaws.com")',
    ],
    [
      'endpoint with a path',
      BACKEND.replace('"http://127.0.0.1:9000"', '"http://127.0.0.1:9000/s3"'),
      'proxy.toml: backends[0].endpoint: endpoint "http://127.0.0.1:9000/s3" has a path, query or fragment (write only scheme, host and port: "http://127.0.0.1:9000")',
    ],
    [
      'both secrets',
      `${BACKEND}secret_access_key_env = "X"\n`,
      'proxy.toml: backends[0]: both secret_access_key and secret_access_key_env are set (keep exactly one of them)',
    ],
    [
      'no secret',
      BACKEND.replace('secret_access_key = "minioadmin"\n', ''),
      'proxy.toml: backends[0]: no secret (add secret_access_key = "..." or secret_access_key_env = "S3GATE_UPSTREAM_SECRET_ACCESS_KEY")',
    ],
    [
      'env secret missing',
      BACKEND.replace('secret_access_key = "minioadmin"', 'secret_access_key_env = "MY_SECRET"'),
      'proxy.toml: backends[0].secret_access_key_env: environment variable MY_SECRET is not set (export MY_SECRET with the upstream secret before starting s3gate, or use secret_access_key)',
    ],
    [
      'bucket mapping to an unknown backend',
      `${BACKEND}[[buckets]]\nname = "logs"\nbackend = "defualt"\n`,
      'proxy.toml: buckets[0].backend: unknown backend "defualt" (did you mean "default"? defined backends: "default")',
    ],
    [
      'TLS cert without key',
      `${BACKEND}[server]\ntls_cert = "cert.pem"\n`,
      'proxy.toml: server.tls_key: tls_cert is set but tls_key is not (set both for HTTPS, or neither for plain HTTP)',
    ],
    [
      'TLS key without cert',
      `${BACKEND}[server]\ntls_key = "key.pem"\n`,
      'proxy.toml: server.tls_cert: tls_key is set but tls_cert is not (set both for HTTPS, or neither for plain HTTP)',
    ],
    [
      'bad listen address',
      `${BACKEND}[server]\nlisten = "8090"\n`,
      'proxy.toml: server.listen: invalid listen address "8090" (write host:port, e.g. "127.0.0.1:8090", "0.0.0.0:8090" or "[::1]:8090")',
    ],
    [
      'IPv6 listen without brackets',
      `${BACKEND}[server]\nlisten = "::1:8090"\n`,
      'proxy.toml: server.listen: invalid listen address "::1:8090" (write host:port, e.g. "127.0.0.1:8090", "0.0.0.0:8090" or "[::1]:8090")',
    ],
    [
      'bad trusted proxy',
      `${BACKEND}[server]\ntrusted_proxies = ["10.0.0.0/33"]\n`,
      'proxy.toml: server.trusted_proxies[0]: invalid CIDR prefix length in "10.0.0.0/33" (0-32 for IPv4)',
    ],
    [
      'bad virtual host domain',
      `${BACKEND}[server]\nvirtual_host_domains = ["https://s3.example.com"]\n`,
      'proxy.toml: server.virtual_host_domains[0]: invalid domain "https://s3.example.com" (write a host name without scheme, port or leading dot, e.g. "s3.example.com")',
    ],
    [
      'float where an integer is expected',
      `${BACKEND}[server.limits]\nmax_skew_seconds = 1.5\n`,
      'proxy.toml: server.limits.max_skew_seconds: expected an integer, got a float',
    ],
    [
      'zero limit',
      `${BACKEND}[server.limits]\nmax_chunk_size_bytes = 0\n`,
      'proxy.toml: server.limits.max_chunk_size_bytes: max_chunk_size_bytes must be at least 1',
    ],
    [
      'unknown log level',
      `${BACKEND}[log]\nlevel = "warning"\n`,
      'proxy.toml: log.level: unknown log level "warning" (did you mean "warn"? one of: fatal, error, warn, info, debug, trace, silent)',
    ],
  ])('%s', (_name, text, expected) => {
    expect(problemsOf(text)).toEqual([expected]);
  });

  it('reports a TOML syntax error with file, line and column', () => {
    expect(problemsOf(`${BACKEND}[log]\nlevel = [1,\n`)).toEqual([
      'proxy.toml:9:1: TOML syntax error: invalid value (fix line 9, column 1)',
    ]);
    expect(problemsOf(`${BACKEND}name = "again"\n`)).toEqual([
      'proxy.toml:7:1: TOML syntax error: trying to redefine an already defined table or value (fix line 7, column 1)',
    ]);
  });

  it('reports every problem at once, one line each', () => {
    const text = `${BACKEND}${CREDENTIAL.replace('"AKPROXY00000EXAMPLE"', '"A"')
      .replace('enabled = true', 'enabld = true')
      .replace('principal_name = "internal-dashboard"\n', '')}`;
    const problems = problemsOf(text);
    expect(problems).toEqual([
      'proxy.toml: credentials[0].access_key_id: access key id must be 3-128 characters of A-Z, a-z, 0-9 (e.g. "AKPROXY00000EXAMPLE")',
      'proxy.toml: credentials[0].principal_name: required field is missing (add principal_name = "internal-dashboard")',
      'proxy.toml: credentials[0].enabld: unknown key "enabld" (did you mean "enabled"?)',
    ]);
    for (const problem of problems) expect(problem).not.toContain('\n');
  });

  it('never puts a secret in a problem', () => {
    const text = `${BACKEND.replace('secret_access_key = "minioadmin"', 'secret_access_key = 12345678')}${CREDENTIAL.replace(
      '"proxy/secret/key/EXAMPLE000000000000"',
      '"s3cr3t!"',
    )}`;
    const err = (() => {
      try {
        parseConfig(text, 'proxy.toml', {});
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as ConfigError).message)).not.toContain('s3cr3t!');
    expect(String((err as ConfigError).message)).not.toContain('12345678');
  });

  it('ConfigError carries the file name and a readable message', () => {
    try {
      parseConfig('', 'etc/proxy.toml', {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const configError = err as ConfigError;
      expect(configError.fileName).toBe('etc/proxy.toml');
      expect(configError.name).toBe('ConfigError');
      expect(configError.message).toBe(
        'etc/proxy.toml: invalid configuration (1 problem):\n  etc/proxy.toml: backends: no backends (add a [[backends]] table named "default"; see proxy.example.toml)',
      );
    }
  });
});

describe('formatPath', () => {
  it.each<[readonly PropertyKey[], string]>([
    [[], '(top level)'],
    [['server', 'limits', 'max_skew_seconds'], 'server.limits.max_skew_seconds'],
    [['credentials', 2, 'allowed_scopes', 0, 'actions', 1], 'credentials[2].allowed_scopes[0].actions[1]'],
    [['server', 'odd key'], 'server."odd key"'],
  ])('%j → %s', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('parseConfig: [store], [admin], [audit]', () => {
  const base = `
[[backends]]
name = "default"
endpoint = "http://127.0.0.1:9000"
access_key_id = "minioadmin"
secret_access_key = "minioadmin"
`;

  it('enables the admin API by default when a store is configured', () => {
    const config = parseConfig(`${base}\n[store]\npath = "data"\n`, 'proxy.toml', {});
    expect(config.store).toEqual({ path: 'data', masterKeyFile: 'data/master.key', previousMasterKeyFile: undefined });
    expect(config.admin.enabled).toBe(true);
    expect(config.admin.listen).toEqual({ host: '127.0.0.1', port: 8091 });
  });

  it('reads audit settings', () => {
    const config = parseConfig(`${base}\n[audit]\nread_sample_rate = 0.25\nretention_days = 0\n`, 'proxy.toml', {});
    expect(config.audit).toEqual({ readSampleRate: 0.25, retentionDays: 0, flushIntervalMs: 200 });
  });

  it.each([
    ['[audit]\nread_sample_rate = 2', 'proxy.toml: audit.read_sample_rate: read_sample_rate must be between 0 and 1'],
    ['[admin]\nenabled = true', 'proxy.toml: admin.enabled: the admin API needs the store'],
    ['[store]\npath = "d"\n[admin]\nlisten = "127.0.0.1:8090"', 'proxy.toml: admin.listen: the admin API needs its own address'],
    ['[store]\npath = ""', 'proxy.toml: store.path: empty path'],
    ['[store]\npath = "d"\nmaster_key = "x"', 'proxy.toml: store.master_key: unknown key "master_key" (did you mean "master_key_file"?)'],
    ['[admin]\ntls_cert = "c.pem"', 'proxy.toml: admin.tls_key: only one of tls_cert and tls_key is set'],
  ])('refuses %j naming the field', (extra, message) => {
    let problems: readonly string[] = [];
    try {
      parseConfig(`${base}\n${extra}\n`, 'proxy.toml', {});
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems.some((p) => p.startsWith(message))).toBe(true);
  });
});

describe('parseDateTime', () => {
  it.each(['2030-02-31T00:00:00Z', '2030-13-01T00:00:00Z', '2030-01-01T24:00:00Z', '2030-01-01T00:60:00Z', '2029-02-29T00:00:00Z'])(
    'refuses %s, a date-time that does not exist (instead of rolling it over)',
    (value) => {
      expect(parseDateTime(value)).toEqual({ problem: `"${value}" is not a valid date-time (write 2024-01-15T00:00:00Z)` });
    },
  );

  it.each([
    ['2028-02-29T12:30:59Z', Date.UTC(2028, 1, 29, 12, 30, 59)],
    ['2030-01-31T23:59:00+02:00', Date.UTC(2030, 0, 31, 21, 59, 0)],
  ])('accepts %s', (value, ms) => {
    expect(parseDateTime(value)).toEqual({ ms });
  });
});
