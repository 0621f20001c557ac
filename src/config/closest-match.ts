/**
 * "Did you mean …?" for configuration errors: finds the known name closest to a misspelt one.
 * Pure; used for unknown TOML keys, unknown actions and enum values.
 */

/** `accessKeyId`, `Access-Key-Id`, `s3:GetObject` → `access_key_id`, `get_object` (the snake_case form we use). */
export function normalizeName(name: string): string {
  return name
    .trim()
    .replace(/^s3:/i, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s.]+/g, '_')
    .toLowerCase();
}

/** Classic edit distance (insert, delete, substitute), O(a·b) with one row of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function tokens(name: string): string[] {
  return name.split('_').filter((t) => t.length > 0);
}

/**
 * The candidate a human most likely meant, or undefined when nothing is close enough.
 * Tried in order: same name once normalised (camelCase, `s3:` prefix, dashes); an alias;
 * a small edit distance (`get_objects` → `get_object`); one the start of the other
 * (`warning` → `warn`); one name's words all contained in the other's (`secret_key` → `secret_access_key`).
 */
export function findClosestMatch(
  input: string,
  candidates: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const normalized = normalizeName(input);
  if (normalized.length === 0) return undefined;
  const exact = candidates.find((c) => c === normalized);
  if (exact !== undefined) return exact;
  const alias = Object.hasOwn(aliases, normalized) ? aliases[normalized] : undefined;
  if (alias !== undefined && candidates.includes(alias)) return alias;

  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const maxDistance = Math.max(2, Math.floor(normalized.length / 3));
  for (const candidate of candidates) {
    const distance = editDistance(normalized, candidate);
    if (distance <= maxDistance && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined) return best;

  // One is the start of the other: `warning` → `warn`, `max_skew` → `max_skew_seconds`.
  if (normalized.length >= 3) {
    const prefixed = candidates.find(
      (c) => c.length >= 3 && (c.startsWith(normalized) || normalized.startsWith(c)),
    );
    if (prefixed !== undefined) return prefixed;
  }

  const inputTokens = tokens(normalized);
  let bestExtra = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const candidateTokens = tokens(candidate);
    const contained =
      inputTokens.every((t) => candidateTokens.includes(t)) || candidateTokens.every((t) => inputTokens.includes(t));
    if (!contained) continue;
    const extra = Math.abs(candidateTokens.length - inputTokens.length);
    if (extra < bestExtra) {
      best = candidate;
      bestExtra = extra;
    }
  }
  return best;
}
