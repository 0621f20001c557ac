import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/admin/open-store.js';

const AUDIT = { readSampleRate: 0, retentionDays: 0, flushIntervalMs: 200 };
const KEY_A = 'a1'.repeat(32);
const KEY_B = 'b2'.repeat(32);

function storeConfig(dir: string) {
  return { path: dir, masterKeyFile: join(dir, 'master.key'), previousMasterKeyFile: undefined };
}

describe('openStore with the wrong master key', () => {
  it('refuses to start, naming the key the stored secrets need, instead of serving no keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 's3gate-openstore-'));
    const first = openStore({ store: storeConfig(dir), audit: AUDIT, env: { S3GATE_MASTER_KEY: KEY_A }, clock: Date.now });
    first.store.createCredential({ description: 'x', scopes: [{ bucket: 'bkt', prefixes: [], actions: ['*'] }] });
    first.close();

    expect(() => openStore({ store: storeConfig(dir), audit: AUDIT, env: { S3GATE_MASTER_KEY: KEY_B }, clock: Date.now })).toThrow(
      /cannot read the stored secrets: they were sealed under master key [0-9a-f]{16} \(1 secret\).*S3GATE_MASTER_KEY_PREVIOUS/,
    );

    // With the old key as the previous one it opens, and rotation can proceed.
    const rotating = openStore({ store: storeConfig(dir), audit: AUDIT, env: { S3GATE_MASTER_KEY: KEY_B, S3GATE_MASTER_KEY_PREVIOUS: KEY_A }, clock: Date.now });
    expect(rotating.store.reencryptAll()).toBe(1);
    rotating.close();
    const after = openStore({ store: storeConfig(dir), audit: AUDIT, env: { S3GATE_MASTER_KEY: KEY_B }, clock: Date.now });
    expect(after.store.loadCredentials()).toHaveLength(1);
    after.close();
  });
});
