/**
 * proxy.toml text → typed Config, or a ConfigError listing every problem, one line each:
 * `proxy.toml: credentials[0].allowed_scopes[0].actions[1]: unknown action "get_objects" (did you mean "get_object"? see docs/actions.md)`.
 * Pure: the caller passes the text, the file name to show, and the environment.
 */
import { TomlError, parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { findClosestMatch } from './closest-match.js';
import {
  type BackendConfig,
  type Config,
  type ConfigFile,
  type CredentialConfig,
  DEFAULT_BACKEND_NAME,
  FIELD_EXAMPLES,
  LOG_LEVELS,
  type LogLevel,
  configFileSchema,
  describeTomlValue,
  isScopeAction,
  parseListenAddress,
} from './config-schema.js';

export { ConfigError } from './config-error.js';

export type Env = Readonly<Record<string, string | undefined>>;

export function parseConfig(text: string, fileName: string, env: Env): Config {
  let document: unknown;
  try {
    document = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const what = (err.message.split('\n')[0] ?? 'syntax error').replace(/^Invalid TOML document:\s*/, '');
      throw new ConfigError(fileName, [
        `${fileName}:${err.line}:${err.column}: TOML syntax error: ${what} (fix line ${err.line}, column ${err.column})`,
      ]);
    }
    throw err;
  }

  const result = configFileSchema.safeParse(document, { reportInput: true });
  if (!result.success) {
    // A misspelt key also makes the real key "missing": report it once, as the misspelling.
    const suggested = new Set<string>();
    for (const issue of result.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const suggestion = findClosestMatch(key, known);
        if (suggestion !== undefined) suggested.add(formatPath([...issue.path, suggestion]));
      }
    }
    const issues = result.error.issues.filter(
      (issue) => !(issue.code === 'invalid_type' && issue.input === undefined && suggested.has(formatPath(issue.path))),
    );
    throw new ConfigError(fileName, issues.flatMap((issue) => formatIssue(issue, fileName)));
  }
  const file = result.data;
  const problems = crossCheck(file, env).map((p) => `${fileName}: ${p}`);
  if (problems.length > 0) throw new ConfigError(fileName, problems);
  return toConfig(file, env);
}

// ---------------------------------------------------------------------------------------
// zod issues → one line each

/** `['credentials', 2, 'allowed_scopes', 0]` → `credentials[2].allowed_scopes[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      const key = String(segment);
      const bare = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
      out += out.length === 0 ? bare : `.${bare}`;
    }
  }
  return out.length === 0 ? '(top level)' : out;
}

function formatIssue(issue: z.core.$ZodIssue, fileName: string): string[] {
  const at = (path: readonly PropertyKey[]) => `${fileName}: ${formatPath(path)}`;
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys.map((key) => `${at([...issue.path, key])}: ${unknownKeyMessage(key, known)}`);
  }
  if (issue.code === 'invalid_type') {
    const last = issue.path[issue.path.length - 1];
    const key = typeof last === 'string' ? last : undefined;
    if (issue.input === undefined) {
      if (key === 'backends') {
        return [`${at(issue.path)}: no backends (add a [[backends]] table named "default"; see proxy.example.toml)`];
      }
      const example = key !== undefined ? FIELD_EXAMPLES[key] : undefined;
      const fix = key !== undefined ? `add ${key} = ${example ?? '...'}` : 'add it';
      return [`${at(issue.path)}: required field is missing (${fix})`];
    }
    const expected = describeExpected(issue.expected);
    const got = describeTomlValue(issue.input);
    if (issue.expected === 'array' && got === 'a table') {
      const header = issue.path.filter((s): s is string => typeof s === 'string').join('.');
      return [`${at(issue.path)}: expected an array of tables, got a single table (write [[${header}]] with double brackets)`];
    }
    return [`${at(issue.path)}: expected ${expected}, got ${got}`];
  }
  return [`${at(issue.path)}: ${issue.message}`];
}

function describeExpected(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string (in quotes)';
    case 'number':
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'array':
      return 'an array';
    case 'object':
      return 'a table';
    default:
      return expected;
  }
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = findClosestMatch(key, known);
  if (suggestion !== undefined) return `unknown key "${key}" (did you mean "${suggestion}"?)`;
  return known.length > 0
    ? `unknown key "${key}" (remove it; valid keys here: ${known.join(', ')})`
    : `unknown key "${key}" (remove it)`;
}

/** The keys the schema accepts for the table at `path`, for "did you mean". */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = configFileSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def: z.core.$ZodTypeDef | undefined = schema?._zod.def;
    if (def?.type === 'object' && typeof segment === 'string') {
      schema = (def as z.core.$ZodObjectDef).shape[segment];
    } else if (def?.type === 'array') {
      schema = (def as z.core.$ZodArrayDef).element;
    } else {
      return [];
    }
  }
  const def = unwrap(schema)?._zod.def;
  return def?.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  for (let i = 0; i < 10 && current !== undefined; i++) {
    const def: z.core.$ZodTypeDef = current._zod.def;
    if (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') {
      current = (def as z.core.$ZodOptionalDef).innerType;
    } else if (def.type === 'pipe') {
      current = (def as z.core.$ZodPipeDef).in;
    } else {
      return current;
    }
  }
  return current;
}

// ---------------------------------------------------------------------------------------
// Rules across fields

function crossCheck(file: ConfigFile, env: Env): string[] {
  const problems: string[] = [];

  const { tls_cert: cert, tls_key: key } = file.server;
  if (cert !== undefined && key === undefined) {
    problems.push('server.tls_key: tls_cert is set but tls_key is not (set both for HTTPS, or neither for plain HTTP)');
  }
  if (key !== undefined && cert === undefined) {
    problems.push('server.tls_cert: tls_key is set but tls_cert is not (set both for HTTPS, or neither for plain HTTP)');
  }

  const admin = file.admin;
  if ((admin.tls_cert === undefined) !== (admin.tls_key === undefined)) {
    problems.push(
      `admin.${admin.tls_cert === undefined ? 'tls_cert' : 'tls_key'}: only one of tls_cert and tls_key is set (set both for HTTPS on the admin listener, or neither)`,
    );
  }
  if (admin.enabled === true && file.store === undefined) {
    problems.push('admin.enabled: the admin API needs the store (add [store] with path = "data", or set enabled = false)');
  }
  if (file.store !== undefined && file.admin.listen === file.server.listen && !file.admin.listen.endsWith(':0') && file.admin.enabled !== false) {
    problems.push(
      `admin.listen: the admin API needs its own address, not the S3 listener's "${file.server.listen}" (e.g. "127.0.0.1:8091"; see docs/decisions/0008)`,
    );
  }

  if (file.backends.length === 0) {
    problems.push('backends: no backends (add a [[backends]] table named "default"; see proxy.example.toml)');
  }
  const backendIndex = new Map<string, number>();
  file.backends.forEach((backend, i) => {
    const first = backendIndex.get(backend.name);
    if (first !== undefined) {
      problems.push(
        `backends[${i}].name: duplicate backend name "${backend.name}" (also used by backends[${first}]; names must be unique)`,
      );
    } else {
      backendIndex.set(backend.name, i);
    }
    const inline = backend.secret_access_key;
    const envName = backend.secret_access_key_env;
    if (inline !== undefined && envName !== undefined) {
      problems.push(
        `backends[${i}]: both secret_access_key and secret_access_key_env are set (keep exactly one of them)`,
      );
    } else if (inline === undefined && envName === undefined) {
      problems.push(
        `backends[${i}]: no secret (add secret_access_key = "..." or secret_access_key_env = "S3GATE_UPSTREAM_SECRET_ACCESS_KEY")`,
      );
    } else if (envName !== undefined && (env[envName] ?? '') === '') {
      problems.push(
        `backends[${i}].secret_access_key_env: environment variable ${envName} is not set (export ${envName} with the upstream secret before starting s3gate, or use secret_access_key)`,
      );
    }
  });
  if (file.backends.length > 0 && !backendIndex.has(DEFAULT_BACKEND_NAME)) {
    const names = [...backendIndex.keys()].map((n) => `"${n}"`);
    const rename = names.length === 1 ? `rename ${names[0]}` : `rename one of ${names.join(', ')}`;
    problems.push(
      `backends: no backend named "default" (it serves every bucket without a [[buckets]] mapping; ${rename} to "default")`,
    );
  }

  const bucketIndex = new Map<string, number>();
  file.buckets.forEach((mapping, i) => {
    const first = bucketIndex.get(mapping.name);
    if (first !== undefined) {
      problems.push(
        `buckets[${i}].name: duplicate bucket mapping "${mapping.name}" (also mapped by buckets[${first}]; keep one)`,
      );
    } else {
      bucketIndex.set(mapping.name, i);
    }
    if (!backendIndex.has(mapping.backend)) {
      const suggestion = findClosestMatch(mapping.backend, [...backendIndex.keys()]);
      const hint = suggestion !== undefined ? `did you mean "${suggestion}"? ` : '';
      const names = [...backendIndex.keys()].map((n) => `"${n}"`).join(', ');
      problems.push(
        `buckets[${i}].backend: unknown backend "${mapping.backend}" (${hint}defined backends: ${names || 'none'})`,
      );
    }
  });

  const keyIndex = new Map<string, number>();
  file.credentials.forEach((credential, i) => {
    const first = keyIndex.get(credential.access_key_id);
    if (first !== undefined) {
      problems.push(
        `credentials[${i}].access_key_id: duplicate access key id "${credential.access_key_id}" (also used by credentials[${first}]; each access_key_id must be unique)`,
      );
    } else {
      keyIndex.set(credential.access_key_id, i);
    }
    if (credential.expires_at !== undefined && credential.expires_at <= credential.created_at) {
      problems.push(
        `credentials[${i}].expires_at: expires_at is not after created_at (fix the dates, or remove expires_at for no expiry)`,
      );
    }
  });

  return problems;
}

// ---------------------------------------------------------------------------------------
// File shape → typed Config

function toConfig(file: ConfigFile, env: Env): Config {
  const listen = parseListenAddress(file.server.listen);
  if (listen === undefined) throw new Error('unreachable: listen was validated');
  const { tls_cert: certPath, tls_key: keyPath } = file.server;
  const limits = file.server.limits;
  return {
    server: {
      listen,
      tls: certPath !== undefined && keyPath !== undefined ? { certPath, keyPath } : undefined,
      regions: file.server.regions,
      virtualHostDomains: file.server.virtual_host_domains,
      trustedProxies: file.server.trusted_proxies,
      limits: {
        maxSkewSeconds: limits.max_skew_seconds,
        maxChunkSizeBytes: limits.max_chunk_size_bytes,
        maxHeaderBytes: limits.max_header_bytes,
        requestTimeoutMs: limits.request_timeout_ms,
        clientIdleTimeoutMs: limits.client_idle_timeout_ms,
        upstreamConnectTimeoutMs: limits.upstream_connect_timeout_ms,
        upstreamHeadersTimeoutMs: limits.upstream_headers_timeout_ms,
        upstreamBodyTimeoutMs: limits.upstream_body_timeout_ms,
        maxDeleteObjectsBodyBytes: limits.max_delete_objects_body_bytes,
      },
    },
    backends: file.backends.map(
      (b): BackendConfig => ({
        name: b.name,
        endpoint: new URL(b.endpoint).origin,
        region: b.region,
        accessKeyId: b.access_key_id,
        secretAccessKey:
          b.secret_access_key ?? (b.secret_access_key_env !== undefined ? env[b.secret_access_key_env] : undefined) ?? '',
        secretAccessKeyEnv: b.secret_access_key_env,
        pathStyle: b.path_style,
        connections: b.connections,
      }),
    ),
    buckets: file.buckets.map((m) => ({ name: m.name, backend: m.backend })),
    credentials: file.credentials.map(
      (c): CredentialConfig => ({
        accessKeyId: c.access_key_id,
        secretAccessKey: c.secret_access_key,
        principalName: c.principal_name,
        createdAtMs: c.created_at,
        expiresAtMs: c.expires_at,
        enabled: c.enabled,
        allowedScopes: c.allowed_scopes.map((s) => ({
          bucket: s.bucket,
          prefixes: s.prefixes,
          actions: s.actions.filter(isScopeAction),
        })),
      }),
    ),
    log: { level: toLogLevel(file.log.level) },
    store:
      file.store === undefined
        ? undefined
        : {
            path: file.store.path,
            masterKeyFile: file.store.master_key_file ?? `${file.store.path.replace(/\/+$/, '')}/master.key`,
            previousMasterKeyFile: file.store.previous_master_key_file,
          },
    admin: {
      enabled: file.admin.enabled ?? file.store !== undefined,
      listen: parseListenAddress(file.admin.listen) ?? { host: '127.0.0.1', port: 8091 },
      tls:
        file.admin.tls_cert !== undefined && file.admin.tls_key !== undefined
          ? { certPath: file.admin.tls_cert, keyPath: file.admin.tls_key }
          : undefined,
      tokenTtlSeconds: file.admin.token_ttl_seconds,
      loginMaxFailures: file.admin.login_max_failures,
      loginLockoutSeconds: file.admin.login_lockout_seconds,
    },
    audit: {
      readSampleRate: file.audit.read_sample_rate,
      retentionDays: file.audit.retention_days,
      flushIntervalMs: file.audit.flush_interval_ms,
    },
  };
}

function toLogLevel(level: string): LogLevel {
  const found = LOG_LEVELS.find((l) => l === level);
  if (found === undefined) throw new Error('unreachable: log.level was validated');
  return found;
}
