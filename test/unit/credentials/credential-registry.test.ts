import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../src/policy/credential.js';
import { CredentialRegistry } from '../../../src/credentials/credential-registry.js';

function credential(accessKeyId: string, source: Credential['source'], principalName = accessKeyId): Credential {
  return {
    accessKeyId,
    secretAccessKey: `secret-of-${accessKeyId}`,
    principalName,
    enabled: true,
    expiresAtMs: undefined,
    scopes: [],
    source,
  };
}

describe('CredentialRegistry', () => {
  it('finds credentials by access key id; unknown ids are undefined', () => {
    const registry = new CredentialRegistry();
    registry.replaceSource('toml', [credential('AK1', 'toml'), credential('AK2', 'toml')]);
    expect(registry.get('AK1')?.principalName).toBe('AK1');
    expect(registry.get('AK2')?.secretAccessKey).toBe('secret-of-AK2');
    expect(registry.get('AK3')).toBeUndefined();
    expect(registry.size()).toBe(2);
  });

  it('replaceSource swaps a whole source: removed keys disappear, others sources stay', () => {
    const registry = new CredentialRegistry(['toml', 'store']);
    registry.replaceSource('toml', [credential('AK1', 'toml'), credential('AK2', 'toml')]);
    registry.replaceSource('store', [credential('ST1', 'store')]);
    registry.replaceSource('toml', [credential('AK2', 'toml', 'renamed'), credential('AK3', 'toml')]);
    expect(registry.get('AK1')).toBeUndefined();
    expect(registry.get('AK2')?.principalName).toBe('renamed');
    expect(registry.get('AK3')).toBeDefined();
    expect(registry.get('ST1')?.source).toBe('store');
    expect(registry.size('toml')).toBe(2);
    expect(registry.size('store')).toBe(1);
    expect(registry.size('sts')).toBe(0);
  });

  it('a lookup started before a swap keeps the map it read (the swap is one assignment)', () => {
    const registry = new CredentialRegistry();
    registry.replaceSource('toml', [credential('AK1', 'toml', 'old')]);
    const before = registry.get('AK1');
    registry.replaceSource('toml', [credential('AK1', 'toml', 'new')]);
    expect(before?.principalName).toBe('old');
    expect(registry.get('AK1')?.principalName).toBe('new');
  });

  it('the earlier source wins a clash, and the clash is reported', () => {
    const registry = new CredentialRegistry(['toml', 'store', 'sts']);
    expect(registry.sourceNames()).toEqual(['toml', 'store', 'sts']);
    registry.replaceSource('store', [credential('AK1', 'store')]);
    expect(registry.replaceSource('toml', [credential('AK1', 'toml')])).toEqual({ duplicates: [], shadowed: ['AK1'] });
    expect(registry.get('AK1')?.source).toBe('toml');
  });

  it('reports duplicates within one source and keeps the first', () => {
    const registry = new CredentialRegistry();
    const result = registry.replaceSource('toml', [credential('AK1', 'toml', 'first'), credential('AK1', 'toml', 'second')]);
    expect(result).toEqual({ duplicates: ['AK1'], shadowed: [] });
    expect(registry.get('AK1')?.principalName).toBe('first');
  });

  it('put and delete change one credential of a source (STS sessions)', () => {
    const registry = new CredentialRegistry(['toml', 'sts']);
    registry.put('sts', credential('ASIA1', 'sts'));
    expect(registry.get('ASIA1')?.source).toBe('sts');
    expect(registry.delete('sts', 'ASIA1')).toBe(true);
    expect(registry.delete('sts', 'ASIA1')).toBe(false);
    expect(registry.delete('nope', 'ASIA1')).toBe(false);
    expect(registry.get('ASIA1')).toBeUndefined();
  });
});
