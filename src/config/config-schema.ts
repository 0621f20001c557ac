/**
 * The shape of `proxy.toml`: a zod schema for the file as written (snake_case, strict: an
 * unknown key is an error), and the typed `Config` (camelCase, defaults filled in, secrets
 * from the environment resolved) the rest of the proxy reads. Pure: no I/O.
 *
 * The `[[credentials]]` table is the multistore format, copied exactly:
 * access_key_id, secret_access_key, principal_name, created_at, expires_at, enabled,
 * [[credentials.allowed_scopes]] {bucket, prefixes, actions}.
 * Every field is documented in proxy.example.toml and docs/configuration.md.
 */
import { isIP } from 'node:net';
import { TomlDate } from 'smol-toml';
import { z } from 'zod';
import type { AccessScope } from '../policy/scope.js';
import { S3_ACTIONS, isS3Action, type ScopeAction } from '../s3/actions.js';
import { findClosestMatch } from './closest-match.js';

// ---------------------------------------------------------------------------------------
// The typed configuration

export interface Config {
  readonly server: ServerConfig;
  /** In file order; one is named "default". */
  readonly backends: readonly BackendConfig[];
  /** In file order; the first pattern that matches a bucket wins; unmapped buckets go to "default". */
  readonly buckets: readonly BucketMapping[];
  readonly credentials: readonly CredentialConfig[];
  readonly log: LogConfig;
  /** undefined = no SQLite store: only proxy.toml credentials, no admin API, no audit table. */
  readonly store: StoreConfig | undefined;
  readonly admin: AdminConfig;
  readonly audit: AuditConfig;
}

export interface StoreConfig {
  /** The data directory (made absolute, relative to the config file, by loadConfigFile). */
  readonly path: string;
  /** Default `<path>/master.key` (used only when S3GATE_MASTER_KEY is not set). */
  readonly masterKeyFile: string;
  /** The previous master key during a rotation (or S3GATE_MASTER_KEY_PREVIOUS). */
  readonly previousMasterKeyFile: string | undefined;
}

export interface AdminConfig {
  /** Serve the admin API (needs [store]). */
  readonly enabled: boolean;
  /** The admin API's own listener: the S3 listener keeps every path for buckets (ADR 0008). */
  readonly listen: ListenAddress;
  readonly tls: TlsConfig | undefined;
  readonly tokenTtlSeconds: number;
  /** Wrong passwords per username and client address before logins are refused for lockoutSeconds. */
  readonly loginMaxFailures: number;
  readonly loginLockoutSeconds: number;
}

export interface AuditConfig {
  /** Fraction (0..1) of successful reads recorded; writes, deletes, denials and admin actions always are. */
  readonly readSampleRate: number;
  /** Rows older than this are deleted; 0 = keep forever. */
  readonly retentionDays: number;
  readonly flushIntervalMs: number;
}

export interface ListenAddress {
  /** IPv4 address, IPv6 address without brackets, or host name. */
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
}

export interface TlsConfig {
  /** As written by parseConfig; made absolute (relative to the config file) by loadConfigFile. */
  readonly certPath: string;
  readonly keyPath: string;
}

export interface ServerConfig {
  readonly listen: ListenAddress;
  /** undefined = plain HTTP. */
  readonly tls: TlsConfig | undefined;
  /** Accepted client signing regions; empty = any. */
  readonly regions: readonly string[];
  /** e.g. ["s3.example.com"]: `bucket.s3.example.com` is virtual-host addressing. Lower-case. */
  readonly virtualHostDomains: readonly string[];
  /** IPs and CIDRs (`10.0.0.0/8`, `::1`) whose X-Forwarded-For/-Proto/-Host are honoured. */
  readonly trustedProxies: readonly string[];
  readonly limits: LimitsConfig;
}

export interface LimitsConfig {
  readonly maxSkewSeconds: number;
  readonly maxChunkSizeBytes: number;
  readonly maxHeaderBytes: number;
  /** 0 = no overall request timeout (streaming bodies can take long). */
  readonly requestTimeoutMs: number;
  /** Longest silence on a client connection (headers or body) before it is closed. */
  readonly clientIdleTimeoutMs: number;
  readonly upstreamConnectTimeoutMs: number;
  readonly upstreamHeadersTimeoutMs: number;
  readonly upstreamBodyTimeoutMs: number;
  readonly maxDeleteObjectsBodyBytes: number;
}

export interface BackendConfig {
  readonly name: string;
  /** Origin only, no trailing slash: `http://127.0.0.1:9000`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  /** Resolved: from the file, or from the environment variable named by secretAccessKeyEnv. */
  readonly secretAccessKey: string;
  /** The variable the secret came from, if it came from the environment. */
  readonly secretAccessKeyEnv: string | undefined;
  readonly pathStyle: boolean;
  /** undici pool size. */
  readonly connections: number;
}

export interface BucketMapping {
  /** Bucket name or glob (`*`, `?`). */
  readonly name: string;
  /** Name of a backend. */
  readonly backend: string;
}

export interface CredentialConfig {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly principalName: string;
  /** Epoch milliseconds. */
  readonly createdAtMs: number;
  /** Epoch milliseconds; undefined = never expires. */
  readonly expiresAtMs: number | undefined;
  readonly enabled: boolean;
  readonly allowedScopes: readonly AccessScope[];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogConfig {
  readonly level: LogLevel;
}

export const DEFAULT_LISTEN = '127.0.0.1:8090';
export const DEFAULT_ADMIN_LISTEN = '127.0.0.1:8091';
export const DEFAULT_BACKEND_NAME = 'default';

export const DEFAULT_LIMITS: LimitsConfig = {
  maxSkewSeconds: 900,
  maxChunkSizeBytes: 16 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  requestTimeoutMs: 0,
  clientIdleTimeoutMs: 120_000,
  upstreamConnectTimeoutMs: 5_000,
  upstreamHeadersTimeoutMs: 30_000,
  upstreamBodyTimeoutMs: 300_000,
  maxDeleteObjectsBodyBytes: 2 * 1024 * 1024,
};

// ---------------------------------------------------------------------------------------
// Field checks. Each returns a one-line problem with its fix, or undefined when the value is fine.

const EXACT_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const GLOB_BUCKET = /^[a-z0-9.*?-]{1,63}$/;

/** A bucket name (3–63 of a-z 0-9 . -) or a glob of one using `*` and `?`. */
export function bucketPatternProblem(pattern: string): string | undefined {
  const fix =
    'bucket names are 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit; globs may also use "*" and "?"';
  const lower = pattern.toLowerCase();
  if (lower !== pattern && bucketPatternProblem(lower) === undefined) {
    return `bucket pattern "${pattern}" has upper-case letters (S3 bucket names are lower-case: write "${lower}")`;
  }
  if (pattern.includes('*') || pattern.includes('?')) {
    if (!GLOB_BUCKET.test(pattern)) return `invalid bucket glob "${pattern}" (${fix})`;
    return undefined;
  }
  if (!EXACT_BUCKET.test(pattern) || pattern.includes('..') || isIP(pattern) !== 0) {
    return `invalid bucket name "${pattern}" (${fix})`;
  }
  return undefined;
}

export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0) return 'empty prefix (to grant the whole bucket, write prefixes = [])';
  if (prefix.startsWith('/')) {
    const fixed = prefix.replace(/^\/+/, '');
    const suggestion = fixed.length > 0 ? `write "${fixed}"` : 'write prefixes = [] for the whole bucket';
    return `prefix "${prefix}" starts with "/" (object keys have no leading slash: ${suggestion})`;
  }
  if (prefix.length > 1024) return 'prefix is longer than 1024 bytes, the longest S3 key';
  return undefined;
}

export function actionProblem(action: string): string | undefined {
  if (action === '*' || isS3Action(action)) return undefined;
  const suggestion = findClosestMatch(action, S3_ACTIONS, ACTION_ALIASES);
  return suggestion !== undefined
    ? `unknown action "${action}" (did you mean "${suggestion}"? see docs/actions.md)`
    : `unknown action "${action}" (see docs/actions.md for the list, or "*" for all)`;
}

/** Names people bring from IAM that are not our action names. Keys are normalised (snake_case). */
const ACTION_ALIASES: Readonly<Record<string, string>> = {
  list_objects: 'list_bucket',
  list_objects_v2: 'list_bucket',
  list_object_versions: 'list_bucket_versions',
  list_parts: 'list_multipart_upload_parts',
  list_multipart_uploads: 'list_bucket_multipart_uploads',
  list_all_my_buckets: 'list_buckets',
  delete_objects: 'delete_object',
  get_object_version_tagging: 'get_object_tagging',
};

export function isScopeAction(action: string): action is ScopeAction {
  return action === '*' || isS3Action(action);
}

/** `host:port`, `[v6]:port`. */
export function parseListenAddress(value: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  if (match === null) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (host === undefined || port > 65535) return undefined;
  if (match[1] !== undefined && isIP(host) !== 6) return undefined;
  return { host, port };
}

export function trustedProxyProblem(value: string): string | undefined {
  const fix = 'write an IP address or a CIDR, e.g. "10.0.0.0/8" or "::1"';
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `invalid IP or CIDR "${value}" (${fix})`;
  if (bits !== undefined) {
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
      return `invalid CIDR prefix length in "${value}" (0-${max} for IPv${family})`;
    }
  }
  return undefined;
}

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DOMAIN = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

export function domainProblem(value: string): string | undefined {
  if (DOMAIN.test(value)) return undefined;
  const lower = value.toLowerCase();
  if (lower !== value && DOMAIN.test(lower)) return `domain "${value}" has upper-case letters (write "${lower}")`;
  return `invalid domain "${value}" (write a host name without scheme, port or leading dot, e.g. "s3.example.com")`;
}

/** TOML offset date-time, or a string in ISO 8601 with a time zone. Returns epoch ms or a problem. */
export function parseDateTime(value: unknown): { ms: number } | { problem: string } {
  const example = '2024-01-15T00:00:00Z';
  if (value instanceof TomlDate) {
    if (value.isDate() && !value.isDateTime()) {
      return { problem: `a date without a time (write a date-time: ${example})` };
    }
    if (value.isTime() && !value.isDateTime()) return { problem: `a time without a date (write ${example})` };
    if (value.isLocal()) return { problem: `date-time has no time zone (append "Z" for UTC: ${example})` };
    return { ms: value.getTime() };
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? { problem: `invalid date-time (write ${example})` } : { ms };
  }
  if (typeof value === 'string') {
    const iso = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
    if (!iso.test(value)) {
      if (/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(value)) {
        return { problem: `"${value}" has no time zone (write an ISO 8601 date-time with one: ${example})` };
      }
      return { problem: `"${value}" is not an ISO 8601 date-time (write ${example})` };
    }
    const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (Number.isNaN(ms) || !calendarFieldsValid(value)) return { problem: `"${value}" is not a valid date-time (write ${example})` };
    return { ms };
  }
  return { problem: `expected a date-time, got ${describeTomlValue(value)} (write ${example})` };
}

/** Date.parse rolls 2030-02-31 over to March 3rd; refuse days and times that do not exist. */
function calendarFieldsValid(value: string): boolean {
  const [year, month, day, hour, minute, second] = (value.match(/\d+/g) ?? []).map(Number);
  if (year === undefined || month === undefined || day === undefined || hour === undefined || minute === undefined) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && (second ?? 0) <= 59;
}

/** How TOML would name the type of a parsed value. */
export function describeTomlValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'number' || typeof value === 'bigint') {
    return typeof value === 'number' && !Number.isInteger(value) ? 'a float' : 'an integer';
  }
  if (value instanceof Date) return 'a date-time';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'a table';
  return typeof value;
}

// ---------------------------------------------------------------------------------------
// The file schema (snake_case, as written in TOML)

function checked(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function dateTime() {
  return z.unknown().transform((value, ctx) => {
    const result = parseDateTime(value);
    if ('problem' in result) {
      ctx.addIssue({ code: 'custom', message: result.problem });
      return z.NEVER;
    }
    return result.ms;
  });
}

const positiveInt = (what: string) => z.number().int().min(1, `${what} must be at least 1`);
const nonNegativeInt = (what: string) => z.number().int().min(0, `${what} must be 0 or more`);

const limitsSchema = z.strictObject({
  max_skew_seconds: positiveInt('max_skew_seconds').default(DEFAULT_LIMITS.maxSkewSeconds),
  max_chunk_size_bytes: positiveInt('max_chunk_size_bytes').default(DEFAULT_LIMITS.maxChunkSizeBytes),
  max_header_bytes: positiveInt('max_header_bytes').default(DEFAULT_LIMITS.maxHeaderBytes),
  request_timeout_ms: nonNegativeInt('request_timeout_ms (0 = none)').default(DEFAULT_LIMITS.requestTimeoutMs),
  client_idle_timeout_ms: positiveInt('client_idle_timeout_ms').default(DEFAULT_LIMITS.clientIdleTimeoutMs),
  upstream_connect_timeout_ms: positiveInt('upstream_connect_timeout_ms').default(
    DEFAULT_LIMITS.upstreamConnectTimeoutMs,
  ),
  upstream_headers_timeout_ms: positiveInt('upstream_headers_timeout_ms').default(
    DEFAULT_LIMITS.upstreamHeadersTimeoutMs,
  ),
  upstream_body_timeout_ms: positiveInt('upstream_body_timeout_ms').default(DEFAULT_LIMITS.upstreamBodyTimeoutMs),
  max_delete_objects_body_bytes: positiveInt('max_delete_objects_body_bytes').default(
    DEFAULT_LIMITS.maxDeleteObjectsBodyBytes,
  ),
});

const listenSchema = z.string().superRefine((value, ctx) => {
  if (parseListenAddress(value) === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid listen address "${value}" (write host:port, e.g. "127.0.0.1:8090", "0.0.0.0:8090" or "[::1]:8090")`,
    });
  }
});

const serverSchema = z.strictObject({
  listen: listenSchema.default(DEFAULT_LISTEN),
  tls_cert: z.string().min(1, 'empty path (write the PEM certificate path, or remove the key)').optional(),
  tls_key: z.string().min(1, 'empty path (write the PEM private key path, or remove the key)').optional(),
  regions: z
    .array(
      z
        .string()
        .regex(/^[a-z0-9-]{1,64}$/, 'invalid region (lower-case letters, digits and "-", e.g. "us-east-1")'),
    )
    .default([]),
  virtual_host_domains: z.array(checked(domainProblem)).default([]),
  trusted_proxies: z.array(checked(trustedProxyProblem)).default([]),
  limits: limitsSchema.prefault({}),
});

const backendSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'invalid backend name (1-64 characters of A-Z, a-z, 0-9, "_" and "-")'),
  endpoint: checked(endpointProblem),
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'invalid region (lower-case letters, digits and "-", e.g. "us-east-1")')
    .default('us-east-1'),
  access_key_id: z.string().min(1, 'empty access key id (write the upstream access key id)'),
  secret_access_key: z.string().min(1, 'empty secret (write the upstream secret, or use secret_access_key_env)').optional(),
  secret_access_key_env: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'invalid environment variable name (letters, digits and "_", e.g. "S3GATE_UPSTREAM_SECRET_ACCESS_KEY")',
    )
    .optional(),
  path_style: z.boolean().default(true),
  connections: z.number().int().min(1, 'connections must be at least 1').max(65536, 'connections must be at most 65536').default(64),
});

export function endpointProblem(value: string): string | undefined {
  const example = 'e.g. "http://127.0.0.1:9000" or "https://s3.us-east-1.amazonaws.com"';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `invalid endpoint "${value}" (write an http:// or https:// URL, ${example})`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `endpoint "${value}" is not http:// or https:// (${example})`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'endpoint has credentials in it (remove them: use access_key_id and secret_access_key)';
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return `endpoint "${value}" has a path, query or fragment (write only scheme, host and port: "${url.origin}")`;
  }
  return undefined;
}

const bucketMappingSchema = z.strictObject({
  name: checked(bucketPatternProblem),
  backend: z.string().min(1, 'empty backend name').default(DEFAULT_BACKEND_NAME),
});

const scopeSchema = z.strictObject({
  bucket: checked(bucketPatternProblem),
  prefixes: z.array(checked(prefixProblem)).default([]),
  actions: z
    .array(checked(actionProblem))
    .min(1, 'no actions (list at least one, e.g. ["get_object", "head_object", "list_bucket"], or ["*"])'),
});

const credentialSchema = z.strictObject({
  access_key_id: z
    .string()
    .regex(/^[A-Za-z0-9]{3,128}$/, 'access key id must be 3-128 characters of A-Z, a-z, 0-9 (e.g. "AKPROXY00000EXAMPLE")'),
  secret_access_key: z
    .string()
    .min(8, 'secret is shorter than 8 characters (use a long random one: openssl rand -base64 30)'),
  principal_name: z.string().min(1, 'empty principal_name (write who holds this key, e.g. "internal-dashboard")'),
  created_at: dateTime(),
  expires_at: dateTime().optional(),
  enabled: z.boolean(),
  allowed_scopes: z.array(scopeSchema).default([]),
});

const logSchema = z.strictObject({
  level: z.string().default('info').superRefine((value, ctx) => {
    if ((LOG_LEVELS as readonly string[]).includes(value)) return;
    const suggestion = findClosestMatch(value, LOG_LEVELS);
    const hint = suggestion !== undefined ? `did you mean "${suggestion}"? ` : '';
    ctx.addIssue({ code: 'custom', message: `unknown log level "${value}" (${hint}one of: ${LOG_LEVELS.join(', ')})` });
  }),
});

const storeSchema = z.strictObject({
  path: z.string().min(1, 'empty path (write the data directory, e.g. "data"; relative paths are relative to this file)'),
  master_key_file: z.string().min(1, 'empty path (write the key file path, or remove the key for <path>/master.key)').optional(),
  previous_master_key_file: z.string().min(1, 'empty path (remove the key when no rotation is under way)').optional(),
});

const adminSchema = z.strictObject({
  enabled: z.boolean().optional(),
  listen: listenSchema.default(DEFAULT_ADMIN_LISTEN),
  tls_cert: z.string().min(1, 'empty path (write the PEM certificate path, or remove the key)').optional(),
  tls_key: z.string().min(1, 'empty path (write the PEM private key path, or remove the key)').optional(),
  token_ttl_seconds: z.number().int().min(60, 'token_ttl_seconds must be at least 60').max(7 * 86400, 'token_ttl_seconds must be at most 604800 (7 days)').default(3600),
  login_max_failures: positiveInt('login_max_failures').default(5),
  login_lockout_seconds: positiveInt('login_lockout_seconds').default(900),
});

const auditSchema = z.strictObject({
  read_sample_rate: z.number().min(0, 'read_sample_rate must be between 0 and 1 (0 = no successful reads, 1 = all)').max(1, 'read_sample_rate must be between 0 and 1 (0 = no successful reads, 1 = all)').default(0),
  retention_days: nonNegativeInt('retention_days (0 = keep forever)').default(90),
  flush_interval_ms: z.number().int().min(10, 'flush_interval_ms must be at least 10').max(10_000, 'flush_interval_ms must be at most 10000').default(200),
});

/** The whole file as written. Cross-field rules (uniqueness, references, env) are in parse-config.ts. */
export const configFileSchema = z.strictObject({
  server: serverSchema.prefault({}),
  backends: z.array(backendSchema),
  buckets: z.array(bucketMappingSchema).default([]),
  credentials: z.array(credentialSchema).default([]),
  log: logSchema.prefault({}),
  store: storeSchema.optional(),
  admin: adminSchema.prefault({}),
  audit: auditSchema.prefault({}),
});

export type ConfigFile = z.output<typeof configFileSchema>;

/** Example values used in "missing field" messages, by key. */
export const FIELD_EXAMPLES: Readonly<Record<string, string>> = {
  name: '"default"',
  endpoint: '"http://127.0.0.1:9000"',
  access_key_id: '"AKPROXY00000EXAMPLE"',
  secret_access_key: '"..."',
  principal_name: '"internal-dashboard"',
  created_at: '2024-01-15T00:00:00Z',
  enabled: 'true',
  bucket: '"my-bucket"',
  actions: '["get_object", "head_object", "list_bucket"]',
  backends: '[[backends]] table',
};
