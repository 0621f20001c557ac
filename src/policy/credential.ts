import type { AccessScope } from './scope.js';

/** A virtual credential the proxy accepts from clients. Never logged whole: the secret must stay out of logs. */
export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly principalName: string;
  readonly enabled: boolean;
  /** Epoch milliseconds, or undefined for no expiry. */
  readonly expiresAtMs: number | undefined;
  readonly scopes: readonly AccessScope[];
  /** For temporary (STS) credentials: the session token the client must present. */
  readonly sessionToken?: string | undefined;
  /** Epoch milliseconds the credential was created; shown as the buckets' CreationDate in a synthesized ListBuckets. */
  readonly createdAtMs?: number | undefined;
  /** Where it came from: 'toml', 'store', 'sts'. */
  readonly source: 'toml' | 'store' | 'sts';
}

/** Looks a credential up by access key id; undefined when unknown. Must be cheap (in-memory). */
export interface CredentialLookup {
  get(accessKeyId: string): Credential | undefined;
}
