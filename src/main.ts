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
import { CredentialRegistry } from './credentials/credential-registry.js';
import { credentialsFromConfig } from './credentials/toml-credential-source.js';
import { createApp } from './http/create-app.js';
import { MappedBackendRouter } from './proxy/backend-router.js';
import { buildTrustedProxies } from './proxy/client-address.js';
import type { S3RequestEvent } from './proxy/handle-s3-request.js';
import type { ProxyRuntime, RuntimeRef } from './proxy/proxy-runtime.js';
import { SigningKeyCache } from './sigv4/signing-key.js';
import { Backend, type BackendSettings } from './upstream/backend.js';

export interface StartOptions {
  readonly config: Config;
  /** When set, the file is watched (and SIGHUP honoured) for hot reloads. */
  readonly configPath?: string | undefined;
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  readonly onRequestComplete?: ((event: S3RequestEvent) => void) | undefined;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8090 */
  readonly url: string;
  readonly port: number;
  /** Validated config swapped in atomically. */
  reload(config: Config): void;
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
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
  const tls = options.config.server.tls;
  const app = createApp({
    tls: tls === undefined ? undefined : { certFile: tls.certPath, keyFile: tls.keyPath },
    maxHeaderBytes: options.config.server.limits.maxHeaderBytes,
    requestTimeoutMs: options.config.server.limits.requestTimeoutMs,
    clientIdleTimeoutMs: options.config.server.limits.clientIdleTimeoutMs,
    s3: { runtime, log, requestLog: createRequestLogger(log), clock: options.clock ?? systemClock, signingKeys: new SigningKeyCache(), onComplete: options.onRequestComplete },
  });

  const { host, port } = options.config.server.listen;
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const scheme = tls === undefined ? 'http' : 'https';
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const reload = (config: Config): void => {
    runtime.current = buildRuntime(config);
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
    reload,
    close: async () => {
      watcher?.close();
      await app.close();
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
