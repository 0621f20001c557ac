/**
 * Every credential the proxy accepts, from every source (the TOML file, the SQLite store,
 * STS sessions), behind one O(1) `get`. Each source owns a Map that is replaced whole by
 * `replaceSource` (one assignment: a request sees the old set or the new one, never a mix),
 * which is how a reloaded proxy.toml takes effect on the next request.
 *
 * When two sources hold the same access key id, the source registered first wins (order of
 * the constructor's `sourceOrder`, then of first `replaceSource`); `replaceSource` reports
 * such ids so the caller can log them.
 */
import type { Credential, CredentialLookup } from '../policy/credential.js';

export interface ReplaceSourceResult {
  /** Access key ids present more than once in the new set (the first one is kept). */
  readonly duplicates: readonly string[];
  /** Access key ids also held by another source; the earlier-registered source's one is served. */
  readonly shadowed: readonly string[];
}

interface Source {
  readonly name: string;
  byId: Map<string, Credential>;
}

export class CredentialRegistry implements CredentialLookup {
  /** In precedence order. A handful at most, so `get` is O(1). */
  private readonly sources: Source[] = [];

  /** @param sourceOrder source names in precedence order, e.g. ['toml', 'store', 'sts']. */
  constructor(sourceOrder: readonly string[] = []) {
    for (const name of sourceOrder) this.sourceNamed(name);
  }

  get(accessKeyId: string): Credential | undefined {
    for (const source of this.sources) {
      const found = source.byId.get(accessKeyId);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Replaces every credential of one source at once. */
  replaceSource(sourceName: string, credentials: readonly Credential[]): ReplaceSourceResult {
    const byId = new Map<string, Credential>();
    const duplicates: string[] = [];
    for (const credential of credentials) {
      if (byId.has(credential.accessKeyId)) duplicates.push(credential.accessKeyId);
      else byId.set(credential.accessKeyId, credential);
    }
    const source = this.sourceNamed(sourceName);
    source.byId = byId;
    const shadowed: string[] = [];
    for (const other of this.sources) {
      if (other === source) continue;
      for (const id of byId.keys()) if (other.byId.has(id)) shadowed.push(id);
    }
    return { duplicates, shadowed };
  }

  /**
   * Adds or replaces one credential of a source (e.g. a new STS session), in O(1). The Map is
   * changed in place: safe, since a lookup never spans an await.
   */
  put(sourceName: string, credential: Credential): void {
    this.sourceNamed(sourceName).byId.set(credential.accessKeyId, credential);
  }

  /** Removes one credential of a source; true if it was there. */
  delete(sourceName: string, accessKeyId: string): boolean {
    return this.sources.find((s) => s.name === sourceName)?.byId.delete(accessKeyId) ?? false;
  }

  /** How many credentials a source holds, or all sources together. */
  size(sourceName?: string): number {
    if (sourceName !== undefined) return this.sources.find((s) => s.name === sourceName)?.byId.size ?? 0;
    return this.sources.reduce((n, s) => n + s.byId.size, 0);
  }

  sourceNames(): string[] {
    return this.sources.map((s) => s.name);
  }

  private sourceNamed(name: string): Source {
    let source = this.sources.find((s) => s.name === name);
    if (source === undefined) {
      source = { name, byId: new Map() };
      this.sources.push(source);
    }
    return source;
  }
}
