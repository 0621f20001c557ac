/**
 * Keeps the registry's 'store' source equal to the SQLite store.
 *
 * - In this process: whoever changes the store calls `refresh()` right after (the admin API,
 *   the session code), so the change is served on the next request.
 * - Elsewhere (another s3gate process on the same file, the `s3gate` CLI): `start()` polls
 *   `PRAGMA data_version` every `pollIntervalMs` — one cheap pragma per tick, no I/O beyond
 *   the WAL index. It moves when another connection committed anything (audit rows too), so
 *   only then is the credentials change counter (migration 2, bumped by triggers on users
 *   and credentials) read, and the store reloaded only if that moved as well. A revocation
 *   made anywhere is refused here within one poll interval.
 *
 * A reload builds the whole set and swaps it in with one `replaceSource` (see
 * CredentialRegistry): a request sees the old set or the new one, never a mix.
 * https://www.sqlite.org/pragma.html#pragma_data_version
 */
import { readCredentialsVersion, readDataVersion, type SqliteDatabase } from '../db/open-database.js';
import type { CredentialRegistry, ReplaceSourceResult } from './credential-registry.js';
import type { CredentialStore } from './credential-store.js';

export const STORE_SOURCE_NAME = 'store';
export const DEFAULT_STORE_POLL_INTERVAL_MS = 250;

/** The part of a logger (pino fits) the source uses. */
export interface StoreCredentialSourceLog {
  warn(msg: string): void;
  error(msg: string): void;
}

export interface StoreCredentialSourceOptions {
  readonly store: CredentialStore;
  readonly registry: CredentialRegistry;
  /** The connection `store` reads through; its data_version tells when another connection committed. */
  readonly db: SqliteDatabase;
  readonly pollIntervalMs?: number | undefined;
  readonly log?: StoreCredentialSourceLog | undefined;
}

export class StoreCredentialSource {
  private readonly store: CredentialStore;
  private readonly registry: CredentialRegistry;
  private readonly db: SqliteDatabase;
  private readonly pollIntervalMs: number;
  private readonly log: StoreCredentialSourceLog | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastDataVersion: number | undefined;
  private lastCredentialsVersion: number | undefined;

  constructor(options: StoreCredentialSourceOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.db = options.db;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_STORE_POLL_INTERVAL_MS;
    this.log = options.log;
    if (!Number.isFinite(this.pollIntervalMs) || this.pollIntervalMs <= 0) {
      throw new RangeError(`pollIntervalMs must be a positive number of milliseconds (got ${this.pollIntervalMs})`);
    }
  }

  /** Reloads every stored credential into the registry now. Call it after each change made in this process. */
  refresh(): ReplaceSourceResult {
    // Read the versions first: a commit landing during the load moves them again, so the next
    // tick reloads once more rather than missing it. Recorded only once the load succeeded,
    // so a failed load is retried on the next tick.
    const dataVersion = readDataVersion(this.db);
    const credentialsVersion = readCredentialsVersion(this.db);
    let result: ReplaceSourceResult;
    try {
      result = this.registry.replaceSource(STORE_SOURCE_NAME, this.store.loadCredentials());
    } catch (err) {
      // This connection's own commits do not move data_version: forget it, so the next tick
      // compares the change counter and retries, instead of waiting for another process.
      this.lastDataVersion = undefined;
      throw err;
    }
    this.lastDataVersion = dataVersion;
    this.lastCredentialsVersion = credentialsVersion;
    if (result.duplicates.length > 0) {
      this.log?.warn(`credential store: access key ids stored twice (first kept): ${result.duplicates.join(', ')}`);
    }
    if (result.shadowed.length > 0) {
      this.log?.warn(
        `credential store: access key ids also defined by another source, which wins: ${result.shadowed.join(', ')}`,
      );
    }
    return result;
  }

  /** Loads the store (unless `refresh` already did), then polls for other connections' commits. Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    if (this.lastDataVersion === undefined) this.refresh();
    this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One tick: reload only if another connection changed users or credentials since the last load. Never throws (a timer callback). */
  private poll(): void {
    try {
      const dataVersion = readDataVersion(this.db);
      if (dataVersion === this.lastDataVersion) return;
      if (readCredentialsVersion(this.db) === this.lastCredentialsVersion) {
        this.lastDataVersion = dataVersion; // someone else's commit, not about credentials (audit rows)
        return;
      }
      this.refresh();
    } catch (err) {
      // The old set stays in force; the next tick tries again.
      this.log?.error(`credential store: reload failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
