import { bucketMatches } from '../policy/evaluate-access.js';
import { S3Error } from '../s3/s3-error.js';
import type { Backend } from '../upstream/backend.js';
import type { BackendRouter } from './proxy-runtime.js';

/** [[buckets]] mappings in file order; the first matching pattern wins, else the "default" backend. */
export class MappedBackendRouter implements BackendRouter {
  private readonly backends: ReadonlyMap<string, Backend>;
  private readonly mappings: ReadonlyArray<{ readonly pattern: string; readonly backend: Backend }>;
  private readonly fallback: Backend | undefined;

  constructor(backends: readonly Backend[], mappings: ReadonlyArray<{ readonly name: string; readonly backend: string }>) {
    this.backends = new Map(backends.map((b) => [b.name, b]));
    this.mappings = mappings.flatMap((m) => {
      const backend = this.backends.get(m.backend);
      return backend === undefined ? [] : [{ pattern: m.name, backend }];
    });
    this.fallback = this.backends.get('default');
  }

  backendFor(bucket: string | undefined): Backend {
    if (bucket !== undefined) {
      for (const m of this.mappings) if (bucketMatches(m.pattern, bucket)) return m.backend;
    }
    if (this.fallback === undefined) throw new S3Error('NoSuchBucket', 'No backend serves this bucket.');
    return this.fallback;
  }

  all(): readonly Backend[] {
    return [...this.backends.values()];
  }
}
