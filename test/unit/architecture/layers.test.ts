/**
 * The layer rule from ARCHITECTURE.md, checked mechanically: imports point down only, and the
 * pure layers (sigv4, s3, policy, config's parser) import no I/O, framework or adapter.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../../src');

/** Lower number = lower layer. A module may import its own layer or lower ones. */
const LAYER: Record<string, number> = {
  core: 0,
  types: 0,
  sigv4: 1,
  s3: 1,
  policy: 1,
  config: 1,
  credentials: 2,
  upstream: 2,
  audit: 2,
  db: 2,
  proxy: 3,
  sts: 3,
  admin: 3,
  http: 4,
  cli: 5,
  'main.ts': 5,
};

/** Pure modules may not import these. Files that do I/O by design are listed in IMPURE_OK. */
const FORBIDDEN_IN_PURE = [/^node:fs/, /^node:http/, /^node:child_process/, /^fastify/, /^undici/, /^better-sqlite3/, /^pino/];
const PURE = new Set(['sigv4', 's3', 'policy', 'config']);
/** docs/decisions/0004: reading and watching the config file live beside its parser. */
const IMPURE_OK = new Set(['config/load-config.ts', 'config/config-watcher.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(rel: string): string {
  const first = rel.split('/')[0] ?? rel;
  return first;
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

describe('layering', () => {
  const all = files(SRC).map((path) => relative(SRC, path));

  it.each(all)('%s imports only its own or lower layers', (rel) => {
    const text = readFileSync(join(SRC, rel), 'utf8');
    const mine = layerOf(rel);
    const myLevel = LAYER[mine];
    expect(myLevel, `unknown layer for ${rel}: add it to LAYER`).toBeDefined();
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? '';
      if (spec.startsWith('.')) {
        const target = relative(SRC, resolve(SRC, rel, '..', spec)).replace(/\.js$/, '.ts');
        const level = LAYER[layerOf(target)];
        expect(level, `${rel} imports ${spec}`).toBeDefined();
        expect(level! <= myLevel!, `${rel} (layer ${mine}) imports ${target}, a higher layer`).toBe(true);
      } else if (PURE.has(mine) && !IMPURE_OK.has(rel)) {
        for (const forbidden of FORBIDDEN_IN_PURE) {
          expect(forbidden.test(spec), `pure module ${rel} imports ${spec}`).toBe(false);
        }
      }
    }
  });
});
