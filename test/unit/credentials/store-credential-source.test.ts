import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialRegistry } from '../../../src/credentials/credential-registry.js';
import { SecretBox } from '../../../src/credentials/secret-box.js';
import { SqliteCredentialStore } from '../../../src/credentials/sqlite-credential-store.js';
import { STORE_SOURCE_NAME, StoreCredentialSource } from '../../../src/credentials/store-credential-source.js';
import { openDatabase, type SqliteDatabase } from '../../../src/db/open-database.js';
import type { Credential } from '../../../src/policy/credential.js';

const KEY = Buffer.alloc(32, 0x42);
const POLL_MS = 50;

let dir: string;
let file: string;
const opened: SqliteDatabase[] = [];
const sources: StoreCredentialSource[] = [];

function open(): SqliteDatabase {
  const db = openDatabase({ file });
  opened.push(db);
  return db;
}

function track(source: StoreCredentialSource): StoreCredentialSource {
  sources.push(source);
  return source;
}

/** Waits (real time) until `check` holds; fails after `timeoutMs`. Returns the elapsed time. */
async function waitFor(check: () => boolean, timeoutMs = 1000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A store wrapper counting loadCredentials calls (and able to fail them). */
class CountingStore extends SqliteCredentialStore {
  loads = 0;
  failNext = false;
  override loadCredentials(): Credential[] {
    this.loads++;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk on fire');
    }
    return super.loadCredentials();
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 's3gate-source-'));
  file = join(dir, 's3gate.db');
});

afterEach(() => {
  for (const source of sources.splice(0)) source.stop();
  for (const db of opened.splice(0)) if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('StoreCredentialSource', () => {
  it('refresh() puts the stored credentials in the registry under "store"', () => {
    const db = open();
    const store = new SqliteCredentialStore(db, new SecretBox(KEY));
    const registry = new CredentialRegistry(['toml', 'store']);
    const source = track(new StoreCredentialSource({ store, registry, db }));
    const issued = store.createCredential({ description: 'ci', scopes: [] });
    expect(registry.get(issued.record.accessKeyId)).toBeUndefined();
    source.refresh();
    const served = registry.get(issued.record.accessKeyId);
    expect(served).toMatchObject({ secretAccessKey: issued.secretAccessKey, principalName: 'ci', source: 'store' });
    expect(registry.size(STORE_SOURCE_NAME)).toBe(1);
    // In-process revocation: the caller refreshes right after.
    store.deleteCredential(issued.record.accessKeyId);
    source.refresh();
    expect(registry.get(issued.record.accessKeyId)).toBeUndefined();
  });

  it('reports access key ids another source already serves', () => {
    const db = open();
    const store = new SqliteCredentialStore(db, new SecretBox(KEY));
    const registry = new CredentialRegistry(['toml', 'store']);
    const issued = store.createCredential({ description: 'x', scopes: [] });
    registry.replaceSource('toml', [
      { accessKeyId: issued.record.accessKeyId, secretAccessKey: 's', principalName: 't', enabled: true, expiresAtMs: undefined, scopes: [], source: 'toml' },
    ]);
    const warnings: string[] = [];
    const source = track(
      new StoreCredentialSource({ store, registry, db, log: { warn: (m) => warnings.push(m), error: () => {} } }),
    );
    expect(source.refresh().shadowed).toEqual([issued.record.accessKeyId]);
    expect(warnings[0]).toContain(issued.record.accessKeyId);
  });

  it('sees a revocation made through another connection within the poll interval', async () => {
    const dbA = open();
    const dbB = open();
    const storeA = new SqliteCredentialStore(dbA, new SecretBox(KEY));
    const storeB = new SqliteCredentialStore(dbB, new SecretBox(KEY));
    const registry = new CredentialRegistry(['store']);
    const issued = storeB.createCredential({ description: 'from B', scopes: [] });
    const source = track(new StoreCredentialSource({ store: storeA, registry, db: dbA, pollIntervalMs: POLL_MS }));
    source.start();
    const id = issued.record.accessKeyId;
    expect(registry.get(id)?.secretAccessKey).toBe(issued.secretAccessKey);

    // A credential minted by B shows up...
    const second = storeB.createCredential({ description: 'also from B', scopes: [] });
    await waitFor(() => registry.get(second.record.accessKeyId) !== undefined);

    // ...a rotation through B replaces the secret...
    const rotated = storeB.rotateCredential(id)!;
    await waitFor(() => registry.get(id)?.secretAccessKey === rotated.secretAccessKey);

    // ...and a revocation through B is refused here within the interval.
    storeB.deleteCredential(id);
    const elapsed = await waitFor(() => registry.get(id) === undefined);
    expect(elapsed).toBeLessThan(1000);
    expect(registry.get(second.record.accessKeyId)).toBeDefined();
  });

  it('sees a user deactivated through another connection', async () => {
    const dbA = open();
    const dbB = open();
    const storeB = new SqliteCredentialStore(dbB, new SecretBox(KEY));
    const user = await storeB.createUser({ username: 'pat', password: 'a very good password', role: 'Reader' });
    const { record } = storeB.issueUserCredential(user.id)!;
    const registry = new CredentialRegistry(['store']);
    const source = track(
      new StoreCredentialSource({
        store: new SqliteCredentialStore(dbA, new SecretBox(KEY)),
        registry,
        db: dbA,
        pollIntervalMs: POLL_MS,
      }),
    );
    source.start();
    expect(registry.get(record.accessKeyId)?.enabled).toBe(true);
    await storeB.updateUser(user.id, { isActive: false });
    await waitFor(() => registry.get(record.accessKeyId)?.enabled === false);
  });

  it('reloads only when another connection committed, not on every tick', async () => {
    const dbA = open();
    const dbB = open();
    const store = new CountingStore(dbA, new SecretBox(KEY));
    const storeB = new SqliteCredentialStore(dbB, new SecretBox(KEY));
    const source = track(
      new StoreCredentialSource({ store, registry: new CredentialRegistry(), db: dbA, pollIntervalMs: POLL_MS }),
    );
    source.start();
    source.start(); // idempotent
    expect(store.loads).toBe(1);
    await sleep(POLL_MS * 5);
    expect(store.loads).toBe(1);
    storeB.createCredential({ description: 'x', scopes: [] });
    await waitFor(() => store.loads === 2);
    await sleep(POLL_MS * 4);
    expect(store.loads).toBe(2);
  });

  it('does not reload for another connection\'s commits that touch no user or credential (audit rows)', async () => {
    const dbA = open();
    const dbB = open();
    const store = new CountingStore(dbA, new SecretBox(KEY));
    const source = track(
      new StoreCredentialSource({ store, registry: new CredentialRegistry(), db: dbA, pollIntervalMs: POLL_MS }),
    );
    source.start();
    const insertAudit = dbB.prepare(
      "INSERT INTO audit (time, request_id, action, outcome) VALUES (?, 'req', 's3.proxy.GetObject', 'success')",
    );
    for (let i = 0; i < 5; i++) {
      insertAudit.run(i);
      await sleep(POLL_MS);
    }
    await sleep(POLL_MS * 2);
    expect(store.loads).toBe(1);
    new SqliteCredentialStore(dbB, new SecretBox(KEY)).createCredential({ description: 'x', scopes: [] });
    await waitFor(() => store.loads === 2);
  });

  it('does not load again on start() after a refresh()', () => {
    const db = open();
    const store = new CountingStore(db, new SecretBox(KEY));
    const source = track(new StoreCredentialSource({ store, registry: new CredentialRegistry(), db, pollIntervalMs: POLL_MS }));
    source.refresh();
    source.start();
    expect(store.loads).toBe(1);
  });

  it('keeps the old set when a reload fails, logs it, and retries on the next tick', async () => {
    const dbA = open();
    const dbB = open();
    const store = new CountingStore(dbA, new SecretBox(KEY));
    const storeB = new SqliteCredentialStore(dbB, new SecretBox(KEY));
    const registry = new CredentialRegistry();
    const kept = storeB.createCredential({ description: 'kept', scopes: [] });
    const errors: string[] = [];
    const source = track(
      new StoreCredentialSource({
        store,
        registry,
        db: dbA,
        pollIntervalMs: POLL_MS,
        log: { warn: () => {}, error: (m) => errors.push(m) },
      }),
    );
    source.start();
    store.failNext = true;
    const added = storeB.createCredential({ description: 'added', scopes: [] });
    await waitFor(() => errors.length > 0);
    expect(errors[0]).toContain('disk on fire');
    expect(registry.get(kept.record.accessKeyId)).toBeDefined();
    await waitFor(() => registry.get(added.record.accessKeyId) !== undefined);
  });

  it('stops polling on stop()', async () => {
    const dbA = open();
    const dbB = open();
    const store = new CountingStore(dbA, new SecretBox(KEY));
    const source = track(
      new StoreCredentialSource({ store, registry: new CredentialRegistry(), db: dbA, pollIntervalMs: POLL_MS }),
    );
    source.start();
    source.stop();
    source.stop();
    new SqliteCredentialStore(dbB, new SecretBox(KEY)).createCredential({ description: 'x', scopes: [] });
    await sleep(POLL_MS * 4);
    expect(store.loads).toBe(1);
  });

  it.each([0, -5, Number.NaN])('refuses a poll interval of %s', (pollIntervalMs) => {
    const db = open();
    const store = new SqliteCredentialStore(db, new SecretBox(KEY));
    expect(() => new StoreCredentialSource({ store, registry: new CredentialRegistry(), db, pollIntervalMs })).toThrow(
      RangeError,
    );
  });
});

describe('StoreCredentialSource after a failed in-process reload', () => {
  it('retries on the next poll even though its own commit did not move data_version', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openDatabase } = await import('../../../src/db/open-database.js');
    const { SqliteCredentialStore } = await import('../../../src/credentials/sqlite-credential-store.js');
    const { SecretBox } = await import('../../../src/credentials/secret-box.js');
    const { CredentialRegistry } = await import('../../../src/credentials/credential-registry.js');
    const { StoreCredentialSource } = await import('../../../src/credentials/store-credential-source.js');
    const db = openDatabase({ file: join(mkdtempSync(join(tmpdir(), 's3gate-src-')), 's3gate.db') });
    const store = new SqliteCredentialStore(db, new SecretBox(Buffer.alloc(32, 3)));
    const registry = new CredentialRegistry();
    const source = new StoreCredentialSource({ store, registry, db, pollIntervalMs: 20 });
    source.start();
    const issued = store.createCredential({ description: 'x', scopes: [{ bucket: 'bkt', prefixes: [], actions: ['*'] }] });
    const load = store.loadCredentials.bind(store);
    let failOnce = true;
    store.loadCredentials = () => {
      if (failOnce) {
        failOnce = false;
        throw new Error('disk I/O error');
      }
      return load();
    };
    expect(() => source.refresh()).toThrow('disk I/O error');
    expect(registry.get(issued.record.accessKeyId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 150));
    expect(registry.get(issued.record.accessKeyId)?.accessKeyId).toBe(issued.record.accessKeyId);
    source.stop();
    db.close();
  });
});
