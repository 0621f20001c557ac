import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../../src/credentials/secret-box.js';
import { SqliteCredentialStore } from '../../../src/credentials/sqlite-credential-store.js';
import { openDatabase } from '../../../src/db/open-database.js';

// Admin tokens carry the user's updated_at as their version: a change that left it where it
// was (same millisecond, or a clock stepped back) would let a token outlive the change.
describe("a user's version", () => {
  it('moves on every change, even within one millisecond and with the clock going back', async () => {
    let now = 1_800_000_000_000;
    const store = new SqliteCredentialStore(openDatabase({ file: join(mkdtempSync(join(tmpdir(), 's3gate-ver-')), 's3gate.db') }), new SecretBox(Buffer.alloc(32, 9)), () => now);
    const user = await store.createUser({ username: 'vera', password: 'a-long-password-1', role: 'Reader' });
    const first = await store.updateUser(user.id, { role: 'Writer' });
    const second = await store.updateUser(user.id, { isActive: false }); // same millisecond
    now -= 60_000; // the clock steps back a minute
    const third = await store.updateUser(user.id, { isActive: true });
    const versions = [user.updatedAtMs, first?.updatedAtMs, second?.updatedAtMs, third?.updatedAtMs];
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1] as number);
  });
});
