import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreConflictError } from '../../../src/credentials/credential-store.js';
import { SecretBox, deriveMasterKeyId } from '../../../src/credentials/secret-box.js';
import { SqliteCredentialStore, StoreValidationError } from '../../../src/credentials/sqlite-credential-store.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';
import { buildUserAccessScopes, type UserRole } from '../../../src/policy/roles.js';
import type { AccessScope } from '../../../src/policy/scope.js';

const K1 = Buffer.alloc(32, 0x11);
const K2 = Buffer.alloc(32, 0x22);
const NOW = 1_700_000_000_000;
const SCOPES: AccessScope[] = [{ bucket: 'ml-artifacts', prefixes: ['models/'], actions: ['get_object', 'list_bucket'] }];
const PASSWORD = 'a very good password';

let dir: string;
let file: string;
let db: SqliteDatabase;
let now: number;
let corrupt: Array<[string, string]>;
const opened: SqliteDatabase[] = [];

function open(): SqliteDatabase {
  const handle = openDatabase({ file });
  opened.push(handle);
  return handle;
}

function makeStore(box = new SecretBox(K1), handle = db): SqliteCredentialStore {
  return new SqliteCredentialStore(handle, box, () => now, {
    onCorruptRow: (id, reason) => corrupt.push([id, reason]),
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 's3gate-store-'));
  file = join(dir, 's3gate.db');
  now = NOW;
  corrupt = [];
  db = open();
});

afterEach(() => {
  for (const handle of opened.splice(0)) if (handle.open) handle.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteCredentialStore: minted credentials', () => {
  it('creates a credential and serves it with its secret (source store, principal = description)', () => {
    const store = makeStore();
    const issued = store.createCredential({ description: 'dashboard', scopes: SCOPES, createdBy: 'cli:ops' });
    expect(issued.record.accessKeyId).toMatch(/^SGAK[A-Z2-7]{16}$/);
    expect(issued.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(issued.record).toEqual({
      accessKeyId: issued.record.accessKeyId,
      description: 'dashboard',
      userId: undefined,
      scopes: SCOPES,
      enabled: true,
      expiresAtMs: undefined,
      createdAtMs: NOW,
      updatedAtMs: NOW,
      createdBy: 'cli:ops',
    });
    expect(store.loadCredentials()).toEqual([
      {
        accessKeyId: issued.record.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        principalName: 'dashboard',
        enabled: true,
        expiresAtMs: undefined,
        createdAtMs: NOW,
        scopes: SCOPES,
        source: 'store',
      },
    ]);
    expect(store.getCredential(issued.record.accessKeyId)).toEqual(issued.record);
    expect(store.listCredentials()).toEqual([issued.record]);
  });

  it('stores the secret only sealed, bound to the access key id', () => {
    const box = new SecretBox(K1);
    const store = makeStore(box);
    const { record, secretAccessKey } = store.createCredential({ description: 'x', scopes: [] });
    const row = db
      .prepare<[string], { secret_ciphertext: string }>('SELECT secret_ciphertext FROM credentials WHERE access_key_id = ?')
      .get(record.accessKeyId)!;
    expect(row.secret_ciphertext).toMatch(/^v1\.[0-9a-f]{16}\./);
    expect(row.secret_ciphertext).not.toContain(secretAccessKey);
    expect(box.open(row.secret_ciphertext, record.accessKeyId)).toBe(secretAccessKey);
  });

  it('uses the access key id as principal when the description is empty', () => {
    const store = makeStore();
    const { record } = store.createCredential({ description: '', scopes: [] });
    expect(store.loadCredentials()[0]?.principalName).toBe(record.accessKeyId);
  });

  it('updates description, scopes, enabled and expiry; null removes the expiry', () => {
    const store = makeStore();
    const { record } = store.createCredential({ description: 'a', scopes: [], expiresAtMs: NOW + 1000 });
    expect(record.expiresAtMs).toBe(NOW + 1000);
    now = NOW + 5;
    const updated = store.updateCredential(record.accessKeyId, { description: 'b', scopes: SCOPES, enabled: false });
    expect(updated).toMatchObject({ description: 'b', scopes: SCOPES, enabled: false, expiresAtMs: NOW + 1000 });
    expect(updated?.updatedAtMs).toBe(NOW + 5);
    expect(updated?.createdAtMs).toBe(NOW);
    expect(store.updateCredential(record.accessKeyId, { expiresAtMs: null })?.expiresAtMs).toBeUndefined();
    expect(store.loadCredentials()[0]).toMatchObject({ enabled: false, principalName: 'b', scopes: SCOPES });
    expect(store.updateCredential('SGAKUNKNOWNUNKNOWN22', { description: 'x' })).toBeUndefined();
  });

  it('revokes (deletes) a credential', () => {
    const store = makeStore();
    const { record } = store.createCredential({ description: 'a', scopes: [] });
    expect(store.deleteCredential(record.accessKeyId)).toBe(true);
    expect(store.deleteCredential(record.accessKeyId)).toBe(false);
    expect(store.getCredential(record.accessKeyId)).toBeUndefined();
    expect(store.loadCredentials()).toEqual([]);
  });

  it('rotates the secret of the same access key id', () => {
    const store = makeStore();
    const first = store.createCredential({ description: 'a', scopes: SCOPES });
    now = NOW + 1;
    const rotated = store.rotateCredential(first.record.accessKeyId);
    expect(rotated?.record.accessKeyId).toBe(first.record.accessKeyId);
    expect(rotated?.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(rotated?.secretAccessKey).not.toBe(first.secretAccessKey);
    expect(rotated?.record.updatedAtMs).toBe(NOW + 1);
    expect(store.loadCredentials().map((c) => c.secretAccessKey)).toEqual([rotated?.secretAccessKey]);
    expect(store.rotateCredential('SGAKUNKNOWNUNKNOWN22')).toBeUndefined();
  });

  it.each([
    ['an upper-case bucket', [{ bucket: 'MyBucket', prefixes: [], actions: ['get_object'] }]],
    ['an unknown action', [{ bucket: 'b1b', prefixes: [], actions: ['get_everything'] }]],
    ['no actions', [{ bucket: 'b1b', prefixes: [], actions: [] }]],
    ['a prefix with a leading slash', [{ bucket: 'b1b', prefixes: ['/x'], actions: ['*'] }]],
    ['a missing field', [{ bucket: 'b1b', actions: ['*'] }]],
    ['not an array', { bucket: 'b1b' }],
  ])('refuses scopes with %s', (_what, scopes) => {
    const store = makeStore();
    const create = () => store.createCredential({ description: 'a', scopes: scopes as unknown as AccessScope[] });
    expect(create).toThrow(StoreValidationError);
    try {
      create();
    } catch (err) {
      expect((err as StoreValidationError).field).toBe('scopes');
    }
    expect(store.listCredentials()).toEqual([]);
  });

  it.each([1.5, -1, Number.NaN])('refuses expiry %s', (expiresAtMs) => {
    const store = makeStore();
    expect(() => store.createCredential({ description: 'a', scopes: [], expiresAtMs })).toThrow(StoreValidationError);
  });

  it('stores only the known scope fields', () => {
    const store = makeStore();
    const extra = [{ ...SCOPES[0]!, note: 'dropped' }];
    const { record } = store.createCredential({ description: 'a', scopes: extra });
    const row = db.prepare<[string], { scopes: string }>('SELECT scopes FROM credentials WHERE access_key_id = ?');
    expect(JSON.parse(row.get(record.accessKeyId)!.scopes)).toEqual(SCOPES);
  });
});

describe('SqliteCredentialStore: users', () => {
  it('creates a user with a usr_ id and verifies the password (username case-insensitively)', async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'Alice', password: PASSWORD, role: 'Writer' });
    expect(user).toEqual({
      id: user.id,
      username: 'Alice',
      role: 'Writer',
      isActive: true,
      scopes: [],
      createdAtMs: NOW,
      updatedAtMs: NOW,
    });
    expect(user.id).toMatch(/^usr_[a-z2-7]{20}$/);
    expect(await store.verifyPassword('alice', PASSWORD)).toEqual(user);
    expect(await store.verifyPassword('Alice', `${PASSWORD}!`)).toBeUndefined();
    expect(await store.verifyPassword('nobody', PASSWORD)).toBeUndefined();
    expect(await store.verifyPassword('not a valid name', PASSWORD)).toBeUndefined();
    expect(store.getUserByUsername('ALICE')).toEqual(user);
    expect(store.getUser(user.id)).toEqual(user);
    expect(store.listUsers()).toEqual([user]);
  });

  it('verifies passwords of inactive users too (the caller decides)', async () => {
    const store = makeStore();
    await store.createUser({ username: 'bob', password: PASSWORD, role: 'Reader', isActive: false });
    expect((await store.verifyPassword('bob', PASSWORD))?.isActive).toBe(false);
  });

  it('refuses a username taken in another case', async () => {
    const store = makeStore();
    await store.createUser({ username: 'carol', password: PASSWORD, role: 'Reader' });
    const again = store.createUser({ username: 'CAROL', password: PASSWORD, role: 'Writer' });
    await expect(again).rejects.toThrow(StoreConflictError);
    await expect(store.createUser({ username: 'Carol', password: PASSWORD, role: 'Writer' })).rejects.toMatchObject({
      field: 'username',
    });
    expect(store.listUsers()).toHaveLength(1);
  });

  it('settles a username race with the UNIQUE constraint', async () => {
    const store = makeStore();
    const results = await Promise.allSettled([
      store.createUser({ username: 'dave', password: PASSWORD, role: 'Reader' }),
      store.createUser({ username: 'Dave', password: PASSWORD, role: 'Reader' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect(failed?.status === 'rejected' && failed.reason instanceof StoreConflictError).toBe(true);
  });

  it.each([
    ['username', { username: '', password: PASSWORD, role: 'Reader' }],
    ['username', { username: 'has space', password: PASSWORD, role: 'Reader' }],
    ['username', { username: 'a'.repeat(65), password: PASSWORD, role: 'Reader' }],
    ['username', { username: 'émile', password: PASSWORD, role: 'Reader' }],
    ['password', { username: 'erin', password: 'short', role: 'Reader' }],
    ['password', { username: 'erin', password: '12345678901', role: 'Reader' }],
    ['role', { username: 'erin', password: PASSWORD, role: 'Admin' }],
    ['scopes', { username: 'erin', password: PASSWORD, role: 'Reader', scopes: [{ bucket: 'UPPER', prefixes: [] }] }],
  ])('refuses a bad %s', async (field, input) => {
    const store = makeStore();
    await expect(store.createUser(input as Parameters<typeof store.createUser>[0])).rejects.toMatchObject({
      name: 'StoreValidationError',
      field,
    });
  });

  it('accepts usernames of 1 and 64 characters from the allowed set, and a 12-character password', async () => {
    const store = makeStore();
    await store.createUser({ username: 'x', password: '123456789012', role: 'Reader' });
    await store.createUser({ username: `a.b-c_d@e${'f'.repeat(55)}`, password: PASSWORD, role: 'Reader' });
    expect(store.listUsers()).toHaveLength(2);
  });

  it('re-hashes on a password change: the old password stops working', async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'frank', password: PASSWORD, role: 'Reader' });
    now = NOW + 10;
    const updated = await store.updateUser(user.id, { password: 'another good password' });
    expect(updated?.updatedAtMs).toBe(NOW + 10);
    expect(await store.verifyPassword('frank', PASSWORD)).toBeUndefined();
    expect((await store.verifyPassword('frank', 'another good password'))?.id).toBe(user.id);
    await expect(store.updateUser(user.id, { password: 'short' })).rejects.toThrow(StoreValidationError);
    expect(await store.updateUser('usr_unknown', { role: 'Writer' })).toBeUndefined();
  });

  it('updates role, activity and scopes', async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'gina', password: PASSWORD, role: 'Reader' });
    const scopes = [{ bucket: 'team-*', prefixes: ['gina/'] }];
    const updated = await store.updateUser(user.id, { role: 'SuperUser', isActive: false, scopes });
    expect(updated).toMatchObject({ role: 'SuperUser', isActive: false, scopes });
    expect(await store.verifyPassword('gina', PASSWORD)).toMatchObject({ role: 'SuperUser' });
  });

  it('issuing a user key twice leaves exactly one row; the first access key id is gone', async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'hank', password: PASSWORD, role: 'Writer' });
    const first = store.issueUserCredential(user.id, 'user:hank')!;
    const second = store.issueUserCredential(user.id, 'user:hank')!;
    expect(second.record.accessKeyId).not.toBe(first.record.accessKeyId);
    const rows = db.prepare<[string], { access_key_id: string }>('SELECT access_key_id FROM credentials WHERE user_id = ?');
    expect(rows.all(user.id)).toEqual([{ access_key_id: second.record.accessKeyId }]);
    expect(store.getCredential(first.record.accessKeyId)).toBeUndefined();
    expect(store.loadCredentials().map((c) => c.accessKeyId)).toEqual([second.record.accessKeyId]);
    expect(store.getUserCredential(user.id)).toEqual(second.record);
    expect(second.record).toMatchObject({ userId: user.id, scopes: [], createdBy: 'user:hank' });
    expect(store.issueUserCredential('usr_unknown')).toBeUndefined();
  });

  it("serves a user's key under the username; deactivating the user disables it", async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'ivy', password: PASSWORD, role: 'Reader' });
    const issued = store.issueUserCredential(user.id)!;
    expect(store.loadCredentials()).toEqual([
      {
        accessKeyId: issued.record.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        principalName: 'ivy',
        enabled: true,
        expiresAtMs: undefined,
        createdAtMs: NOW,
        scopes: buildUserAccessScopes('Reader', []),
        source: 'store',
      },
    ]);
    await store.updateUser(user.id, { isActive: false });
    expect(store.loadCredentials()[0]?.enabled).toBe(false);
    expect(store.getCredential(issued.record.accessKeyId)?.enabled).toBe(true); // the key's own flag is unchanged
    await store.updateUser(user.id, { isActive: true });
    expect(store.loadCredentials()[0]?.enabled).toBe(true);
    store.updateCredential(issued.record.accessKeyId, { enabled: false });
    expect(store.loadCredentials()[0]?.enabled).toBe(false);
  });

  it.each<[UserRole, string, boolean]>([
    ['Reader', 'get_object', true],
    ['Reader', 'put_object', false],
    ['Writer', 'put_object', true],
    ['Writer', 'delete_bucket', false],
    ['SuperUser', 'delete_bucket', true],
  ])('a %s key carries the role scopes (%s: %s)', async (role, action, allowed) => {
    const store = makeStore();
    const userScopes = [{ bucket: 'data', prefixes: ['in/', 'out/'] }];
    const user = await store.createUser({ username: 'jo', password: PASSWORD, role, scopes: userScopes });
    store.issueUserCredential(user.id);
    const [credential] = store.loadCredentials();
    expect(credential?.scopes).toEqual(buildUserAccessScopes(role, userScopes));
    expect(credential?.scopes.map((s) => s.bucket)).toEqual(['data']);
    const actions = credential?.scopes[0]?.actions ?? [];
    expect(actions.includes('*') || (actions as readonly string[]).includes(action)).toBe(allowed);
    // A role change reaches the key without re-issuing it.
    await store.updateUser(user.id, { role: 'SuperUser', scopes: [] });
    expect(store.loadCredentials()[0]?.scopes).toEqual([{ bucket: '*', prefixes: [], actions: ['*'] }]);
  });

  it("refuses own scopes on a user's key", async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'kim', password: PASSWORD, role: 'Reader' });
    const { record } = store.issueUserCredential(user.id)!;
    expect(() => store.updateCredential(record.accessKeyId, { scopes: SCOPES })).toThrow(StoreValidationError);
  });

  it("deletes a user with their key; deleteUserCredential removes only the key", async () => {
    const store = makeStore();
    const a = await store.createUser({ username: 'lee', password: PASSWORD, role: 'Reader' });
    const b = await store.createUser({ username: 'max', password: PASSWORD, role: 'Reader' });
    store.issueUserCredential(a.id);
    store.issueUserCredential(b.id);
    expect(store.deleteUser(a.id)).toBe(true);
    expect(store.deleteUser(a.id)).toBe(false);
    expect(store.loadCredentials().map((c) => c.principalName)).toEqual(['max']);
    expect(store.deleteUserCredential(b.id)).toBe(true);
    expect(store.deleteUserCredential(b.id)).toBe(false);
    expect(store.getUser(b.id)).toBeDefined();
    expect(store.loadCredentials()).toEqual([]);
  });
});

describe('SqliteCredentialStore: corrupt rows', () => {
  it('skips a credential with unreadable scopes in loadCredentials, reports it, serves the rest', () => {
    const store = makeStore();
    const good = store.createCredential({ description: 'good', scopes: SCOPES });
    const bad = store.createCredential({ description: 'bad', scopes: SCOPES });
    const setScopes = db.prepare<[string, string], never>('UPDATE credentials SET scopes = ? WHERE access_key_id = ?');
    setScopes.run('{not json', bad.record.accessKeyId);
    expect(store.loadCredentials().map((c) => c.accessKeyId)).toEqual([good.record.accessKeyId]);
    expect(corrupt).toEqual([[bad.record.accessKeyId, 'scopes column is not valid JSON']]);

    setScopes.run('[{"bucket":"b1b","prefixes":[],"actions":["fly"]}]', bad.record.accessKeyId);
    corrupt = [];
    expect(store.loadCredentials()).toHaveLength(1);
    expect(corrupt[0]?.[1]).toMatch(/^scopes column has the wrong shape at 0\.actions\.0/);
    // Listings still show it (with no scopes), so an admin can fix or delete it.
    expect(store.getCredential(bad.record.accessKeyId)?.scopes).toEqual([]);
  });

  it("skips a user's key when the user's scopes are unreadable", async () => {
    const store = makeStore();
    const user = await store.createUser({ username: 'nina', password: PASSWORD, role: 'Reader' });
    store.issueUserCredential(user.id);
    db.prepare<[string], never>("UPDATE users SET scopes = '7' WHERE id = ?").run(user.id);
    expect(store.loadCredentials()).toEqual([]);
    expect(corrupt[0]?.[1]).toContain(user.id);
    expect(store.getUser(user.id)?.scopes).toEqual([]);
  });

  it('skips a secret copied from another row (AAD) or sealed under an unknown key', () => {
    const store = makeStore();
    const a = store.createCredential({ description: 'a', scopes: [] });
    const b = store.createCredential({ description: 'b', scopes: [] });
    const c = store.createCredential({ description: 'c', scopes: [] });
    db.prepare('UPDATE credentials SET secret_ciphertext = (SELECT secret_ciphertext FROM credentials WHERE access_key_id = ?) WHERE access_key_id = ?').run(
      a.record.accessKeyId,
      b.record.accessKeyId,
    );
    db.prepare<[string, string], never>('UPDATE credentials SET secret_ciphertext = ? WHERE access_key_id = ?').run(
      new SecretBox(K2).seal('whatever', c.record.accessKeyId),
      c.record.accessKeyId,
    );
    expect(store.loadCredentials().map((x) => x.accessKeyId)).toEqual([a.record.accessKeyId]);
    const reasons = new Map(corrupt);
    expect(reasons.get(b.record.accessKeyId)).toMatch(/failed authentication/);
    expect(reasons.get(c.record.accessKeyId)).toContain(`master key ${deriveMasterKeyId(K2)} which is not configured`);
  });
});

describe('SqliteCredentialStore: master key rotation', () => {
  it('reads old secrets with the previous key, re-encrypts them all under the new one', async () => {
    const old = makeStore(new SecretBox(K1));
    const issued = [
      old.createCredential({ description: 'a', scopes: [] }),
      old.createCredential({ description: 'b', scopes: SCOPES }),
    ];
    const user = await old.createUser({ username: 'olga', password: PASSWORD, role: 'Writer' });
    issued.push(old.issueUserCredential(user.id)!);
    const secrets = new Map(issued.map((i) => [i.record.accessKeyId, i.secretAccessKey]));
    const updatedBefore = old.listCredentials().map((r) => r.updatedAtMs);

    // Without the previous key: every secret is unreadable, and re-encryption refuses to run.
    const lost = makeStore(new SecretBox(K2));
    expect(lost.loadCredentials()).toEqual([]);
    expect(corrupt).toHaveLength(3);
    expect(corrupt[0]?.[1]).toContain(`master key ${deriveMasterKeyId(K1)} which is not configured`);
    expect(() => lost.reencryptAll()).toThrow(/cannot re-encrypt the secret of SGAK.*not configured/);

    const rotating = makeStore(new SecretBox(K2, [K1]));
    expect(new Map(rotating.loadCredentials().map((c) => [c.accessKeyId, c.secretAccessKey]))).toEqual(secrets);
    now = NOW + 99;
    expect(rotating.reencryptAll()).toBe(3);
    expect(rotating.reencryptAll()).toBe(0);
    const keyIds = db
      .prepare<[], { secret_ciphertext: string }>('SELECT secret_ciphertext FROM credentials')
      .all()
      .map((r) => r.secret_ciphertext.split('.')[1]);
    expect(new Set(keyIds)).toEqual(new Set([deriveMasterKeyId(K2)]));
    expect(rotating.listCredentials().map((r) => r.updatedAtMs)).toEqual(updatedBefore);

    // The previous key can go now.
    corrupt = [];
    const after = makeStore(new SecretBox(K2));
    expect(new Map(after.loadCredentials().map((c) => [c.accessKeyId, c.secretAccessKey]))).toEqual(secrets);
    expect(corrupt).toEqual([]);
  });

  it('rolls back a partial re-encryption', () => {
    const old = makeStore(new SecretBox(K1));
    old.createCredential({ description: 'a', scopes: [] });
    old.createCredential({ description: 'b', scopes: [] });
    const stray = Buffer.alloc(32, 0x33);
    const c = old.createCredential({ description: 'c', scopes: [] });
    db.prepare<[string, string], never>('UPDATE credentials SET secret_ciphertext = ? WHERE access_key_id = ?').run(
      new SecretBox(stray).seal('x', c.record.accessKeyId),
      c.record.accessKeyId,
    );
    const before = db.prepare('SELECT access_key_id, secret_ciphertext FROM credentials ORDER BY 1').all();
    expect(() => makeStore(new SecretBox(K2, [K1])).reencryptAll()).toThrow(/not configured/);
    expect(db.prepare('SELECT access_key_id, secret_ciphertext FROM credentials ORDER BY 1').all()).toEqual(before);
  });
});

describe('SqliteCredentialStore: nothing secret at rest', () => {
  function filesOf(dbFile: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      const path = dbFile + suffix;
      if (existsSync(path)) out.set(path, readFileSync(path));
    }
    return out;
  }

  function expectAbsent(files: Map<string, Buffer>, needles: readonly string[]): void {
    for (const [path, bytes] of files) {
      for (const needle of needles) {
        for (const encoding of ['utf8', 'utf16le'] as const) {
          expect(bytes.indexOf(Buffer.from(needle, encoding)), `${needle} (${encoding}) found in ${path}`).toBe(-1);
        }
      }
    }
  }

  function expectPresent(files: Map<string, Buffer>, needle: string): void {
    const found = [...files.values()].some((bytes) => bytes.indexOf(Buffer.from(needle, 'utf8')) !== -1);
    expect(found, `control: ${needle} should be in the files`).toBe(true);
  }

  it('never writes an issued secret or a password to the database, its WAL or its shared memory file', async () => {
    const store = makeStore();
    const secrets: string[] = [];
    const passwords = ['first password of alice', 'second password of alice', 'password of bob!!'];
    const issue = <T extends { secretAccessKey: string } | undefined>(i: T): T => {
      if (i !== undefined) secrets.push(i.secretAccessKey);
      return i;
    };

    const minted = issue(store.createCredential({ description: 'canary-description-1', scopes: SCOPES }))!;
    issue(store.createCredential({ description: 'canary-description-2', scopes: [] }));
    issue(store.rotateCredential(minted.record.accessKeyId));
    issue(store.rotateCredential(minted.record.accessKeyId));
    const alice = await store.createUser({ username: 'alice', password: passwords[0]!, role: 'Writer' });
    await store.createUser({ username: 'bob', password: passwords[2]!, role: 'Reader' });
    issue(store.issueUserCredential(alice.id));
    issue(store.issueUserCredential(alice.id));
    await store.updateUser(alice.id, { password: passwords[1]! });
    issue(store.createCredential({ description: 'to revoke', scopes: [] }));
    store.deleteCredential(store.listCredentials().at(-1)!.accessKeyId);
    // The proxy's view decrypts them all: must not leave a trace in the files either.
    expect(store.loadCredentials()).toHaveLength(3);
    // Master key rotation re-seals in place.
    expect(makeStore(new SecretBox(K2, [K1])).reencryptAll()).toBe(3);
    expect(secrets).toHaveLength(7);

    // Before a checkpoint: the data lives in the WAL.
    const walFiles = filesOf(file);
    expect(walFiles.get(`${file}-wal`)?.length ?? 0).toBeGreaterThan(0);
    expectPresent(walFiles, 'canary-description-1');
    expectAbsent(walFiles, [...secrets, ...passwords]);

    // A second connection reading everything (shared memory in use), then a full checkpoint.
    const other = open();
    expect(makeStore(new SecretBox(K2), other).loadCredentials()).toHaveLength(3);
    expectAbsent(filesOf(file), [...secrets, ...passwords]);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const checkpointed = filesOf(file);
    expect(checkpointed.get(`${file}-wal`)?.length ?? 0).toBe(0);
    expectPresent(new Map([[file, checkpointed.get(file)!]]), 'canary-description-1');
    expectAbsent(checkpointed, [...secrets, ...passwords]);

    // And after the connections closed (SQLite removes the WAL and shm then).
    other.close();
    db.close();
    expectAbsent(filesOf(file), [...secrets, ...passwords]);
  });
});
