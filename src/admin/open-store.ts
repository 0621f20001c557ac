/**
 * Opens the store for a server or a CLI command: the master key (S3GATE_MASTER_KEY or the
 * key file, created 0600 on first start), the SQLite database in the data directory, the
 * credential/user store over it and the batched audit sink. One function, so the server and
 * the CLI cannot open it two different ways.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { AuditConfig, StoreConfig } from '../config/config-schema.js';
import type { AuditSink } from '../audit/audit-record.js';
import { SqliteAuditSink } from '../audit/sqlite-audit-sink.js';
import { ThreadedAuditSink } from '../audit/threaded-audit-sink.js';
import { type MasterKeyEnv, loadMasterKeys } from '../credentials/master-key.js';
import { SecretBox } from '../credentials/secret-box.js';
import { SqliteCredentialStore } from '../credentials/sqlite-credential-store.js';
import { DATABASE_FILE_NAME, openDatabase, type SqliteDatabase } from '../db/open-database.js';

export interface OpenStore {
  readonly db: SqliteDatabase;
  readonly store: SqliteCredentialStore;
  readonly audit: AuditSink;
  readonly masterKey: Buffer;
  /** Where the master key came from, for the start-up log line. */
  readonly masterKeySource: string;
  /** Flushes the audit queue, then closes the database. */
  close(): void;
}

export interface OpenStoreOptions {
  readonly store: StoreConfig;
  readonly audit: AuditConfig;
  readonly env: MasterKeyEnv;
  readonly log?: Logger | undefined;
  readonly clock: Clock;
  /** The CLI does not prune (a server does, hourly). */
  readonly pruneAudit?: boolean | undefined;
  /**
   * `thread` (the server): rows are written by a writer thread, off the event loop
   * (ThreadedAuditSink). `inline` (default; the CLI, whose few rows are written before it
   * exits): on this thread, through a connection of its own.
   */
  readonly auditWriter?: 'thread' | 'inline' | undefined;
}

export function openStore(options: OpenStoreOptions): OpenStore {
  const keys = loadMasterKeys({ env: options.env, keyFile: options.store.masterKeyFile, previousKeyFile: options.store.previousMasterKeyFile });
  const db = openDatabase({ file: join(options.store.path, DATABASE_FILE_NAME) });
  const log = options.log;
  const box = new SecretBox(keys.primary, keys.previous);
  try {
    checkMasterKeyCoversStore(db, box, keys.source);
  } catch (err) {
    db.close();
    throw err;
  }
  const store = new SqliteCredentialStore(db, box, options.clock, {
    onCorruptRow: (id, reason) => log?.error({ id, reason }, 'stored credential skipped: it cannot be served'),
  });
  // The audit sink writes through a connection of its own (its busy timeout is short).
  const file = join(options.store.path, DATABASE_FILE_NAME);
  const retentionDays = options.pruneAudit === false ? 0 : options.audit.retentionDays;
  let auditDb: SqliteDatabase | undefined;
  let audit: AuditSink;
  let threaded: ThreadedAuditSink | undefined;
  if (options.auditWriter === 'thread') {
    try {
      threaded = new ThreadedAuditSink({ file, flushIntervalMs: options.audit.flushIntervalMs, retentionDays, log });
    } catch (err) {
      log?.error({ err: err instanceof Error ? err.message : String(err) }, 'audit: the writer thread cannot start; rows are written on the main thread');
    }
  }
  if (threaded !== undefined) {
    audit = threaded;
  } else {
    auditDb = openDatabase({ file });
    audit = new SqliteAuditSink({ db: auditDb, flushIntervalMs: options.audit.flushIntervalMs, retentionDays, log, clock: options.clock });
  }
  let closed = false;
  return {
    db,
    store,
    audit,
    masterKey: keys.primary,
    masterKeySource: keys.source,
    close: () => {
      if (closed) return;
      closed = true;
      audit.close();
      auditDb?.close();
      db.close();
    },
  };
}

/**
 * A wrong master key would make every stored key silently unusable (each row skipped as
 * unreadable): refuse to start instead, naming the key ids the database needs.
 */
function checkMasterKeyCoversStore(db: SqliteDatabase, box: SecretBox, source: string): void {
  const known = new Set(box.keyIds());
  const needed = new Map<string, number>();
  for (const row of db.prepare('SELECT secret_ciphertext AS sealed FROM credentials').iterate() as IterableIterator<{ sealed: string }>) {
    let id: string;
    try {
      id = box.keyIdOf(row.sealed);
    } catch {
      continue; // malformed: reported per row when the credentials load
    }
    if (!known.has(id)) needed.set(id, (needed.get(id) ?? 0) + 1);
  }
  if (needed.size === 0) return;
  const list = [...needed].map(([id, n]) => `${id} (${n} secret${n === 1 ? '' : 's'})`).join(', ');
  throw new Error(
    `the master key (${source}, id ${box.keyIds()[0]}) cannot read the stored secrets: they were sealed under master key ${list}. ` +
      'Start with the right S3GATE_MASTER_KEY or key file; when rotating, give the old key as S3GATE_MASTER_KEY_PREVIOUS (or [store] previous_master_key_file) and run "s3gate store rotate-master-key"',
  );
}
