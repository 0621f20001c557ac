/**
 * One upstream S3 endpoint: a pooled keep-alive undici connection pool and the admin
 * signer used to re-sign every forwarded request.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 */
import { Pool } from 'undici';
import { SigningKeyCache } from '../sigv4/signing-key.js';

export interface BackendSettings {
  readonly name: string;
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pathStyle: boolean;
  readonly connections: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

export class Backend {
  readonly name: string;
  readonly settings: BackendSettings;
  readonly origin: URL;
  /** Host header value for path-style requests (includes a non-default port). */
  readonly host: string;
  readonly pool: Pool;
  /** Derived admin signing keys, one per day (and region). */
  readonly signingKeys = new SigningKeyCache(8);
  /** Path prefix of the endpoint URL (usually ''), without trailing slash. */
  readonly basePath: string;

  constructor(settings: BackendSettings) {
    this.name = settings.name;
    this.settings = settings;
    this.origin = new URL(settings.endpoint);
    this.host = this.origin.host;
    this.basePath = this.origin.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin.origin, {
      connections: settings.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connectTimeout: settings.connectTimeoutMs,
      headersTimeout: settings.headersTimeoutMs,
      bodyTimeout: settings.bodyTimeoutMs,
    });
  }

  /** Same settings means the pool can be kept across a config reload. */
  sameAs(other: BackendSettings): boolean {
    const a = this.settings;
    return (
      a.name === other.name &&
      a.endpoint === other.endpoint &&
      a.region === other.region &&
      a.accessKeyId === other.accessKeyId &&
      a.secretAccessKey === other.secretAccessKey &&
      a.pathStyle === other.pathStyle &&
      a.connections === other.connections &&
      a.connectTimeoutMs === other.connectTimeoutMs &&
      a.headersTimeoutMs === other.headersTimeoutMs &&
      a.bodyTimeoutMs === other.bodyTimeoutMs
    );
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
