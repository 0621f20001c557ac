/**
 * The `--scope` syntax of the CLI, turned into the admin API's scope objects (which the
 * shared zod schemas then check, so a bad bucket or action is refused with the API's message).
 *
 *   key scope:   <bucket>[/<prefix>]:<action>[,<action>...]
 *   user scope:  <bucket>[/<prefix>]
 *
 * Unambiguous because bucket names never contain "/" or ":" and action names never contain
 * ":" or ",": the bucket ends at the first "/" (or ":"), the actions start after the LAST
 * ":", and everything between is the prefix, taken literally (it may hold "/", ":" or ",").
 *
 *   photos:get_object,list_bucket     bucket photos, whole bucket, two actions
 *   logs/2024/:*                      bucket logs, prefix "2024/", every action
 *   team-*:get_object                 every bucket matching the glob
 *
 * One --scope is one scope; repeat --scope for more (a request is allowed when any scope allows it).
 */
import { UsageError } from './cli-errors.js';

export interface ScopeInput {
  readonly bucket: string;
  readonly prefixes: string[];
  readonly actions: string[];
}

export interface UserScopeInput {
  readonly bucket: string;
  readonly prefixes: string[];
}

export const KEY_SCOPE_SYNTAX = '<bucket>[/<prefix>]:<action>[,<action>...]';
export const USER_SCOPE_SYNTAX = '<bucket>[/<prefix>]';

export function parseScopeArgument(value: string, command: string): ScopeInput {
  const colon = value.lastIndexOf(':');
  if (colon === -1) {
    throw new UsageError(`--scope "${value}" has no actions: write ${KEY_SCOPE_SYNTAX}, e.g. --scope 'photos:get_object,list_bucket'`, command);
  }
  const target = parseTarget(value.slice(0, colon), value, command, KEY_SCOPE_SYNTAX);
  const actionText = value.slice(colon + 1);
  const actions = actionText === '' ? [] : actionText.split(',').map((a) => a.trim());
  if (actions.length === 0) {
    throw new UsageError(`--scope "${value}" has no actions after ":" (list at least one, e.g. get_object,list_bucket, or * for all)`, command);
  }
  if (actions.some((a) => a === '')) throw new UsageError(`--scope "${value}" has an empty action (remove the extra ",")`, command);
  return { ...target, actions };
}

export function parseUserScopeArgument(value: string, command: string): UserScopeInput {
  const slash = value.indexOf('/');
  const bucket = slash === -1 ? value : value.slice(0, slash);
  if (bucket.includes(':')) {
    throw new UsageError(
      `--scope "${value}": a user's scope has no actions (the role decides them): write ${USER_SCOPE_SYNTAX}, e.g. --scope photos or --scope logs/2024/`,
      command,
    );
  }
  return parseTarget(value, value, command, USER_SCOPE_SYNTAX);
}

function parseTarget(target: string, whole: string, command: string, syntax: string): { bucket: string; prefixes: string[] } {
  const slash = target.indexOf('/');
  const bucket = slash === -1 ? target : target.slice(0, slash);
  if (bucket === '') throw new UsageError(`--scope "${whole}" has no bucket: write ${syntax}`, command);
  if (slash === -1) return { bucket, prefixes: [] };
  const prefix = target.slice(slash + 1);
  if (prefix === '') {
    throw new UsageError(`--scope "${whole}" ends its bucket with "/" but names no prefix: write "${bucket}" alone for the whole bucket`, command);
  }
  return { bucket, prefixes: [prefix] };
}

/** A scope written back in the --scope syntax, for tables. */
export function formatScope(scope: { readonly bucket: string; readonly prefixes: readonly string[]; readonly actions?: readonly string[] }): string {
  const targets = scope.prefixes.length === 0 ? [scope.bucket] : scope.prefixes.map((p) => `${scope.bucket}/${p}`);
  const actions = scope.actions === undefined ? '' : `:${scope.actions.join(',')}`;
  return targets.map((t) => `${t}${actions}`).join(' ');
}
