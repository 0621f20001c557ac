/**
 * Two s3gate processes on one SQLite store: A runs in this process (startStoreProxy) and
 * owns the admin API used here; B is a real, separate OS process (`s3gate serve --config`)
 * on the same `[store] path` and master key, with its own S3 and admin listeners. B learns
 * of A's changes only through the database (its `PRAGMA data_version` poll, 250 ms by
 * default, and the credentials change counter of migration 2).
 *
 * The bound is the assertion: a key minted, revoked, rotated or whose user is
 * deactivated through A is seen by B within 1 s, measured from the moment the admin request
 * is sent to the first answer from B that shows the change, probing B every 20 ms.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME } from '../../src/db/open-database.js';
import { type AdminClient, buildStoreConfigToml, eventually, startStoreProxy, type StoreProxy, TEST_MASTER_KEY } from '../support/admin.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import type { TestKey } from '../support/proxy.js';
import { type S3gateProcess, startS3gateProcess } from '../support/s3gate-process.js';

const BUCKET = 'shared';
const PREFIX = 'team';
const PROBE_INTERVAL_MS = 20;
const BOUND_MS = 1_000;
/** How long a probe loop keeps going before it gives up (so a miss reports its real latency). */
const GIVE_UP_MS = 10_000;
const SCOPE = { bucket: BUCKET, prefixes: [PREFIX], actions: ['get_object', 'put_object', 'list_bucket'] };

let moto: MotoServer;
let a: StoreProxy;
let b: S3gateProcess;
let admin: AdminClient;
const clients = new Map<string, S3Client>();
const figures: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  await moto.admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await moto.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/hello.txt`, Body: 'hello' }));
  a = await startStoreProxy(moto);
  const dir = mkdtempSync(join(tmpdir(), 's3gate-proc-b-'));
  const configPath = join(dir, 'b.toml');
  // Same data directory (A's), its own S3 and admin ports (port 0: the kernel picks).
  writeFileSync(configPath, buildStoreConfigToml(moto, a.dir));
  b = await startS3gateProcess({ configPath, env: { S3GATE_MASTER_KEY: TEST_MASTER_KEY }, waitForAdmin: true });
  admin = await a.admin.login();
  await warmUp();
}, 120_000);

/**
 * B's first requests are slow (tsx-compiled modules, cold JIT, first connection upstream):
 * hundreds of ms on a busy machine, which is start-up cost, not propagation. Each answer the
 * tests wait for (ok, InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied) is served a
 * few times before anything is measured.
 */
async function warmUp(): Promise<void> {
  const { key } = await mint('warm-up');
  await eventually(async () => expect(await probe(b.url, key)).toBe('ok'), 5_000);
  const unknown = { accessKeyId: 'SGAKWARMUPUNKNOWN001', secretAccessKey: key.secretAccessKey };
  const wrongSecret = { ...key, secretAccessKey: `${key.secretAccessKey.slice(1)}x` };
  for (let i = 0; i < 5; i++) {
    expect(await probe(b.url, key)).toBe('ok');
    expect(await probe(b.url, unknown)).toBe('InvalidAccessKeyId');
    expect(await probe(b.url, wrongSecret)).toBe('SignatureDoesNotMatch');
    expect(await probe(b.url, key, 'outside/')).toBe('AccessDenied');
  }
}

afterAll(async () => {
  if (figures.length > 0) process.stderr.write(`\nmulti-process latencies (admin request sent → B shows the change):\n  ${figures.join('\n  ')}\n`);
  for (const c of clients.values()) c.destroy();
  if (b !== undefined) await b.stop().catch(() => b.kill());
  await a?.stop();
  await moto?.stop();
}, 60_000);

function client(url: string, key: TestKey): S3Client {
  const id = `${url} ${key.accessKeyId} ${key.secretAccessKey}`;
  let c = clients.get(id);
  if (c === undefined) {
    c = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: key, maxAttempts: 1 });
    clients.set(id, c);
  }
  return c;
}

/** One signed ListObjectsV2 in the key's scope: 'ok' or the S3 error code. */
async function probe(url: string, key: TestKey, prefix = `${PREFIX}/`): Promise<string> {
  try {
    await client(url, key).send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return 'ok';
  } catch (err) {
    if (err instanceof S3ServiceException) return err.name;
    throw err;
  }
}

/**
 * Probes every PROBE_INTERVAL_MS until `done` holds for the results, and returns the time
 * since `t0` (performance.now()) at which the answer showing it arrived.
 */
async function msUntil(t0: number, probeOnce: () => Promise<string[]>, done: (results: string[]) => boolean): Promise<{ ms: number; last: string[]; probes: number }> {
  let probes = 0;
  for (;;) {
    const results = await probeOnce();
    probes++;
    const ms = performance.now() - t0;
    if (done(results)) return { ms, last: results, probes };
    if (ms > GIVE_UP_MS) throw new Error(`B still answers ${results.join(', ')} ${Math.round(ms)} ms after the change (${probes} probes)`);
    await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
  }
}

function keyOf(body: Record<string, unknown>): TestKey {
  return { accessKeyId: String(body.access_key_id), secretAccessKey: String(body.secret_access_key) };
}

async function mint(description: string): Promise<{ key: TestKey; sentAt: number }> {
  const sentAt = performance.now();
  const res = await admin.post('/credentials', { description, scopes: [SCOPE] });
  expect(res.status, res.text).toBe(201);
  return { key: keyOf(res.body), sentAt };
}

function record(what: string, ms: number, probes: number): void {
  figures.push(`${what}: ${Math.round(ms)} ms (${probes} probes of B)`);
}

describe('a second s3gate process on the same database', () => {
  it('B is a separate OS process with its own listeners on the same store', () => {
    expect(b.pid).not.toBe(process.pid);
    expect(b.url).not.toBe(a.url);
    expect(b.adminUrl).toBeDefined();
    expect(b.adminUrl).not.toBe(a.adminUrl);
  });

  it('a key minted through A works through B within 1 s', async () => {
    const { key, sentAt } = await mint('minted on A, used on B');
    expect(await probe(a.url, key)).toBe('ok'); // same process: at once
    const seen = await msUntil(sentAt, async () => [await probe(b.url, key)], ([r]) => r === 'ok');
    record('mint → works on B', seen.ms, seen.probes);
    expect(seen.ms).toBeLessThan(BOUND_MS);
  });

  it('a key revoked through A is refused by B (InvalidAccessKeyId) within 1 s', async () => {
    const { key } = await mint('to be revoked');
    await eventually(async () => expect(await probe(b.url, key)).toBe('ok'), 5_000);
    const sentAt = performance.now();
    const res = await admin.delete(`/credentials/${key.accessKeyId}`);
    expect(res.status, res.text).toBe(204);
    expect(await probe(a.url, key)).toBe('InvalidAccessKeyId');
    const seen = await msUntil(sentAt, async () => [await probe(b.url, key)], ([r]) => r !== 'ok');
    record('revoke → refused by B', seen.ms, seen.probes);
    expect(seen.last).toEqual(['InvalidAccessKeyId']);
    expect(seen.ms).toBeLessThan(BOUND_MS);
  });

  it("a user deactivated through A: B refuses the user's key (AccessDenied) within 1 s, and takes it back within 1 s", async () => {
    const created = await admin.post('/users', { username: 'multi-proc-writer', password: 'writer password 123', role: 'Writer', scopes: [{ bucket: BUCKET, prefixes: [PREFIX] }] });
    expect(created.status, created.text).toBe(201);
    const userId = String(created.body.id);
    const issued = await admin.post(`/users/${userId}/credentials`);
    expect(issued.status, issued.text).toBe(201);
    const key = keyOf(issued.body);
    await eventually(async () => expect(await probe(b.url, key)).toBe('ok'), 5_000);

    const sentAt = performance.now();
    const off = await admin.patch(`/users/${userId}`, { is_active: false });
    expect(off.status, off.text).toBe(200);
    const refused = await msUntil(sentAt, async () => [await probe(b.url, key)], ([r]) => r !== 'ok');
    record('deactivate user → refused by B', refused.ms, refused.probes);
    expect(refused.last).toEqual(['AccessDenied']);
    expect(refused.ms).toBeLessThan(BOUND_MS);

    const backAt = performance.now();
    const on = await admin.patch(`/users/${userId}`, { is_active: true });
    expect(on.status, on.text).toBe(200);
    const back = await msUntil(backAt, async () => [await probe(b.url, key)], ([r]) => r === 'ok');
    record('reactivate user → works on B', back.ms, back.probes);
    expect(back.ms).toBeLessThan(BOUND_MS);
  });

  it('a key rotated through A: B refuses the old secret (SignatureDoesNotMatch) and takes the new one within 1 s', async () => {
    const { key: old } = await mint('to be rotated');
    await eventually(async () => expect(await probe(b.url, old)).toBe('ok'), 5_000);
    const sentAt = performance.now();
    const res = await admin.post(`/credentials/${old.accessKeyId}/rotate`);
    expect(res.status, res.text).toBe(200);
    const fresh = keyOf(res.body);
    expect(fresh.accessKeyId).toBe(old.accessKeyId);
    expect(fresh.secretAccessKey).not.toBe(old.secretAccessKey);
    const seen = await msUntil(
      sentAt,
      async () => Promise.all([probe(b.url, old), probe(b.url, fresh)]),
      ([o, n]) => o !== 'ok' && n === 'ok',
    );
    record('rotate → old refused and new accepted by B', seen.ms, seen.probes);
    expect(seen.last).toEqual(['SignatureDoesNotMatch', 'ok']);
    expect(seen.ms).toBeLessThan(BOUND_MS);
  });

  /**
   * Whether B reloads is not in any response; but a reload logs every row it cannot serve
   * ("stored credential skipped", onCorruptRow). A row whose secret cannot be opened makes
   * each reload of B write one such line: so the count of those lines is B's reload count.
   * A's audit commits move B's PRAGMA data_version on every flush; the count must not move
   * with them, and must move once when a credential does change (the positive control).
   */
  it("B does not reload its credentials on A's audit writes, only on credential changes", async () => {
    const corruptId = 'SGAKCORRUPTPROBE0001';
    const db = new Database(join(a.dir, DATABASE_FILE_NAME));
    db.pragma('busy_timeout = 5000');
    const now = Date.now();
    db.prepare(
      `INSERT INTO credentials (access_key_id, secret_ciphertext, description, scopes, enabled, created_at, updated_at)
       VALUES (?, 'not-a-sealed-secret', 'reload counter probe', '[]', 1, ?, ?)`,
    ).run(corruptId, now, now);
    const skippedByB = (): number => b.logged('stored credential skipped: it cannot be served').filter((l) => l.id === corruptId).length;
    try {
      // B reloads once for the insert (pino writes stdout in batches every ~500 ms).
      await eventually(() => expect(skippedByB()).toBe(1), 5_000);
      // Audit-only commits by A for ~2.5 s: PutObjects through A (always audited) and A's
      // flush timer (200 ms) — about ten of B's 250 ms polls see data_version move.
      const user = await mint('audit writer on A');
      const s3 = client(a.url, user.key);
      const until = performance.now() + 2_500;
      let puts = 0;
      while (performance.now() < until) {
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/audit-${puts}.txt`, Body: `row ${puts}` }));
        puts++;
        await new Promise((r) => setTimeout(r, 50));
      }
      const auditRows = db.prepare(`SELECT count(*) AS n FROM audit WHERE action = 's3.proxy.PutObject' AND access_key_id = ?`);
      await eventually(() => expect((auditRows.get(user.key.accessKeyId) as { n: number }).n).toBe(puts), 5_000);
      // Let B's polls and its log batching catch up before counting.
      await new Promise((r) => setTimeout(r, 1_200));
      // The mint above changed credentials once (one reload, one more line); the audit
      // writes after it must not have added any.
      expect(skippedByB()).toBe(2);
      figures.push(`reload check: ${puts} audited PutObjects on A over 2.5 s → B reloaded 0 times for them`);

      // Positive control: a credential change reloads B once more.
      await mint('positive control');
      await eventually(() => expect(skippedByB()).toBe(3), 5_000);
    } finally {
      db.prepare('DELETE FROM credentials WHERE access_key_id = ?').run(corruptId);
      db.close();
    }
  }, 60_000);
});
