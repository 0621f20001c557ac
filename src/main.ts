/**
 * The composition root: config → credentials, backends, runtime → fastify app. The only
 * place that wires adapters to use cases.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './core/clock.js';
import { createLogger, createRequestLogger, flushLogger } from './core/logger.js';
import type { Config } from './config/config-schema.js';
import { watchConfig } from './config/config-watcher.js';
import { checkTlsFiles } from './config/load-config.js';
import { CredentialRegistry } from './credentials/credential-registry.js';
import { credentialsFromConfig } from './credentials/toml-credential-source.js';
import { createApp } from './http/create-app.js';
import { MappedBackendRouter } from './proxy/backend-router.js';
import { buildTrustedProxies } from './proxy/client-address.js';
import type { S3RequestEvent } from './proxy/handle-s3-request.js';
import type { ProxyRuntime, RuntimeRef } from './proxy/proxy-runtime.js';
import { SigningKeyCache } from './sigv4/signing-key.js';
import { Backend, type BackendSettings } from './upstream/backend.js';
// The store, the admin API (fastify) and better-sqlite3 are loaded only when `[store]` is
// configured (see the dynamic imports below): a proxy.toml-only gateway idles ≈ 7 MiB smaller.
import type { OpenStore } from './admin/open-store.js';
import type { StoreCredentialSource } from './credentials/store-credential-source.js';
import type { createAdminApp } from './http/create-admin-app.js';

export interface StartOptions {
  readonly config: Config;
  /** When set, the file is watched (and SIGHUP honoured) for hot reloads. */
  readonly configPath?: string | undefined;
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  readonly onRequestComplete?: ((event: S3RequestEvent) => void) | undefined;
  /** Where S3GATE_MASTER_KEY and the bootstrap admin variables are read; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** How often another process's store changes are looked for (default 250 ms). */
  readonly storePollIntervalMs?: number | undefined;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8090 */
  readonly url: string;
  readonly port: number;
  /** The admin API's base URL (e.g. http://127.0.0.1:8091), when the store and the admin API are on. */
  readonly adminUrl: string | undefined;
  /** Validated config swapped in atomically. */
  reload(config: Config): void;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  // Read at start only: a bad certificate or key stops the start with the field and the fix.
  const configName = options.configPath ?? 'configuration';
  if (options.config.server.tls !== undefined) checkTlsFiles(configName, 'server', options.config.server.tls);
  if (options.config.store !== undefined && options.config.admin.enabled && options.config.admin.tls !== undefined) {
    checkTlsFiles(configName, 'admin', options.config.admin.tls);
  }
  const log = options.logger ?? createLogger(options.config.log.level);
  const credentials = new CredentialRegistry();
  let backends = new Map<string, Backend>();

  const buildRuntime = (config: Config): ProxyRuntime => {
    const next = new Map<string, Backend>();
    for (const b of config.backends) {
      const settings = backendSettings(config, b.name);
      const existing = backends.get(b.name);
      next.set(b.name, existing?.sameAs(settings) ? existing : new Backend(settings));
    }
    for (const [name, old] of backends) if (next.get(name) !== old) void old.close();
    backends = next;
    credentials.replaceSource('toml', credentialsFromConfig(config));
    const limits = config.server.limits;
    return {
      credentials,
      backends: new MappedBackendRouter([...next.values()], config.buckets),
      settings: {
        regions: config.server.regions.length === 0 ? undefined : config.server.regions,
        virtualHostDomains: config.server.virtualHostDomains,
        maxSkewMs: limits.maxSkewSeconds * 1000,
        maxChunkSizeBytes: limits.maxChunkSizeBytes,
        maxDeleteObjectsBodyBytes: limits.maxDeleteObjectsBodyBytes,
        trustedProxies: buildTrustedProxies(config.server.trustedProxies),
      },
    };
  };

  const runtime: RuntimeRef = { current: buildRuntime(options.config) };
  let currentConfig = options.config;
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  let opened: OpenStore | undefined;
  let storeSource: StoreCredentialSource | undefined;
  let adminApp: ReturnType<typeof createAdminApp> | undefined;
  let onComplete = options.onRequestComplete;
  const storeConfig = options.config.store;
  if (storeConfig !== undefined) {
    const [{ AdminService }, { AdminTokenSigner }, { bootstrapSuperUser }, { LoginLimiter }, { openStore }, { StoreCredentialSource }, { createAdminApp }, { createS3AuditHook }] = await Promise.all([
      import('./admin/admin-service.js'),
      import('./admin/admin-tokens.js'),
      import('./admin/bootstrap-superuser.js'),
      import('./admin/login-limiter.js'),
      import('./admin/open-store.js'),
      import('./credentials/store-credential-source.js'),
      import('./http/create-admin-app.js'),
      import('./proxy/audit-s3-request.js'),
    ]);
    const store = openStore({ store: storeConfig, audit: options.config.audit, env, log, clock, auditWriter: 'thread' });
    opened = store;
    log.info({ dataDir: storeConfig.path, masterKey: store.masterKeySource }, 'store opened');
    const source = new StoreCredentialSource({ store: store.store, registry: credentials, db: store.db, pollIntervalMs: options.storePollIntervalMs, log: { warn: (m) => log.warn(m), error: (m) => log.error(m) } });
    storeSource = source;
    source.refresh();
    source.start();
    const auditHook = createS3AuditHook({ sink: store.audit, readSampleRate: options.config.audit.readSampleRate });
    const external = options.onRequestComplete;
    onComplete = external === undefined ? auditHook : (event) => {
      auditHook(event);
      external(event);
    };
    await bootstrapSuperUser(store.store, env, log);
    const admin = options.config.admin;
    if (admin.enabled) {
      const service = new AdminService({
        store: store.store,
        audit: store.audit,
        // A failed reload must not fail the admin request whose change is already committed:
        // it is logged, and the poller retries on its next tick.
        invalidate: () => {
          try {
            source.refresh();
          } catch (err) {
            log.error({ err: err instanceof Error ? err.message : String(err) }, 'credential cache not reloaded after a change: retrying on the next poll');
          }
        },
        tomlCredentials: () => credentialsFromConfig(currentConfig),
        clock,
        tokens: new AdminTokenSigner(store.masterKey, admin.tokenTtlSeconds, clock),
        loginLimiter: new LoginLimiter(admin.loginMaxFailures, admin.loginLockoutSeconds * 1000, clock),
      });
      adminApp = createAdminApp({
        service,
        db: store.db,
        log,
        tls: admin.tls === undefined ? undefined : { certFile: admin.tls.certPath, keyFile: admin.tls.keyPath },
        trustedProxies: buildTrustedProxies(options.config.server.trustedProxies),
      });
    }
  }
  const tls = options.config.server.tls;
  const app = createApp({
    tls: tls === undefined ? undefined : { certFile: tls.certPath, keyFile: tls.keyPath },
    maxHeaderBytes: options.config.server.limits.maxHeaderBytes,
    requestTimeoutMs: options.config.server.limits.requestTimeoutMs,
    clientIdleTimeoutMs: options.config.server.limits.clientIdleTimeoutMs,
    s3: { runtime, log, requestLog: createRequestLogger(log), clock, signingKeys: new SigningKeyCache(), onComplete },
  });

  const { host, port } = options.config.server.listen;
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const scheme = tls === undefined ? 'http' : 'https';
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let adminUrl: string | undefined;
  if (adminApp !== undefined) {
    const admin = options.config.admin;
    await adminApp.listen({ host: admin.listen.host, port: admin.listen.port });
    const a = adminApp.server.address() as AddressInfo;
    adminUrl = `${admin.tls === undefined ? 'http' : 'https'}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    log.info({ url: adminUrl }, 'admin API listening');
  }

  const reload = (config: Config): void => {
    if (JSON.stringify([config.store, config.admin, config.audit]) !== JSON.stringify([currentConfig.store, currentConfig.admin, currentConfig.audit])) {
      log.warn('[store], [admin] and [audit] changes take effect at the next restart');
    }
    const server = config.server;
    const started = options.config.server;
    if (JSON.stringify([server.listen, server.tls, server.limits.maxHeaderBytes]) !== JSON.stringify([started.listen, started.tls, started.limits.maxHeaderBytes])) {
      log.warn('server.listen, server.tls_cert, server.tls_key and server.limits.max_header_bytes changes take effect at the next restart');
    }
    currentConfig = config;
    runtime.current = buildRuntime(config);
    app.applyTimeouts({ requestTimeoutMs: server.limits.requestTimeoutMs, clientIdleTimeoutMs: server.limits.clientIdleTimeoutMs });
    log.info({ credentials: config.credentials.length, backends: config.backends.length }, 'configuration reloaded');
  };

  const watcher =
    options.configPath === undefined
      ? undefined
      : watchConfig(options.configPath, {
          onReload: reload,
          onError: (err: unknown) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'configuration not reloaded: the old configuration keeps serving'),
          log,
        });

  return {
    url: `${scheme}://${hostForUrl}:${address.port}`,
    port: address.port,
    adminUrl,
    reload,
    close: async () => {
      watcher?.close();
      // In-flight S3 requests finish (and record their audit rows) before the store closes.
      await Promise.all([app.close(), adminApp?.close()]);
      storeSource?.stop();
      opened?.close();
      await Promise.all([...backends.values()].map((b) => b.close()));
      flushLogger(log);
    },
  };
}

function backendSettings(config: Config, name: string): BackendSettings {
  const b = config.backends.find((x) => x.name === name);
  if (b === undefined) throw new Error(`backend ${name} vanished`);
  const limits = config.server.limits;
  return {
    name: b.name,
    endpoint: b.endpoint,
    region: b.region,
    accessKeyId: b.accessKeyId,
    secretAccessKey: b.secretAccessKey,
    pathStyle: b.pathStyle,
    connections: b.connections,
    connectTimeoutMs: limits.upstreamConnectTimeoutMs,
    headersTimeoutMs: limits.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: limits.upstreamBodyTimeoutMs,
  };
}
