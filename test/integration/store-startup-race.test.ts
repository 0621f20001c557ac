/**
 * Several s3gate processes started at once on a fresh data directory (a deployment rolling
 * out replicas): each must open the store — migrations applied once, one master key file,
 * one bootstrap SuperUser — instead of one failing with "table users already exists" or
 * "username is taken".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

const SCRIPT = `
import { openStore } from './src/admin/open-store.ts';
import { bootstrapSuperUser } from './src/admin/bootstrap-superuser.ts';
const dir = process.argv[1];
const opened = openStore({ store: { path: dir, masterKeyFile: dir + '/master.key', previousMasterKeyFile: undefined },
  audit: { readSampleRate: 0, retentionDays: 0, flushIntervalMs: 200 }, env: { S3GATE_ADMIN_USERNAME: 'root', S3GATE_ADMIN_PASSWORD: 'a long enough password' }, clock: Date.now });
const log = { info() {}, warn() {}, error() {} };
await bootstrapSuperUser(opened.store, { S3GATE_ADMIN_USERNAME: 'root', S3GATE_ADMIN_PASSWORD: 'a long enough password' }, log);
opened.close();
`;

function start(dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolvePromise({ code, stderr }));
  });
}

describe('processes starting together on a fresh store', () => {
  it('all open it: one schema, one master key, one SuperUser', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = mkdtempSync(join(tmpdir(), 's3gate-race-'));
      const results = await Promise.all([start(dir), start(dir), start(dir)]);
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
      const db = new Database(join(dir, 's3gate.db'), { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(2);
      expect(db.prepare("SELECT count(*) AS n FROM users WHERE role = 'SuperUser'").get()).toEqual({ n: 1 });
      db.close();
    }
  }, 120_000);
});
