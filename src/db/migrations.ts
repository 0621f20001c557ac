/**
 * Versioned schema migrations, applied in order at start-up inside one transaction each.
 * `PRAGMA user_version` records the last applied one. Append new migrations; never edit an
 * applied one.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, credentials, audit',
    sql: `
      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('Reader', 'Writer', 'SuperUser')),
        is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
        scopes        TEXT NOT NULL DEFAULT '[]',
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE credentials (
        access_key_id     TEXT PRIMARY KEY,
        secret_ciphertext TEXT NOT NULL,
        description       TEXT NOT NULL DEFAULT '',
        user_id           TEXT UNIQUE REFERENCES users(id) ON DELETE CASCADE,
        scopes            TEXT NOT NULL DEFAULT '[]',
        enabled           INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        expires_at        INTEGER,
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL,
        created_by        TEXT
      ) STRICT;

      CREATE TABLE audit (
        id             INTEGER PRIMARY KEY,
        time           INTEGER NOT NULL,
        request_id     TEXT NOT NULL,
        action         TEXT NOT NULL,
        outcome        TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'error')),
        status         INTEGER,
        error_code     TEXT,
        principal      TEXT,
        access_key_id  TEXT,
        bucket         TEXT,
        key            TEXT,
        bytes          INTEGER,
        client_address TEXT,
        detail         TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX audit_by_time ON audit (time);
      CREATE INDEX audit_by_action ON audit (action, time);
      CREATE INDEX audit_by_access_key ON audit (access_key_id, time);
      CREATE INDEX audit_by_principal ON audit (principal, time);
    `,
  },
  {
    version: 2,
    name: 'credentials change counter',
    // PRAGMA data_version moves on ANY commit by another connection, audit inserts included:
    // a busy second process would make every process reload every credential on every poll.
    // This counter moves only when a user or a credential changes (triggers, so the CLI and
    // every process bump it without having to remember).
    sql: `
      CREATE TABLE change_counter (
        name    TEXT PRIMARY KEY,
        version INTEGER NOT NULL
      ) STRICT;
      INSERT INTO change_counter (name, version) VALUES ('credentials', 0);
      CREATE TRIGGER users_changed_insert AFTER INSERT ON users BEGIN
        UPDATE change_counter SET version = version + 1 WHERE name = 'credentials'; END;
      CREATE TRIGGER users_changed_update AFTER UPDATE ON users BEGIN
        UPDATE change_counter SET version = version + 1 WHERE name = 'credentials'; END;
      CREATE TRIGGER users_changed_delete AFTER DELETE ON users BEGIN
        UPDATE change_counter SET version = version + 1 WHERE name = 'credentials'; END;
      CREATE TRIGGER credentials_changed_insert AFTER INSERT ON credentials BEGIN
        UPDATE change_counter SET version = version + 1 WHERE name = 'credentials'; END;
      CREATE TRIGGER credentials_changed_update AFTER UPDATE ON credentials BEGIN
        UPDATE change_counter SET version = version + 1 WHERE name = 'credentials'; END;
      CREATE TRIGGER credentials_changed_delete AFTER DELETE ON credentials BEGIN
        UPDATE change_counter SET version = version + 1 WHERE name = 'credentials'; END;
    `,
  },
];

/** Applies every migration newer than the database's user_version. Refuses a newer database. */
export function migrateDatabase(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `the database schema is version ${current}, newer than this s3gate understands (${latest}): upgrade s3gate, or restore a backup`,
    );
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    // IMMEDIATE takes the write lock first, and the version is read again under it: two
    // processes starting on a fresh database apply each migration once, not twice.
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
