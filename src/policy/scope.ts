import type { ScopeAction } from '../s3/actions.js';

/** One grant: a bucket (exact name or glob like `team-*`), key prefixes (empty = whole bucket), actions. */
export interface AccessScope {
  readonly bucket: string;
  readonly prefixes: readonly string[];
  readonly actions: readonly ScopeAction[];
}
