/**
 * Opens the SQLite database of the store: WAL journal (readers never block the writer, and
 * other s3gate processes can share the file), foreign keys on, a busy timeout so a second
 * process waits for a lock instead of failing, and the migrations applied.
 * https://www.sqlite.org/wal.html
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrateDatabase } from './migrations.js';

export type SqliteDatabase = Database.Database;

export const DATABASE_FILE_NAME = 's3gate.db';
/** How long a write waits for another process's lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  /** Opened read-write and created if absent (its directory too, mode 0700). */
  readonly file: string;
}

export function openDatabase(options: OpenDatabaseOptions): SqliteDatabase {
  const dir = dirname(options.file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fresh = !existsSync(options.file);
  const db = new Database(options.file);
  try {
    // The busy timeout first: switching to WAL needs a lock another process may hold.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    if (fresh) chmodSync(options.file, 0o600);
    migrateDatabase(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * SQLite's change counter for the database file: it moves when ANOTHER connection (another
 * s3gate process, the CLI) commits. Cheap (no I/O beyond the shared WAL index).
 * https://www.sqlite.org/pragma.html#pragma_data_version
 */
export function readDataVersion(db: SqliteDatabase): number {
  return cachedStatement(db, 'PRAGMA data_version').pluck().get() as number;
}

/** The counter the triggers of migration 2 bump on every change to users or credentials. */
export function readCredentialsVersion(db: SqliteDatabase): number {
  return (cachedStatement(db, "SELECT version FROM change_counter WHERE name = 'credentials'").pluck().get() as number | undefined) ?? 0;
}

/** Polled several times a second: prepared once per connection (db.pragma() prepares every call). */
const STATEMENTS = new WeakMap<SqliteDatabase, Map<string, Database.Statement>>();

function cachedStatement(db: SqliteDatabase, sql: string): Database.Statement {
  let byDb = STATEMENTS.get(db);
  if (byDb === undefined) {
    byDb = new Map();
    STATEMENTS.set(db, byDb);
  }
  let statement = byDb.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    byDb.set(sql, statement);
  }
  return statement;
}
