/**
 * A login that checks the old password while the password is being changed must not come back
 * with the user as they are after the change: the token issued from it would carry the new
 * `ver` and survive the password change that was meant to end it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { hashPassword } from '../../../src/credentials/key-material.js';
import { SecretBox } from '../../../src/credentials/secret-box.js';
import { SqliteCredentialStore } from '../../../src/credentials/sqlite-credential-store.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';

let dir: string;
let db: SqliteDatabase;
let now = 1_700_000_000_000;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 's3gate-review4-'));
  db = openDatabase({ file: join(dir, 's3gate.db') });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

it('verifyPassword refuses the old password when the password changed while it was being checked', async () => {
  const store = new SqliteCredentialStore(db, new SecretBox(Buffer.alloc(32, 0x11)), () => now);
  const user = await store.createUser({ username: 'alice', password: 'the old password', role: 'SuperUser' });
  const newHash = await hashPassword('the new password');
  now += 1000;
  // The row is read synchronously; the hash comparison runs off-thread. The change lands then
  // (as another request's or process's commit would).
  const pending = store.verifyPassword('alice', 'the old password');
  db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?').run(newHash, now, user.id);
  expect(await pending).toBeUndefined();
  expect((await store.verifyPassword('alice', 'the new password'))?.updatedAtMs).toBe(now);
});

it('verifyPassword still answers the user as they are now when only another field changed meanwhile', async () => {
  const store = new SqliteCredentialStore(db, new SecretBox(Buffer.alloc(32, 0x11)), () => now);
  const user = await store.createUser({ username: 'bob', password: 'the old password', role: 'Writer' });
  const pending = store.verifyPassword('bob', 'the old password');
  db.prepare('UPDATE users SET is_active = 0, updated_at = ? WHERE id = ?').run(now + 5, user.id);
  expect(await pending).toMatchObject({ id: user.id, isActive: false });
});
