import type { BlockList } from 'node:net';
import type { CredentialLookup } from '../policy/credential.js';
import type { Backend } from '../upstream/backend.js';

/** Settings of the S3 path, derived from [server] in proxy.toml. */
export interface ProxySettings {
  /** Accepted client signing regions; undefined = any. */
  readonly regions: readonly string[] | undefined;
  readonly virtualHostDomains: readonly string[];
  readonly maxSkewMs: number;
  readonly maxChunkSizeBytes: number;
  readonly maxDeleteObjectsBodyBytes: number;
  /** Peers whose X-Forwarded-* headers are honoured; undefined = none. */
  readonly trustedProxies: BlockList | undefined;
}

/** Maps a bucket to the backend that holds it. */
export interface BackendRouter {
  backendFor(bucket: string | undefined): Backend;
  /** Every backend, for ListBuckets over glob scopes. */
  all(): readonly Backend[];
}

/** Everything one request needs; swapped atomically on a config reload. */
export interface ProxyRuntime {
  readonly settings: ProxySettings;
  readonly credentials: CredentialLookup;
  readonly backends: BackendRouter;
}

export interface RuntimeRef {
  current: ProxyRuntime;
}
