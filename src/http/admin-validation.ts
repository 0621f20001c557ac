/**
 * zod results → the admin API's 400: `{error: {code: "InvalidRequest", message, field,
 * problems: [{field, message}]}}`, the field written as a path (`scopes[0].bucket`).
 */
import type { z } from 'zod';
import { AdminError } from '../admin/admin-service.js';
import { formatPath } from '../config/parse-config.js';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export class AdminValidationError extends AdminError {
  constructor(readonly problems: readonly FieldProblem[]) {
    const first = problems[0] ?? { field: '(body)', message: 'invalid request' };
    super('InvalidRequest', 400, `${first.field}: ${first.message}`, first.field);
    this.name = 'AdminValidationError';
  }
}

/** What the JSON parser hands a route for an empty `application/json` body. */
export const EMPTY_JSON_BODY: unique symbol = Symbol('empty JSON body');

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.output<S> {
  if (value === EMPTY_JSON_BODY) throw new AdminError('MalformedJSON', 400, 'the body is empty (send a JSON object)', '(body)');
  if (where === 'body' && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new AdminValidationError([{ field: '(body)', message: 'expected a JSON object (send Content-Type: application/json)' }]);
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new AdminValidationError(
    result.error.issues.flatMap((issue): FieldProblem[] => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((key) => ({ field: formatPath([...issue.path, key]), message: `unknown field "${key}" (remove it)` }));
      }
      const field = issue.path.length === 0 ? `(${where})` : formatPath(issue.path);
      if (issue.code === 'invalid_type') {
        // What was sent, not what a coercion made of it (a query's limit=ten is NaN by then).
        const sent = valueAt(value, issue.path);
        const got = sent === undefined ? (issue as { input?: unknown }).input : sent;
        return [{ field, message: got === undefined ? 'required field is missing' : `expected ${issue.expected}, got ${describe(got)}` }];
      }
      return [{ field, message: issue.message }];
    }),
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (give the field once)';
  if (typeof value === 'string') return value.length <= 40 ? JSON.stringify(value) : 'a string';
  if (typeof value === 'number' && Number.isNaN(value)) return 'not a number';
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}
