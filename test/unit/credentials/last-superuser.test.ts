import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreConflictError } from '../../../src/credentials/credential-store.js';
import { SecretBox } from '../../../src/credentials/secret-box.js';
import { SqliteCredentialStore } from '../../../src/credentials/sqlite-credential-store.js';
import { openDatabase } from '../../../src/db/open-database.js';

const KEY = Buffer.alloc(32, 7);

describe('the last active SuperUser', () => {
  it('cannot be removed by two connections each removing "the other" one (checked under the write lock)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 's3gate-su-')), 's3gate.db');
    const a = new SqliteCredentialStore(openDatabase({ file }), new SecretBox(KEY));
    const b = new SqliteCredentialStore(openDatabase({ file }), new SecretBox(KEY));
    const one = await a.createUser({ username: 'one', password: 'password-one-long', role: 'SuperUser' });
    const two = await a.createUser({ username: 'two', password: 'password-two-long', role: 'SuperUser' });
    // Both processes saw two SuperUsers; each removes one.
    await a.updateUser(one.id, { isActive: false });
    await expect(b.updateUser(two.id, { isActive: false, password: 'a-new-long-password' })).rejects.toThrow(StoreConflictError);
    expect(() => b.deleteUser(two.id)).toThrow(/last active SuperUser/);
    await expect(b.updateUser(two.id, { role: 'Writer' })).rejects.toThrow(StoreConflictError);
    // Nothing of the refused changes was written.
    expect(b.getUser(two.id)).toMatchObject({ role: 'SuperUser', isActive: true });
    expect(await b.verifyPassword('two', 'password-two-long')).toBeDefined();
    // With another SuperUser active again, two may go.
    await a.updateUser(one.id, { isActive: true });
    expect(b.deleteUser(two.id)).toBe(true);
  });

  it('does not stop changes to Readers and Writers when there is no SuperUser at all', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 's3gate-su-')), 's3gate.db');
    const store = new SqliteCredentialStore(openDatabase({ file }), new SecretBox(KEY));
    const reader = await store.createUser({ username: 'reader', password: 'password-reader-long', role: 'Reader' });
    expect(await store.updateUser(reader.id, { isActive: false })).toMatchObject({ isActive: false });
    expect(store.deleteUser(reader.id)).toBe(true);
  });
});
